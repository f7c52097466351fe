import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { EngineError, InputError, oneLine } from '../errors.js';
import { ownerOf } from './docker-engine.js';
import { KUBERNETES_PERMISSIONS, KubernetesEngine, kubernetesError, statusOf } from './kubernetes-engine.js';
import { REQUIRED_PERMISSIONS, permissionName } from './kubernetes-permissions.js';

export interface KubernetesConnection {
  namespace: string;
  runtimeClassName?: string;
  /** Push the sandbox image here and have pods pull it, instead of it being imported on the nodes. */
  registry?: string;
}

/** The default namespace airlock's pods go in (--namespace, kubernetes.namespace, AIRLOCK_K8S_NAMESPACE). */
export const DEFAULT_KUBERNETES_NAMESPACE = 'airlock';

/** A pod lives at most this long if airlock dies without deleting it (see KubernetesEngine.holdStdin). */
const POD_DEADLINE_SECONDS = 4 * 3600;
const START_TIMEOUT_MS = 5 * 60_000;
const PING_TIMEOUT_MS = 10_000;

/** Where the kubeconfig comes from, as KubeConfig.loadFromDefault looks: undefined when there is none at all. */
export function kubeconfigSource(env: NodeJS.ProcessEnv, home = os.homedir()): string | undefined {
  if (env.KUBECONFIG) return `KUBECONFIG=${env.KUBECONFIG}`;
  const file = path.join(home, '.kube', 'config');
  if (existsSync(file)) return file;
  if (env.KUBERNETES_SERVICE_HOST) return 'the in-cluster service account';
  return undefined;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms / 1000}s`), { code: 'ETIMEDOUT' })), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** The network reason of a failed request (ECONNREFUSED, a certificate problem), when there is one. */
function networkReason(error: unknown): string | undefined {
  if (statusOf(error) !== undefined) return undefined;
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return oneLine((error as Error).message ?? String(error));
}

/**
 * Connects to the cluster of the kubeconfig (KubeConfig.loadFromDefault: KUBECONFIG, ~/.kube/config or the
 * in-cluster service account), checks it answers and that airlock may use pods in the namespace.
 */
export async function connectKubernetes(env: NodeJS.ProcessEnv, connection: KubernetesConnection): Promise<KubernetesEngine> {
  const source = kubeconfigSource(env);
  if (source === undefined) {
    throw new EngineError('no Kubernetes configuration: KUBECONFIG is not set, ~/.kube/config does not exist and airlock is not running in a pod', {
      hint: "set KUBECONFIG to the cluster's kubeconfig, or build with --executor docker",
    });
  }
  // Loaded here, not at the top: the client is large, and only the Kubernetes executor needs it.
  const client = await import('@kubernetes/client-node');
  // The client's WebSocket handler, made with streams of its own: by default it would end this process's
  // stdout when a server closes a stream (its CloseStream handling), and airlock's output is not its to end.
  const { WebSocketHandler } = (await import('@kubernetes/client-node/dist/web-socket-handler.js')) as {
    WebSocketHandler: new (config: unknown, factory: undefined, streams: { stdin: unknown; stdout: unknown; stderr: unknown }) => unknown;
  };
  const kubeConfig = new client.KubeConfig();
  try {
    kubeConfig.loadFromDefault();
  } catch (error) {
    throw new EngineError(`cannot read the Kubernetes configuration (${source}): ${oneLine((error as Error).message)}`, { hint: 'check the kubeconfig file', cause: error });
  }
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) {
    throw new EngineError(`the Kubernetes configuration (${source}) names no cluster for its current context`, { hint: 'kubectl config use-context NAME' });
  }
  const endpoint = cluster.server;
  let version: string;
  try {
    version = (await withTimeout(kubeConfig.makeApiClient(client.VersionApi).getCode(), PING_TIMEOUT_MS)).gitVersion;
  } catch (error) {
    const reason = networkReason(error);
    if (reason !== undefined) {
      throw new EngineError(`no Kubernetes API answers at ${endpoint} (${reason})`, {
        hint: `start the cluster or fix the kubeconfig (${source}); or build with --executor docker`,
        cause: error,
      });
    }
    throw kubernetesError('report its version', connection.namespace, error);
  }
  const core = kubeConfig.makeApiClient(client.CoreV1Api);
  try {
    await withTimeout(core.listNamespacedPod({ namespace: connection.namespace, limit: 1 }), PING_TIMEOUT_MS);
  } catch (error) {
    if (statusOf(error) === 403) {
      throw new InputError(`the kubeconfig's identity may not list pods in the namespace ${connection.namespace}`, {
        hint: `grant it, in that namespace: ${KUBERNETES_PERMISSIONS}`,
        cause: error,
      });
    }
    throw kubernetesError(`list pods in the namespace ${connection.namespace}`, connection.namespace, error);
  }
  // Every permission a build needs, asked before anything is created, so that a missing one is named at once
  // rather than found by the first pod. An API server that does not answer access reviews is not asked again:
  // the requests themselves then report what is refused.
  const authorization = kubeConfig.makeApiClient(client.AuthorizationV1Api);
  const answers = await withTimeout(
    Promise.all(
      REQUIRED_PERMISSIONS.map(async (permission) => {
        const review = await authorization.createSelfSubjectAccessReview({
          body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace: connection.namespace, ...permission } } },
        });
        return { permission, allowed: review.status?.allowed === true };
      }),
    ),
    PING_TIMEOUT_MS,
  ).catch(() => undefined);
  const missing = (answers ?? []).filter((answer) => !answer.allowed).map((answer) => permissionName(answer.permission));
  if (missing.length > 0) {
    throw new InputError(`the kubeconfig's identity may not ${missing.join(', ')} in the namespace ${connection.namespace}`, {
      hint: `grant it, in that namespace: ${KUBERNETES_PERMISSIONS}`,
    });
  }
  const inert = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() };
  return new KubernetesEngine(
    kubeConfig,
    core,
    kubeConfig.makeApiClient(client.NetworkingV1Api),
    { Exec: client.Exec, Attach: client.Attach, handler: () => new WebSocketHandler(kubeConfig, undefined, inert) },
    endpoint,
    version,
    {
      namespace: connection.namespace,
      owner: ownerOf(env),
      ...(connection.runtimeClassName ? { runtimeClassName: connection.runtimeClassName } : {}),
      ...(connection.registry ? { registry: connection.registry } : {}),
      podDeadlineSeconds: POD_DEADLINE_SECONDS,
      startTimeoutMs: START_TIMEOUT_MS,
    },
  );
}
