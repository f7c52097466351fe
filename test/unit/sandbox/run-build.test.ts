/**
 * runSandboxBuild against a scripted engine: what the container hands back goes through receive-output.ts,
 * limits are reported as such, and the container and volume are removed whatever happens.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

import test, { type ExecutionContext } from 'ava';

import type { ContainerEngine, ContainerExit } from '../../../src/engine/engine.js';
import { BuildError, EngineError, ExitCode, VerificationError } from '../../../src/errors.js';
import { defaultSandboxPolicy } from '../../../src/sandbox/policy.js';
import { ResourceTracker } from '../../../src/sandbox/resource-tracker.js';
import { SandboxLimitError, runSandboxBuild } from '../../../src/sandbox/run-build.js';
import { type TarEntryInput, makeTar } from '../../helpers/archives.js';
import { tempDir } from '../../helpers/host-tools.js';

const NAME = 'tool_linux_amd64';
const LABEL = '. for linux/amd64 with go1.26.8';

interface Script {
  exit?: Partial<ContainerExit>;
  archive?: TarEntryInput[];
  archiveError?: Error;
}

/** An engine that runs nothing: it records calls and answers as scripted. */
function scriptedEngine(script: Script) {
  const calls: string[] = [];
  const live = { containers: new Set<string>(), volumes: new Set<string>() };
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
    start: async () => {
      calls.push('start');
    },
    wait: async () => ({ exitCode: 0, timedOut: false, oomKilled: false, ...script.exit }),
    logs: async () => ({ stdout: '', stderr: 'what go printed\n' }),
    getArchive: async (_id, containerPath) => {
      calls.push(`getArchive ${containerPath}`);
      if (script.archiveError) throw script.archiveError;
      return Readable.from([await makeTar(script.archive ?? [])]);
    },
    removeContainer: async (id) => {
      calls.push(`removeContainer ${id}`);
      live.containers.delete(id);
    },
  };
  return { engine: engine as ContainerEngine, calls, live };
}

async function build(t: ExecutionContext, script: Script) {
  const dir = await tempDir(t, 'airlock-run-build-');
  const moduleDir = path.join(dir, 'module');
  await fs.mkdir(moduleDir);
  await fs.writeFile(path.join(moduleDir, 'go.mod'), 'module example.com/tool\n\ngo 1.26\n');
  const staging = path.join(dir, 'staging');
  await fs.mkdir(staging);
  const { engine, calls, live } = scriptedEngine(script);
  const tracker = new ResourceTracker(engine);
  const request = {
    name: 'airlock-test-0',
    volume: 'airlock-test-0',
    image: 'airlock-sandbox:test',
    runId: 'test',
    goos: 'linux',
    goarch: 'amd64',
    mainPackage: '.',
    outputName: NAME,
    vendored: false,
    ldflags: [],
    tags: [],
    moduleDir,
    sourceOptions: { exclude: [] },
    hostOutputPath: path.join(staging, NAME),
    maxOutputBytes: 1024,
    label: LABEL,
  };
  const run = runSandboxBuild(engine, tracker, defaultSandboxPolicy(1), request);
  return { run, calls, live, tracker, dir, staging, hostOutputPath: request.hostOutputPath };
}

/** Nothing of the run is left: not in the engine, not in the tracker, not in the staging directory. */
async function assertCleanedUp(t: ExecutionContext, result: Awaited<ReturnType<typeof build>>, staged: string[] = []): Promise<void> {
  t.deepEqual([...result.live.containers], [], 'the container is removed');
  t.deepEqual([...result.live.volumes], [], 'the volume is removed');
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
  const result = await build(t, { exit: { exitCode: 137, timedOut: true } });
  const error = await t.throwsAsync(result.run, { instanceOf: SandboxLimitError });
  t.is(error?.limit, 'timeout');
  t.true(error instanceof BuildError);
  t.is(error?.exitCode, ExitCode.buildFailed);
  t.regex(error?.message ?? '', /^go build of \. for linux\/amd64 with go1\.26\.8 timed out after 900s and was killed$/);
  t.is(error?.details, 'what go printed\n');
  t.false(result.calls.some((call) => call.startsWith('getArchive')));
  await assertCleanedUp(t, result);
});

test('a build killed at the memory limit is a SandboxLimitError "out-of-memory"', async (t) => {
  const result = await build(t, { exit: { exitCode: 137, oomKilled: true } });
  const error = await t.throwsAsync(result.run, { instanceOf: SandboxLimitError });
  t.is(error?.limit, 'out-of-memory');
  t.regex(error?.message ?? '', /ran out of memory \(limit 3221225472 bytes\) and was killed$/);
  await assertCleanedUp(t, result);
});
