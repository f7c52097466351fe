import type { V1Pod } from '@kubernetes/client-node';
import { FILL_CONTAINER, SANDBOX_CONTAINER } from './kubernetes-pod.js';

/**
 * Where a sandbox pod is on its way to running a build, read from its status alone. Pure: the engine polls
 * the pod and acts on what this says.
 */
export type PodProgress =
  | { state: 'waiting'; detail: string }
  /** The fill container runs and can take its tar. */
  | { state: 'filling' }
  /** The fill container ended successfully and the sandbox container runs: builds may start. */
  | { state: 'running' }
  | { state: 'failed'; problem: PodProblem };

export interface PodProblem {
  /** image: not on the node / cannot be pulled; seccomp: the Localhost profile is missing; other: anything else. */
  kind: 'image' | 'seccomp' | 'fill' | 'unschedulable' | 'other';
  message: string;
}

const IMAGE_REASONS = new Set(['ErrImageNeverPull', 'ImagePullBackOff', 'ErrImagePull', 'InvalidImageName']);
const START_REASONS = new Set(['CreateContainerError', 'CreateContainerConfigError', 'RunContainerError', 'StartError']);

/** How long a pod may wait for a node before its scheduler's reason is taken as the answer. */
export const UNSCHEDULABLE_GRACE_MS = 60_000;

export function podProgress(pod: V1Pod, pendingForMs: number): PodProgress {
  const status = pod.status ?? {};
  const statuses = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])];
  for (const container of statuses) {
    const waiting = container.state?.waiting;
    if (waiting?.reason && IMAGE_REASONS.has(waiting.reason)) {
      return { state: 'failed', problem: { kind: 'image', message: `${waiting.reason}: ${waiting.message ?? container.image}` } };
    }
    if (waiting?.reason && START_REASONS.has(waiting.reason)) {
      const message = `${waiting.reason}: ${waiting.message ?? 'no message'}`;
      return { state: 'failed', problem: { kind: /seccomp/i.test(message) ? 'seccomp' : 'other', message } };
    }
  }
  const fill = status.initContainerStatuses?.find((container) => container.name === FILL_CONTAINER);
  const fillEnded = fill?.state?.terminated;
  if (fillEnded && fillEnded.exitCode !== 0) {
    return { state: 'failed', problem: { kind: 'fill', message: `the fill container exited with status ${fillEnded.exitCode}${fillEnded.message ? `: ${fillEnded.message.trim()}` : ''}` } };
  }
  if (status.phase === 'Failed' || status.phase === 'Succeeded') {
    return { state: 'failed', problem: { kind: 'other', message: `the pod ${status.phase === 'Failed' ? 'failed' : 'ended'}${status.reason ? ` (${status.reason})` : ''}${status.message ? `: ${status.message}` : ''}` } };
  }
  const scheduled = status.conditions?.find((condition) => condition.type === 'PodScheduled');
  if (scheduled?.status === 'False' && pendingForMs >= UNSCHEDULABLE_GRACE_MS) {
    return { state: 'failed', problem: { kind: 'unschedulable', message: `no node takes it: ${scheduled.message ?? scheduled.reason ?? 'unschedulable'}` } };
  }
  if (fill?.state?.running) return { state: 'filling' };
  const sandbox = status.containerStatuses?.find((container) => container.name === SANDBOX_CONTAINER);
  if (fillEnded && sandbox?.state?.running && status.phase === 'Running') return { state: 'running' };
  const waitingReason = statuses.map((container) => container.state?.waiting?.reason).find((reason) => reason !== undefined);
  return { state: 'waiting', detail: waitingReason ?? scheduled?.reason ?? status.phase ?? 'Pending' };
}
