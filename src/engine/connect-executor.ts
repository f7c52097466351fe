import { connectEngine } from './docker-engine.js';
import type { ContainerEngine } from './engine.js';
import { connectKubernetes } from './kubernetes-connect.js';

/** Where the sandbox containers run, as the command line, the environment and airlock.json decided. */
export type ExecutorChoice = { executor: 'docker' } | { executor: 'kubernetes'; namespace: string; runtimeClassName?: string; registry?: string };

/** Connects to the executor chosen: a Docker or Podman engine, or a Kubernetes cluster (kubernetes-connect.ts). */
export async function connectExecutor(env: NodeJS.ProcessEnv, choice: ExecutorChoice): Promise<ContainerEngine> {
  if (choice.executor === 'kubernetes') {
    return connectKubernetes(env, {
      namespace: choice.namespace,
      ...(choice.runtimeClassName ? { runtimeClassName: choice.runtimeClassName } : {}),
      ...(choice.registry ? { registry: choice.registry } : {}),
    });
  }
  return connectEngine(env);
}
