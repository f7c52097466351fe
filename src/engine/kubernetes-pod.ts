import type { V1NetworkPolicy, V1Pod, V1SecurityContext, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { ContainerSpec } from './engine.js';

/**
 * The sandbox as Kubernetes objects: a worker's ContainerSpec becomes a Pod that passes the restricted Pod
 * Security Standard, and every run gets a deny-all NetworkPolicy. Pure: the Kubernetes engine sends what these
 * return, and the golden tests hold them still.
 *
 * What Docker enforces per container and Kubernetes does not offer per pod is said where it is mapped: the
 * pids limit and ulimits are the node's (kubelet podPidsLimit), the tmpfs is a memory-backed emptyDir (no
 * noexec), and the scratch limit becomes the pod's ephemeral-storage limit, which the kubelet enforces by
 * evicting the pod.
 */

/** Where the sandbox image holds airlock's file helper (the only program besides the toolchain). */
export const FILE_HELPER_PATH = '/airlock/bin/file-helper';

/** The container that receives every volume's first contents as one tar on its stdin, then exits. */
export const FILL_CONTAINER = 'fill';
/** The container builds run in, through exec. */
export const SANDBOX_CONTAINER = 'sandbox';

export interface KubernetesSandboxSettings {
  namespace: string;
  /** The sandbox image by digest (name@sha256:...). */
  image: string;
  imagePullPolicy: 'Never' | 'IfNotPresent';
  /**
   * airlock's seccomp profile, relative to the kubelet's seccomp directory (`airlock generate seccomp
   * --kubernetes`); undefined only when the policy asks for the engine's default (RuntimeDefault here).
   */
  seccompProfile: string | undefined;
  /** A RuntimeClass whose pods have no network, when the site has one. */
  runtimeClassName?: string;
  /** The pod is killed after this long, whatever runs in it: the run's time limit plus a margin. */
  activeDeadlineSeconds: number;
  /** The most the pod may write to the node's disk (its emptyDirs and logs): the scratch limit. */
  ephemeralStorageBytes: number;
}

/** Kubernetes volume names are DNS labels; airlock's engine volume names are longer, so each gets a short one. */
function podVolumeName(index: number): string {
  return `v${index}`;
}

function tmpfsSizeBytes(options: string): number | undefined {
  const match = /(?:^|,)size=(\d+)(?:,|$)/.exec(options);
  return match ? Number(match[1]) : undefined;
}

/** What every container of the pod runs with: the restricted standard's fields, and the sandbox's own. */
function containerSecurity(spec: ContainerSpec, uid: number, gid: number): V1SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: gid,
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: spec.readOnlyRootFs,
    capabilities: { drop: ['ALL'] },
  };
}

function parseUser(user: string): { uid: number; gid: number } {
  const [uid, gid] = user.split(':').map(Number);
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid === 0) throw new Error(`the sandbox user ${user} is not a non-root uid:gid`);
  return { uid: uid!, gid: gid! };
}

/**
 * The pod of one sandbox worker. Its `fill` init container writes the first contents of every volume (the
 * output directory, the scratch directories, the source, a module cache) from one tar on its stdin, with
 * everything mounted writable; the `sandbox` container then mounts the inputs read-only and idles while builds
 * run in it through exec. Nothing else runs: both containers run only airlock's file helper, and builds run
 * the verified toolchain.
 */
export function sandboxPod(spec: ContainerSpec, settings: KubernetesSandboxSettings): V1Pod {
  const { uid, gid } = parseUser(spec.user);
  const volumes: V1Volume[] = [];
  const fillMounts: V1VolumeMount[] = [];
  const sandboxMounts: V1VolumeMount[] = [];
  spec.volumes.forEach((volume, index) => {
    const name = podVolumeName(index);
    volumes.push({ name, emptyDir: {} });
    fillMounts.push({ name, mountPath: volume.target });
    sandboxMounts.push({ name, mountPath: volume.target, readOnly: volume.readOnly });
  });
  spec.tmpfs.forEach((tmpfs, index) => {
    const name = `t${index}`;
    const size = tmpfsSizeBytes(tmpfs.options);
    volumes.push({ name, emptyDir: { medium: 'Memory', ...(size !== undefined ? { sizeLimit: String(size) } : {}) } });
    sandboxMounts.push({ name, mountPath: tmpfs.path });
  });
  const resources = {
    limits: { cpu: `${Math.max(1, Math.round(spec.nanoCpus / 1e6))}m`, memory: String(spec.memoryBytes), 'ephemeral-storage': String(settings.ephemeralStorageBytes) },
    requests: { cpu: '100m', memory: String(Math.min(spec.memoryBytes, 256 * 1024 * 1024)), 'ephemeral-storage': String(Math.min(settings.ephemeralStorageBytes, 1024 * 1024 * 1024)) },
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: spec.name, namespace: settings.namespace, labels: { ...spec.labels } },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      hostNetwork: false,
      hostPID: false,
      hostIPC: false,
      ...(settings.runtimeClassName ? { runtimeClassName: settings.runtimeClassName } : {}),
      activeDeadlineSeconds: settings.activeDeadlineSeconds,
      terminationGracePeriodSeconds: 0,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: gid,
        seccompProfile: settings.seccompProfile !== undefined ? { type: 'Localhost', localhostProfile: settings.seccompProfile } : { type: 'RuntimeDefault' },
      },
      initContainers: [
        {
          name: FILL_CONTAINER,
          image: settings.image,
          imagePullPolicy: settings.imagePullPolicy,
          command: [FILE_HELPER_PATH, 'receive', '/'],
          stdin: true,
          stdinOnce: true,
          securityContext: containerSecurity(spec, uid, gid),
          resources,
          volumeMounts: fillMounts,
        },
      ],
      containers: [
        {
          name: SANDBOX_CONTAINER,
          image: settings.image,
          imagePullPolicy: settings.imagePullPolicy,
          command: [FILE_HELPER_PATH, 'idle'],
          env: Object.entries(spec.env).map(([name, value]) => ({ name, value })),
          workingDir: spec.workingDir,
          securityContext: containerSecurity(spec, uid, gid),
          resources,
          volumeMounts: sandboxMounts,
        },
      ],
      volumes,
    },
  };
}

/**
 * Denies every connection into and out of the run's pods. Only as good as the cluster's policy agent, and not
 * necessarily in force the instant a pod starts (kube-router takes about a second): the engine creates it
 * before the run's first pod but does not prove it from inside; a RuntimeClass without network
 * (KubernetesSandboxSettings.runtimeClassName) is what leaves no window at all.
 */
export function denyAllNetworkPolicy(name: string, namespace: string, podLabels: Record<string, string>, labels: Record<string, string>): V1NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace, labels: { ...labels } },
    spec: { podSelector: { matchLabels: { ...podLabels } }, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: [] },
  };
}
