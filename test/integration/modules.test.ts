import { execa } from 'execa';
import fs from 'fs-extra';
import { createReadStream, createWriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import tarStream from 'tar-stream';
import { readModuleZip } from '../../src/modules/module-zip.js';
import { assertCleanFailure, cliPath, copyModule, ensureToolchains, integration, managedContainers, repoRoot, runAirlock } from '../helpers/airlock-cli.js';

/** The module set of examples/cli, written by `airlock modules pack` and committed as a test fixture. */
const CLI_SET = path.join(repoRoot, 'test', 'fixtures', 'module-sets', 'cli-modules.tar.gz');
// Two targets of different executable formats; the four-target matrix is covered in matrix.test.ts.
const TARGETS = ['linux/amd64', 'darwin/arm64'];
const targetArgs = TARGETS.flatMap((target) => ['--target', target]);

async function cliWithoutVendor(): Promise<string> {
  const module = await copyModule('examples/cli');
  await fs.remove(path.join(module, 'vendor'));
  return module;
}

/** Rewrites a module set, letting `edit` change, drop (return null) or add entries. */
async function rewriteSet(
  source: string,
  target: string,
  edit: (name: string, bytes: Buffer) => Buffer | null,
  extra: Array<{ name: string; bytes: Buffer; type?: 'file' | 'symlink'; linkname?: string }> = [],
): Promise<void> {
  const entries: Array<{ name: string; bytes: Buffer }> = [];
  const extract = tarStream.extract();
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    stream.on('end', () => {
      const edited = edit(header.name, Buffer.concat(chunks));
      if (edited) entries.push({ name: header.name, bytes: edited });
      next();
    });
  });
  await pipeline(createReadStream(source), createGunzip(), extract);
  const pack = tarStream.pack();
  const written = pipeline(pack, createGzip(), createWriteStream(target));
  for (const entry of entries) pack.entry({ name: entry.name, size: entry.bytes.length, mode: 0o644 }, entry.bytes);
  for (const entry of extra) {
    if (entry.type === 'symlink') pack.entry({ name: entry.name, type: 'symlink', linkname: entry.linkname ?? '/' });
    else pack.entry({ name: entry.name, size: entry.bytes.length, mode: 0o644 }, entry.bytes);
  }
  pack.finalize();
  await written;
}

integration('examples/cli builds offline for two targets from vendor/, and the binary works', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/cli');
  // --cache: the vendored input and the binary are the point here; cold builds of examples/cli from vendor/ are
  // in reproduce.test.ts, and this fills the cache the signed release in provenance.test.ts builds with (CI time).
  const result = await runAirlock(['build', module, '--cache', ...targetArgs]);
  t.is(result.exitCode, 0, result.stderr);
  t.regex(result.stderr, /5 modules from vendor\/, consistent with go\.mod \(not proven against go\.sum: no module set given\)/);
  const dist = path.join(module, 'dist');
  const binaries = ['cli_darwin_arm64', 'cli_linux_amd64'];
  t.deepEqual((await fs.readdir(dist)).sort(), ['RELEASE-MANIFEST', 'SHA256SUMS', ...binaries.flatMap((file) => [file, `${file}.intoto.jsonl`])].sort());
  const run = await execa(path.join(dist, 'cli_linux_amd64'), ['size', '82854982']);
  t.is(run.stdout.trim(), '83 MB');
  const id = await execa(path.join(dist, 'cli_linux_amd64'), ['id']);
  t.regex(id.stdout.trim(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

integration('modules verify proves every vendored file of examples/cli against go.sum through the module set', async (t) => {
  const result = await runAirlock(['modules', 'verify', path.join(repoRoot, 'examples', 'cli'), '--modules', CLI_SET]);
  t.is(result.exitCode, 0, result.stdout + result.stderr);
  for (const module of ['github.com/dustin/go-humanize', 'github.com/google/uuid', 'github.com/spf13/cobra', 'github.com/spf13/pflag', 'github.com/inconshreveable/mousetrap']) {
    t.regex(result.stdout, new RegExp(`^OK\\s+${module.replace(/[./]/g, '\\$&')}\\s+v\\S+\\s+zip and go\\.mod match go\\.sum \\(h1:\\S+\\); vendored files identical to the zip$`, 'm'));
  }
  t.regex(result.stderr, /modules proven against go\.sum, and every vendored file identical to its verified zip/);
  const unproven = await runAirlock(['modules', 'verify', path.join(repoRoot, 'examples', 'cli')]);
  t.is(unproven.exitCode, 4);
  t.regex(unproven.stdout, /^MISSING\s+github\.com\/spf13\/cobra\s+v1\.10\.2\s+vendored; no module set given/m);
});

integration('examples/cli builds for two targets from the module set alone, with vendor/ absent', async (t) => {
  await ensureToolchains();
  const module = await cliWithoutVendor();
  const refused = await runAirlock(['build', module]);
  assertCleanFailure(t, refused, 2, /example\.com\/cli requires 5 modules but has no vendor\/ and no module set was given; on a connected machine, run `go mod vendor`/);
  const result = await runAirlock(['build', module, '--modules', CLI_SET, ...targetArgs]);
  t.is(result.exitCode, 0, result.stderr);
  t.regex(result.stderr, /5 modules from the module set, verified against go\.sum/);
  const run = await execa(path.join(module, 'dist', 'cli_linux_amd64'), ['size', '--base', '2', '1048576']);
  t.is(run.stdout.trim(), '1.0 MiB');
  // Built in module mode, the binary's build info carries each module with its go.sum hash.
  const info = await execa('go', ['version', '-m', path.join(module, 'dist', 'cli_linux_amd64')], { env: { GOTOOLCHAIN: 'local' } });
  t.regex(info.stdout, /dep\tgithub\.com\/spf13\/cobra\tv1\.10\.2\th1:DMTTonx5m65Ic0GOoRY2c16WCbHxOOw6xxezuLaBpcU=/);
});

integration('one changed byte in a vendored file is caught and named, and nothing is built', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/cli');
  const file = path.join(module, 'vendor', 'github.com', 'spf13', 'pflag', 'flag.go');
  const bytes = await fs.readFile(file);
  bytes[2000]! ^= 0x20;
  await fs.writeFile(file, bytes);
  const verify = await runAirlock(['modules', 'verify', module, '--modules', CLI_SET]);
  t.is(verify.exitCode, 4);
  t.regex(verify.stdout, /^MISMATCH\s+github\.com\/spf13\/pflag\s+v1\.0\.9\s+vendor\/github\.com\/spf13\/pflag\/flag\.go differs from the verified module zip$/m);
  const build = await runAirlock(['build', module, '--modules', CLI_SET]);
  assertCleanFailure(t, build, 4, /1 module failed verification against go\.sum; first: MISMATCH github\.com\/spf13\/pflag@v1\.0\.9: vendor\/github\.com\/spf13\/pflag\/flag\.go differs/);
  t.false(await fs.pathExists(path.join(module, 'dist')));
  t.deepEqual(await managedContainers(), []);
});

integration('an inconsistent vendor/, a local replace outside the module and a go.sum without a line are refused before building', async (t) => {
  await ensureToolchains();
  // modules.txt lists a version different from go.mod
  const versions = await copyModule('examples/cli');
  const modulesTxt = path.join(versions, 'vendor', 'modules.txt');
  await fs.writeFile(modulesTxt, (await fs.readFile(modulesTxt, 'utf8')).replace('# github.com/google/uuid v1.6.0', '# github.com/google/uuid v1.5.0'));
  const inconsistent = await runAirlock(['build', versions]);
  assertCleanFailure(t, inconsistent, 2, /vendor\/ is inconsistent with go\.mod: .*github\.com\/google\/uuid/);
  t.false(await fs.pathExists(path.join(versions, 'dist')));

  // a module missing from vendor/
  const missing = await copyModule('examples/cli');
  await fs.remove(path.join(missing, 'vendor', 'github.com', 'dustin'));
  const missingVerify = await runAirlock(['modules', 'verify', missing, '--modules', CLI_SET]);
  t.is(missingVerify.exitCode, 4);
  t.regex(missingVerify.stdout, /^MISMATCH\s+github\.com\/dustin\/go-humanize\s+v1\.1\.0\s+vendor\/github\.com\/dustin\/go-humanize\/\S+ is missing/m);
  const missingBuild = await runAirlock(['build', missing]);
  assertCleanFailure(t, missingBuild, 2, /vendor\/github\.com\/dustin\/go-humanize .*missing/);

  // replace with a directory outside the module
  const replaced = await cliWithoutVendor();
  await fs.appendFile(path.join(replaced, 'go.mod'), '\nreplace github.com/google/uuid => ../uuid-fork\n');
  const outside = await runAirlock(['build', replaced, '--modules', CLI_SET]);
  assertCleanFailure(t, outside, 2, /go\.mod replaces github\.com\/google\/uuid with \.\.\/uuid-fork, a directory outside the module.*vendor it/);

  // go.sum without the line for one module
  const unsummed = await cliWithoutVendor();
  const goSum = path.join(unsummed, 'go.sum');
  await fs.writeFile(goSum, (await fs.readFile(goSum, 'utf8')).split('\n').filter((line) => !line.startsWith('github.com/google/uuid v1.6.0 h1:')).join('\n'));
  const noLine = await runAirlock(['build', unsummed, '--modules', CLI_SET]);
  assertCleanFailure(t, noLine, 4, /MISSING github\.com\/google\/uuid@v1\.6\.0: go\.sum has no line for github\.com\/google\/uuid v1\.6\.0/);
  t.false(await fs.pathExists(path.join(unsummed, 'dist')));
  t.deepEqual(await managedContainers(), []);
});

integration('a damaged zip and unsafe archive entries in a module set are refused, and nothing is written outside', async (t) => {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-sets-'));
  const module = await cliWithoutVendor();

  const corrupt = path.join(work, 'corrupt.tar.gz');
  await rewriteSet(CLI_SET, corrupt, (name, bytes) => {
    if (!name.endsWith('spf13/cobra/@v/v1.10.2.zip')) return bytes;
    return bytes.subarray(0, Math.floor(bytes.length / 2));
  });
  const corruptResult = await runAirlock(['modules', 'verify', module, '--modules', corrupt]);
  t.not(corruptResult.exitCode, 0);
  t.regex(corruptResult.stderr, /airlock: error: .*github\.com\/spf13\/cobra@v1\.10\.2/);

  const truncated = path.join(work, 'truncated.tar.gz');
  const whole = await fs.readFile(CLI_SET);
  await fs.writeFile(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
  const truncatedResult = await runAirlock(['build', module, '--modules', truncated]);
  assertCleanFailure(t, truncatedResult, 2, /truncated\.tar\.gz is not a readable \.tar\.gz/);

  const escapeTarget = path.join(os.tmpdir(), `airlock-escape-${process.pid}`);
  for (const [label, entry] of [
    ['dotdot', { name: `../../../../../..${escapeTarget}`, bytes: Buffer.from('owned') }],
    ['absolute', { name: escapeTarget, bytes: Buffer.from('owned') }],
    ['symlink', { name: 'cache/download/evil/@v/v1.0.0.mod', bytes: Buffer.alloc(0), type: 'symlink' as const, linkname: '/etc/passwd' }],
  ] as const) {
    const file = path.join(work, `${label}.tar.gz`);
    await rewriteSet(CLI_SET, file, (_name, bytes) => bytes, [entry]);
    const result = await runAirlock(['build', module, '--modules', file]);
    assertCleanFailure(t, result, 2, /holds an unsafe .* entry .*; it was refused/);
    t.false(await fs.pathExists(escapeTarget), label);
  }
  t.false(await fs.pathExists(path.join(module, 'dist')));
  await fs.remove(work);
});

integration('modules pack writes a set equivalent to the committed fixture, with checksum database evidence for a newer head', async (t) => {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-pack-'));
  t.teardown(() => fs.remove(work));
  const out = path.join(work, 'cli.tar.gz');
  // Stores of their own: a pack and a verify remember the head they accepted; the shared store builds from
  // the committed set, whose head is older.
  const packer = { AIRLOCK_HOME: path.join(work, 'packer') };
  const site = { AIRLOCK_HOME: path.join(work, 'site') };
  const result = await runAirlock(['modules', 'pack', path.join(repoRoot, 'examples', 'cli'), '--out', out], { env: packer });
  t.is(result.exitCode, 0, result.stderr);
  t.regex(result.stderr, /5 modules with source, \d+ go\.mod files only/);
  t.regex(result.stderr, /checksum database sum\.golang\.org: 9 module versions proven in the signed tree of \d+ records/);
  const listing = (await execa('tar', ['-tzf', out])).stdout.split('\n');
  t.true(listing.includes('cache/download/sumdb/sum.golang.org/latest'));
  t.is(listing.filter((name) => name.startsWith('cache/download/sumdb/sum.golang.org/lookup/')).length, 9);
  t.is(listing.filter((name) => name.endsWith('.info')).length, 9, 'every module version has its .info: a complete GOPROXY tree');
  const verify = await runAirlock(['modules', 'verify', path.join(repoRoot, 'examples', 'cli'), '--modules', out], { env: site });
  t.is(verify.exitCode, 0, verify.stdout + verify.stderr);
  t.is(verify.stdout.match(/^PROVEN\s/gm)?.length, 9);

  // A set with an older genuine head: examples/cli's modules with the evidence the go command cached for them
  // (test/fixtures/sumdb, head 66398721). The site has accepted a newer head, so it is a rollback, both named.
  const olderDir = path.join(work, 'older');
  await fs.mkdirp(olderDir);
  await execa('tar', ['-xzf', CLI_SET, '-C', olderDir]);
  const sumdb = path.join(olderDir, 'cache', 'download', 'sumdb', 'sum.golang.org');
  await fs.remove(sumdb);
  await fs.copy(path.join(repoRoot, 'test', 'fixtures', 'sumdb', 'go-command-cache'), sumdb);
  const older = path.join(work, 'older.tar.gz');
  await execa('tar', ['-czf', older, '-C', olderDir, '.']);
  const rollback = await runAirlock(['modules', 'verify', path.join(repoRoot, 'examples', 'cli'), '--modules', older], { env: site });
  assertCleanFailure(t, rollback, 4, /carries an older checksum database head \(66398721 5oXTdOltbW8o\S+\) than this store has accepted \(\d+ \S+\): a rollback; /);
  const trust = await runAirlock(['modules', 'trust'], { env: site });
  t.regex(trust.stdout, /^sum\.golang\.org\s+\d+\s+\S+=\s+\S+\s+\S*cli\.tar\.gz$/m);
  t.is((await runAirlock(['modules', 'trust', '--reset'], { env: site })).exitCode, 0);
  const afterReset = await runAirlock(['modules', 'verify', path.join(repoRoot, 'examples', 'cli'), '--modules', older], { env: site });
  t.is(afterReset.exitCode, 0, afterReset.stdout + afterReset.stderr);

  // The site now holds the older head. The committed set's newer head cannot show it a prefix (no such tiles);
  // a set packed with --consistent-with that size can.
  const unprovable = await runAirlock(['modules', 'verify', path.join(repoRoot, 'examples', 'cli'), '--modules', CLI_SET], { env: site });
  assertCleanFailure(t, unprovable, 4, /cannot show that the head this store accepted \(66398721 \S+\) is a prefix of its own \(73014680 \S+\): it lacks the tiles; pack it again with `airlock modules pack --consistent-with 66398721`/);
  const forward = path.join(work, 'forward.tar.gz');
  const packed = await runAirlock(['modules', 'pack', path.join(repoRoot, 'examples', 'cli'), '--out', forward, '--consistent-with', '66398721'], { env: packer });
  t.is(packed.exitCode, 0, packed.stderr);
  const stepped = await runAirlock(['modules', 'verify', path.join(repoRoot, 'examples', 'cli'), '--modules', forward], { env: site });
  t.is(stepped.exitCode, 0, stepped.stdout + stepped.stderr);
});

integration("another module's set is refused as such, not as tampering: it names both modules and how to pack the right one", async (t) => {
  await ensureToolchains();
  const module = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-test-other-'));
  t.teardown(() => fs.remove(module));
  await fs.writeFile(path.join(module, 'go.mod'), 'module example.com/needs-yaml\n\ngo 1.26\n\nrequire gopkg.in/yaml.v3 v3.0.1\n');
  await fs.writeFile(
    path.join(module, 'go.sum'),
    'gopkg.in/yaml.v3 v3.0.1 h1:fxVm/GzAzEWqLHuvctI91KS9hhNmmWOoWu0XTYJS7CA=\ngopkg.in/yaml.v3 v3.0.1/go.mod h1:K4uyk7z7BCEPqu6E+C64Yfv1cQ7kz7rIZviUmN+EgEM=\n',
  );
  await fs.writeFile(path.join(module, 'main.go'), 'package main\n\nimport _ "gopkg.in/yaml.v3"\n\nfunc main() {}\n');
  const result = await runAirlock(['build', module, '--modules', CLI_SET, '--go', '1.26.8']);
  assertCleanFailure(t, result, 2, /the module set .*cli-modules\.tar\.gz was packed for example\.com\/cli, not example\.com\/needs-yaml, and does not match this module's go\.sum \(\d+ modules missing, extra or different; first: MISSING \S+@v\S+\)/);
  t.regex(result.stderr, /airlock modules pack/);
  t.deepEqual((await fs.readdir(module)).sort(), ['go.mod', 'go.sum', 'main.go']);
  t.deepEqual(await managedContainers(), []);
});

integration('a poisoned go.sum line with a zip to match it, which go mod verify accepts, is refused offline against the Go checksum database, both hashes named', async (t) => {
  await ensureToolchains();
  const module = await cliWithoutVendor();
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-poison-'));
  t.teardown(() => execa('chmod', ['-R', 'u+w', work]).then(() => fs.remove(work)));
  const setDir = path.join(work, 'set');
  await fs.mkdirp(setDir);
  await execa('tar', ['-xzf', CLI_SET, '-C', setDir]);
  // One line added to a file of github.com/google/uuid@v1.6.0, the zip rebuilt, its h1 put in .ziphash and go.sum.
  const at = path.join(setDir, 'cache', 'download', 'github.com', 'google', 'uuid', '@v');
  const unzipped = path.join(work, 'unzipped');
  await execa('unzip', ['-q', path.join(at, 'v1.6.0.zip'), '-d', unzipped]);
  await fs.appendFile(path.join(unzipped, 'github.com', 'google', 'uuid@v1.6.0', 'version4.go'), '\nvar _ = "backdoor"\n');
  await fs.remove(path.join(at, 'v1.6.0.zip'));
  // -D: no directory entries (a module zip has none; the go command refuses them).
  await execa('zip', ['-q', '-r', '-X', '-D', path.join(at, 'v1.6.0.zip'), 'github.com'], { cwd: unzipped });
  const poisoned = (await readModuleZip(path.join(at, 'v1.6.0.zip'), 'github.com/google/uuid', 'v1.6.0')).h1;
  const genuine = 'h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=';
  t.not(poisoned, genuine);
  await fs.writeFile(path.join(at, 'v1.6.0.ziphash'), `${poisoned}\n`);
  const goSum = path.join(module, 'go.sum');
  await fs.writeFile(goSum, (await fs.readFile(goSum, 'utf8')).replace(`github.com/google/uuid v1.6.0 ${genuine}`, `github.com/google/uuid v1.6.0 ${poisoned}`));
  const set = path.join(work, 'poisoned.tar.gz');
  await execa('tar', ['-czf', set, '-C', setDir, '.']);

  // The go command itself sees nothing wrong: go.sum and the zip agree.
  const goVerify = await execa('go', ['mod', 'verify'], {
    cwd: module,
    env: { GOMODCACHE: setDir, GOFLAGS: '-mod=mod', GOPROXY: 'off', GOSUMDB: 'off', GOTOOLCHAIN: 'local', GOWORK: 'off' },
    reject: false,
  });
  t.regex(goVerify.stdout + goVerify.stderr, /all modules verified/);

  const verify = await runAirlock(['modules', 'verify', module, '--modules', set, '--allow-unproven']);
  t.is(verify.exitCode, 4, verify.stdout + verify.stderr);
  t.regex(verify.stdout, /^OK\s+github\.com\/google\/uuid\s+v1\.6\.0\s+zip and go\.mod match go\.sum/m);
  t.regex(verify.stdout, new RegExp(`^MISMATCH\\s+github\\.com/google/uuid\\s+v1\\.6\\.0\\s+go\\.sum says github\\.com/google/uuid v1\\.6\\.0 ${poisoned.replace(/[+/]/g, '\\$&')}, the checksum database says ${genuine.replace(/[+/]/g, '\\$&')} \\(record 22152757\\)$`, 'm'));
  t.regex(verify.stdout, /^PROVEN\s+github\.com\/spf13\/cobra\s+/m);

  const build = await runAirlock(['build', module, '--modules', set, '--allow-unproven']);
  assertCleanFailure(t, build, 4, /^airlock: error: 1 module disagrees with the Go checksum database; first: github\.com\/google\/uuid@v1\.6\.0: go\.sum says .* h1:.*, the checksum database says h1:NIva.*; do not build from this go\.sum/);
  t.false(await fs.pathExists(path.join(module, 'dist')));
  t.deepEqual(await managedContainers(), []);
});

integration('a set packed before sets carried evidence builds only with --allow-unproven, which the provenance records', async (t) => {
  await ensureToolchains();
  const module = await cliWithoutVendor();
  const old = path.join(repoRoot, 'test', 'fixtures', 'module-sets', 'cli-modules-before-evidence.tar.gz');
  const refused = await runAirlock(['build', module, '--modules', old, '--cache']);
  assertCleanFailure(t, refused, 4, /^airlock: error: 9 modules are not proven in the Go checksum database; first: .*: the module set carries no checksum database evidence .*--allow-unproven/);
  t.false(await fs.pathExists(path.join(module, 'dist')));
  const allowed = await runAirlock(['build', module, '--modules', old, '--cache', '--allow-unproven']);
  t.is(allowed.exitCode, 0, allowed.stderr);
  t.regex(allowed.stderr, /0 module versions proven in sum\.golang\.org's signed tree of 0 records; 9 without evidence, allowed by --allow-unproven/);
  const envelope = JSON.parse(await fs.readFile(path.join(module, 'dist', 'cli_linux_amd64.intoto.jsonl'), 'utf8')) as { payload: string };
  const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as {
    predicate: { buildDefinition: { internalParameters: { checksumDatabase: unknown }; resolvedDependencies: Array<{ name: string; annotations: Record<string, unknown> }> } };
  };
  t.like(statement.predicate.buildDefinition.internalParameters.checksumDatabase, { allowUnproven: true });
  t.like(statement.predicate.buildDefinition.resolvedDependencies.find((d) => d.name === 'github.com/google/uuid@v1.6.0')?.annotations, { checksumDatabase: 'no-evidence' });

  // With the set that carries the evidence, each dependency is recorded as proven, with its record.
  const proven = await runAirlock(['build', module, '--modules', CLI_SET, '--cache', '--out', path.join(path.dirname(module), 'proven')]);
  t.is(proven.exitCode, 0, proven.stderr);
  t.regex(proven.stderr, /9 module versions proven in sum\.golang\.org's signed tree of 73014680 records/);
  const provenEnvelope = JSON.parse(await fs.readFile(path.join(path.dirname(module), 'proven', 'cli_linux_amd64.intoto.jsonl'), 'utf8')) as { payload: string };
  const provenStatement = JSON.parse(Buffer.from(provenEnvelope.payload, 'base64').toString('utf8')) as typeof statement;
  t.like(provenStatement.predicate.buildDefinition.internalParameters.checksumDatabase, {
    allowUnproven: false,
    tree: { size: 73014680, hash: 'jb6Q4HD+QFUKiN6tAeB33WCIT4sm6ygfUN2r6ZMT5yQ=' },
  });
  t.like(provenStatement.predicate.buildDefinition.resolvedDependencies.find((d) => d.name === 'github.com/google/uuid@v1.6.0')?.annotations, {
    checksumDatabase: 'proven',
    checksumDatabaseRecord: 22152757,
  });
});

/** The go command with only a mirror tree to fetch from, in a network namespace with no network at all. */
async function offlineGo(args: string[], cwd: string, mirror: string, work: string) {
  const gopath = await fs.mkdtemp(path.join(work, 'gopath-'));
  return execa(
    'unshare',
    ['-rn', 'env', `GOPATH=${gopath}`, `GOMODCACHE=${path.join(gopath, 'mod')}`, 'GOFLAGS=-modcacherw -mod=mod', 'GOTOOLCHAIN=local', `GOPROXY=file://${mirror}`, `GOSUMDB=sum.golang.org file://${mirror}/sumdb/sum.golang.org`, 'GONOSUMDB=', 'GOPRIVATE=', 'GOWORK=off', 'go', ...args],
    { cwd, reject: false, all: true },
  );
}

integration('modules mirror: a verified GOPROXY tree the plain go command uses with no network, re-proven by verify --mirror, refusing poison and conflicts', async (t) => {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-mirror-'));
  t.teardown(() => execa('chmod', ['-R', 'u+w', work]).then(() => fs.remove(work)));
  const tree = path.join(work, 'tree');
  const mirrored = await runAirlock(['modules', 'mirror', CLI_SET, '--into', tree]);
  t.is(mirrored.exitCode, 0, mirrored.stderr);
  t.regex(mirrored.stderr, /9 module versions from 1 set, \d+ files written, 0 module files already there; checksum database head 73014680/);
  t.true(await fs.pathExists(path.join(tree, 'github.com', 'google', 'uuid', '@v', 'v1.6.0.zip')));
  t.true(await fs.pathExists(path.join(tree, 'sumdb', 'sum.golang.org', 'latest')));

  // The go command, offline, with no go.sum: it proves every module in the checksum database from the tree
  // alone, writes the same go.sum as examples/cli's, and builds.
  const module = await cliWithoutVendor();
  await fs.remove(path.join(module, 'go.sum'));
  const tidy = await offlineGo(['mod', 'tidy'], module, tree, work);
  t.is(tidy.exitCode, 0, tidy.all);
  t.is(await fs.readFile(path.join(module, 'go.sum'), 'utf8'), await fs.readFile(path.join(repoRoot, 'examples', 'cli', 'go.sum'), 'utf8'));
  const build = await offlineGo(['build', '-o', path.join(work, 'cli'), './cmd/cli'], module, tree, work);
  t.is(build.exitCode, 0, build.all);
  t.is((await execa(path.join(work, 'cli'), ['size', '1024'])).stdout.trim(), '1.0 kB');

  const verified = await runAirlock(['modules', 'verify', '--mirror', tree]);
  t.is(verified.exitCode, 0, verified.stdout + verified.stderr);
  t.is(verified.stdout.match(/^PROVEN\s/gm)?.length, 9);

  // Merging the same set again writes nothing new: every file is there with the same bytes.
  const again = await runAirlock(['modules', 'mirror', CLI_SET, '--into', tree]);
  t.is(again.exitCode, 0, again.stderr);
  t.regex(again.stderr, /, 0 files written, \d+ module files already there/);

  // A tampered zip in a copy of the tree: the go command refuses it against the checksum database, and so does verify --mirror.
  const poisoned = path.join(work, 'poisoned');
  await fs.copy(tree, poisoned);
  const unzipped = path.join(work, 'unzipped');
  const zip = path.join(poisoned, 'github.com', 'google', 'uuid', '@v', 'v1.6.0.zip');
  await execa('unzip', ['-q', zip, '-d', unzipped]);
  await fs.appendFile(path.join(unzipped, 'github.com', 'google', 'uuid@v1.6.0', 'version4.go'), '\nvar _ = "backdoor"\n');
  await fs.remove(zip);
  await execa('zip', ['-q', '-r', '-X', '-D', zip, 'github.com'], { cwd: unzipped });
  const fresh = await cliWithoutVendor();
  await fs.remove(path.join(fresh, 'go.sum'));
  const refusedByGo = await offlineGo(['mod', 'tidy'], fresh, poisoned, work);
  t.not(refusedByGo.exitCode, 0);
  t.regex(refusedByGo.all ?? '', /SECURITY ERROR/);
  t.regex(refusedByGo.all ?? '', /sum\.golang\.org: h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr\+hNrb57e\+94F0=/);
  const refusedByAirlock = await runAirlock(['modules', 'verify', '--mirror', poisoned]);
  assertCleanFailure(t, refusedByAirlock, 4, /^airlock: error: 1 module version of .* not proven in the Go checksum database; first: mismatch github\.com\/google\/uuid@v1\.6\.0: its zip hashes to h1:\S+, the checksum database says h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr\+hNrb57e\+94F0= \(record 22152757\)/);

  // A set whose zip differs from the mirror's for the same version is refused, and the mirror is left as it was.
  const setDir = path.join(work, 'set');
  await fs.mkdirp(setDir);
  await execa('tar', ['-xzf', CLI_SET, '-C', setDir]);
  await fs.copy(path.join(tree, 'github.com', 'spf13', 'pflag', '@v', 'v1.0.9.info'), path.join(setDir, 'cache', 'download', 'github.com', 'spf13', 'pflag', '@v', 'v1.0.9.info'), { overwrite: true });
  await fs.appendFile(path.join(setDir, 'cache', 'download', 'github.com', 'spf13', 'pflag', '@v', 'v1.0.9.info'), ' ');
  const conflicting = path.join(work, 'conflicting.tar.gz');
  await execa('tar', ['-czf', conflicting, '-C', setDir, '.']);
  const before = (await execa('find', [tree, '-type', 'f', '-newer', path.join(tree, 'sumdb', 'sum.golang.org', 'latest')])).stdout;
  const listing = (await execa('sh', ['-c', 'cd "$1" && find . -type f | sort | xargs sha256sum', 'sh', tree])).stdout;
  const conflict = await runAirlock(['modules', 'mirror', conflicting, '--into', tree]);
  assertCleanFailure(t, conflict, 4, /holds other bytes for github\.com\/spf13\/pflag\/@v\/v1\.0\.9\.info than the mirror .* has/);
  t.is((await execa('sh', ['-c', 'cd "$1" && find . -type f | sort | xargs sha256sum', 'sh', tree])).stdout, listing, 'nothing was written');
  t.is((await execa('find', [tree, '-type', 'f', '-newer', path.join(tree, 'sumdb', 'sum.golang.org', 'latest')])).stdout, before);

  // Not a mirror: one line, exit 2, nothing written there.
  const notMirror = path.join(work, 'not-a-mirror');
  await fs.mkdirp(notMirror);
  await fs.writeFile(path.join(notMirror, 'README'), 'hello\n');
  assertCleanFailure(t, await runAirlock(['modules', 'mirror', CLI_SET, '--into', notMirror]), 2, /is not a module mirror \(it holds README\)/);
  t.deepEqual(await fs.readdir(notMirror), ['README']);
});

/**
 * A static HTTPS file server for a proxy tree that asks for basic credentials for its checksum database paths,
 * the requests airlock itself makes (the module files are the go command's business).
 */
const PROXY_SERVER = `
import https from 'node:https';
import fs from 'node:fs';
import path from 'node:path';
const [root, port, user, password, log, key, cert] = process.argv.slice(2);
const expected = 'Basic ' + Buffer.from(user + ':' + password).toString('base64');
https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (request, response) => {
  fs.appendFileSync(log, request.url + '\\n');
  if (request.url.startsWith('/sumdb/') && request.headers.authorization !== expected) { response.writeHead(401); response.end(); return; }
  const file = path.join(root, decodeURIComponent(new URL(request.url, 'http://x').pathname));
  if (!file.startsWith(root + '/') || !fs.existsSync(file) || !fs.statSync(file).isFile()) { response.writeHead(404); response.end(); return; }
  response.writeHead(200);
  response.end(fs.readFileSync(file));
}).listen(Number(port), '127.0.0.1', () => fs.appendFileSync(log, 'listening\\n'));
`;

integration("modules pack through a site's own proxy with credentials from .netrc, a GOAUTH command and git, the public one out of reach: a private module is packed and marked private", async (t) => {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-siteproxy-'));
  t.teardown(() => execa('chmod', ['-R', 'u+w', work]).then(() => fs.remove(work)));
  // The site's proxy serves a mirror of examples/cli's modules, plus a private module of its own.
  const tree = path.join(work, 'tree');
  t.is((await runAirlock(['modules', 'mirror', CLI_SET, '--into', tree])).exitCode, 0);
  const privateSource = path.join(work, 'private-src', 'example.private', 'greet@v1.0.0');
  await fs.mkdirp(privateSource);
  await fs.writeFile(path.join(privateSource, 'go.mod'), 'module example.private/greet\n\ngo 1.26\n');
  await fs.writeFile(path.join(privateSource, 'greet.go'), 'package greet\n\n// Hello greets.\nfunc Hello() string { return "hello from the site" }\n');
  const versions = path.join(tree, 'example.private', 'greet', '@v');
  await fs.mkdirp(versions);
  await execa('zip', ['-q', '-r', '-X', '-D', path.join(versions, 'v1.0.0.zip'), 'example.private'], { cwd: path.join(work, 'private-src') });
  await fs.copy(path.join(privateSource, 'go.mod'), path.join(versions, 'v1.0.0.mod'));
  await fs.writeFile(path.join(versions, 'v1.0.0.info'), '{"Version":"v1.0.0","Time":"2026-12-01T00:00:00Z"}\n');
  await fs.writeFile(path.join(versions, 'list'), 'v1.0.0\n');

  // An application that needs it: examples/cli without vendor/, importing the private package.
  const module = await cliWithoutVendor();
  await fs.writeFile(path.join(module, 'go.mod'), `${await fs.readFile(path.join(module, 'go.mod'), 'utf8')}\nrequire example.private/greet v1.0.0\n`);
  await fs.writeFile(path.join(module, 'cmd', 'cli', 'site.go'), 'package main\n\nimport "example.private/greet"\n\nvar _ = greet.Hello\n');
  const netrc = path.join(work, 'netrc');
  await fs.writeFile(path.join(netrc), 'machine 127.0.0.1 login site password s3cret\n');
  await fs.writeFile(path.join(work, 'server.mjs'), PROXY_SERVER);
  const log = path.join(work, 'requests.log');
  const set = path.join(work, 'site-modules.tar.gz');
  const port = 18000 + Math.floor(Math.random() * 2000);
  // A GOAUTH command that has credentials only for a URL the proxy refused, so the retry is what is tested.
  const authCommand = path.join(work, 'site-auth.mjs');
  const authLog = path.join(work, 'site-auth.log');
  await fs.writeFile(
    authCommand,
    `import fs from 'node:fs';
const url = process.argv[2];
fs.appendFileSync(${JSON.stringify(authLog)}, (url ?? '-') + ' ' + JSON.stringify(fs.readFileSync(0, 'utf8').split('\\n')[0]) + '\\n');
if (url) process.stdout.write('https://127.0.0.1:${port}\\n\\nAuthorization: Basic ' + Buffer.from('site:s3cret').toString('base64') + '\\n\\n');
`,
  );
  const credentialRepo = path.join(work, 'credentials');
  await execa('git', ['init', '-q', credentialRepo]);
  await fs.writeFile(path.join(work, 'git-credentials'), `https://site:s3cret@127.0.0.1:${port}\n`);
  await execa('git', ['config', 'credential.helper', `store --file=${path.join(work, 'git-credentials')}`], { cwd: credentialRepo });
  const commandSet = path.join(work, 'command-modules.tar.gz');
  const gitSet = path.join(work, 'git-modules.tar.gz');
  // A certificate for 127.0.0.1 that the go command (SSL_CERT_FILE) and airlock (NODE_EXTRA_CA_CERTS) trust.
  const key = path.join(work, 'proxy.key');
  const cert = path.join(work, 'proxy.crt');
  await execa('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1']);
  const goEnv = `SSL_CERT_FILE=${cert} NODE_EXTRA_CA_CERTS=${cert} GOPROXY=https://127.0.0.1:${port} GOSUMDB=sum.golang.org GOPRIVATE=example.private GONOPROXY=none GOFLAGS=-mod=mod NETRC=${netrc} GOTOOLCHAIN=local GOWORK=off`;
  const script = [
    'set -e',
    'ip link set lo up',
    // Its output goes to a file and it is stopped on the way out: nothing may hold the test's pipes open.
    `node ${path.join(work, 'server.mjs')} ${tree} ${port} site s3cret ${log} ${key} ${cert} >>${log}.out 2>&1 &`,
    'server=$!',
    'trap "kill $server" EXIT',
    `for i in $(seq 50); do grep -q listening ${log} 2>/dev/null && break; sleep 0.1; done`,
    // go.sum gains the private module's lines (the go command does not ask the checksum database for it).
    `cd ${module} && env ${goEnv} GOPATH=${path.join(work, 'gopath')} go mod tidy`,
    `env ${goEnv} AIRLOCK_HOME=${path.join(work, 'home')} node ${cliPath} modules pack ${module} --out ${set}`,
    // The other GOAUTH methods, with no .netrc: a command, asked again with the refused URL; git's credential helper.
    `env ${goEnv} NETRC=/dev/null GOAUTH="node ${authCommand}" AIRLOCK_HOME=${path.join(work, 'home-command')} node ${cliPath} modules pack ${module} --out ${commandSet}`,
    `env ${goEnv} NETRC=/dev/null GOAUTH="git ${credentialRepo}" AIRLOCK_HOME=${path.join(work, 'home-git')} node ${cliPath} modules pack ${module} --out ${gitSet}`,
    // And none at all: refused by the proxy, said so, nothing written.
    `! env ${goEnv} NETRC=/dev/null GOAUTH=off AIRLOCK_HOME=${path.join(work, 'home-none')} node ${cliPath} modules pack ${module} --out ${path.join(work, 'refused.tar.gz')} 2>${path.join(work, 'refused.err')}`,
  ].join('\n');
  const packed = await execa('unshare', ['-rn', 'sh', '-c', script], { reject: false, all: true });
  t.is(packed.exitCode, 0, packed.all);
  t.regex(packed.all ?? '', /checksum database sum\.golang\.org: 9 module versions proven in the signed tree of 73014680 records; 1 private \(GONOSUMDB\), not looked up/);
  const requests = await fs.readFile(log, 'utf8');
  t.regex(requests, /^\/sumdb\/sum\.golang\.org\/supported$/m);
  t.regex(requests, /^\/sumdb\/sum\.golang\.org\/lookup\/github\.com\/google\/uuid@v1\.6\.0$/m);
  t.notRegex(requests, /lookup\/example\.private/, 'a private module is never looked up');
  t.is(packed.all?.match(/checksum database sum\.golang\.org: 9 module versions proven in the signed tree of 73014680 records; 1 private/g)?.length, 3, 'netrc, the command and git each packed the set');
  const commandCalls = await fs.readFile(authLog, 'utf8');
  t.regex(commandCalls, /^- ""$/m, 'the command ran once with no argument first');
  t.regex(commandCalls, new RegExp(`^https://127\\.0\\.0\\.1:${port}/sumdb/sum\\.golang\\.org/supported "HTTP/1\\.1 401 Unauthorized"$`, 'm'));
  t.deepEqual(await fs.readFile(gitSet), await fs.readFile(set), 'git credentials give the same set');
  t.deepEqual(await fs.readFile(commandSet), await fs.readFile(set), 'the command gives the same set');
  t.regex(await fs.readFile(path.join(work, 'refused.err'), 'utf8'), /^airlock: error: the checksum database answered 401 for https:\/\/127\.0\.0\.1:\d+\/sumdb\/sum\.golang\.org\/supported|^airlock: error: the module proxy https:\/\/127\.0\.0\.1:\d+ answered 401 for the checksum database sum\.golang\.org/m);
  t.false(await fs.pathExists(path.join(work, 'refused.tar.gz')));

  const env = { GOPRIVATE: 'example.private', GONOSUMDB: '' };
  const verify = await runAirlock(['modules', 'verify', module, '--modules', set], { env: { ...env, AIRLOCK_HOME: path.join(work, 'site-home') } });
  t.is(verify.exitCode, 0, verify.stdout + verify.stderr);
  t.regex(verify.stdout, /^PRIVATE\s+example\.private\/greet\s+v1\.0\.0\s+private \(GONOSUMDB\/GOPRIVATE\): not in the public log; trusted by go\.sum only$/m);
  t.is(verify.stdout.match(/^PROVEN\s/gm)?.length, 9);
  // Elsewhere, without the site's GOPRIVATE, the same module has no evidence and is refused.
  const elsewhere = await runAirlock(['modules', 'verify', module, '--modules', set], { env: { GOPRIVATE: '', GONOSUMDB: '', AIRLOCK_HOME: path.join(work, 'other-home') } });
  t.is(elsewhere.exitCode, 4);
  t.regex(elsewhere.stdout, /^NO-EVIDENCE\s+example\.private\/greet\s+v1\.0\.0\s+/m);
});
