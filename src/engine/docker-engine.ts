import type Docker from 'dockerode';
import os from 'node:os';
import type { Readable } from 'node:stream';
import { EngineError, InputError } from '../errors.js';
import { toDockerCreateBody } from './docker-create-options.js';
import { demuxDockerLogs } from './docker-log-frames.js';
import type {
  ContainerEngine,
  ContainerExit,
  ContainerLogs,
  ContainerSpec,
  ContainerSummary,
  EngineInfo,
  ExecRequest,
  ExecResult,
  ImageBuildOptions,
} from './engine.js';

function statusCode(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'statusCode' in error
    ? (error as { statusCode?: number }).statusCode
    : undefined;
}

function engineMessage(error: unknown): string {
  const json = (error as { json?: { message?: string } }).json;
  const message = json?.message ?? (error as Error).message ?? String(error);
  return message.replace(/^\(HTTP code \d+\) [a-z ]+ - /, '').trim();
}

/** Seconds of silence after which a request to the engine is abandoned (AIRLOCK_ENGINE_TIMEOUT, default 60). */
export function engineTimeoutMs(env: NodeJS.ProcessEnv): number {
  const value = env.AIRLOCK_ENGINE_TIMEOUT;
  if (value === undefined || value === '') return 60_000;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new InputError(`AIRLOCK_ENGINE_TIMEOUT=${value} is not a number of seconds`, { hint: 'set it to a positive number, e.g. 60' });
  }
  return seconds * 1000;
}

let requestTimeoutMs = 60_000;

/** Turns whatever the engine client throws into an EngineError naming what airlock was doing. */
async function engineCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await call();
  } catch (error) {
    if (error instanceof EngineError) throw error;
    if (Date.now() - started >= requestTimeoutMs - 100) {
      throw new EngineError(`the container engine stopped answering: no reply within ${requestTimeoutMs / 1000}s while trying to ${what}`, {
        hint: 'check the engine (`airlock doctor`); AIRLOCK_ENGINE_TIMEOUT sets how long to wait',
        cause: error,
      });
    }
    throw new EngineError(`the container engine failed to ${what}: ${engineMessage(error)}`, {
      hint: 'check the engine with `airlock doctor`; run with --debug for details',
      cause: error,
    });
  }
}

function labelFilters(labels: Record<string, string>): string {
  return JSON.stringify({ label: Object.entries(labels).map(([key, value]) => `${key}=${value}`) });
}

function timeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(onTimeout()), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Build output beyond this is dropped unless the request asks for more (ExecRequest.maxOutputBytes). */
const MAX_EXEC_OUTPUT_BYTES = 4 * 1024 * 1024;

/** Collects a stream's bytes, keeping at most `limit` (the first frames and the rest dropped). */
function collectBounded(stream: NodeJS.ReadableStream, limit: number): { done: Promise<Buffer>; sofar: () => Buffer } {
  const chunks: Buffer[] = [];
  let size = 0;
  const sofar = () => Buffer.concat(chunks);
  const done = new Promise<Buffer>((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      if (size >= limit) return;
      chunks.push(chunk);
      size += chunk.length;
    });
    stream.on('end', () => resolve(sofar()));
    stream.on('close', () => resolve(sofar()));
    stream.on('error', () => resolve(sofar()));
  });
  return { done, sofar };
}

/** Reads a build stream to its end; the engine reports failures as JSON lines while the HTTP status is 200. */
export async function readBuildStream(stream: NodeJS.ReadableStream): Promise<string[]> {
  const output: string[] = [];
  let pending = '';
  let failure: string | undefined;
  const handleLine = (line: string): void => {
    if (line.trim() === '') return;
    let event: { stream?: string; error?: string; errorDetail?: { message?: string } };
    try {
      event = JSON.parse(line) as typeof event;
    } catch {
      return;
    }
    if (event.error || event.errorDetail) failure ??= event.errorDetail?.message ?? event.error ?? 'unknown error';
    if (event.stream) output.push(...event.stream.split('\n').filter((text) => text.trim() !== ''));
  };
  for await (const chunk of stream) {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    lines.forEach(handleLine);
  }
  handleLine(pending);
  if (failure !== undefined) {
    throw new EngineError(`the engine could not build the sandbox image: ${failure}`, {
      hint: 'run with --debug for the whole build output',
      details: output.slice(-20).join('\n'),
    });
  }
  return output;
}

export class DockerEngine implements ContainerEngine {
  private kind: 'docker' | 'podman' = 'docker';

  constructor(
    private readonly docker: Docker,
    readonly endpoint: string,
    /** Stamped on every container and volume this process creates (LABEL_OWNER), so it can be told whose they are. */
    private readonly owner: string = defaultOwner(),
  ) {}

  async info(): Promise<EngineInfo> {
    const [version, info] = await engineCall('report its version', () => Promise.all([this.docker.version(), this.docker.info()]));
    const components = (version as { Components?: Array<{ Name?: string }> }).Components ?? [];
    this.kind = components.some((component) => /podman/i.test(component.Name ?? '')) ? 'podman' : 'docker';
    const securityOptions: string[] = (info as { SecurityOptions?: string[] }).SecurityOptions ?? [];
    return {
      kind: this.kind,
      version: version.Version,
      apiVersion: version.ApiVersion,
      os: version.Os,
      arch: version.Arch,
      seccomp: securityOptions.some((option) => option.includes('name=seccomp')),
      rootless: securityOptions.some((option) => option.includes('name=rootless')),
      cgroupVersion: String((info as { CgroupVersion?: string }).CgroupVersion ?? 'unknown'),
      securityOptions,
      limits: {
        memory: (info as { MemoryLimit?: boolean }).MemoryLimit !== false,
        pids: (info as { PidsLimit?: boolean }).PidsLimit !== false,
        cpu: (info as { CpuCfsQuota?: boolean }).CpuCfsQuota !== false,
      },
      userNamespaces: securityOptions.some((option) => option.includes('name=userns')),
    };
  }

  async imageExists(reference: string): Promise<boolean> {
    try {
      await this.docker.getImage(reference).inspect();
      return true;
    } catch (error) {
      if (statusCode(error) === 404) return false;
      throw error;
    }
  }

  async imageId(reference: string): Promise<string> {
    const image = await engineCall(`inspect the image ${reference}`, () => this.docker.getImage(reference).inspect());
    return image.Id;
  }

  async buildImage(context: Readable, options: ImageBuildOptions): Promise<void> {
    const stream = await engineCall('start the image build', () => this.docker.buildImage(context, {
      t: options.tag,
      labels: options.labels,
      rm: true,
      forcerm: true,
      nocache: false,
    }));
    await readBuildStream(stream);
  }

  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    await engineCall(`create the volume ${name}`, () => this.docker.createVolume({ Name: name, Labels: { ...labels, [LABEL_OWNER]: this.owner } }));
  }

  async removeVolume(name: string): Promise<void> {
    try {
      await this.docker.getVolume(name).remove();
    } catch (error) {
      if (statusCode(error) !== 404) throw error;
    }
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    const body = toDockerCreateBody({ ...spec, labels: { ...spec.labels, [LABEL_OWNER]: this.owner } }, this.kind);
    const container = await engineCall(`create the container ${spec.name}`, () => this.docker.createContainer(body));
    return container.id;
  }

  async putArchive(containerId: string, path: string, tar: Readable): Promise<void> {
    await engineCall('copy the source into the container', () =>
      this.docker.getContainer(containerId).putArchive(tar, { path, noOverwriteDirNonDir: true }),
    );
  }

  async start(containerId: string): Promise<void> {
    await engineCall('start the build container', () => this.docker.getContainer(containerId).start());
  }

  async wait(containerId: string, timeoutMs: number): Promise<ContainerExit> {
    const container = this.docker.getContainer(containerId);
    // Polling inspect rather than the long-poll /wait: every request then gets an answer within the engine
    // timeout, so an engine that stops answering is noticed (and Podman's /wait busy-loops on some versions).
    // Often at first (a warm build ends in about a second), then every 250 ms.
    let finished = false;
    const started = Date.now();
    const exited = (async () => {
      for (;;) {
        const state = (await engineCall('report on the build container', () => container.inspect())).State;
        if (!state.Running || finished) return state.ExitCode;
        await new Promise((resolve) => setTimeout(resolve, Date.now() - started < 3000 ? 40 : 250));
      }
    })();
    exited.catch(() => undefined);
    let timedOut = false;
    let exitCode: number;
    try {
      exitCode = await timeout(exited, timeoutMs, () => new Error('timeout'));
    } catch (error) {
      finished = true;
      if ((error as Error).message !== 'timeout') throw error;
      timedOut = true;
      await container.kill().catch(() => undefined);
      exitCode = (await engineCall('report on the build container', () => container.inspect())).State.ExitCode;
    }
    const state = (await engineCall('report on the build container', () => container.inspect())).State;
    return { exitCode, timedOut, oomKilled: Boolean(state.OOMKilled) };
  }

  async logs(containerId: string): Promise<ContainerLogs> {
    const raw = (await engineCall('read the build output', () =>
      this.docker.getContainer(containerId).logs({ stdout: true, stderr: true, follow: false }),
    )) as unknown;
    return demuxDockerLogs(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)));
  }

  async exec(containerId: string, request: ExecRequest, timeoutMs: number): Promise<ExecResult> {
    const container = this.docker.getContainer(containerId);
    const exec = await engineCall('start a build in the sandbox', () =>
      container.exec({
        Cmd: request.command,
        Env: Object.entries(request.env).map(([key, value]) => `${key}=${value}`),
        User: request.user,
        WorkingDir: request.workingDir,
        AttachStdin: false,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
      }),
    );
    const stream = (await engineCall('start a build in the sandbox', () => exec.start({ hijack: true, stdin: false }))) as unknown as NodeJS.ReadableStream & {
      setTimeout?: (ms: number) => void;
      destroy?: () => void;
    };
    // A build may be silent for minutes: the output stream must not count as an idle request. The engine's
    // liveness is watched by the polling below instead, one short request at a time.
    stream.setTimeout?.(0);
    const output = collectBounded(stream, request.maxOutputBytes ?? MAX_EXEC_OUTPUT_BYTES);
    // Whatever happens, the stream is closed: with its idle timeout off, an open one would keep airlock alive.
    try {
      const started = Date.now();
      let exitCode: number | undefined;
      let timedOut = false;
      let streamEnded = false;
      void output.done.then(() => (streamEnded = true));
      for (;;) {
        // The output stream ends when the process does; until then the engine is asked about it once a second,
        // which also notices an engine that stopped answering (every request has the idle timeout).
        const remaining = timeoutMs - (Date.now() - started);
        if (!streamEnded && remaining > 0) await timeout(output.done, Math.min(1000, remaining), () => new Error('tick')).catch(() => undefined);
        const state = await engineCall('report on a build in the sandbox', () => exec.inspect());
        if (!state.Running && state.ExitCode !== null && state.ExitCode !== undefined) {
          exitCode = state.ExitCode;
          break;
        }
        if (Date.now() - started >= timeoutMs) {
          timedOut = true;
          break;
        }
        // The stream has ended but the engine has not yet recorded the exit: ask again shortly.
        if (streamEnded) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // The stream ends with the process; a little grace for the last frames, never a wait on a stuck engine.
      const bytes = await timeout(output.done, timedOut ? 200 : 2000, () => new Error('late')).catch(() => output.sofar());
      return { ...demuxDockerLogs(bytes), exitCode, timedOut };
    } finally {
      stream.destroy?.();
    }
  }

  async holdStdin(containerId: string): Promise<{ release(): void }> {
    const socket = (await engineCall('attach to the sandbox worker', () =>
      this.docker.getContainer(containerId).attach({ stream: true, stdin: true, stdout: false, stderr: false, hijack: true }),
    )) as unknown as NodeJS.ReadWriteStream & { setTimeout?: (ms: number) => void; unref?: () => void; destroy?: () => void; on(event: string, listener: () => void): unknown };
    // Silent by design: no idle timeout, and it never keeps airlock running by itself.
    socket.setTimeout?.(0);
    socket.unref?.();
    socket.on('error', () => undefined);
    return { release: () => socket.destroy?.() };
  }

  async getArchive(containerId: string, path: string): Promise<Readable> {
    return (await engineCall('copy the binary out of the container', () =>
      this.docker.getContainer(containerId).getArchive({ path }),
    )) as unknown as Readable;
  }

  async removeContainer(containerId: string): Promise<void> {
    try {
      await this.docker.getContainer(containerId).remove({ force: true, v: true });
    } catch (error) {
      if (statusCode(error) !== 404) throw error;
    }
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerSummary[]> {
    const containers = await engineCall('list containers', () => this.docker.listContainers({ all: true, filters: labelFilters(labels) }));
    return containers.map((container) => ({
      id: container.Id,
      names: container.Names,
      state: container.State,
      labels: container.Labels,
    }));
  }

  async listImages(labels: Record<string, string>): Promise<Array<{ id: string; tags: string[] }>> {
    const images = await engineCall('list images', () => this.docker.listImages({ filters: labelFilters(labels) }));
    return images.map((image) => ({ id: image.Id, tags: image.RepoTags ?? [] }));
  }

  async removeImage(id: string): Promise<boolean> {
    try {
      await this.docker.getImage(id).remove();
      return true;
    } catch (error) {
      if (statusCode(error) === 409) return false;
      if (statusCode(error) === 404) return true;
      throw new EngineError(`the container engine failed to remove the image ${id}: ${engineMessage(error)}`, { cause: error });
    }
  }

  async volumeSizes(): Promise<Map<string, number>> {
    // GET /system/df: Docker and Podman's compatible API both report UsageData.Size per volume (-1: not measured).
    const usage = (await engineCall('measure its volumes', () => this.docker.df())) as { Volumes?: Array<{ Name?: string; UsageData?: { Size?: number } | null }> | null };
    const sizes = new Map<string, number>();
    for (const volume of usage.Volumes ?? []) {
      const size = volume.UsageData?.Size;
      if (volume.Name !== undefined && typeof size === 'number' && size >= 0) sizes.set(volume.Name, size);
    }
    return sizes;
  }

  async listVolumes(labels: Record<string, string>): Promise<string[]> {
    const result = await engineCall('list volumes', () => this.docker.listVolumes({ filters: labelFilters(labels) }));
    return (result.Volumes ?? []).map((volume) => volume.Name);
  }
}

/** Describes where the engine is expected, for messages. */
export function engineEndpoint(env: NodeJS.ProcessEnv): string {
  return env.DOCKER_HOST ? `DOCKER_HOST=${env.DOCKER_HOST}` : 'unix:///var/run/docker.sock';
}

/**
 * Connects to the engine named by DOCKER_HOST (and DOCKER_TLS_VERIFY / DOCKER_CERT_PATH), else the local
 * socket, and checks it answers within a bounded time.
 */
/**
 * The label naming who created a container or volume: AIRLOCK_OWNER when set (a CI job's id, say), else this
 * host and process. Nothing is decided by it; it says whose a leftover is (`docker ps --filter label=...`).
 */
export const LABEL_OWNER = 'airlock.owner';

function defaultOwner(): string {
  return `${os.hostname()}/${process.pid}`;
}

export function ownerOf(env: NodeJS.ProcessEnv): string {
  const owner = env.AIRLOCK_OWNER;
  if (owner === undefined || owner === '') return defaultOwner();
  if (owner.length > 200 || /[\0-\x1f\x7f]/.test(owner)) {
    throw new InputError('AIRLOCK_OWNER must be one line of at most 200 characters', { hint: 'set it to a plain name, such as the CI job id' });
  }
  return owner;
}

export async function connectEngine(env: NodeJS.ProcessEnv = process.env, pingTimeoutMs = 10_000): Promise<DockerEngine> {
  const endpoint = engineEndpoint(env);
  const hint = env.DOCKER_HOST
    ? 'start the engine DOCKER_HOST points at, or unset DOCKER_HOST to use the local one'
    : 'start an engine (`sudo .ci/bootstrap.sh` installs and starts one) or set DOCKER_HOST';
  requestTimeoutMs = engineTimeoutMs(env);
  let docker: Docker;
  try {
    // Loaded here, not at the top: the engine client is the largest thing airlock loads, and only the
    // commands that talk to an engine need it.
    const { default: DockerClient } = await import('dockerode');
    docker = new DockerClient({ timeout: requestTimeoutMs });
  } catch (error) {
    throw new EngineError(`cannot use the container engine at ${endpoint}: ${(error as Error).message}`, { hint, cause: error });
  }
  try {
    await timeout(docker.ping(), pingTimeoutMs, () => new Error(`no answer within ${pingTimeoutMs / 1000}s`));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new EngineError(`no container engine answers at ${endpoint} (${reason})`, { hint, cause: error });
  }
  const engine = new DockerEngine(docker, endpoint, ownerOf(env));
  await engine.info();
  return engine;
}
