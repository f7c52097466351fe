import { execa } from 'execa';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { checkStaticExecutable } from '../../src/binary/static-check.js';
import { readGoBuildInfo, buildSetting } from '../../src/binary/go-buildinfo.js';
import {
  assertCleanFailure,
  copyModule,
  ensureToolchains,
  hostGoVersion,
  integration,
  managedContainers,
  managedVolumes,
  runAirlock,
  cliPath,
  testHome,
} from '../helpers/airlock-cli.js';

const HELLO_LINE = 'hello from a hermetic airlock build';

integration('builds examples/hello for linux/amd64; the binary runs, verifies with sha256sum -c and equals a native go build', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/hello');
  // go1.26.8: the release the host's go command is, for the comparison with a native build below.
  const result = await runAirlock(['build', module, '--target', 'linux/amd64', '--go', '1.26.8']);
  t.is(result.exitCode, 0, result.stderr);
  const dist = path.join(module, 'dist');
  t.deepEqual((await fs.readdir(dist)).sort(), ['RELEASE-MANIFEST', 'SHA256SUMS', 'hello_linux_amd64', 'hello_linux_amd64.intoto.jsonl']);
  const run = await execa(path.join(dist, 'hello_linux_amd64'));
  t.is(run.stdout.trim(), HELLO_LINE);
  const check = await execa('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dist });
  t.regex(check.stdout, /hello_linux_amd64: OK/);

  // The same flags on the host give the same bytes: anyone can check an airlock binary without airlock.
  const native = path.join(os.tmpdir(), `airlock-native-${process.pid}`);
  await execa('go', ['build', '-trimpath', '-buildvcs=false', '-ldflags=-buildid=', '-o', native, '.'], {
    cwd: module,
    env: { GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOOS: 'linux', GOARCH: 'amd64', GOFLAGS: '', GOPROXY: 'off' },
  });
  t.true((await fs.readFile(native)).equals(await fs.readFile(path.join(dist, 'hello_linux_amd64'))));
  await fs.remove(native);
  t.deepEqual(await managedContainers(), []);
  t.deepEqual(await managedVolumes(), []);
});

integration('builds four targets into static binaries whose build info matches the target', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/hello');
  const targets = ['linux/amd64', 'linux/arm64', 'windows/amd64', 'darwin/arm64'];
  // --cache: this test is about what the binaries are; a warm cache shared with the other tests' builds keeps
  // CI time down (cold builds are covered by the tests of equality with native go build and reproducibility).
  const result = await runAirlock(['build', module, '--cache', '--go', '1.26.8', ...targets.flatMap((target) => ['--target', target])]);
  t.is(result.exitCode, 0, result.stderr);
  const dist = path.join(module, 'dist');
  const expected = ['hello_darwin_arm64', 'hello_linux_amd64', 'hello_linux_arm64', 'hello_windows_amd64.exe'];
  t.deepEqual((await fs.readdir(dist)).sort(), ['RELEASE-MANIFEST', 'SHA256SUMS', ...expected.flatMap((file) => [file, `${file}.intoto.jsonl`])].sort());
  const check = await execa('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dist });
  t.is(check.stdout.split('\n').filter((line) => line.endsWith(': OK')).length, 4);
  const goVersion = await hostGoVersion();
  for (const file of expected) {
    const bytes = await fs.readFile(path.join(dist, file));
    t.true(checkStaticExecutable(bytes).static, file);
    const info = readGoBuildInfo(bytes);
    const [goos, goarch] = file.replace('.exe', '').split('_').slice(1);
    t.is(info?.goVersion, goVersion, file);
    t.is(buildSetting(info!, 'GOOS'), goos, file);
    t.is(buildSetting(info!, 'GOARCH'), goarch, file);
    t.is(buildSetting(info!, 'CGO_ENABLED'), '0', file);
    // The go command's own reader agrees.
    const reported = await execa('go', ['version', '-m', path.join(dist, file)], { env: { GOTOOLCHAIN: 'local' } });
    t.regex(reported.stdout, new RegExp(`build\\tGOOS=${goos}\\n`));
    t.regex(reported.stdout, /build\tCGO_ENABLED=0\n/);
  }
  // ELF binaries: no program interpreter, as readelf from binutils shows.
  const readelf = await execa('readelf', ['-l', path.join(dist, 'hello_linux_arm64')], { reject: false });
  if (readelf.exitCode === 0) t.notRegex(readelf.stdout, /INTERP/);
});

integration('two builds of the same source give byte-identical binaries, and the sandbox image is reused', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/hello');
  const first = path.join(path.dirname(module), 'first');
  const second = path.join(path.dirname(module), 'second');
  const a = await runAirlock(['build', module, '--target', 'linux/arm64', '--out', first]);
  t.is(a.exitCode, 0, a.stderr);
  const b = await runAirlock(['build', module, '--target', 'linux/arm64', '--out', second, '--jobs', '1']);
  t.is(b.exitCode, 0, b.stderr);
  t.notRegex(b.stderr, /building the sandbox image/);
  t.is(await fs.readFile(path.join(first, 'SHA256SUMS'), 'utf8'), await fs.readFile(path.join(second, 'SHA256SUMS'), 'utf8'));
  t.true((await fs.readFile(path.join(first, 'hello_linux_arm64'))).equals(await fs.readFile(path.join(second, 'hello_linux_arm64'))));
});

integration('a dependency go.mod does not declare fails with the go command offline error, leaving nothing behind', async (t) => {
  await ensureToolchains();
  const module = await copyModule('test/fixtures/modules/undeclared-dependency');
  const result = await runAirlock(['build', module]);
  assertCleanFailure(t, result, 3, /go build of \. for linux\/amd64 .* failed .*; the build is offline: vendor the dependencies/);
  t.regex(result.stderr, /no required module provides package github\.com\/google\/uuid/);
  t.false(await fs.pathExists(path.join(module, 'dist')));
  t.deepEqual(await managedContainers(), []);
  t.deepEqual(await managedVolumes(), []);
});

integration('a compile error shows the compiler output and leaves no container, volume or output behind', async (t) => {
  await ensureToolchains();
  const module = await copyModule('test/fixtures/modules/compile-error');
  const result = await runAirlock(['build', module, '--target', 'linux/amd64', '--target', 'windows/amd64']);
  t.is(result.exitCode, 3, result.stderr);
  t.regex(result.stderr, /main\.go:6:14: undefined: undefinedName/);
  t.regex(result.stderr, /airlock: error: 2 of 2 builds failed/);
  t.false(await fs.pathExists(path.join(module, 'dist')));
  t.deepEqual((await fs.readdir(path.dirname(module))).filter((name) => name.startsWith('.airlock')), []);
  t.deepEqual(await managedContainers(), []);
  t.deepEqual(await managedVolumes(), []);
});

integration('a failed build leaves the previous dist/ exactly as it was', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/hello');
  t.is((await runAirlock(['build', module, '--cache'])).exitCode, 0);
  const before = await fs.readFile(path.join(module, 'dist', 'SHA256SUMS'), 'utf8');
  await fs.appendFile(path.join(module, 'main.go'), '\nfunc broken() { return 1 }\n');
  const result = await runAirlock(['build', module]);
  t.is(result.exitCode, 3);
  t.is(await fs.readFile(path.join(module, 'dist', 'SHA256SUMS'), 'utf8'), before);
  t.deepEqual((await fs.readdir(path.join(module, 'dist'))).sort(), ['RELEASE-MANIFEST', 'SHA256SUMS', 'hello_linux_amd64', 'hello_linux_amd64.intoto.jsonl']);
});

integration('on a terminal, a build shows a live view: one line per target redrawn in place until done', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/hello');
  const onTerminal = (out: string, size: string, ...extra: string[]) => {
    const command = ['node', cliPath, 'build', module, '--go', '1.26.8', '--target', 'linux/amd64', '--target', 'linux/arm64', '--out', out, ...extra].map((word) => `'${word}'`).join(' ');
    // script(1) runs the CLI on a real pseudo-terminal; CI is cleared because under CI the view is plain lines.
    return execa('script', ['-qefc', `${size}${command}`, '/dev/null'], { env: { AIRLOCK_HOME: testHome, CI: '', TERM: 'xterm-256color' }, reject: false });
  };
  const live = await onTerminal(path.join(module, 'live-dist'), 'stty rows 40 cols 120; ');
  t.is(live.exitCode, 0, live.stdout);
  const screen = live.stdout;
  // Lines are erased and the cursor moved up: the view is redrawn, not appended.
  t.regex(screen, /\u001b\[2K/);
  t.regex(screen, /\u001b\[\d*A/);
  for (const target of ['hello_linux_amd64', 'hello_linux_arm64']) {
    t.regex(screen, new RegExp(`… ${target}\\s+building\\s+\\d+\\.\\ds`), `${target} is shown building`);
    t.regex(screen, new RegExp(`✔ ${target}\\s+done\\s+\\d+\\.\\ds  sha256 [0-9a-f]{12}`), `${target} is shown done`);
  }
  t.regex(screen, /2\/2 done, 0 running, 0 queued/);
  t.true(await fs.pathExists(path.join(module, 'live-dist', 'SHA256SUMS')));

  // A terminal that reports no size (0 rows) would clip the view to nothing: it gets plain lines instead.
  // --cache: only the output's form is checked here, not a second cold compile (CI time).
  const unsized = await onTerminal(path.join(module, 'unsized-dist'), 'stty rows 0 cols 0; ', '--cache');
  t.is(unsized.exitCode, 0, unsized.stdout);
  t.notRegex(unsized.stdout, /\u001b\[/);
  t.regex(unsized.stdout, /Z airlock: hello_linux_arm64: done after \d+\.\ds/);
  t.deepEqual(await managedContainers(), []);
});

integration('--cache keeps the source in the engine between runs: unchanged it is reused, an added file alone is sent, a removed one refills it; every binary equals a fresh copy\'s', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/hello');
  const work = path.dirname(module);
  const build = async (dir: string, out: string) => {
    const result = await runAirlock(['build', dir, '--cache', '--go', '1.26.8', '--target', 'linux/amd64', '--out', out, '--debug']);
    t.is(result.exitCode, 0, result.stderr);
    const line = /source volume (airlock-src-[0-9a-f]{24}): ([^\n]*?) in \d/.exec(result.stderr);
    t.truthy(line, result.stderr);
    return { volume: line![1]!, what: line![2]!, binary: await fs.readFile(path.join(out, 'hello_linux_amd64')) };
  };
  /** The same tree copied to a directory of its own: its own kept volume, filled from nothing. */
  const fresh = async (name: string) => {
    const copy = path.join(work, name);
    await fs.copy(module, copy, { filter: (source) => !source.includes(`${path.sep}out-`) && !source.endsWith(`${path.sep}dist`) });
    return build(copy, path.join(work, `${name}-out`));
  };

  const first = await build(module, path.join(work, 'out-1'));
  t.regex(first.what, /^filled afresh \(no volume is recorded\)$/);
  const again = await build(module, path.join(work, 'out-2'));
  t.is(again.what, 'up to date');
  t.is(again.volume, first.volume);
  t.true(again.binary.equals(first.binary));

  await fs.writeFile(path.join(module, 'extra.go'), 'package main\n\nimport "fmt"\n\nfunc init() { fmt.Print("") }\n');
  const added = await build(module, path.join(work, 'out-3'));
  t.is(added.what, 'updated with 1 changed entries');
  t.false(added.binary.equals(first.binary), 'the added file is in the build');
  const addedFresh = await fresh('copy-added');
  t.not(addedFresh.volume, added.volume);
  t.true(added.binary.equals(addedFresh.binary), 'the updated volume builds what a fresh copy of the tree builds');

  await fs.remove(path.join(module, 'extra.go'));
  const removed = await build(module, path.join(work, 'out-4'));
  t.is(removed.what, 'filled afresh (extra.go was removed)');
  t.true(removed.binary.equals(first.binary), 'the removed file is gone from the build');

  // The kept volume is airlock's (prune removes it), and no run-scoped volume or container is left.
  const labels = JSON.parse((await execa('docker', ['volume', 'inspect', first.volume, '--format', '{{json .Labels}}'])).stdout) as Record<string, string>;
  t.like(labels, { 'airlock.managed': 'true', 'airlock.purpose': 'source-cache' });
  t.deepEqual(await managedContainers(), []);
  t.deepEqual(await managedVolumes(), []);
});
