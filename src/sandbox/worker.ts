import type { Readable } from 'node:stream';
import path from 'node:path';
import type { ContainerEngine, ContainerLogs, ContainerPlacement, ExecRequest, ExecResult } from '../engine/engine.js';
import { BuildError, EngineError, InterruptedError, VerificationError } from '../errors.js';
import { type GoBuildCommand, type SandboxPolicy, SandboxPaths, type WorkerContainerInput, buildExecRequest, workerContainerSpec } from './policy.js';
import type { ResourceTracker } from './resource-tracker.js';
import { explainGoBuildFailure } from './build-failure.js';
import { type LimitDiagnosis, type SandboxLimit, diagnoseLimitFailure, scratchOverrunDiagnosis, timeoutDiagnosis } from './limit-failure.js';
import type { ScratchGuard, ScratchOverrun } from './scratch-guard.js';
import { outputDirectoryPack, scratchDirectoriesPack } from './work-area.js';
import { type ReceivedOutput, receiveOutput } from './receive-output.js';

/** The source and a module set's cache come in shared read-only volumes the run filled once (shared-volumes.ts). */
export interface WorkerOpenRequest extends WorkerContainerInput {
  sourceVolume: string;
}

export interface WorkerBuildRequest {
  /** The go command to run, as resolved for the job (and recorded in its provenance). */
  command: GoBuildCommand;
  /** The binary's name in the sandbox's output directory (the command's -o). */
  outputName: string;
  /** GOCACHE is the persistent cache volume: it is watched with the scratch and not emptied after the build. */
  persistentCache?: boolean;
  /** Where the binary is written on the host; its directory must exist. */
  hostOutputPath: string;
  maxOutputBytes: number;
  label: string;
}

/** A go vet or go test run in a worker (`airlock test`). */
export interface WorkerCommandRequest {
  command: GoBuildCommand;
  /** How messages name the command: "go vet", "go test". */
  action: string;
  label: string;
  persistentCache?: boolean;
  /**
   * Leave GOCACHE as it is for the worker's next command of the same run (go vet, then go test, compile the
   * same packages). The worker's scratch volume goes with it at the end of the run, as always.
   */
  keepBuildCache?: boolean;
  /** The most of its output kept: a test run's JSON stream can be large. */
  maxOutputBytes: number;
}

/** A build the sandbox stopped for exceeding one of the policy's limits. */
export class SandboxLimitError extends BuildError {
  readonly limit: SandboxLimit;

  constructor(diagnosis: LimitDiagnosis, details?: string) {
    super(diagnosis.message, { hint: diagnosis.hint, ...(details ? { details } : {}) });
    this.limit = diagnosis.limit;
  }
}

/**
 * One sandbox container of a toolchain's image, with the module's source in its work volume, in which builds
 * run one at a time through the engine's exec API. Every build runs under the container's confinement (the
 * policy: user, seccomp, no capabilities, no network, read-only root, limits), exactly as a container of its
 * own would; what a worker saves is creating, filling, starting and removing a container per target.
 *
 * A worker that timed out, ran out of memory or lost its engine is no longer `usable` and is removed; the
 * next build gets a fresh one. Without a persistent cache, the build cache in the tmpfs is emptied after
 * every build, so each build starts as cold as in a fresh container.
 */
export class SandboxWorker {
  private broken = false;
  private closed = false;
  /** Set when the scratch guard saw this worker's build write past sandbox.scratchMiB. */
  private overrun: ScratchOverrun | undefined;
  /** Binaries still being copied out: closing waits for them. */
  private readonly pending = new Set<Promise<unknown>>();

  private constructor(
    private readonly engine: ContainerEngine,
    private readonly tracker: ResourceTracker,
    private readonly policy: SandboxPolicy,
    readonly name: string,
    private readonly volume: string,
    private readonly scratchVolume: string,
    private readonly cacheVolume: string | undefined,
    private readonly containerId: string,
    private readonly stdin: { release(): void },
    private readonly guard: ScratchGuard | undefined,
  ) {}

  /**
   * Creates the worker's own volumes and the container, makes its output and scratch directories and starts the
   * container; the source and modules are in the run's shared volumes already. With a guard, every build's scratch (and the build cache volume, with --cache) is held to sandbox.scratchMiB.
   */
  static async open(engine: ContainerEngine, tracker: ResourceTracker, policy: SandboxPolicy, request: WorkerOpenRequest, guard?: ScratchGuard): Promise<SandboxWorker> {
    const spec = workerContainerSpec(policy, request);
    let containerId: string | undefined;
    let stdin: { release(): void } | undefined;
    try {
      await tracker.createVolume(request.volume, spec.labels);
      await tracker.createVolume(request.scratchVolume, spec.labels);
      containerId = await tracker.createContainer(spec);
      await engine.putArchive(containerId, SandboxPaths.work, outputDirectoryPack(policy));
      await engine.putArchive(containerId, SandboxPaths.scratch, scratchDirectoriesPack(policy));
      // Attached before the start, so there is no moment when the worker could outlive airlock.
      stdin = await engine.holdStdin(containerId);
      await engine.start(containerId);
      return new SandboxWorker(engine, tracker, policy, spec.name, request.volume, request.scratchVolume, request.cacheVolume, containerId, stdin, guard);
    } catch (error) {
      stdin?.release();
      // A removal that fails leaves the resource tracked: the run's final clean-up retries and reports it.
      if (containerId !== undefined) await tracker.removeContainer(spec.name).catch(() => undefined);
      await tracker.removeVolume(request.volume).catch(() => undefined);
      await tracker.removeVolume(request.scratchVolume).catch(() => undefined);
      throw error;
    }
  }

  get usable(): boolean {
    return !this.broken && !this.closed;
  }

  /**
   * Runs one go build, or throws what went wrong. The binary then comes out to the host in the background
   * (`output`), while the worker may already take its next build: copying out is mostly the engine's time.
   */
  async build(request: WorkerBuildRequest): Promise<{ logs: ContainerLogs; output: Promise<ReceivedOutput>; placement?: ContainerPlacement }> {
    const exec = buildExecRequest(this.policy, request.command);
    const result = await this.execute(exec, request, 'go build');
    const logs = { stdout: result.stdout, stderr: result.stderr };
    if (result.exitCode !== 0) {
      if (!request.persistentCache) await this.emptyBuildCache(exec);
      throw new BuildError(`go build of ${request.label} failed (exit status ${result.exitCode})`, {
        hint: explainGoBuildFailure(logs.stderr),
        details: [logs.stderr, logs.stdout].filter((text) => text.trim() !== '').join('\n'),
      });
    }
    const output = this.copyOut(`${SandboxPaths.output}/${request.outputName}`, request);
    this.pending.add(output);
    void output.catch(() => undefined).finally(() => this.pending.delete(output));
    if (!request.persistentCache) await this.emptyBuildCache(exec);
    const placement = this.engine.placement?.(this.containerId);
    return { logs, output, ...(placement ? { placement } : {}) };
  }

  /**
   * Runs one go command that makes no binary (go vet, go test) and returns what it printed and its exit
   * status, which is the caller's to judge: a failing test is a result, not an error. Only the sandbox's
   * limits, an interrupt or the engine end it with an error, as for a build.
   */
  async runCommand(request: WorkerCommandRequest): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const exec = { ...buildExecRequest(this.policy, request.command), maxOutputBytes: request.maxOutputBytes };
    const result = await this.execute(exec, request, request.action);
    if (!request.persistentCache && !request.keepBuildCache) await this.emptyBuildCache(exec);
    return { exitCode: result.exitCode!, stdout: result.stdout, stderr: result.stderr };
  }

  /**
   * One exec under the scratch guard: a timeout, a limit the output shows (read from stderr only: a test's
   * own output is in the -json stream on stdout) or a scratch overrun breaks the worker and throws.
   */
  private async execute(exec: ExecRequest, request: { label: string; persistentCache?: boolean }, action: string): Promise<ExecResult> {
    if (!this.usable) throw new Error(`sandbox worker ${this.name} is no longer usable`);
    let result: ExecResult;
    // Only removing the container stops a build: that is what the guard does when the scratch overruns.
    const unwatch = this.guard?.watch([this.scratchVolume, ...(request.persistentCache && this.cacheVolume ? [this.cacheVolume] : [])], this.policy.scratchBytes, (overrun) => {
      this.overrun = overrun;
      this.broken = true;
      void this.close();
    });
    try {
      result = await this.engine.exec(this.containerId, exec, this.policy.timeoutSeconds * 1000);
    } catch (error) {
      this.broken = true;
      if (this.overrun) throw this.scratchOverrunError(request.label, undefined, action);
      throw this.tracker.isClosed ? stoppedByCleanUp() : error;
    } finally {
      unwatch?.();
    }
    if (this.overrun) throw this.scratchOverrunError(request.label, result.stderr, action);
    if (this.tracker.isClosed) {
      this.broken = true;
      throw stoppedByCleanUp();
    }
    if (result.timedOut) {
      this.broken = true;
      await this.close();
      throw new SandboxLimitError(timeoutDiagnosis(this.policy, request.label, action), result.stderr);
    }
    const limit = result.exitCode !== 0 ? diagnoseLimitFailure(result, this.policy, request.label, action) : undefined;
    if (limit) {
      // A worker that hit a limit may be in any state (a killed compiler's files, a full scratch): it goes.
      this.broken = true;
      await this.close();
      throw new SandboxLimitError(limit, result.stderr);
    }
    return result;
  }

  /** Removes the container and its volumes; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.pending]);
    this.stdin.release();
    await this.tracker.removeContainer(this.name).catch(() => undefined);
    await Promise.all([this.volume, this.scratchVolume].map((volume) => this.tracker.removeVolume(volume).catch(() => undefined)));
  }

  private scratchOverrunError(label: string, stderr?: string, action = 'go build'): SandboxLimitError {
    return new SandboxLimitError(scratchOverrunDiagnosis(this.overrun!, label, this.cacheVolume, action), stderr);
  }

  /** The next build starts with an empty cache, as in a fresh container, and the tmpfs does not fill up. */
  private async emptyBuildCache(build: ExecRequest): Promise<void> {
    if (!this.usable) return;
    try {
      const cleaned = await this.engine.exec(this.containerId, { ...build, command: [`${SandboxPaths.goroot}/bin/go`, 'clean', '-cache'] }, 60_000);
      if (cleaned.timedOut || cleaned.exitCode !== 0) this.broken = true;
    } catch {
      this.broken = true;
    }
  }

  /**
   * Takes the binary out of the container: exactly one regular file of the expected name and bounded size is
   * accepted from the engine's archive (see receive-output.ts); links, directories, devices and anything else
   * are refused, never followed or written. A build that exits 0 without writing its output is refused too.
   */
  private async copyOut(containerPath: string, request: WorkerBuildRequest): Promise<ReceivedOutput> {
    let archive: Readable;
    try {
      archive = await this.engine.getArchive(this.containerId, containerPath);
    } catch (error) {
      // 404 is also the answer for a container that has gone: only a missing path is the build's doing.
      if (error instanceof EngineError && statusCodeOf(error.cause) === 404 && !/no such container/i.test(error.message)) {
        throw new VerificationError(`the sandbox returned an unacceptable output for ${request.label}: no file (go build exited 0 but ${containerPath} does not exist)`, {
          hint: 'only one regular file, the binary, may come out of a build; check the toolchain, which claimed success without writing it',
        });
      }
      this.broken = true;
      throw error;
    }
    return receiveOutput(archive, {
      expectedName: path.posix.basename(containerPath),
      maxBytes: request.maxOutputBytes,
      destination: request.hostOutputPath,
      label: request.label,
    });
  }
}

/** A build in a worker of its own, removed afterwards: for builds that must start in a fresh container. */
export async function runInFreshWorker(
  engine: ContainerEngine,
  tracker: ResourceTracker,
  policy: SandboxPolicy,
  open: WorkerOpenRequest,
  build: WorkerBuildRequest,
  guard?: ScratchGuard,
): Promise<ContainerLogs> {
  const worker = await SandboxWorker.open(engine, tracker, policy, open, guard);
  try {
    const { logs, output } = await worker.build(build);
    await output;
    return logs;
  } finally {
    await worker.close();
  }
}

/** Clean-up (an interrupt) removed the container under the build: that, not the build, is what ended it. */
function stoppedByCleanUp(): InterruptedError {
  return new InterruptedError('the run is being cleaned up; the build was stopped');
}

function statusCodeOf(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}
