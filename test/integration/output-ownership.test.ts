/**
 * --out and the source tree judge a directory airlock's by the same strict rule: only a directory holding
 * nothing but airlock's files (SHA256SUMS, the binaries it lists with their envelopes, SBOMs, signature,
 * shard manifest) is replaced by a build or left out of the source.
 */
import { execa } from 'execa';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { copyModule, ensureToolchains, integration, managedContainers, runAirlock } from '../helpers/airlock-cli.js';
import type { ExecutionContext } from 'ava';
import type { CliResult } from '../helpers/airlock-run.js';

/** Every file under dir with its contents, for before/after comparisons. */
async function snapshotTree(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    const full = path.join(entry.parentPath, entry.name);
    result[path.relative(dir, full)] = entry.isDirectory() ? '<dir>' : (await fs.readFile(full)).toString('base64');
  }
  return result;
}

/** Refused as bad input with exactly one line on stderr (nothing reported before it), and no sandbox started. */
async function assertRefusedOutput(t: ExecutionContext, result: CliResult, pattern: RegExp): Promise<void> {
  t.is(result.exitCode, 2, result.stderr);
  const lines = result.stderr.trim().split('\n');
  t.is(lines.length, 1, result.stderr);
  t.regex(lines[0] ?? '', /^airlock: error: /);
  t.regex(lines[0] ?? '', pattern);
  t.deepEqual(await managedContainers(), [], 'no sandbox was started (rerun if another airlock run shares the engine)');
}

integration('an --out holding a SHA256SUMS of its own and other files is refused, one stderr line, nothing touched', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/hello');
  const rel = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-qa-bad-')), 'rel');
  await fs.outputFile(path.join(rel, 'notes.txt'), 'my notes\n');
  await fs.outputFile(path.join(rel, 'mytool'), 'bin\n');
  await execa('sh', ['-c', 'sha256sum mytool > SHA256SUMS'], { cwd: rel });
  const before = await snapshotTree(rel);
  const result = await runAirlock(['build', module, '--out', rel]);
  await assertRefusedOutput(
    t,
    result,
    /the output directory .*\/rel holds files airlock did not write: SHA256SUMS, mytool, notes\.txt; move them out of it, or choose an empty or new --out directory$/,
  );
  t.deepEqual(await snapshotTree(rel), before);
  t.deepEqual((await fs.readdir(path.dirname(rel))).sort(), ['rel'], 'no staging directory beside it');
});

integration('a file added to an airlock output directory stops the next build, which leaves the directory as it was', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/hello');
  // --cache: the output directory is the point, not the compile (CI time).
  const first = await runAirlock(['build', module, '--cache', '--target', 'linux/amd64']);
  t.is(first.exitCode, 0, first.stderr);
  const dist = path.join(module, 'dist');
  await fs.writeFile(path.join(dist, 'NOTES.md'), 'notes\n');
  const before = await snapshotTree(dist);
  const second = await runAirlock(['build', module, '--cache', '--target', 'linux/amd64']);
  await assertRefusedOutput(t, second, /the output directory .*\/dist holds files airlock did not write: NOTES\.md; move them out/);
  t.deepEqual(await snapshotTree(dist), before);
  // Without the added file it is airlock's again, and replaced.
  await fs.rm(path.join(dist, 'NOTES.md'));
  const third = await runAirlock(['build', module, '--cache', '--target', 'linux/amd64']);
  t.is(third.exitCode, 0, third.stderr);
});

const EMBED_MAIN = `package main

import (
	"embed"
	"fmt"
	"io/fs"
)

//go:embed assets
var assets embed.FS

func main() {
	_ = fs.WalkDir(assets, ".", func(name string, entry fs.DirEntry, err error) error {
		if err == nil && !entry.IsDir() {
			data, _ := assets.ReadFile(name)
			fmt.Printf("%s %d\\n", name, len(data))
		}
		return nil
	})
}
`;

integration('an embedded assets tree holding checksums/SHA256SUMS is sent whole: the binary equals a native go build, and reproduces', async (t) => {
  await ensureToolchains();
  const module = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-embed-')), 'embed');
  await fs.outputFile(path.join(module, 'go.mod'), 'module example.com/embed\n\ngo 1.26\n');
  await fs.outputFile(path.join(module, 'main.go'), EMBED_MAIN);
  await fs.outputFile(path.join(module, 'assets', 'index.html'), '<p>hello</p>\n');
  await fs.outputFile(path.join(module, 'assets', 'checksums', 'data.bin'), 'data\n');
  await execa('sh', ['-c', 'sha256sum data.bin > SHA256SUMS'], { cwd: path.join(module, 'assets', 'checksums') });

  // go1.26.8: the release the host's go command is, for the comparison with a native build below.
  const build = await runAirlock(['build', module, '--target', 'linux/amd64', '--go', '1.26.8']);
  t.is(build.exitCode, 0, build.stderr);
  t.notRegex(build.stderr, /not sending/);
  const binary = path.join(module, 'dist', 'embed_linux_amd64');
  const run = await execa(binary);
  t.deepEqual(run.stdout.split('\n'), ['assets/checksums/SHA256SUMS 75', 'assets/checksums/data.bin 5', 'assets/index.html 13']);

  const native = path.join(path.dirname(module), 'native');
  await execa('go', ['build', '-trimpath', '-buildvcs=false', '-ldflags=-buildid=', '-o', native, '.'], {
    cwd: module,
    env: { GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOOS: 'linux', GOARCH: 'amd64', GOFLAGS: '', GOPROXY: 'off' },
  });
  t.true((await fs.readFile(native)).equals(await fs.readFile(binary)), 'airlock and native go build give the same bytes');

  // A real airlock output inside the module is left out, said so, recorded, and reproduce agrees.
  await fs.copy(path.join(module, 'dist'), path.join(module, 'old-release'));
  const again = await runAirlock(['build', module, '--target', 'linux/amd64', '--go', '1.26.8']);
  t.is(again.exitCode, 0, again.stderr);
  t.regex(again.stderr, /not sending old-release\/ to the sandbox: an airlock output directory/);
  const envelope = path.join(module, 'dist', 'embed_linux_amd64.intoto.jsonl');
  const payload = JSON.parse(Buffer.from((JSON.parse(await fs.readFile(envelope, 'utf8')) as { payload: string }).payload, 'base64').toString('utf8')) as {
    predicate: { buildDefinition: { resolvedDependencies: Array<{ name?: string; annotations?: { excluded?: string[]; files?: Record<string, string> } }> } };
  };
  const source = payload.predicate.buildDefinition.resolvedDependencies.find((dependency) => dependency.name === 'source')!;
  t.deepEqual(source.annotations?.excluded, ['dist', 'old-release']);
  t.true(Object.keys(source.annotations?.files ?? {}).includes('assets/checksums/SHA256SUMS'));
  const reproduce = await runAirlock(['reproduce', envelope, '--source', module]);
  t.is(reproduce.exitCode, 0, reproduce.stdout + reproduce.stderr);
  t.regex(reproduce.stdout, /^REPRODUCED\s+embed_linux_amd64\s+/m);
});
