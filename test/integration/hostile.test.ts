/**
 * A toolchain whose `go` misbehaves (test/fixtures/hostile-go, imported on trust into a store of its own):
 * whatever the build container hands back, or however it fails, airlock fails that target the documented
 * way and leaves nothing behind: no container or volume, the previous dist/ exactly as it was, nothing
 * written beside the module.
 */
import test, { type ExecutionContext } from 'ava';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { type CliResult, assertCleanFailure, integration, managedContainers, managedVolumes, runAirlock } from '../helpers/airlock-cli.js';
import { HOSTILE_GO_VERSION, HOSTILE_MODE_FILE, hostileHome, hostileModule, setHostileMode } from '../helpers/hostile-toolchain.js';

const LABEL = (target: string) => `\\. for ${target.replace('/', '\\/')} with ${HOSTILE_GO_VERSION.replace(/\./g, '\\.')}`;
const UNACCEPTABLE = (target: string) => `the sandbox returned an unacceptable output for ${LABEL(target)}: `;

/** Temporary directories of this file, removed at the end. */
const scratch: string[] = [];
test.after.always(async () => {
  for (const dir of scratch) await fs.remove(dir);
  // Only when a test made the store: asking for it here would otherwise make one.
  if (scratch.length > 0) await hostileHome().then((home) => fs.remove(home)).catch(() => undefined);
});

async function airlock(args: string[]): Promise<CliResult> {
  return runAirlock(args, { env: { AIRLOCK_HOME: await hostileHome() } });
}

interface FileState {
  mode: number;
  mtimeMs: number;
  content: string;
}

/** Every file under dir, recursively, with its mode, modification time and bytes. */
async function snapshot(dir: string): Promise<Record<string, FileState>> {
  const files: Record<string, FileState> = {};
  const walk = async (relative: string): Promise<void> => {
    for (const name of (await fs.readdir(path.join(dir, relative))).sort()) {
      const rel = relative === '' ? name : `${relative}/${name}`;
      const stat = await fs.lstat(path.join(dir, rel));
      if (stat.isDirectory()) await walk(rel);
      else files[rel] = { mode: stat.mode, mtimeMs: stat.mtimeMs, content: (await fs.readFile(path.join(dir, rel))).toString('base64') };
    }
  };
  await walk('');
  return files;
}

interface Prepared {
  module: string;
  dist: string;
  before: Record<string, FileState>;
  distInode: number;
  passwd: string;
}

/** A module built once successfully with the fake go in mode ok, so there is a previous dist/ to protect. */
async function prepared(targets: string[] = ['linux/amd64']): Promise<Prepared> {
  const module = await hostileModule('ok');
  scratch.push(path.dirname(module));
  const first = await airlock(['build', module, ...targets.flatMap((target) => ['--target', target])]);
  if (first.exitCode !== 0) throw new Error(`the good build with the fake go failed (exit ${first.exitCode}): ${first.stderr}`);
  const dist = path.join(module, 'dist');
  return { module, dist, before: await snapshot(dist), distInode: (await fs.stat(dist)).ino, passwd: await fs.readFile('/etc/passwd', 'utf8') };
}

/** What every failed run must leave: nothing of the engine, the previous dist/ untouched, nothing new on the host. */
async function assertNothingLeft(t: ExecutionContext, prep: Prepared, moduleEntries: string[]): Promise<void> {
  t.deepEqual(await managedContainers(), [], 'no container of the run is left');
  t.deepEqual(await managedVolumes(), [], 'no volume of the run is left');
  t.is((await fs.stat(prep.dist)).ino, prep.distInode, 'dist/ is the same directory');
  t.deepEqual(await snapshot(prep.dist), prep.before, 'the previous dist/ is byte for byte as it was');
  t.deepEqual((await fs.readdir(prep.module)).sort(), [...moduleEntries, 'dist', 'go.mod', HOSTILE_MODE_FILE, 'main.go'].sort(), 'nothing new in the module (no staging or receiving directory)');
  t.deepEqual(await fs.readdir(path.dirname(prep.module)), [path.basename(prep.module)], 'nothing new beside the module');
  t.is(await fs.readFile('/etc/passwd', 'utf8'), prep.passwd);
}

// --- hostile output: exit 4 -----------------------------------------------------------------------------

// airlock's seccomp profile does not even let a build make links or fifos (see the last test), so those two
// run under the engine's default profile: the output check must hold whatever the sandbox lets through.
const hostileOutputs: Array<{ mode: string; problem: string; args?: string[]; config?: object }> = [
  { mode: 'symlink', problem: 'unexpected symlink "hostile_linux_amd64" to "/etc/passwd"', args: ['--seccomp', 'engine-default'] },
  { mode: 'directory', problem: 'unexpected directory "hostile_linux_amd64/?"' },
  { mode: 'fifo', problem: 'unexpected fifo "hostile_linux_amd64"', args: ['--seccomp', 'engine-default'] },
  { mode: 'huge 16', problem: 'hostile_linux_amd64 is 16777216 bytes, over the 4194304-byte limit', config: { sandbox: { maxOutputMiB: 4 } } },
  { mode: 'none', problem: 'no file \\(go build exited 0 but /work/out/hostile_linux_amd64 does not exist\\)' },
];

for (const { mode, problem, args = [], config } of hostileOutputs) {
  integration(`a build handing back ${mode === 'none' ? 'nothing' : `a ${mode.split(' ')[0]}`} fails with exit 4, leaving dist/, the host and the engine as they were`, async (t) => {
    const prep = await prepared();
    await setHostileMode(prep.module, mode, config);
    const result = await airlock(['build', prep.module, ...args]);
    assertCleanFailure(t, result, 4, new RegExp(`^airlock: error: ${UNACCEPTABLE('linux/amd64')}${problem}`));
    await assertNothingLeft(t, prep, config ? ['airlock.json'] : []);
  });
}

// --- limits: exit 3, reported as such -------------------------------------------------------------------

integration('a build that hangs is killed at timeoutSeconds and fails with exit 3 as timed out, leaving nothing behind', async (t) => {
  const prep = await prepared();
  await setHostileMode(prep.module, 'hang', { sandbox: { timeoutSeconds: 10 } });
  const started = Date.now();
  const result = await airlock(['build', prep.module]);
  t.true(Date.now() - started < 120_000, 'the time limit ended the build');
  assertCleanFailure(t, result, 3, new RegExp(`^airlock: error: go build of ${LABEL('linux/amd64')} timed out: it ran for the sandbox's limit of 10s \\(sandbox\\.timeoutSeconds\\) and was killed; raise sandbox\\.timeoutSeconds`));
  t.regex(result.stderr, /hostile-go: mode hang/, "the build's output is shown");
  await assertNothingLeft(t, prep, ['airlock.json']);
});

integration('a build that eats memory is killed at memoryMiB and fails with exit 3 as out of memory, leaving nothing behind', async (t) => {
  const prep = await prepared();
  await setHostileMode(prep.module, 'memory', { sandbox: { memoryMiB: 256 } });
  const result = await airlock(['build', prep.module]);
  assertCleanFailure(t, result, 3, new RegExp(`^airlock: error: go build of ${LABEL('linux/amd64')} ran out of memory: the sandbox's limit is 256 MiB \\(sandbox\\.memoryMiB\\) and the kernel killed it; raise sandbox\\.memoryMiB`));
  t.notRegex(result.stderr, /allocated \d+ MiB and was not killed/);
  await assertNothingLeft(t, prep, ['airlock.json']);
});

// --- several targets: the others go on, unless --fail-fast ----------------------------------------------

interface ReportTarget {
  output: string;
  target: string;
  state: string;
  reason?: string;
  message?: string;
  sha256?: string;
}

async function readReport(file: string): Promise<{ ok: boolean; exitCode: number; targets: ReportTarget[] }> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as { ok: boolean; exitCode: number; targets: ReportTarget[] };
}

async function reportFile(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-hostile-report-'));
  scratch.push(dir);
  return path.join(dir, 'report.json');
}

const TWO_TARGETS = ['--target', 'linux/amd64', '--target', 'linux/arm64'];

/** The plan's targets in the order the jobs are queued. */
async function queuedTargets(module: string): Promise<string[]> {
  const plan = await airlock(['plan', module, ...TWO_TARGETS, '--format', 'json']);
  if (plan.exitCode !== 0) throw new Error(plan.stderr);
  return (JSON.parse(plan.stdout) as { jobs: Array<{ target: string }> }).jobs.map((job) => job.target);
}

integration('with two targets, one timing out: the other is still built, --report says timeout, exit 3 and dist/ untouched', async (t) => {
  const prep = await prepared(['linux/amd64', 'linux/arm64']);
  await setHostileMode(prep.module, 'linux/amd64 hang\nlinux/arm64 ok', { sandbox: { timeoutSeconds: 10 } });
  const report = await reportFile();
  const result = await airlock(['build', prep.module, ...TWO_TARGETS, '--jobs', '1', '--report', report]);
  assertCleanFailure(t, result, 3, new RegExp(`^airlock: error: go build of ${LABEL('linux/amd64')} timed out: it ran for the sandbox's limit of 10s \\(sandbox\\.timeoutSeconds\\) and was killed; raise sandbox\\.timeoutSeconds`));
  const written = await readReport(report);
  t.false(written.ok);
  t.is(written.exitCode, 3);
  const byTarget = Object.fromEntries(written.targets.map((target) => [target.target, target]));
  t.like(byTarget['linux/amd64'], { output: 'hostile_linux_amd64', state: 'failed', reason: 'timeout' });
  t.regex(byTarget['linux/amd64']?.message ?? '', /timed out: it ran for the sandbox's limit of 10s \(sandbox\.timeoutSeconds\)/);
  t.like(byTarget['linux/arm64'], { output: 'hostile_linux_arm64', state: 'done' });
  t.regex(byTarget['linux/arm64']?.sha256 ?? '', /^[0-9a-f]{64}$/);
  await assertNothingLeft(t, prep, ['airlock.json']);
});

integration('with two targets and --fail-fast, the first running out of memory: the second is skipped, --report says out-of-memory, exit 3', async (t) => {
  const prep = await prepared(['linux/amd64', 'linux/arm64']);
  const [first, second] = await queuedTargets(prep.module);
  await setHostileMode(prep.module, `${first} memory\n${second} ok`, { sandbox: { memoryMiB: 256 } });
  const report = await reportFile();
  const result = await airlock(['build', prep.module, ...TWO_TARGETS, '--jobs', '1', '--fail-fast', '--report', report]);
  assertCleanFailure(t, result, 3, /^airlock: error: 1 of 2 builds failed \(1 not started: --fail-fast\)/);
  t.regex(result.stderr, new RegExp(`go build of ${LABEL(first!)} ran out of memory`));
  const written = await readReport(report);
  t.false(written.ok);
  t.is(written.exitCode, 3);
  t.deepEqual(
    written.targets.map((target) => [target.target, target.state, target.reason]),
    [
      [first, 'failed', 'out-of-memory'],
      [second, 'skipped', 'skipped'],
    ],
  );
  await assertNothingLeft(t, prep, ['airlock.json']);
});

// --- defence in depth ------------------------------------------------------------------------------------

integration("under airlock's own seccomp profile the fake go cannot even make the link or the fifo: the build fails (exit 3)", async (t) => {
  const prep = await prepared();
  for (const mode of ['symlink', 'fifo']) {
    await setHostileMode(prep.module, mode);
    const result = await airlock(['build', prep.module]);
    assertCleanFailure(t, result, 3, new RegExp(`^airlock: error: go build of ${LABEL('linux/amd64')} failed \\(exit status 1\\)`));
    t.regex(result.stderr, /hostile-go: .*operation not permitted/, mode);
    await assertNothingLeft(t, prep, []);
  }
});
