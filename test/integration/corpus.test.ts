/**
 * Real third-party programs (test/corpus/corpus.json), built by airlock with its default sandbox (no
 * airlock.json) and compared byte for byte with a native `go build` of the same toolchain tree and flags:
 * a large program from vendor/ and from a module set, a main package below the module root, embedded files and
 * build tags. Everything is offline, from the corpus cache .ci/bootstrap.sh fills.
 */
import test, { type ExecutionContext } from 'ava';
import Docker from 'dockerode';
import { execa } from 'execa';
import fs from 'fs-extra';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { assertCleanFailure, cliPath, ensureToolchains, ownGocacheVolumes, runAirlock, testHome } from '../helpers/airlock-cli.js';
import {
  type CorpusProgram,
  corpusBinaryName,
  corpusEntry,
  corpusIntegration,
  corpusModuleSetWithEvidence,
  corpusProgram,
  nativeBuild,
  storedGoroots,
} from '../helpers/corpus-integration.js';

/** The host's go command is this release too, so `go version -m` reads what it wrote. */
const TOOLCHAIN = 'go1.26.8';
const MiB = 1024 * 1024;

// One native GOCACHE for the whole file: a build's bytes never depend on its cache, and this way the standard
// library and golangci-lint's dependencies are compiled once on the native side (the module-mode build reuses
// the vendor build's compiled packages: about 7 s instead of minutes).
// Made at first use: a file whose tests are all skipped leaves nothing behind.
let nativeCache: string | undefined;
async function sharedNativeCache(): Promise<string> {
  nativeCache ??= await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-corpus-gocache-'));
  return nativeCache;
}
test.after.always(async () => {
  if (nativeCache === undefined) return;
  await execa('chmod', ['-R', 'u+w', nativeCache]);
  await fs.remove(nativeCache);
});

async function seconds<T>(run: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await run();
  return [value, (performance.now() - started) / 1000];
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256').update(await fs.readFile(file)).digest('hex');
}

let goroot: Promise<string> | undefined;
/** The go1.26.8 tree in airlock's test store: the very toolchain the sandbox image is made of. */
function storedGoroot(): Promise<string> {
  goroot ??= (async () => {
    await ensureToolchains();
    const found = (await storedGoroots()).get(TOOLCHAIN);
    if (found === undefined) throw new Error(`${TOOLCHAIN} is not in the test store`);
    return found;
  })();
  return goroot;
}

/** `airlock build` of a corpus copy with airlock's defaults; asserts success and that SHA256SUMS checks. */
async function airlockBuild(t: ExecutionContext, dir: string, program: CorpusProgram, targets: readonly string[], extra: string[] = []): Promise<string> {
  const args = ['build', dir, '--go', TOOLCHAIN.replace(/^go/, ''), ...targets.flatMap((target) => ['--target', target]), ...extra];
  if (program.tags.length > 0) args.push('--tags', program.tags.join(','));
  const [result, took] = await seconds(() => runAirlock(args));
  t.is(result.exitCode, 0, result.stderr);
  t.log(`airlock build of ${program.name} for ${targets.join(', ')}: ${took.toFixed(1)} s`);
  const dist = path.join(dir, 'dist');
  const binaries = targets.map((target) => corpusBinaryName(program, target));
  t.deepEqual((await fs.readdir(dist)).sort(), ['RELEASE-MANIFEST', 'SHA256SUMS', ...binaries.flatMap((file) => [file, `${file}.intoto.jsonl`])].sort());
  const check = await execa('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dist });
  t.deepEqual(check.stdout.trim().split('\n').sort(), binaries.map((file) => `${file}: OK`).sort());
  return dist;
}

/** Builds the same targets natively and asserts each airlock binary is byte-for-byte the native one. */
async function assertNativeEqual(t: ExecutionContext, dir: string, dist: string, program: CorpusProgram, targets: readonly string[], mode: 'vendor' | 'mod'): Promise<void> {
  const native = path.join(path.dirname(dir), `native-${mode}`);
  await fs.mkdirp(native);
  for (const target of targets) {
    const name = corpusBinaryName(program, target);
    const out = path.join(native, name);
    const took = await nativeBuild(dir, { goroot: await storedGoroot(), target, main: program.main, tags: program.tags, mode, gocache: await sharedNativeCache(), out });
    t.log(`native go build (${mode}) of ${program.name} for ${target}: ${took.toFixed(1)} s`);
    t.is(await sha256(path.join(dist, name)), await sha256(out), `${name}: airlock and native go build differ`);
  }
}

/** `go version -m` of a binary, as the go command reads its build information. */
async function goVersionM(file: string): Promise<string> {
  return (await execa('go', ['version', '-m', file], { env: { GOTOOLCHAIN: 'local' } })).stdout;
}

const golangciLint = corpusEntry('golangci-lint');

// The two golangci-lint builds share one --cache volume, removed when the file ends: the vendor build fills it
// (cold, minutes) and the module-set build compiles nothing again (the go command's action IDs do not depend
// on -mod), which keeps a CI run within its time. The bytes never depend on the cache; the plain path, GOCACHE
// in the scratch volume, is what the smaller programs below and the bench's cold scenarios build with.
// Hooks are declared synchronously (ava's rule); the volumes there before are read by the first test that builds.
let cacheVolumesBefore: Set<string> | undefined;
test.after.always(async () => {
  if (cacheVolumesBefore === undefined) return;
  for (const name of await gocacheVolumes()) if (!cacheVolumesBefore.has(name)) await new Docker().getVolume(name).remove().catch(() => undefined);
});

async function gocacheVolumes(): Promise<string[]> {
  return ownGocacheVolumes();
}

corpusIntegration('golangci-lint, large, from vendor/ with the default sandbox: equals a native go build -mod=vendor byte for byte', ['golangci-lint'], async (t) => {
  t.timeout(30 * 60 * 1000);
  await storedGoroot();
  const { dir } = await corpusProgram(t, 'golangci-lint', { vendor: true });
  t.true(await fs.pathExists(path.join(dir, 'vendor', 'modules.txt')));
  t.false(await fs.pathExists(path.join(dir, 'airlock.json')), 'no airlock.json: the default sandbox');
  cacheVolumesBefore ??= new Set(await gocacheVolumes());
  const dist = await airlockBuild(t, dir, golangciLint, ['linux/amd64'], ['--cache']);
  const binary = path.join(dist, corpusBinaryName(golangciLint, 'linux/amd64'));
  t.true((await fs.stat(binary)).size >= 50 * MiB, `${binary} is ${(await fs.stat(binary)).size} bytes`);
  const info = await goVersionM(binary);
  t.regex(info, /^\tpath\tgithub\.com\/golangci\/golangci-lint\/v2\/cmd\/golangci-lint$/m);
  t.regex(info, /^\tmod\tgithub\.com\/golangci\/golangci-lint\/v2\t/m);
  t.regex(info, /^\tbuild\t-trimpath=true$/m);
  const version = await execa(binary, ['version'], { reject: false });
  t.is(version.exitCode, 0, version.stderr);
  t.regex(version.stdout + version.stderr, /golangci-lint has version .* built with go1\.26\.8/);
  await assertNativeEqual(t, dir, dist, golangciLint, ['linux/amd64'], 'vendor');
});

corpusIntegration('golangci-lint from a module set with its checksum database evidence, without vendor/: every module proven offline, and equal to a native module-mode go build byte for byte', ['golangci-lint'], async (t) => {
  t.timeout(30 * 60 * 1000);
  await storedGoroot();
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-corpus-home-'));
  t.teardown(() => fs.remove(home));
  const [{ dir, set, pack }, packed] = await seconds(() => corpusModuleSetWithEvidence(t, 'golangci-lint', path.join(home, 'packer')));
  t.is(pack.exitCode, 0, pack.stderr);
  const proven = /checksum database sum\.golang\.org: (\d+) module versions proven in the signed tree of (\d+) records/.exec(pack.stderr);
  t.true(Number(proven?.[1]) >= 500, pack.stderr);
  t.log(`airlock modules pack of golangci-lint (modules from the corpus cache, evidence through the module proxy): ${packed.toFixed(1)} s, ${((await fs.stat(set)).size / MiB).toFixed(0)} MiB, ${proven?.[1]} module versions proven`);
  t.false(await fs.pathExists(path.join(dir, 'vendor')));
  cacheVolumesBefore ??= new Set(await gocacheVolumes());
  // No --allow-unproven: every module version must be proven in the log, offline, from the set alone.
  const dist = await withOwnRememberedHead(() => airlockBuild(t, dir, golangciLint, ['linux/amd64'], ['--modules', set, '--cache']));
  const binary = path.join(dist, corpusBinaryName(golangciLint, 'linux/amd64'));
  t.true((await fs.stat(binary)).size >= 50 * MiB);
  const statuses = await moduleStatuses(`${binary}.intoto.jsonl`);
  t.true(statuses.length >= 150, `${statuses.length} modules in the provenance`);
  t.deepEqual([...new Set(statuses)], ['proven']);
  // Built in module mode: every dependency in the build info carries its go.sum hash.
  const deps = (await goVersionM(binary)).split('\n').filter((line) => line.startsWith('\tdep\t'));
  t.true(deps.length >= 150, `${deps.length} dependencies in the build info`);
  t.true(deps.every((line) => /\th1:[A-Za-z0-9+/]{43}=$/.test(line)), deps.find((line) => !/\th1:/.test(line)));
  await assertNativeEqual(t, dir, dist, golangciLint, ['linux/amd64'], 'mod');
});

/** The checksum database status the provenance records for each module of the build. */
async function moduleStatuses(envelopeFile: string): Promise<unknown[]> {
  const envelope = JSON.parse(await fs.readFile(envelopeFile, 'utf8')) as { payload: string };
  const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as {
    predicate: { buildDefinition: { resolvedDependencies: Array<{ name: string; annotations: Record<string, unknown> }> } };
  };
  return statement.predicate.buildDefinition.resolvedDependencies.filter((d) => d.name.includes('@')).map((d) => d.annotations.checksumDatabase);
}

// The shared test store remembers the newest checksum database head it accepted. A build from a set packed
// today makes it remember today's head, after which the committed fixtures' older sets (other files) would be
// refused as rollbacks, and another of today's sets, packed without --consistent-with that head, as a fork.
// So a test that builds from a fresh set does it with the remembered head set aside and put back after, one
// test at a time.
let rememberedHeadQueue: Promise<unknown> = Promise.resolve();
function withOwnRememberedHead<T>(run: () => Promise<T>): Promise<T> {
  const file = path.join(testHome, 'checksum-database', 'sum.golang.org.json');
  const turn = rememberedHeadQueue.then(async () => {
    const before = await fs.readFile(file).catch(() => undefined);
    await fs.remove(file);
    try {
      return await run();
    } finally {
      if (before === undefined) await fs.remove(file);
      else await fs.outputFile(file, before);
    }
  });
  rememberedHeadQueue = turn.catch(() => undefined);
  return turn;
}

/** Each smaller program for its CI targets from vendor/, then what its shape needs checked on linux/amd64. */
const SMALL_PROGRAMS: Array<{ name: string; title: string; check: (t: ExecutionContext, binary: string) => Promise<void> }> = [
  {
    name: 'dasel',
    title: 'dasel, main package in cmd/dasel (found without --main)',
    async check(t, binary) {
      const query = await execa(binary, ['-r', 'json', '-w', 'plain', 'a.b'], { input: '{"a":{"b":"corpus"}}' });
      t.is(query.stdout.trim(), 'corpus');
    },
  },
  {
    name: 'fzf',
    title: 'fzf, files embedded with //go:embed shell/...',
    async check(t, binary) {
      // --bash prints shell/key-bindings.bash and shell/completion.bash, embedded in the binary.
      const script = await execa(binary, ['--bash']);
      const embedded = path.join(path.dirname(path.dirname(binary)), 'shell', 'key-bindings.bash');
      t.true(script.stdout.includes((await fs.readFile(embedded, 'utf8')).trim().split('\n').slice(-3).join('\n')));
    },
  },
  {
    name: 'yq',
    title: 'yq, with the build tags yq_nolua,yq_nohcl',
    async check(t, binary) {
      const query = await execa(binary, ['.a.b'], { input: 'a:\n  b: corpus\n' });
      t.is(query.stdout.trim(), 'corpus');
      const info = await goVersionM(binary);
      t.regex(info, /^\tbuild\t-tags=yq_nolua,yq_nohcl$/m);
      // The tags leave the Lua and HCL implementations, and their modules, out of the binary.
      t.notRegex(info, /\tdep\tgithub\.com\/yuin\/gopher-lua\t/);
      t.notRegex(info, /\tdep\tgithub\.com\/hashicorp\/hcl\/v2\t/);
    },
  },
];

// yq is the corpus's build-tags case, and its two targets take minutes; fzf already gives CI the third shape
// the corpus needs (embedded files), so under CI yq runs only when asked for (the whole run must stay within
// 45 minutes on 2 cores). Outside CI, or with AIRLOCK_CORPUS_FULL=1, it runs like the others.
const CI_OPTIONAL = new Set(['yq']);
const fullCorpus = process.env.CI !== 'true' || process.env.AIRLOCK_CORPUS_FULL === '1';

for (const small of SMALL_PROGRAMS) {
  const program = corpusEntry(small.name);
  if (CI_OPTIONAL.has(small.name) && !fullCorpus) {
    test.skip(`${small.title} [skipped under CI for its time: AIRLOCK_CORPUS_FULL=1 runs it]`, () => undefined);
    continue;
  }
  corpusIntegration(`${small.title}: ${program.ciTargets.join(' and ')} from vendor/, linux/amd64 equal to a native go build byte for byte`, [small.name], async (t) => {
    t.timeout(20 * 60 * 1000);
    await storedGoroot();
    const { dir } = await corpusProgram(t, small.name, { vendor: true });
    // --cache: dasel's later build with evidence (below) reuses what this one compiled (CI time).
    if (small.name === 'dasel') cacheVolumesBefore ??= new Set(await gocacheVolumes());
    const dist = await airlockBuild(t, dir, program, program.ciTargets, small.name === 'dasel' ? ['--cache'] : []);
    await small.check(t, path.join(dist, corpusBinaryName(program, 'linux/amd64')));
    // The other target is checked as built for its platform; its equality with native is what the examples'
    // cross-target tests and the bench's 4-target scenarios show, and a second cold native standard library
    // per program cost CI minutes.
    const [, other] = program.ciTargets;
    if (other !== undefined) {
      const [goos, goarch] = other.split('/');
      const info = await goVersionM(path.join(dist, corpusBinaryName(program, other)));
      t.regex(info, new RegExp(`^\\tbuild\\tGOOS=${goos}$`, 'm'));
      t.regex(info, new RegExp(`^\\tbuild\\tGOARCH=${goarch}$`, 'm'));
      t.regex(info, /^\tbuild\tCGO_ENABLED=0$/m);
    }
    await assertNativeEqual(t, dir, dist, program, ['linux/amd64'], 'vendor');
  });
}

corpusIntegration('airlock test: dasel\'s own test suite runs offline in the sandbox from vendor/: every test passes, and go vet\'s real findings make the result FAILED', ['dasel'], async (t) => {
  await ensureToolchains();
  const { dir } = await corpusProgram(t, 'dasel', { vendor: true });
  // --cache: the cache dasel's build above filled; vet and the tests compile only their own packages.
  cacheVolumesBefore ??= new Set(await gocacheVolumes());
  const result = await runAirlock(['test', dir, '--go', '1.26.8', '--cache']);
  // dasel v2.8.1 uses reflect.TypeFor with go 1.21 in go.mod (stdversion) and an append with no values
  // (appends): go vet reports both, which fails the run as it would fail a CI job that runs go vet.
  assertCleanFailure(t, result, 3, /the tests failed: go1\.26\.8: go vet found 3 problems/);
  t.regex(result.stdout, /^github\.com\/tomwright\/dasel\/v2\s+ok\s+\d+\s+0\s+0\s/m);
  t.regex(result.stdout, /^total\s+FAILED\s+(\d+)\s+0\s+0\s/m);
  const passed = Number(/^total\s+FAILED\s+(\d+)/m.exec(result.stdout)?.[1]);
  t.true(passed >= 500, `${passed} tests passed`);
  t.log(`dasel: ${passed} tests passed, 0 failed, 0 skipped; go vet: 3 findings`);
  const junit = await fs.readFile(path.join(dir, 'test-results', 'junit.xml'), 'utf8');
  t.regex(junit, /name="\[vet\] stdversion"/);
  t.regex(junit, /name="\[vet\] appends"/);
  const envelope = JSON.parse((await fs.readFile(path.join(dir, 'test-results', 'go-test.go1.26.8.linux-amd64.json.intoto.jsonl'), 'utf8')).trim()) as { payload: string };
  const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as { predicate: { result: string; failedTests: string[]; passedTests: string[] } };
  t.is(statement.predicate.result, 'FAILED');
  t.deepEqual(statement.predicate.failedTests.filter((name) => !name.includes('#[vet]')), []);
  t.is(statement.predicate.passedTests.length, passed);
});

corpusIntegration('dasel packed with its Go checksum database evidence, then verified and built with no network at all, and served as a mirror tree to the plain go command: every module version proven, a poisoned go.mod refused by both', ['dasel'], async (t) => {
  t.timeout(15 * 60 * 1000);
  await storedGoroot();
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-corpus-home-'));
  t.teardown(() => fs.remove(home));
  const { dir, set, pack } = await corpusModuleSetWithEvidence(t, 'dasel', path.join(home, 'packer'));
  t.is(pack.exitCode, 0, pack.stderr);
  const proven = /checksum database sum\.golang\.org: (\d+) module versions proven in the signed tree of (\d+) records/.exec(pack.stderr);
  t.truthy(proven, pack.stderr);
  const versions = Number(proven?.[1]);
  t.true(versions >= 12, `${versions} module versions`);
  // Everything below runs in the shared test store (its toolchains), which accepts the set's head.
  await withOwnRememberedHead(async () => {
    // In a network namespace with no network: the engine is still reached through its unix socket.
    const offline = (args: string[]) =>
      execa('unshare', ['-rn', 'node', cliPath, ...args], { env: { AIRLOCK_HOME: testHome, CI: 'true', GOPRIVATE: '', GONOSUMDB: '' }, reject: false, all: true });
    const verify = await offline(['modules', 'verify', dir, '--modules', set]);
    t.is(verify.exitCode, 0, verify.all);
    t.is(verify.stdout.match(/^PROVEN\s/gm)?.length, versions);
    // --cache: the cache the vendored dasel build above filled (the action IDs do not depend on -mod).
    const build = await offline(['build', dir, '--modules', set, '--go', '1.26.8', '--target', 'linux/amd64', '--cache']);
    t.is(build.exitCode, 0, build.all);
    t.regex(build.stderr, new RegExp(`${versions} module versions proven in sum\\.golang\\.org's signed tree of ${proven?.[2]} records`));
    const envelope = JSON.parse(await fs.readFile(path.join(dir, 'dist', 'dasel_linux_amd64.intoto.jsonl'), 'utf8')) as { payload: string };
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as {
      predicate: { buildDefinition: { internalParameters: { checksumDatabase: { tree: { size: number } } }; resolvedDependencies: Array<{ name: string; annotations: Record<string, unknown> }> } };
    };
    t.is(statement.predicate.buildDefinition.internalParameters.checksumDatabase.tree.size, Number(proven?.[2]));
    const modules = statement.predicate.buildDefinition.resolvedDependencies.filter((d) => d.name.includes('@'));
    t.true(modules.length > 0);
    t.true(modules.every((d) => d.annotations.checksumDatabase === 'proven'), JSON.stringify(modules.map((d) => [d.name, d.annotations.checksumDatabase])));

    // The same set as a developer-facing mirror: the plain go command, with no network and no go.sum, downloads
    // dasel's modules from the tree, proving each in the checksum database from the tree alone, and builds the
    // very bytes airlock built.
    const tree = path.join(home, 'mirror');
    const mirrored = await runAirlock(['modules', 'mirror', set, '--into', tree]);
    t.is(mirrored.exitCode, 0, mirrored.stderr);
    const goFromTree = async (args: string[], cwd: string, from: string, gopath: string) =>
      execa('unshare', ['-rn', 'env', `GOPATH=${gopath}`, `GOMODCACHE=${path.join(gopath, 'mod')}`, 'GOFLAGS=-modcacherw -mod=mod', 'GOTOOLCHAIN=local', `GOPROXY=file://${from}`, `GOSUMDB=sum.golang.org file://${from}/sumdb/sum.golang.org`, 'GONOSUMDB=', 'GOPRIVATE=', 'GOWORK=off', 'GOENV=off', 'go', ...args], { cwd, reject: false, all: true });
    const developer = await corpusProgram(t, 'dasel', { vendor: false });
    const goSum = await fs.readFile(path.join(developer.dir, 'go.sum'), 'utf8');
    await fs.remove(path.join(developer.dir, 'go.sum'));
    const gopath = path.join(home, 'gopath');
    const download = await goFromTree(['mod', 'download'], developer.dir, tree, gopath);
    t.is(download.exitCode, 0, download.all);
    const written = (await fs.readFile(path.join(developer.dir, 'go.sum'), 'utf8')).trim().split('\n');
    t.true(written.length >= 12, `${written.length} go.sum lines`);
    t.deepEqual(written.filter((line) => !goSum.split('\n').includes(line)), [], "every line the go command proved from the tree is one of dasel's own go.sum");
    await fs.writeFile(path.join(developer.dir, 'go.sum'), goSum);
    const fromMirror = path.join(home, 'dasel-from-mirror');
    await nativeBuild(developer.dir, { goroot: await storedGoroot(), target: 'linux/amd64', main: corpusEntry('dasel').main, tags: corpusEntry('dasel').tags, mode: 'mod', modcache: path.join(gopath, 'mod'), gocache: await sharedNativeCache(), out: fromMirror });
    t.is(await sha256(fromMirror), await sha256(path.join(dir, 'dist', 'dasel_linux_amd64')), "the go command's build from the mirror equals airlock's");
    const reproven = await runAirlock(['modules', 'verify', '--mirror', tree]);
    t.is(reproven.exitCode, 0, reproven.stdout + reproven.stderr);

    // One go.mod file changed in a copy of the tree: the go command refuses it against the checksum database,
    // and so does verify --mirror, both naming the hash the log holds.
    const poisoned = path.join(home, 'poisoned');
    await fs.copy(tree, poisoned);
    const modFile = path.join(poisoned, 'github.com', 'davecgh', 'go-spew', '@v', 'v1.1.1.mod');
    await execa('chmod', ['u+w', modFile]);
    await fs.appendFile(modFile, '// poisoned\n');
    const victim = await corpusProgram(t, 'dasel', { vendor: false });
    await fs.remove(path.join(victim.dir, 'go.sum'));
    const refusedByGo = await goFromTree(['mod', 'download'], victim.dir, poisoned, path.join(home, 'gopath-poisoned'));
    t.not(refusedByGo.exitCode, 0);
    t.regex(refusedByGo.all ?? '', /SECURITY ERROR/);
    const logged = /sum\.golang\.org: (h1:\S+)/.exec(refusedByGo.all ?? '')?.[1];
    t.truthy(logged, refusedByGo.all);
    const refusedByAirlock = await runAirlock(['modules', 'verify', '--mirror', poisoned]);
    assertCleanFailure(t, refusedByAirlock, 4, /^airlock: error: 1 module version of .* not proven in the Go checksum database; first: mismatch github\.com\/davecgh\/go-spew@v1\.1\.1: its go\.mod hashes to h1:\S+, the checksum database says (h1:\S+) /);
    t.true(refusedByAirlock.stderr.includes(`the checksum database says ${logged}`), 'airlock and the go command name the same hash from the log');
  });
});
