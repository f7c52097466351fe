/**
 * The misbehaving-toolchain fixture (test/fixtures/hostile-go) run directly on the host: each mode does what
 * the integration tests in test/integration/hostile.test.ts rely on, and its fake GOROOT imports into a store.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import test, { type ExecutionContext } from 'ava';

import { checkStaticExecutable } from '../../../src/binary/static-check.js';
import { goBuildArguments } from '../../../src/sandbox/policy.js';
import { importToolchain } from '../../../src/toolchain/import-toolchain.js';
import { defaultMatrixPath, loadToolchainMatrix } from '../../../src/toolchain/matrix.js';
import { ToolchainStore } from '../../../src/toolchain/store.js';
import { run, tempDir } from '../../helpers/host-tools.js';
import { HOSTILE_GO_VERSION, HOSTILE_MODE_FILE, HOSTILE_PORTS, buildHostileGo, makeHostileGoroot } from '../../helpers/hostile-toolchain.js';

const OUTPUT = 'hostile_linux_amd64';

let binDir = '';
let binary = '';

test.before(async () => {
  binDir = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-hostile-bin-'));
  binary = path.join(binDir, 'go');
  await buildHostileGo(binary);
});

test.after.always(async () => {
  if (binDir !== '') await fs.rm(binDir, { recursive: true, force: true });
});

/** A working directory like the sandbox's: the mode file in it, the output directory beside it. */
async function workArea(t: ExecutionContext, mode: string): Promise<{ src: string; out: string; output: string }> {
  const work = await tempDir(t, 'airlock-hostile-work-');
  const src = path.join(work, 'src');
  const out = path.join(work, 'out');
  await fs.mkdir(src);
  await fs.mkdir(out);
  await fs.writeFile(path.join(src, HOSTILE_MODE_FILE), mode);
  return { src, out, output: path.join(out, OUTPUT) };
}

const ENV = { GOOS: 'linux', GOARCH: 'amd64', PATH: process.env.PATH ?? '' };

/** Runs the fixture as airlock runs the go command. */
async function goBuild(t: ExecutionContext, mode: string, env: Record<string, string> = ENV) {
  const area = await workArea(t, mode);
  // The arguments airlock passes (goBuildArguments), with the output in this work area instead of the sandbox's.
  const args = goBuildArguments({ goos: 'linux', goarch: 'amd64', mainPackage: '.', outputName: OUTPUT, vendored: false, ldflags: [], tags: [] });
  args[args.indexOf('-o') + 1] = area.output;
  const result = await run(binary, args, { cwd: area.src, env });
  return { ...area, ...result };
}

test('the fixture is a static executable, so its ok output passes airlock\'s static check', async (t) => {
  const bytes = await fs.readFile(binary);
  t.true(checkStaticExecutable(bytes).static);
});

test('ok writes a copy of the fixture itself', async (t) => {
  const result = await goBuild(t, 'ok\n');
  t.is(result.code, 0, result.stderr);
  t.true((await fs.readFile(result.output)).equals(await fs.readFile(binary)));
  t.regex(result.stderr, /^hostile-go: mode ok for linux\/amd64, output .*hostile_linux_amd64$/m);
});

test('symlink makes the output a symbolic link to /etc/passwd', async (t) => {
  const result = await goBuild(t, 'symlink\n');
  t.is(result.code, 0, result.stderr);
  t.is(await fs.readlink(result.output), '/etc/passwd');
});

test('directory makes the output a directory holding a file', async (t) => {
  const result = await goBuild(t, 'directory\n');
  t.is(result.code, 0, result.stderr);
  t.true((await fs.stat(result.output)).isDirectory());
  t.deepEqual(await fs.readdir(result.output), ['inside']);
});

test('fifo makes the output a named pipe', async (t) => {
  const result = await goBuild(t, 'fifo\n');
  t.is(result.code, 0, result.stderr);
  t.true((await fs.lstat(result.output)).isFIFO());
});

test('huge writes the given number of MiB (16 by default)', async (t) => {
  const two = await goBuild(t, 'huge 2\n');
  t.is(two.code, 0, two.stderr);
  t.is((await fs.stat(two.output)).size, 2 * 1024 * 1024);
  const standard = await goBuild(t, 'huge\n');
  t.is((await fs.stat(standard.output)).size, 16 * 1024 * 1024);
});

test('none exits 0 and writes nothing; fail exits 1', async (t) => {
  const none = await goBuild(t, 'none\n');
  t.is(none.code, 0, none.stderr);
  t.deepEqual(await fs.readdir(none.out), []);
  const failed = await goBuild(t, 'fail\n');
  t.is(failed.code, 1);
  t.regex(failed.stderr, /hostile-go: failing on purpose/);
});

test('memory allocates and touches memory until killed, and gives up after the given MiB', async (t) => {
  const result = await goBuild(t, 'memory 64\n');
  t.is(result.code, 1);
  t.regex(result.stderr, /hostile-go: allocated 64 MiB and was not killed/);
  t.deepEqual(await fs.readdir(result.out), []);
});

for (const mode of ['hang', 'memory']) {
  test(`${mode} starts and keeps running until killed`, async (t) => {
    const area = await workArea(t, `${mode}\n`);
    const child = spawn(binary, ['build', '-o', area.output, '.'], { cwd: area.src, env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const started = new Promise<void>((resolve) =>
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('\n')) resolve();
      }),
    );
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    await Promise.race([started, exited]);
    // Long enough to see it keep going; memory gives up only after 2 GiB, far later than this.
    await new Promise((resolve) => setTimeout(resolve, mode === 'hang' ? 500 : 50));
    t.is(child.exitCode, null, `still running: ${stderr}`);
    child.kill('SIGKILL');
    t.is(await exited, 'SIGKILL');
    t.regex(stderr, new RegExp(`^hostile-go: mode ${mode} for linux/amd64`));
  });
}

test('a line for the target decides; a bare mode applies to every target; */* matches any', async (t) => {
  const modes = '# per target\nlinux/arm64 huge 1\nlinux/amd64 directory\n';
  const amd64 = await goBuild(t, modes);
  t.true((await fs.stat(amd64.output)).isDirectory());
  const arm64 = await goBuild(t, modes, { ...ENV, GOARCH: 'arm64' });
  t.is((await fs.stat(arm64.output)).size, 1024 * 1024);
  const any = await goBuild(t, 'windows/amd64 fail\n*/* none\n');
  t.is(any.code, 0, any.stderr);
  const unmatched = await goBuild(t, 'linux/arm64 ok\n');
  t.is(unmatched.code, 1);
  t.regex(unmatched.stderr, /hostile-mode names no mode for linux\/amd64/);
});

test('without a mode file, or with a bad one, it fails and says why', async (t) => {
  const dir = await tempDir(t, 'airlock-hostile-empty-');
  const missing = await run(binary, ['build', '-o', path.join(dir, 'x'), '.'], { cwd: dir, env: ENV });
  t.is(missing.code, 1);
  t.regex(missing.stderr, /cannot read hostile-mode in the working directory/);
  const unknown = await goBuild(t, 'explode\n');
  t.is(unknown.code, 1);
  t.regex(unknown.stderr, /unknown mode "explode"/);
  const notBuild = await run(binary, ['version'], { cwd: dir, env: ENV });
  t.is(notBuild.code, 1);
  t.regex(notBuild.stderr, /only `go build/);
});

test('the fake GOROOT imports on trust into a store of its own, with its version and ports', async (t) => {
  const dir = await tempDir(t, 'airlock-hostile-import-');
  const goroot = await makeHostileGoroot(dir);
  const store = new ToolchainStore(path.join(dir, 'home'));
  const matrix = loadToolchainMatrix(defaultMatrixPath());
  const { toolchain } = await importToolchain(store, { kind: 'goroot', path: goroot }, { matrix, trustOnFirstUse: true });
  t.is(toolchain.version, HOSTILE_GO_VERSION);
  t.is(toolchain.verification.status, 'trust-on-first-use');
  for (const port of HOSTILE_PORTS) t.true(toolchain.ports.includes(port), port);
  const stored = await fs.readFile(path.join(toolchain.goroot, 'bin', 'go'));
  t.true(checkStaticExecutable(stored).static);
  t.is((await fs.stat(path.join(toolchain.goroot, 'bin', 'go'))).mode & 0o111, 0o111, 'bin/go is executable');
  await t.throwsAsync(importToolchain(new ToolchainStore(path.join(dir, 'other')), { kind: 'goroot', path: goroot }, { matrix, trustOnFirstUse: false }), {
    message: /is not in the toolchain matrix/,
  });
});
