import type { Readable } from 'node:stream';
import path from 'node:path';
import type { ContainerEngine } from '../engine/engine.js';
import { BuildError, EngineError, VerificationError } from '../errors.js';
import { type BuildContainerInput, type SandboxPolicy, SandboxPaths, buildContainerSpec } from './policy.js';
import type { ResourceTracker } from './resource-tracker.js';
import { type SourceTreeOptions, packSourceTree } from './source-tree.js';
import { explainGoBuildFailure } from './build-failure.js';
import { outputDirectoryPack } from './work-area.js';
import { receiveOutput } from './receive-output.js';

export interface SandboxBuildRequest extends BuildContainerInput {
  moduleDir: string;
  /** A tar of the read-only module cache, when the dependencies come from a module set. */
  moduleCacheArchive?: () => Readable;
  sourceOptions: SourceTreeOptions;
  /** Where the binary is written on the host; its directory must exist. */
  hostOutputPath: string;
  maxOutputBytes: number;
  label: string;
}

/** A build the sandbox killed for exceeding one of the policy's limits. */
export class SandboxLimitError extends BuildError {
  constructor(
    readonly limit: 'timeout' | 'out-of-memory',
    message: string,
    options: ConstructorParameters<typeof BuildError>[1],
  ) {
    super(message, options);
  }
}

export interface SandboxBuildResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs one `go build` in a fresh container: volume and container are created, the source goes in and the
 * binary comes out through the engine's archive API (no host paths are mounted, so a remote engine works),
 * and both are removed whatever happens.
 */
export async function runSandboxBuild(
  engine: ContainerEngine,
  tracker: ResourceTracker,
  policy: SandboxPolicy,
  request: SandboxBuildRequest,
): Promise<SandboxBuildResult> {
  const spec = buildContainerSpec(policy, request);
  await tracker.createVolume(request.volume, spec.labels);
  let containerId: string | undefined;
  try {
    containerId = await tracker.createContainer(spec);
    // One upload: the output directory's entry, then the source.
    await engine.putArchive(containerId, SandboxPaths.work, packSourceTree(request.moduleDir, request.sourceOptions, outputDirectoryPack(policy)));
    if (request.moduleCacheArchive) await engine.putArchive(containerId, SandboxPaths.work, request.moduleCacheArchive());
    await engine.start(containerId);
    const exit = await engine.wait(containerId, policy.timeoutSeconds * 1000);
    const logs = await engine.logs(containerId);
    if (exit.timedOut) {
      throw new SandboxLimitError('timeout', `go build of ${request.label} timed out after ${policy.timeoutSeconds}s and was killed`, {
        hint: 'raise the time limit if the build is legitimately slow',
        details: logs.stderr,
      });
    }
    if (exit.exitCode !== 0 && exit.oomKilled) {
      throw new SandboxLimitError('out-of-memory', `go build of ${request.label} ran out of memory (limit ${policy.memoryBytes} bytes) and was killed`, {
        hint: 'raise the memory limit if the build legitimately needs more',
        details: logs.stderr,
      });
    }
    if (exit.exitCode !== 0) {
      throw new BuildError(`go build of ${request.label} failed (exit status ${exit.exitCode})`, {
        hint: explainGoBuildFailure(logs.stderr),
        details: [logs.stderr, logs.stdout].filter((text) => text.trim() !== '').join('\n'),
      });
    }
    await copyOutOfContainer(engine, containerId, `${SandboxPaths.output}/${request.outputName}`, request);
    return logs;
  } finally {
    // A removal that fails leaves the resource tracked: the run's final clean-up retries and reports it.
    if (containerId !== undefined) await tracker.removeContainer(spec.name).catch(() => undefined);
    await tracker.removeVolume(request.volume).catch(() => undefined);
  }
}

/**
 * Takes the binary out of the container: exactly one regular file of the expected name and bounded size is
 * accepted from the engine's archive (see receive-output.ts); links, directories, devices and anything else
 * are refused, never followed or written. A build that exits 0 without writing its output is refused too.
 */
async function copyOutOfContainer(
  engine: ContainerEngine,
  containerId: string,
  containerPath: string,
  request: SandboxBuildRequest,
): Promise<void> {
  let archive: Readable;
  try {
    archive = await engine.getArchive(containerId, containerPath);
  } catch (error) {
    // 404 is also the answer for a container that has gone: only a missing path is the build's doing.
    if (error instanceof EngineError && statusCodeOf(error.cause) === 404 && !/no such container/i.test(error.message)) {
      throw new VerificationError(`the sandbox returned an unacceptable output for ${request.label}: no file (go build exited 0 but ${containerPath} does not exist)`, {
        hint: 'only one regular file, the binary, may come out of a build; check the toolchain, which claimed success without writing it',
      });
    }
    throw error;
  }
  await receiveOutput(archive, {
    expectedName: path.posix.basename(containerPath),
    maxBytes: request.maxOutputBytes,
    destination: request.hostOutputPath,
    label: request.label,
  });
}

function statusCodeOf(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}
