import type { ExecutionContext } from 'ava';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import {
  type CliResult,
  assertCleanFailure,
  copyModule,
  ensureToolchains,
  integration,
  managedContainers,
  managedVolumes,
  runAirlock,
} from '../helpers/airlock-cli.js';

integration('a directory without go.mod is refused before anything runs', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-nomod-'));
  const result = await runAirlock(['build', dir]);
  assertCleanFailure(t, result, 2, /has no go\.mod; pass the root directory of a Go module/);
  t.deepEqual(await fs.readdir(dir), []);
});

integration('an unknown target is refused with the supported alternatives', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/hello');
  const result = await runAirlock(['build', module, '--target', 'linux/amd65']);
  assertCleanFailure(t, result, 2, /unknown target linux\/amd65: go1\.\d+\.\d+ has no port linux\/amd65; linux targets of go1\.\d+\.\d+: .*linux\/amd64/);
  const malformed = await runAirlock(['build', module, '--target', 'linux-amd64']);
  assertCleanFailure(t, malformed, 2, /invalid target "linux-amd64": a target is GOOS\/GOARCH/);
  t.false(await fs.pathExists(path.join(module, 'dist')));
});

integration('no reachable engine is reported with what to do, exit code 5', async (t) => {
  const module = await copyModule('examples/hello');
  const socket = await runAirlock(['build', module], { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
  assertCleanFailure(t, socket, 5, /no container engine answers at DOCKER_HOST=unix:\/\/\/nonexistent\/docker\.sock .*; start the engine/);
  const tcp = await runAirlock(['build', module], { env: { DOCKER_HOST: 'tcp://127.0.0.1:9' } });
  assertCleanFailure(t, tcp, 5, /no container engine answers at DOCKER_HOST=tcp:\/\/127\.0\.0\.1:9/);
  t.false(await fs.pathExists(path.join(module, 'dist')));
});

integration('an empty toolchain store is reported with the import command', async (t) => {
  const before = new Set(await managedContainers());
  const module = await copyModule('examples/hello');
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-home-'));
  const result = await runAirlock(['build', module], { env: { AIRLOCK_HOME: home } });
  assertCleanFailure(t, result, 2, /no Go toolchain is stored; import one with `airlock toolchain import --goroot/);
  t.false(await fs.pathExists(path.join(module, 'dist')));
  t.deepEqual(await containersLeftSince(before), []);
});

integration('--debug adds the stack trace that is otherwise hidden', async (t) => {
  const result = await runAirlock(['build', '/nonexistent-airlock-dir', '--debug']);
  t.is(result.exitCode, 2);
  t.regex(result.stderr, /^\s+at .+/m);
});

integration('an unknown flag is a usage error', async (t) => {
  const result = await runAirlock(['build', '--bogus-flag']);
  assertCleanFailure(t, result, 2, /Unknown arguments?: bogus-flag.*; run `airlock --help`/);
});

integration('an output directory holding other files is never replaced', async (t) => {
  const before = new Set(await managedContainers());
  await ensureToolchains();
  const module = await copyModule('examples/hello');
  const out = path.join(path.dirname(module), 'precious');
  await fs.outputFile(path.join(out, 'notes.txt'), 'keep me');
  const result = await runAirlock(['build', module, '--out', out]);
  assertCleanFailure(t, result, 2, /holds files airlock did not write/);
  t.deepEqual(await fs.readdir(out), ['notes.txt']);
  t.deepEqual(await containersLeftSince(before), []);
});

integration('doctor --policy that is no policy, and an AIRLOCK_OWNER that is not one line, are refused in one line before any container', async (t) => {
  const volumes = await managedVolumes();
  assertCleanFailure(t, await runAirlock(['doctor', '--probe', '--policy', 'bogus']), 2, /--policy bogus is not a sandbox policy/);
  const module = await copyModule('examples/hello');
  assertCleanFailure(t, await runAirlock(['build', module], { env: { AIRLOCK_OWNER: 'two\nlines' } }), 2, /AIRLOCK_OWNER must be one line of at most 200 characters/);
  t.false(await fs.pathExists(path.join(module, 'dist')));
  t.deepEqual(await managedContainers(), []);
  t.deepEqual(await managedVolumes(), volumes);
});

integration('bad --shard, --report and AIRLOCK_ENGINE_TIMEOUT values are refused before anything runs', async (t) => {
  const before = new Set(await managedContainers());
  await ensureToolchains();
  const module = await copyModule('examples/hello');
  const shard = await runAirlock(['build', module, '--shard', '3/2']);
  assertCleanFailure(t, shard, 2, /--shard 3\/2 is not a shard of the plan; write I\/N with 1 <= I <= N/);
  const tooMany = await runAirlock(['build', module, '--shard', '1/5']);
  assertCleanFailure(t, tooMany, 2, /5 shards are more than the 1 build of the plan/);
  const report = await runAirlock(['build', module, '--report', path.join(module, 'no', 'such', 'dir', 'report.json')]);
  assertCleanFailure(t, report, 2, /--report .*: the directory .* does not exist/);
  const timeout = await runAirlock(['build', module], { env: { AIRLOCK_ENGINE_TIMEOUT: 'soon' } });
  assertCleanFailure(t, timeout, 2, /AIRLOCK_ENGINE_TIMEOUT=soon is not a number of seconds/);
  const format = await runAirlock(['plan', module, '--format', 'jenkins']);
  t.is(format.exitCode, 2);
  t.false(await fs.pathExists(path.join(module, 'dist')));
  t.deepEqual((await fs.readdir(module)).filter((name) => name.startsWith('.airlock-')), []);
  t.deepEqual(await containersLeftSince(before), []);
});

/** Bad input as users must see it: exactly one line on stderr, exit 2, no stack trace. */
function assertOneLine(t: ExecutionContext, result: CliResult, pattern: RegExp, exitCode = 2): void {
  t.is(result.exitCode, exitCode, result.stderr);
  t.deepEqual(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
  t.regex(result.stderr, /^airlock: error: /);
  t.regex(result.stderr, pattern);
}

/**
 * The managed containers made since `before` that are still there after other people's runs on the shared
 * engine had time to finish: a run that has exited and left one behind never removes it.
 */
async function containersLeftSince(before: ReadonlySet<string>, seconds = 180): Promise<string[]> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const left = (await managedContainers()).filter((id) => !before.has(id));
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** A TMPDIR of the run's own, to see that it leaves no scratch directory behind. */
async function privateTmp(t: ExecutionContext): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-errors-tmp-'));
  t.teardown(() => fs.remove(dir));
  return dir;
}

integration('--main naming a directory that is no main package, or none at all, is refused before anything runs', async (t) => {
  const before = new Set(await managedContainers());
  await ensureToolchains();
  const module = await copyModule('examples/hello');
  await fs.outputFile(path.join(module, 'internal', 'greet', 'greet.go'), 'package greet\n\nfunc Hello() string { return "hi" }\n');
  await fs.outputFile(path.join(module, 'docs', 'README.md'), '# docs\n');
  for (const command of ['plan', 'build']) {
    const library = await runAirlock([command, module, '--main', './internal/greet']);
    assertOneLine(t, library, /\.\/internal\/greet is not a main package \(its files say package greet\); name a directory whose package is main/);
    const missing = await runAirlock([command, module, '--main', './cmd/nope']);
    assertOneLine(t, missing, /the main package \.\/cmd\/nope does not exist in .*; pass --main with a directory of the module/);
    const noGo = await runAirlock([command, module, '--main', 'docs']);
    assertOneLine(t, noGo, /\.\/docs is not a main package \(it holds no Go files\)/);
  }
  t.false(await fs.pathExists(path.join(module, 'dist')));
  t.deepEqual(await containersLeftSince(before), []);
});

integration('--jobs must be a positive whole number, checked before anything runs', async (t) => {
  const before = new Set(await managedContainers());
  await ensureToolchains();
  const module = await copyModule('examples/hello');
  for (const jobs of ['abc', '0', '-1', '1.5']) {
    const result = await runAirlock(['build', module, '--jobs', jobs]);
    assertOneLine(t, result, new RegExp(`--jobs ${jobs.replace('.', '\\.')} is not a positive whole number; pass how many containers may run at once`));
    t.notRegex(result.stderr, /NaN|internal error/);
  }
  const plan = await runAirlock(['plan', module, '--jobs', '2']);
  assertOneLine(t, plan, /Unknown argument: jobs/);
  t.false(await fs.pathExists(path.join(module, 'dist')));
  t.deepEqual(await containersLeftSince(before), []);
});

integration('--ldflags "-s -w" takes its value as go build does, and builds the same binary as --ldflags="-s -w"', async (t) => {
  const before = new Set(await managedContainers());
  await ensureToolchains();
  const module = await copyModule('examples/hello');
  const apart = path.join(path.dirname(module), 'apart');
  const joined = path.join(path.dirname(module), 'joined');
  const first = await runAirlock(['build', '--ldflags', '-s -w', module, '--out', apart, '--quiet', '--cache']);
  t.is(first.exitCode, 0, first.stderr);
  const second = await runAirlock(['build', module, '--ldflags=-s -w', '--out', joined, '--quiet', '--cache']);
  t.is(second.exitCode, 0, second.stderr);
  const binary = 'hello_linux_amd64';
  t.true((await fs.readFile(path.join(apart, binary))).equals(await fs.readFile(path.join(joined, binary))));
  const plan = JSON.parse((await runAirlock(['plan', module, '--ldflags', '-X main.version=1', '--ldflags', '-s', '--tags', 'netgo', '--format', 'json'])).stdout) as {
    flags: { ldflags: string[]; tags: string[] };
  };
  t.deepEqual(plan.flags, { ldflags: ['-X main.version=1', '-s'], tags: ['netgo'] });
  for (const flag of ['--ldflags', '--tags']) {
    const trailing = await runAirlock(['build', module, flag]);
    assertOneLine(t, trailing, new RegExp(`${flag} needs a value`));
  }
  t.false(await fs.pathExists(path.join(module, 'dist')));
  t.deepEqual(await containersLeftSince(before), []);
});

integration('modules pack and generate seccomp refuse a bad --out up front and leave no scratch or partial file', async (t) => {
  const module = await copyModule('examples/hello');
  const work = path.dirname(module);
  const tmp = await privateTmp(t);
  const existing = path.join(work, 'notes.txt');
  await fs.writeFile(existing, 'keep me');
  const commands = [
    ['modules', 'pack', module, '--out'],
    ['generate', 'seccomp', '--out'],
  ];
  for (const command of commands) {
    const noDir = await runAirlock([...command, path.join(work, 'no', 'such', 'out.file')], { env: { TMPDIR: tmp } });
    assertOneLine(t, noDir, /--out .*out\.file: the directory .* does not exist; create it first/);
    const isDir = await runAirlock([...command, work], { env: { TMPDIR: tmp } });
    assertOneLine(t, isDir, /--out .* is a directory; pass --out the path of the file to write/);
    const taken = await runAirlock([...command, existing], { env: { TMPDIR: tmp } });
    assertOneLine(t, taken, /--out .*notes\.txt already exists; pass --force to overwrite it/);
  }
  t.is(await fs.readFile(existing, 'utf8'), 'keep me');
  t.deepEqual((await fs.readdir(work)).sort(), ['hello', 'notes.txt'], 'no .partial file');
  t.deepEqual(await fs.readdir(tmp), [], 'no scratch directory');
  const forced = await runAirlock(['generate', 'seccomp', '--out', existing, '--force']);
  t.is(forced.exitCode, 0, forced.stderr);
  t.is(JSON.parse(await fs.readFile(existing, 'utf8')).defaultAction, 'SCMP_ACT_ERRNO');
  const dockerfile = await runAirlock(['generate', 'dockerfile', '--out', existing]);
  assertOneLine(t, dockerfile, /--out .*notes\.txt is a file, not a directory/);
});

integration('a wrong key passphrase is one line, without OpenSSL\'s own message', async (t) => {
  const before = new Set(await managedContainers());
  await ensureToolchains();
  const module = await copyModule('examples/hello');
  const keys = path.dirname(module);
  const made = await runAirlock(['keygen', '--key', path.join(keys, 'k.key'), '--pub', path.join(keys, 'k.pub')], { env: { AIRLOCK_KEY_PASSPHRASE: 'right' } });
  t.is(made.exitCode, 0, made.stderr);
  const result = await runAirlock(['build', module, '--sign-key', path.join(keys, 'k.key')], { env: { AIRLOCK_KEY_PASSPHRASE: 'wrong' } });
  assertOneLine(t, result, /the passphrase in AIRLOCK_KEY_PASSPHRASE does not decrypt .*k\.key; export AIRLOCK_KEY_PASSPHRASE/);
  t.notRegex(result.stderr, /bad decrypt|Provider routines/);
  const debug = await runAirlock(['build', module, '--sign-key', path.join(keys, 'k.key'), '--debug'], { env: { AIRLOCK_KEY_PASSPHRASE: 'wrong' } });
  t.regex(debug.stderr, /caused by: .*bad decrypt/);
  t.false(await fs.pathExists(path.join(module, 'dist')));
  t.deepEqual(await containersLeftSince(before), []);
});

integration('an invalid choice is one line naming the flag, the value and the choices', async (t) => {
  const module = await copyModule('examples/hello');
  const format = await runAirlock(['plan', module, '--format', 'xml']);
  assertOneLine(t, format, /^airlock: error: --format xml is not one of table, json, github, gitlab; run `airlock --help`/);
  const ci = await runAirlock(['init', module, '--ci', 'bitbucket']);
  assertOneLine(t, ci, /^airlock: error: --ci bitbucket is not one of github, gitlab, gitlab-kubernetes; /);
  t.false(await fs.pathExists(path.join(module, 'airlock.json')));
});

integration('a binary over sandbox.maxOutputMiB is told to raise the limit or shrink the binary, not about build hooks', async (t) => {
  const before = new Set(await managedContainers());
  await ensureToolchains();
  const module = await copyModule('examples/hello');
  await fs.writeJson(path.join(module, 'airlock.json'), { sandbox: { maxOutputMiB: 1 } });
  const result = await runAirlock(['build', module]);
  assertCleanFailure(t, result, 4, /over the 1048576-byte limit; raise sandbox\.maxOutputMiB in airlock\.json .*-s -w/);
  t.notRegex(result.stderr, /build hooks/);
  t.false(await fs.pathExists(path.join(module, 'dist')));
  t.deepEqual(await containersLeftSince(before), []);
});
