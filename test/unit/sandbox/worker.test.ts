/**
 * Sandbox workers against a scripted engine: what the container hands back goes through receive-output.ts,
 * limits are reported as such, a worker takes several builds in one container, and the container and volume
 * are removed whatever happens.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

import test, { type ExecutionContext } from 'ava';

import type { ContainerEngine, ExecRequest, ExecResult } from '../../../src/engine/engine.js';
import { BuildError, EngineError, ExitCode, InterruptedError, VerificationError } from '../../../src/errors.js';
import { applySandboxLimits, defaultSandboxPolicy, goBuildCommand } from '../../../src/sandbox/policy.js';
import { ScratchGuard } from '../../../src/sandbox/scratch-guard.js';
import { packageRoot } from '../../../src/util/package-root.js';
import { ResourceTracker } from '../../../src/sandbox/resource-tracker.js';
import { SandboxLimitError, SandboxWorker, runInFreshWorker } from '../../../src/sandbox/worker.js';
import { killedByMemoryLimit } from '../../../src/sandbox/limit-failure.js';
import { type TarEntryInput, makeTar } from '../../helpers/archives.js';
import { tempDir } from '../../helpers/host-tools.js';

const NAME = 'tool_linux_amd64';
const LABEL = '. for linux/amd64 with go1.26.8';

interface Script {
  exec?: Partial<ExecResult>;
  /** The build runs until its container is removed, then the engine reports the container gone. */
  execUntilRemoved?: boolean;
  /** What the engine's disk-usage report says each volume holds. */
  volumeSizes?: Record<string, number>;
  execError?: Error;
  archive?: TarEntryInput[];
  archiveError?: Error;
}

/** An engine that runs nothing: it records calls and answers as scripted. */
function scriptedEngine(script: Script) {
  const calls: string[] = [];
  const execs: ExecRequest[] = [];
  const live = { containers: new Set<string>(), volumes: new Set<string>(), stdin: 0 };
  const drain = async (tar: Readable) => {
    for await (const _chunk of tar) void _chunk;
  };
  const engine: Partial<ContainerEngine> = {
    createVolume: async (name) => {
      calls.push(`createVolume ${name}`);
      live.volumes.add(name);
    },
    removeVolume: async (name) => {
      calls.push(`removeVolume ${name}`);
      live.volumes.delete(name);
    },
    createContainer: async (spec) => {
      calls.push(`createContainer ${spec.name}`);
      // Like Docker, the fake takes the container's name wherever it takes its ID.
      live.containers.add(spec.name);
      return spec.name;
    },
    putArchive: async (_id, target, tar) => {
      calls.push(`putArchive ${target}`);
      await drain(tar);
    },
    holdStdin: async () => {
      calls.push('holdStdin');
      live.stdin += 1;
      return { release: () => void (live.stdin -= 1) };
    },
    start: async () => {
      calls.push('start');
    },
    exec: async (_id, request) => {
      calls.push(`exec ${request.command.slice(1, 3).join(' ')}`);
      execs.push(request);
      if (script.execError) throw script.execError;
      if (request.command[1] === 'clean') return { exitCode: 0, timedOut: false, stdout: '', stderr: '' };
      if (script.execUntilRemoved) {
        while (live.containers.has(_id)) await new Promise((resolve) => setTimeout(resolve, 5));
        throw new EngineError(`the container engine failed to report on a build in the sandbox: No such container: ${_id}`);
      }
      return { exitCode: 0, timedOut: false, stdout: '', stderr: 'what go printed\n', ...script.exec };
    },
    getArchive: async (_id, containerPath) => {
      calls.push(`getArchive ${containerPath}`);
      if (script.archiveError) throw script.archiveError;
      return Readable.from([await makeTar(script.archive ?? [])]);
    },
    volumeSizes: async () => new Map(Object.entries(script.volumeSizes ?? {})),
    removeContainer: async (id) => {
      calls.push(`removeContainer ${id}`);
      live.containers.delete(id);
    },
  };
  return { engine: engine as ContainerEngine, calls, execs, live };
}

async function build(t: ExecutionContext, script: Script) {
  const dir = await tempDir(t, 'airlock-run-build-');
  const moduleDir = path.join(dir, 'module');
  await fs.mkdir(moduleDir);
  await fs.writeFile(path.join(moduleDir, 'go.mod'), 'module example.com/tool\n\ngo 1.26\n');
  const staging = path.join(dir, 'staging');
  await fs.mkdir(staging);
  const { engine, calls, execs, live } = scriptedEngine(script);
  const tracker = new ResourceTracker(engine);
  const open = {
    name: 'airlock-test-w0',
    volume: 'airlock-test-w0',
    scratchVolume: 'airlock-test-w0-scratch',
    image: 'airlock-sandbox:test',
    runId: 'test',
    toolchain: 'go1.26.8',
    sourceVolume: 'airlock-test-src',
  };
  const request = {
    command: goBuildCommand({ goos: 'linux', goarch: 'amd64', mainPackage: '.', outputName: NAME, vendored: false, ldflags: [], tags: [] }),
    outputName: NAME,
    hostOutputPath: path.join(staging, NAME),
    maxOutputBytes: 1024,
    label: LABEL,
  };
  const policy = defaultSandboxPolicy(1);
  const run = runInFreshWorker(engine, tracker, policy, open, request);
  return { run, calls, execs, live, tracker, dir, staging, hostOutputPath: request.hostOutputPath, engine, policy, open, request };
}

/** Nothing of the run is left: not in the engine, not in the tracker, not in the staging directory. */
async function assertCleanedUp(t: ExecutionContext, result: Awaited<ReturnType<typeof build>>, staged: string[] = []): Promise<void> {
  t.deepEqual([...result.live.containers], [], 'the container is removed');
  t.deepEqual([...result.live.volumes], [], 'the volume is removed');
  t.is(result.live.stdin, 0, 'the worker\'s standard input is let go');
  t.deepEqual(await result.tracker.removeAll(), [], 'nothing is left for the final clean-up');
  t.deepEqual(await fs.readdir(result.staging), staged);
  t.deepEqual((await fs.readdir(result.dir)).sort(), ['module', 'staging']);
}

test('the one regular file of the expected name comes out to the host output path', async (t) => {
  const result = await build(t, { archive: [{ name: NAME, data: 'a binary', mode: 0o755 }] });
  await result.run;
  t.is(await fs.readFile(result.hostOutputPath, 'utf8'), 'a binary');
  t.true(result.calls.includes(`getArchive /work/out/${NAME}`));
  await assertCleanedUp(t, result, [NAME]);
});

test('a symbolic link coming back is refused with exit 4, and the container and volume are removed', async (t) => {
  const result = await build(t, { archive: [{ name: NAME, type: 'symlink', linkname: '/etc/passwd' }] });
  const error = await t.throwsAsync(result.run, { instanceOf: VerificationError });
  t.is(error?.message, `the sandbox returned an unacceptable output for ${LABEL}: unexpected symlink "${NAME}" to "/etc/passwd"`);
  t.is(error?.exitCode, ExitCode.verificationFailed);
  await assertCleanedUp(t, result);
});

test('an output over the request\'s limit is refused', async (t) => {
  const result = await build(t, { archive: [{ name: NAME, data: Buffer.alloc(1025) }] });
  await t.throwsAsync(result.run, { instanceOf: VerificationError, message: /is 1025 bytes, over the 1024-byte limit$/ });
  await assertCleanedUp(t, result);
});

test('go build exiting 0 without writing its output is refused as no file, not blamed on the engine', async (t) => {
  const missing = new EngineError('the container engine failed to copy the binary out of the container: Could not find the file /work/out/x in container c1', {
    cause: Object.assign(new Error('(HTTP code 404) no such container - Could not find the file'), { statusCode: 404 }),
  });
  const result = await build(t, { archiveError: missing });
  const error = await t.throwsAsync(result.run, { instanceOf: VerificationError });
  t.is(error?.message, `the sandbox returned an unacceptable output for ${LABEL}: no file (go build exited 0 but /work/out/${NAME} does not exist)`);
  await assertCleanedUp(t, result);
});

test('a container that has gone (404 "no such container") stays an engine failure', async (t) => {
  const gone = new EngineError('the container engine failed to copy the binary out of the container: No such container: c1', {
    cause: Object.assign(new Error('gone'), { statusCode: 404 }),
  });
  const result = await build(t, { archiveError: gone });
  await t.throwsAsync(result.run, { is: gone });
});

test('a build killed at the time limit is a SandboxLimitError "timeout"; nothing is copied out', async (t) => {
  const result = await build(t, { exec: { exitCode: undefined, timedOut: true } });
  const error = await t.throwsAsync(result.run, { instanceOf: SandboxLimitError });
  t.is(error?.limit, 'timeout');
  t.true(error instanceof BuildError);
  t.is(error?.exitCode, ExitCode.buildFailed);
  t.is(error?.message, 'go build of . for linux/amd64 with go1.26.8 timed out: it ran for the sandbox\'s limit of 900s (sandbox.timeoutSeconds) and was killed');
  t.regex(error?.hint ?? '', /raise sandbox\.timeoutSeconds/);
  t.is(error?.details, 'what go printed\n');
  t.false(result.calls.some((call) => call.startsWith('getArchive')));
  await assertCleanedUp(t, result);
});

test('a build killed at the memory limit is a SandboxLimitError "out-of-memory"', async (t) => {
  const result = await build(t, { exec: { exitCode: 137 } });
  const error = await t.throwsAsync(result.run, { instanceOf: SandboxLimitError });
  t.is(error?.limit, 'out-of-memory');
  t.regex(error?.message ?? '', /ran out of memory: the sandbox's limit is 3072 MiB \(sandbox\.memoryMiB\)/);
  await assertCleanedUp(t, result);
});

test('a go command reporting that its compiler was killed is out of memory too; other failures are not', (t) => {
  t.true(killedByMemoryLimit({ exitCode: 137, stderr: '' }));
  t.true(killedByMemoryLimit({ exitCode: 1, stderr: 'internal/abi: /usr/local/go/pkg/tool/linux_amd64/compile: signal: killed\n' }));
  t.false(killedByMemoryLimit({ exitCode: 1, stderr: './main.go:3:1: syntax error: non-declaration statement outside function body\n' }));
  t.false(killedByMemoryLimit({ exitCode: 2, stderr: 'the word signal: killed inside a line of its own output, not at its end of line: no' }));
});

test('a failing go build is a BuildError with what go printed; the worker stays usable and its cache is emptied', async (t) => {
  const result = await build(t, { exec: { exitCode: 1, stderr: './main.go:3:1: syntax error\n' } });
  const error = await t.throwsAsync(result.run, { instanceOf: BuildError });
  t.false(error instanceof SandboxLimitError);
  t.is(error?.message, `go build of ${LABEL} failed (exit status 1)`);
  t.regex(error?.details ?? '', /syntax error/);
  t.deepEqual(result.calls.filter((call) => call.startsWith('exec')), ['exec build -trimpath', 'exec clean -cache']);
  await assertCleanedUp(t, result);
});

test('a worker takes several builds in one container: one create, one upload, one start; each build then an emptied cache', async (t) => {
  const result = await build(t, { archive: [{ name: NAME, data: 'a binary', mode: 0o755 }] });
  await result.run;
  const { engine, calls, live } = scriptedEngine({ archive: [{ name: NAME, data: 'a binary', mode: 0o755 }] });
  const tracker = new ResourceTracker(engine);
  const worker = await SandboxWorker.open(engine, tracker, result.policy, result.open);
  for (const goarch of ['amd64', 'arm64']) {
    const built = await worker.build({ ...result.request, command: goBuildCommand({ goos: 'linux', goarch, mainPackage: '.', outputName: NAME, vendored: false, ldflags: [], tags: [] }) });
    await built.output;
    t.is(built.logs.stderr, 'what go printed\n');
  }
  t.true(worker.usable);
  t.deepEqual(calls.filter((call) => /^(createContainer|putArchive|holdStdin|start|exec)/.test(call)), [
    'createContainer airlock-test-w0',
    'putArchive /work',
    'putArchive /scratch',
    'holdStdin',
    'start',
    'exec build -trimpath',
    'exec clean -cache',
    'exec build -trimpath',
    'exec clean -cache',
  ]);
  t.deepEqual([...live.containers], ['airlock-test-w0']);
  t.is(live.stdin, 1, 'airlock holds the worker\'s standard input while it lives');
  await worker.close();
  await worker.close();
  t.deepEqual([...live.containers], []);
  t.deepEqual([...live.volumes], []);
  t.is(live.stdin, 0);
  t.false(worker.usable);
  await t.throwsAsync(worker.build(result.request), { message: /no longer usable/ });
});

test('with a persistent cache the cache is kept between builds', async (t) => {
  const result = await build(t, { archive: [{ name: NAME, data: 'a binary', mode: 0o755 }] });
  await result.run;
  const { engine, calls } = scriptedEngine({ archive: [{ name: NAME, data: 'a binary', mode: 0o755 }] });
  const worker = await SandboxWorker.open(engine, new ResourceTracker(engine), result.policy, { ...result.open, cacheVolume: 'airlock-gocache-test' });
  const built = await worker.build({
    ...result.request,
    command: goBuildCommand({ goos: 'linux', goarch: 'amd64', mainPackage: '.', outputName: NAME, vendored: false, persistentCache: true, ldflags: [], tags: [] }),
    persistentCache: true,
  });
  await built.output;
  t.deepEqual(calls.filter((call) => call.startsWith('exec')), ['exec build -trimpath']);
  await worker.close();
});

test('the exec carries the recorded command and environment, as the policy user, in the source directory', async (t) => {
  const result = await build(t, { archive: [{ name: NAME, data: 'a binary', mode: 0o755 }] });
  await result.run;
  const [exec] = result.execs;
  t.is(exec?.user, '65534:65534');
  t.is(exec?.workingDir, '/work/src');
  t.is(exec?.env.GOOS, 'linux');
  t.is(exec?.env.GOPROXY, 'off');
  t.deepEqual(exec?.command.slice(-3), ['-o', `/work/out/${NAME}`, '.']);
});

test('an engine failure during a build makes the worker unusable; it is still removed', async (t) => {
  const failure = new EngineError('the container engine stopped answering', {});
  const result = await build(t, { execError: failure });
  await t.throwsAsync(result.run, { is: failure });
  await assertCleanedUp(t, result);
});

test('a build ended by the run\'s clean-up (an interrupt removed its container) is interrupted, not out of memory', async (t) => {
  const result = await build(t, { archive: [{ name: NAME, data: 'a binary', mode: 0o755 }] });
  await result.run;
  const { engine } = scriptedEngine({ exec: { exitCode: 137 } });
  const tracker = new ResourceTracker(engine);
  const worker = await SandboxWorker.open(engine, tracker, result.policy, result.open);
  await tracker.removeAll();
  const error = await t.throwsAsync(worker.build(result.request), { instanceOf: InterruptedError });
  t.is(error?.message, 'the run is being cleaned up; the build was stopped');
  t.is(error?.exitCode, ExitCode.interrupted);
  t.false(worker.usable);
});

test('a build whose scratch grows past sandbox.scratchMiB is stopped by the guard: disk-full, named, and nothing is left', async (t) => {
  const result = await build(t, { archive: [{ name: NAME, data: 'a binary', mode: 0o755 }] });
  await result.run;
  const { engine, live } = scriptedEngine({ execUntilRemoved: true, volumeSizes: { 'airlock-test-w0-scratch': 300 * 1024 ** 2, 'airlock-test-w0': 5 * 1024 ** 3 } });
  const tracker = new ResourceTracker(engine);
  const policy = applySandboxLimits(defaultSandboxPolicy(1), { scratchMiB: 256 });
  const worker = await SandboxWorker.open(engine, tracker, policy, result.open, new ScratchGuard(engine, 10));
  const error = await t.throwsAsync(worker.build(result.request), { instanceOf: SandboxLimitError });
  t.is(error?.limit, 'disk-full');
  t.is(error?.message, `go build of ${LABEL} was stopped: it wrote 300 MiB of scratch (build cache and work files), more than the sandbox's limit of 256 MiB (sandbox.scratchMiB)`);
  t.regex(error?.hint ?? '', /raise sandbox\.scratchMiB/);
  t.false(worker.usable);
  await worker.close();
  t.deepEqual([...live.containers], []);
  t.deepEqual([...live.volumes], [], 'the work and the scratch volume are removed');
  t.deepEqual(await tracker.removeAll(), []);
});

test('real go output of a build that hit the pids limit fails as pids-limit, and the worker is replaced', async (t) => {
  const stderr = fs.readFile(path.join(packageRoot(), 'test', 'fixtures', 'limit-failures', 'pids-limit.go1.26.8.stderr'), 'utf8');
  const result = await build(t, { exec: { exitCode: 1, stderr: await stderr } });
  const error = await t.throwsAsync(result.run, { instanceOf: SandboxLimitError });
  t.is(error?.limit, 'pids-limit');
  t.regex(error?.message ?? '', /limit of 512 processes and threads \(sandbox\.pids\)/);
  t.false(result.calls.includes('exec clean -cache'), 'a worker that hit a limit is removed, not cleaned for reuse');
  await assertCleanedUp(t, result);
});
