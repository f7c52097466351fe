import type { AirlockConfig } from '../config/airlock-config.js';
import type { ExecutorChoice } from '../engine/connect-executor.js';
import { DEFAULT_KUBERNETES_NAMESPACE } from '../engine/kubernetes-connect.js';
import { InputError } from '../errors.js';

export interface ExecutorArguments {
  executor?: string;
  namespace?: string;
  registry?: string;
}

/** --executor and --namespace, for the commands that run the sandbox. */
export const EXECUTOR_OPTIONS = {
  executor: {
    type: 'string',
    choices: ['docker', 'kubernetes'],
    describe: 'where the sandbox containers run: docker (Docker or Podman, the default) or kubernetes (pods on the cluster of the kubeconfig; preview) (default: $AIRLOCK_EXECUTOR, else airlock.json)',
  },
  namespace: { type: 'string', describe: "with --executor kubernetes: the namespace of airlock's pods (default: $AIRLOCK_K8S_NAMESPACE, else airlock.json, else airlock)" },
  registry: {
    type: 'string',
    describe: 'with --executor kubernetes: push the sandbox image to this registry (host[:port], or http://host:port) and have the pods pull it by digest (default: airlock.json; else the image must be imported on the nodes)',
  },
} as const;

const EXECUTORS = ['docker', 'kubernetes'] as const;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * The executor and its settings: the command line wins over the environment, which wins over airlock.json.
 * Pure. The Docker executor ignores the Kubernetes settings.
 */
export function resolveExecutor(args: ExecutorArguments, env: NodeJS.ProcessEnv, config: AirlockConfig): ExecutorChoice {
  const fromEnv = env.AIRLOCK_EXECUTOR === '' ? undefined : env.AIRLOCK_EXECUTOR;
  if (fromEnv !== undefined && !(EXECUTORS as readonly string[]).includes(fromEnv)) {
    throw new InputError(`AIRLOCK_EXECUTOR=${fromEnv} is not an executor`, { hint: 'set it to docker or kubernetes' });
  }
  const executor = args.executor ?? fromEnv ?? config.executor ?? 'docker';
  if (executor !== 'kubernetes') return { executor: 'docker' };
  const namespaceFromEnv = env.AIRLOCK_K8S_NAMESPACE === '' ? undefined : env.AIRLOCK_K8S_NAMESPACE;
  const namespace = args.namespace ?? namespaceFromEnv ?? config.kubernetes?.namespace ?? DEFAULT_KUBERNETES_NAMESPACE;
  if (!NAMESPACE.test(namespace)) {
    const source = args.namespace !== undefined ? '--namespace' : namespaceFromEnv !== undefined ? 'AIRLOCK_K8S_NAMESPACE' : 'kubernetes.namespace';
    throw new InputError(`${source} ${namespace} is not a Kubernetes namespace name`, { hint: 'a namespace is lower-case letters, digits and dashes, at most 63' });
  }
  const registry = args.registry ?? config.kubernetes?.registry;
  return {
    executor: 'kubernetes',
    namespace,
    ...(config.kubernetes?.runtimeClass ? { runtimeClassName: config.kubernetes.runtimeClass } : {}),
    ...(registry ? { registry } : {}),
  };
}
