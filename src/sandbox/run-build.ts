import fs from 'fs-extra';
import type { Readable } from 'node:stream';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import tarFs from 'tar-fs';
import type { ContainerEngine } from '../engine/engine.js';
import { BuildError, VerificationError } from '../errors.js';
import { type BuildContainerInput, type SandboxPolicy, SandboxPaths, buildContainerSpec } from './policy.js';
import type { ResourceTracker } from './resource-tracker.js';
import { type SourceTreeOptions, packSourceTree } from './source-tree.js';
import { explainGoBuildFailure } from './build-failure.js';
import { packOutputDirectory } from './work-area.js';

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
  await engine.createVolume(request.volume, spec.labels);
  tracker.addVolume(request.volume);
  let containerId: string | undefined;
  try {
    containerId = await engine.createContainer(spec);
    tracker.addContainer(containerId);
    await engine.putArchive(containerId, SandboxPaths.work, packOutputDirectory(policy));
    await engine.putArchive(containerId, SandboxPaths.work, packSourceTree(request.moduleDir, request.sourceOptions));
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
    if (containerId !== undefined) await tracker.removeContainer(containerId).catch(() => undefined);
    await tracker.removeVolume(request.volume).catch(() => undefined);
  }
}

/**
 * Accepts exactly one regular file of the expected name and bounded size from the container's archive;
 * links, directories, devices and anything else are refused, never followed or written.
 */
async function copyOutOfContainer(
  engine: ContainerEngine,
  containerId: string,
  containerPath: string,
  request: SandboxBuildRequest,
): Promise<void> {
  const expected = path.posix.basename(containerPath);
  const receiving = `${request.hostOutputPath}.receiving`;
  await fs.remove(receiving);
  await fs.mkdirp(receiving);
  const problems: string[] = [];
  let accepted = 0;
  try {
    const archive = await engine.getArchive(containerId, containerPath);
    await pipeline(
      archive,
      tarFs.extract(receiving, {
        ignore: (_name, header) => {
          if (!header) return true;
          if (header.name !== expected || header.type !== 'file') {
            problems.push(`unexpected ${header.type} ${JSON.stringify(header.name)}`);
            return true;
          }
          if ((header.size ?? 0) > request.maxOutputBytes) {
            problems.push(`${expected} is ${header.size} bytes, over the ${request.maxOutputBytes}-byte limit`);
            return true;
          }
          accepted++;
          return false;
        },
        readable: true,
        writable: true,
      }),
    );
    if (problems.length > 0 || accepted !== 1) {
      throw new VerificationError(`the sandbox returned an unacceptable output for ${request.label}: ${problems[0] ?? 'no file'}`, {
        hint: 'only one regular file, the binary, may come out of a build; check the module for build hooks that write outputs',
      });
    }
    await fs.rename(path.join(receiving, expected), request.hostOutputPath);
  } finally {
    await fs.remove(receiving);
  }
}
