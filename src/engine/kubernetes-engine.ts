import type { Attach as AttachClass, CoreV1Api, Exec as ExecClass, KubeConfig, NetworkingV1Api, V1Pod, V1Status } from '@kubernetes/client-node';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type AirlockError, EngineError, InputError, oneLine } from '../errors.js';
import { canonicalJson } from '../util/canonical-json.js';
import { sha256Hex } from '../util/hash.js';
import { LABEL_OWNER } from './docker-engine.js';
import type {
  ContainerEngine,
  ContainerExit,
  ContainerLogs,
  ContainerPlacement,
  ContainerSpec,
  ContainerSummary,
  EngineInfo,
  ExecRequest,
  ExecResult,
  ImageBuildOptions,
  OciImageUse as KubernetesImage,
} from './engine.js';
import { execArguments, execExitCode } from './kubernetes-exec.js';
import { type SpooledTar, composeFillArchive, fillParts, volumeAt } from './kubernetes-fill.js';
import { kubernetesLabels, labelSelector, labelValue, matchesLabels } from './kubernetes-labels.js';
import { FILE_HELPER_PATH, FILL_CONTAINER, SANDBOX_CONTAINER, denyAllNetworkPolicy, sandboxPod } from './kubernetes-pod.js';
import { type PodProblem, podProgress } from './kubernetes-pod-status.js';

/** The label every container of one run carries (sandbox/policy.ts LABEL_RUN): a run's pods share one NetworkPolicy. */
const RUN_LABEL = 'airlock.run';
const MANAGED_LABEL = 'airlock.managed';

/** What the identity in the kubeconfig must be allowed in the namespace, for messages. */
export const KUBERNETES_PERMISSIONS =
  'create, get, list and delete pods; get and create pods/attach and pods/exec (the WebSocket upgrade is authorised as get); get pods/log; create and delete networkpolicies';

export interface KubernetesEngineSettings {
  namespace: string;
  /** Stamped on every pod and policy (airlock.owner), as the Docker engine stamps containers. */
  owner: string;
  /** A RuntimeClass whose pods have no network, when the cluster has one. */
  runtimeClassName?: string;
  /**
   * The longest a pod lives, whatever happens to airlock: a backstop, since a pod does not end with the
   * process that made it (see holdStdin). airlock deletes its pods itself when a run ends or is interrupted.
   */
  podDeadlineSeconds: number;
  /** How long a pod may take from creation to running (image, scheduling, fill). */
  startTimeoutMs: number;
  /** The registry the cluster pulls the sandbox image from (--registry), when it does not have it imported. */
  registry?: string;
}

/** The sandbox image as a pod names it: pushed to a registry or imported on the nodes, by digest. */

interface RecordedContainer {
  spec: ContainerSpec;
  /** Tars put into the container at paths no volume covers. */
  own: SpooledTar[];
  /** Set by start: resolves once the pod object exists (or could not be made). */
  created?: Promise<void>;
  /** Whether this container holds a share of its run's NetworkPolicy. */
  holdsPolicy?: boolean;
  removed?: boolean;
  /** sha256 of the canonical JSON of the pod spec sent, set by start. */
  podSpecDigest?: string;
  /** The node the pod runs on, once it runs. */
  node?: string;
}

/** The part of the client's WebSocket the engine uses. */
interface Socket {
  close(): void;
  on(event: 'close', listener: () => void): unknown;
  /** Bytes sent but not yet written to the network. */
  readonly bufferedAmount: number;
}

/** How much of the fill archive may wait in the socket's buffer. */
const FILL_SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

interface RecordedVolume {
  labels: Record<string, string>;
  tars: SpooledTar[];
}

interface RunPolicy {
  holders: number;
  exists: boolean;
  name?: string;
  /** Creations and deletions of the policy, one after the other. */
  chain: Promise<void>;
}

/** The message of whatever the client threw: an API status's message, else the error's own. */
export function kubernetesMessage(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
  }
  const message = (parsed as { message?: unknown } | undefined)?.message;
  if (typeof message === 'string') return oneLine(message);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return oneLine(((error as Error).message ?? String(error)).split('\n')[0]!);
}

export function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'number') return code;
  // A refused WebSocket upgrade (exec, attach) comes from the ws library as a message only.
  const refused = /Unexpected server response: (\d{3})/.exec((error as Error | undefined)?.message ?? '');
  return refused ? Number(refused[1]) : undefined;
}

/**
 * Turns what the client threw into airlock's error: forbidden and a missing namespace are the user's to fix
 * (exit 2, naming what is missing), anything else is the cluster's (exit 5).
 */
export function kubernetesError(what: string, namespace: string, error: unknown): AirlockError {
  if (error instanceof EngineError || error instanceof InputError) return error;
  const status = statusOf(error);
  const message = kubernetesMessage(error);
  if (status === 403) {
    return new InputError(`Kubernetes refused to ${what}: ${message.replace(/^Unexpected server response: 403$/, 'forbidden (403)')}`, {
      hint: `the identity in the kubeconfig needs, in the namespace ${namespace}: ${KUBERNETES_PERMISSIONS}`,
      cause: error,
    });
  }
  if (status === 404 && /namespaces? "[^"]*" not found/.test(message)) {
    return new InputError(`the namespace ${namespace} does not exist on the cluster`, {
      hint: 'create it (kubectl create namespace NAME, labelled pod-security.kubernetes.io/enforce=restricted), or pass --namespace / set AIRLOCK_K8S_NAMESPACE',
      cause: error,
    });
  }
  if (status === 401) {
    return new EngineError(`the Kubernetes API does not accept the kubeconfig's credentials (${message})`, { hint: 'renew the credentials in the kubeconfig', cause: error });
  }
  return new EngineError(`Kubernetes failed to ${what}: ${message}`, { hint: 'check the cluster (kubectl get pods); run with --debug for details', cause: error });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Build output beyond this is dropped unless the request asks for more (as the Docker engine does). */
const MAX_EXEC_OUTPUT_BYTES = 4 * 1024 * 1024;

/** stdout and stderr of one exec, kept up to one budget for both (the first bytes; the rest dropped). */
function boundedOutput(limit: number): { stdout: Writable; stderr: Writable; text(): ContainerLogs } {
  let size = 0;
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  const sink = (into: Buffer[]) =>
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (size < limit) {
          into.push(chunk);
          size += chunk.length;
        }
        callback();
      },
    });
  return {
    stdout: sink(chunks.stdout),
    stderr: sink(chunks.stderr),
    text: () => ({ stdout: Buffer.concat(chunks.stdout).toString('utf8'), stderr: Buffer.concat(chunks.stderr).toString('utf8') }),
  };
}

/**
 * The container engine on a Kubernetes cluster: every sandbox container is a Pod (kubernetes-pod.ts), reached
 * through the Kubernetes API only.
 *
 * Kubernetes shares no volume between pods, so a volume is emulated: the engine remembers it and the tars
 * airlock puts into it (through a never-started loader container, or into a container before its start),
 * spooled on this host; `start` then creates the pod and its fill container receives every mounted volume's
 * tars and the container's own as one stream (kubernetes-fill.ts). A volume is therefore as airlock filled it
 * in every pod that mounts it; what a pod writes stays in that pod (a persistent build cache does not
 * outlive its pod here). Builds run through exec in the `sandbox` container, with the file helper setting the
 * working directory and environment, and the binary comes out through the helper's `send`.
 */
export class KubernetesEngine implements ContainerEngine {
  readonly imageSource = 'oci-image' as const;
  private readonly images = new Map<string, KubernetesImage>();
  private readonly volumes = new Map<string, RecordedVolume>();
  private readonly containers = new Map<string, RecordedContainer>();
  private readonly policies = new Map<string, RunPolicy>();
  private spoolDir: string | undefined;

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly core: CoreV1Api,
    private readonly networking: NetworkingV1Api,
    private readonly clients: { Exec: typeof ExecClass; Attach: typeof AttachClass; handler: () => unknown },
    readonly endpoint: string,
    private readonly version: string,
    private readonly settings: KubernetesEngineSettings,
  ) {}

  get namespace(): string {
    return this.settings.namespace;
  }

  get imageRegistry(): string | undefined {
    return this.settings.registry;
  }

  placement(containerId: string): ContainerPlacement | undefined {
    const container = this.containers.get(containerId);
    if (!container?.podSpecDigest || !container.node) return undefined;
    return { executor: 'kubernetes', namespace: this.namespace, pod: containerId, node: container.node, podSpecDigest: container.podSpecDigest };
  }

  async info(): Promise<EngineInfo> {
    let arch = os.arch() === 'x64' ? 'amd64' : os.arch();
    try {
      const nodes = await this.core.listNode({ limit: 1 });
      arch = nodes.items[0]?.status?.nodeInfo?.architecture ?? arch;
    } catch {
      // Listing nodes is a cluster-wide permission a build identity need not have: the host's is assumed then.
    }
    return {
      kind: 'kubernetes',
      version: this.version,
      apiVersion: this.version,
      os: 'linux',
      arch,
      seccomp: true,
      rootless: false,
      cgroupVersion: 'unknown',
      securityOptions: [],
      limits: { memory: true, pids: false, cpu: true },
      userNamespaces: false,
    };
  }

  /** Makes the sandbox image written as an OCI image the one pods of `tag` run (ensure-image.ts). */
  useImage(tag: string, image: KubernetesImage): void {
    this.images.set(tag, image);
  }

  async imageExists(reference: string): Promise<boolean> {
    return this.images.has(reference);
  }

  async imageId(reference: string): Promise<string> {
    const image = this.images.get(reference);
    if (!image) throw new EngineError(`the sandbox image ${reference} has not been prepared for Kubernetes`);
    return image.digest;
  }

  async buildImage(_context: Readable, options: ImageBuildOptions): Promise<void> {
    throw new EngineError(`a Kubernetes cluster cannot build the image ${options.tag} from a Dockerfile`, { hint: 'this is a bug in airlock: the Kubernetes executor uses the OCI image airlock writes' });
  }

  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    if (!this.volumes.has(name)) this.volumes.set(name, { labels: { ...labels, [LABEL_OWNER]: this.settings.owner }, tars: [] });
  }

  async removeVolume(name: string): Promise<void> {
    const volume = this.volumes.get(name);
    this.volumes.delete(name);
    await Promise.all((volume?.tars ?? []).map((tar) => fs.rm(tar.file, { force: true })));
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    if (this.containers.has(spec.name)) throw new EngineError(`the container ${spec.name} exists already`);
    for (const volume of spec.volumes) {
      if (!this.volumes.has(volume.name)) throw new EngineError(`the volume ${volume.name} of ${spec.name} does not exist`);
    }
    this.containers.set(spec.name, { spec: { ...spec, labels: { ...spec.labels, [LABEL_OWNER]: this.settings.owner } }, own: [] });
    return spec.name;
  }

  async putArchive(containerId: string, containerPath: string, tar: Readable): Promise<void> {
    const container = this.container(containerId);
    if (container.created) {
      await this.receiveInRunningPod(containerId, containerPath, tar);
      return;
    }
    const file = await this.spool(tar);
    const target = volumeAt(container.spec, containerPath);
    if (target) this.volumes.get(target.volume)!.tars.push({ file, directory: target.directory });
    else container.own.push({ file, directory: containerPath });
  }

  async start(containerId: string): Promise<void> {
    const container = this.container(containerId);
    if (container.created) throw new EngineError(`the container ${containerId} was started already`);
    let markCreated!: () => void;
    container.created = new Promise<void>((resolve) => (markCreated = resolve));
    try {
      await this.acquirePolicy(container);
      if (container.removed) throw new EngineError(`the container ${containerId} was removed while starting`);
      const pod = sandboxPod({ ...container.spec, labels: kubernetesLabels(container.spec.labels) }, {
        namespace: this.namespace,
        image: this.imageFor(container.spec.image).reference,
        imagePullPolicy: this.imageFor(container.spec.image).pullPolicy,
        seccompProfile: container.spec.seccomp ? kubernetesSeccompProfileName(container.spec.seccomp.profileJson) : undefined,
        ...(this.settings.runtimeClassName ? { runtimeClassName: this.settings.runtimeClassName } : {}),
        activeDeadlineSeconds: this.settings.podDeadlineSeconds,
        ephemeralStorageBytes: ephemeralStorageFor(container.spec),
      });
      container.podSpecDigest = `sha256:${sha256Hex(canonicalJson(pod.spec ?? {}))}`;
      try {
        await this.core.createNamespacedPod({ namespace: this.namespace, body: pod });
      } catch (error) {
        throw kubernetesError(`create the pod ${containerId}`, this.namespace, error);
      }
    } finally {
      markCreated();
    }
    const startedAt = Date.now();
    await this.waitFor(containerId, 'filling', startedAt);
    await this.fill(containerId, container);
    await this.waitFor(containerId, 'running', startedAt);
  }

  async wait(containerId: string, _timeoutMs: number): Promise<ContainerExit> {
    throw new EngineError(`waiting for a container to exit (${containerId}) is not supported by the Kubernetes executor yet`);
  }

  async logs(containerId: string): Promise<ContainerLogs> {
    throw new EngineError(`reading a container's logs (${containerId}) is not supported by the Kubernetes executor yet`);
  }

  async exec(containerId: string, request: ExecRequest, timeoutMs: number): Promise<ExecResult> {
    const container = this.container(containerId);
    let args: string[];
    try {
      args = execArguments(container.spec, request);
    } catch (error) {
      throw new EngineError(`cannot run ${request.command[0] ?? 'the command'} in the pod ${containerId}: ${(error as Error).message}`);
    }
    const output = boundedOutput(request.maxOutputBytes ?? MAX_EXEC_OUTPUT_BYTES);
    return new Promise<ExecResult>((resolve, reject) => {
      let settled = false;
      let socket: { close(): void } | undefined;
      const finish = (result: ExecResult | Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket?.close();
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      // On the time limit the command is left running, as with Docker: only removing the pod stops it.
      const timer = setTimeout(() => finish({ ...output.text(), exitCode: undefined, timedOut: true }), timeoutMs);
      const onStatus = (status: V1Status) => {
        const code = execExitCode(status);
        // Output frames come before the status on the one socket: what was printed is all there.
        if ('exitCode' in code) finish({ ...output.text(), exitCode: code.exitCode, timedOut: false });
        else finish(new EngineError(`the command could not run in the pod ${containerId}: ${oneLine(code.failure)}`, { details: output.text().stderr }));
      };
      this.openExec(containerId, args, output.stdout, output.stderr, onStatus)
        .then((ws) => {
          socket = ws;
          if (settled) ws.close();
          ws.on('close', () => finish(new EngineError(`the exec in the pod ${containerId} ended without an exit status (was the pod removed?)`)));
        })
        .catch((error: unknown) => finish(kubernetesError(`run a command in the pod ${containerId} (pods/exec)`, this.namespace, error)));
    });
  }

  /**
   * A no-op. Docker ends a worker when airlock's attachment to its stdin goes; a pod does not end with the
   * process that made it, so here its lifetime is bounded by the pod's activeDeadlineSeconds (the backstop
   * when airlock dies without cleaning up) and by airlock deleting it when the run ends or is interrupted.
   */
  async holdStdin(_containerId: string): Promise<{ release(): void }> {
    return { release: () => undefined };
  }

  /**
   * The file as the helper's `send` streams it. Resolves on the stream's first bytes or the command's status,
   * so a file that is not there is an error here (with status 404, as the Docker engine's), not a broken tar.
   */
  async getArchive(containerId: string, containerPath: string): Promise<Readable> {
    const container = this.container(containerId);
    if (!container.created) throw new EngineError(`no file can be read from ${containerId}: its pod has not started`, { cause: { statusCode: 404 } });
    const archive = new PassThrough();
    let stderr = '';
    return new Promise<Readable>((resolve, reject) => {
      let answered = false;
      let ended = false;
      const fail = (error: Error) => {
        ended = true;
        if (!answered) {
          answered = true;
          reject(error);
        } else archive.destroy(error);
      };
      const stdout = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          if (!answered) {
            answered = true;
            resolve(archive);
          }
          archive.write(chunk, () => callback());
        },
      });
      const errors = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          if (stderr.length < 64 * 1024) stderr += chunk.toString('utf8');
          callback();
        },
      });
      const onStatus = (status: V1Status) => {
        const code = execExitCode(status);
        if ('exitCode' in code && code.exitCode === 0) {
          ended = true;
          // After the last bytes written: the Writable's callbacks ran in order.
          stdout.end(() => archive.end());
          if (!answered) {
            answered = true;
            resolve(archive);
          }
          return;
        }
        const reason = oneLine(stderr.trim().split('\n').at(-1) ?? ('failure' in code ? code.failure : ''));
        fail(
          new EngineError(`could not copy ${containerPath} out of the pod ${containerId}: ${reason}`, {
            ...(/no such file or directory/i.test(stderr) ? { cause: { statusCode: 404 } } : {}),
          }),
        );
      };
      this.openExec(containerId, [FILE_HELPER_PATH, 'send', containerPath], stdout, errors, onStatus)
        .then((ws) => ws.on('close', () => !ended && fail(new EngineError(`copying ${containerPath} out of the pod ${containerId} ended without a status`))))
        .catch((error: unknown) => fail(kubernetesError(`copy ${containerPath} out of the pod ${containerId} (pods/exec)`, this.namespace, error)));
    });
  }

  async removeContainer(containerId: string): Promise<void> {
    const container = this.containers.get(containerId);
    if (container) {
      container.removed = true;
      // A start under way: its pod may be being created; wait for that (not for the pod to run) and delete it.
      await container.created;
    }
    if (!container || container.created) {
      try {
        await this.core.deleteNamespacedPod({ name: containerId, namespace: this.namespace, gracePeriodSeconds: 0 });
      } catch (error) {
        if (statusOf(error) !== 404) throw kubernetesError(`delete the pod ${containerId}`, this.namespace, error);
      }
    }
    this.containers.delete(containerId);
    if (container) await Promise.all(container.own.map((tar) => fs.rm(tar.file, { force: true })));
    if (container?.holdsPolicy) {
      container.holdsPolicy = false;
      await this.releasePolicy(container);
    }
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerSummary[]> {
    try {
      const pods = await this.core.listNamespacedPod({ namespace: this.namespace, labelSelector: labelSelector(labels) });
      return pods.items.map((pod) => ({
        id: pod.metadata?.name ?? '',
        names: [pod.metadata?.name ?? ''],
        state: pod.status?.phase ?? 'Unknown',
        labels: pod.metadata?.labels ?? {},
      }));
    } catch (error) {
      throw kubernetesError('list pods', this.namespace, error);
    }
  }

  async listVolumes(labels: Record<string, string>): Promise<string[]> {
    return [...this.volumes].filter(([, volume]) => matchesLabels(volume.labels, labels)).map(([name]) => name);
  }

  /** None measured: a pod's disk is held by its ephemeral-storage limit, which the kubelet enforces by eviction. */
  async volumeSizes(): Promise<Map<string, number>> {
    return new Map();
  }

  async listImages(_labels: Record<string, string>): Promise<Array<{ id: string; tags: string[] }>> {
    return [];
  }

  async removeImage(_id: string): Promise<boolean> {
    return true;
  }

  private container(id: string): RecordedContainer {
    const container = this.containers.get(id);
    if (!container) throw new EngineError(`no such container: ${id}`, { cause: { statusCode: 404 } });
    return container;
  }

  private imageFor(tag: string): KubernetesImage {
    const image = this.images.get(tag);
    if (!image) throw new EngineError(`the sandbox image ${tag} has not been prepared for Kubernetes`, { hint: 'this is a bug in airlock: please report it' });
    return image;
  }

  private async spool(tar: Readable): Promise<string> {
    if (this.spoolDir === undefined) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'airlock-k8s-spool-'));
      this.spoolDir = dir;
      // The spooled tars are this process's alone; whatever happens, they go with it.
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    }
    const file = path.join(this.spoolDir, `${randomBytes(8).toString('hex')}.tar`);
    await pipeline(tar, createWriteStream(file, { mode: 0o600 }));
    return file;
  }

  private openExec(podName: string, command: string[], stdout: Writable, stderr: Writable, onStatus: (status: V1Status) => void): Promise<Socket> {
    const exec = new this.clients.Exec(this.kubeConfig, this.clients.handler() as never);
    return exec.exec(this.namespace, podName, SANDBOX_CONTAINER, command, stdout, stderr, null, false, onStatus) as unknown as Promise<Socket>;
  }

  /** putArchive into a pod that runs already: the helper's `receive` through exec, the tar on its stdin. */
  private async receiveInRunningPod(podName: string, containerPath: string, tar: Readable): Promise<void> {
    const output = boundedOutput(64 * 1024);
    await new Promise<void>((resolve, reject) => {
      const exec = new this.clients.Exec(this.kubeConfig, this.clients.handler() as never);
      exec
        .exec(this.namespace, podName, SANDBOX_CONTAINER, [FILE_HELPER_PATH, 'receive', containerPath], output.stdout, output.stderr, tar, false, (status) => {
          const code = execExitCode(status);
          if ('exitCode' in code && code.exitCode === 0) resolve();
          else reject(new EngineError(`could not copy files into ${containerPath} of the pod ${podName}: ${oneLine(output.text().stderr.trim() || ('failure' in code ? code.failure : `exit status ${code.exitCode}`))}`));
        })
        .catch((error: unknown) => reject(kubernetesError(`copy files into the pod ${podName} (pods/exec)`, this.namespace, error)));
    });
  }

  /** Streams the pod's first contents into its fill container and waits for it to have taken them. */
  private async fill(podName: string, container: RecordedContainer): Promise<void> {
    const volumeTars = new Map(container.spec.volumes.map((volume) => [volume.name, this.volumes.get(volume.name)?.tars ?? []]));
    const archive = composeFillArchive(fillParts(container.spec, volumeTars, container.own));
    // The client sends what its stdin gives as fast as it comes, into the socket's buffer: the archive is fed
    // to it only while that buffer is small, so a large source is never held in memory whole.
    const feed = new PassThrough();
    const attach = new this.clients.Attach(this.kubeConfig, this.clients.handler() as never);
    let socket: Socket;
    try {
      socket = (await attach.attach(this.namespace, podName, FILL_CONTAINER, null, null, feed, false)) as unknown as Socket;
    } catch (error) {
      archive.destroy();
      throw kubernetesError(`attach to the fill container of the pod ${podName} (pods/attach)`, this.namespace, error);
    }
    let stopped = false;
    void (async () => {
      try {
        for await (const chunk of archive) {
          while (!stopped && socket.bufferedAmount > FILL_SOCKET_BUFFER_BYTES) await sleep(5);
          if (stopped) return;
          feed.write(chunk);
        }
        feed.end();
      } catch {
        // An archive that cannot be read (a spooled file gone): closing the attachment ends the fill
        // container's input early, the helper refuses the cut stream, and waitFor reports the failed fill.
        socket.close();
      }
    })();
    try {
      await this.waitFor(podName, 'filled', Date.now());
    } finally {
      stopped = true;
      socket.close();
      archive.destroy();
    }
  }

  /**
   * Polls the pod until it reaches the state asked for, failing at once on a problem its status shows (the
   * image not on the node, a missing seccomp profile, no node for it, a fill that failed) and after the
   * start time-out otherwise.
   */
  private async waitFor(podName: string, until: 'filling' | 'filled' | 'running', since: number): Promise<void> {
    let delay = 100;
    for (;;) {
      if (this.containers.get(podName)?.removed) throw new EngineError(`the pod ${podName} was removed while starting`);
      let pod: V1Pod;
      try {
        pod = await this.core.readNamespacedPod({ name: podName, namespace: this.namespace });
      } catch (error) {
        throw kubernetesError(`read the pod ${podName}`, this.namespace, error);
      }
      const progress = podProgress(pod, Date.now() - since);
      if (progress.state === 'failed') throw await this.startFailure(podName, progress.problem);
      if (until === 'filling' && (progress.state === 'filling' || progress.state === 'running')) return;
      if (until === 'filled' && progress.state !== 'filling' && pod.status?.initContainerStatuses?.some((status) => status.name === FILL_CONTAINER && status.state?.terminated)) return;
      if (until === 'running' && progress.state === 'running') {
        const container = this.containers.get(podName);
        if (container && pod.spec?.nodeName) container.node = pod.spec.nodeName;
        return;
      }
      if (Date.now() - since > this.settings.startTimeoutMs) {
        throw new EngineError(`the pod ${podName} did not start within ${Math.round(this.settings.startTimeoutMs / 1000)}s (${progress.state === 'waiting' ? progress.detail : progress.state})`, {
          hint: `look at it with kubectl -n ${this.namespace} describe pod ${podName}`,
        });
      }
      await sleep(delay);
      delay = Math.min(500, delay * 2);
    }
  }

  private async startFailure(podName: string, problem: PodProblem): Promise<AirlockError> {
    const container = this.containers.get(podName);
    const image = container ? this.images.get(container.spec.image) : undefined;
    switch (problem.kind) {
      case 'image':
        return new InputError(`the cluster does not have the sandbox image ${image?.reference ?? ''} (${problem.message})`, {
          hint: image?.archive
            ? `import ${image.archive} on every node (ctr -n k8s.io images import ARCHIVE, then ctr -n k8s.io images tag the name it gets as ${image.reference}), then build again`
            : `check that the cluster's nodes can pull from ${this.settings.registry ?? 'the registry'} (their container runtime's registry settings)`,
        });
      case 'seccomp':
        return new InputError(`the node has no seccomp profile ${container?.spec.seccomp ? kubernetesSeccompProfileName(container.spec.seccomp.profileJson) : ''} (${problem.message})`, {
          hint: "install it in every node's kubelet seccomp directory: airlock generate seccomp --kubernetes --out <kubelet root>/seccomp",
        });
      case 'unschedulable':
        return new EngineError(`the pod ${podName} cannot be scheduled: ${problem.message}`, { hint: 'lower the sandbox limits in airlock.json or give the cluster room' });
      case 'fill': {
        const log = await this.core.readNamespacedPodLog({ name: podName, namespace: this.namespace, container: FILL_CONTAINER, tailLines: 5 }).catch(() => '');
        return new EngineError(`the pod ${podName} could not take its files: ${problem.message}${log.trim() ? ` (${oneLine(log.trim())})` : ''}`);
      }
      default:
        return new EngineError(`the pod ${podName} did not start: ${problem.message}`, { hint: `kubectl -n ${this.namespace} describe pod ${podName}` });
    }
  }

  private runKey(container: RecordedContainer): string {
    return container.spec.labels[RUN_LABEL] ?? this.settings.owner;
  }

  /** The run's deny-all NetworkPolicy, created before its first pod and deleted with its last. */
  private async acquirePolicy(container: RecordedContainer): Promise<void> {
    const key = this.runKey(container);
    const policy = this.policies.get(key) ?? { holders: 0, exists: false, chain: Promise.resolve() };
    this.policies.set(key, policy);
    policy.holders += 1;
    container.holdsPolicy = true;
    const name = `airlock-${labelValue(key).toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40)}-deny-all`;
    const step = policy.chain.then(async () => {
      if (policy.exists) return;
      const selector = { [RUN_LABEL]: labelValue(key) };
      const body = denyAllNetworkPolicy(name, this.namespace, container.spec.labels[RUN_LABEL] !== undefined ? selector : { [LABEL_OWNER]: labelValue(key) }, kubernetesLabels({ [MANAGED_LABEL]: 'true', [RUN_LABEL]: key, [LABEL_OWNER]: this.settings.owner }));
      try {
        await this.networking.createNamespacedNetworkPolicy({ namespace: this.namespace, body });
      } catch (error) {
        if (statusOf(error) !== 409) throw kubernetesError(`create the NetworkPolicy ${name}`, this.namespace, error);
      }
      policy.exists = true;
      policy.name = name;
    });
    policy.chain = step.catch(() => undefined);
    await step;
  }

  private async releasePolicy(container: RecordedContainer): Promise<void> {
    const key = this.runKey(container);
    const policy = this.policies.get(key);
    if (!policy) return;
    policy.holders -= 1;
    const step = policy.chain.then(async () => {
      if (policy.holders > 0 || !policy.exists) return;
      const name = policy.name!;
      try {
        await this.networking.deleteNamespacedNetworkPolicy({ name, namespace: this.namespace });
      } catch (error) {
        if (statusOf(error) !== 404) throw kubernetesError(`delete the NetworkPolicy ${name}`, this.namespace, error);
      }
      policy.exists = false;
    });
    policy.chain = step.catch(() => undefined);
    await step;
  }
}

/**
 * The Localhost profile a pod names for a seccomp profile: content-addressed, so a node holding an older
 * profile under the same name can never be used by mistake. `airlock generate seccomp --kubernetes` writes it.
 */
export function kubernetesSeccompProfileName(profileJson: string): string {
  const digest = createHashHex(profileJson).slice(0, 16);
  return `airlock/seccomp-${digest}.json`;
}

function createHashHex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The pod's ephemeral-storage limit: the scratch limit (the fsize ulimit airlock sets from it) and room for the work volume. */
function ephemeralStorageFor(spec: ContainerSpec): number {
  const fsize = spec.ulimits.find((limit) => limit.name === 'fsize')?.hard ?? 10 * 1024 ** 3;
  return fsize + 2 * 1024 ** 3;
}
