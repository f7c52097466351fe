import test from 'ava';
import type { V1Pod } from '@kubernetes/client-node';

import { FILE_HELPER_PATH, type KubernetesSandboxSettings, denyAllNetworkPolicy, sandboxPod } from '../../../src/engine/kubernetes-pod.js';
import { LABEL_RUN, SandboxPaths, defaultSandboxPolicy, workerContainerSpec } from '../../../src/sandbox/policy.js';

const SETTINGS: KubernetesSandboxSettings = {
  namespace: 'airlock-builds',
  image: 'airlock-sandbox@sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03',
  imagePullPolicy: 'IfNotPresent',
  seccompProfile: 'airlock/airlock-build.json',
  activeDeadlineSeconds: 3900,
  ephemeralStorageBytes: 10 * 1024 ** 3,
};

const worker = () =>
  workerContainerSpec(defaultSandboxPolicy(2), {
    name: 'airlock-0123456789ab-w0',
    image: 'airlock-sandbox:go1.26.8-0123456789abcdef',
    runId: '0123456789ab',
    volume: 'airlock-0123456789ab-w0',
    scratchVolume: 'airlock-0123456789ab-w0-scratch',
    toolchain: 'go1.26.8',
    sourceVolume: 'airlock-0123456789ab-src',
    moduleCacheVolume: 'airlock-modcache-0123456789abcdef01234567',
  });

test('the pod of a sandbox worker (golden)', (t) => {
  t.snapshot(sandboxPod(worker(), SETTINGS), 'worker pod');
  t.snapshot(sandboxPod(worker(), { ...SETTINGS, runtimeClassName: 'airlock-nonet', imagePullPolicy: 'Never' }), 'worker pod with a RuntimeClass without network');
});

test('the deny-all NetworkPolicy of a run (golden)', (t) => {
  t.snapshot(denyAllNetworkPolicy('airlock-0123456789ab-deny-all', 'airlock-builds', { [LABEL_RUN]: '0123456789ab' }, { 'airlock.managed': 'true' }), 'network policy');
});

/**
 * The restricted Pod Security Standard's checks (kubernetes.io/docs/concepts/security/pod-security-standards),
 * as the admission controller applies them; the integration test also has a real restricted namespace accept it.
 */
function restrictedViolations(pod: V1Pod): string[] {
  const problems: string[] = [];
  const spec = pod.spec!;
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) problems.push('host namespaces');
  for (const volume of spec.volumes ?? []) {
    const kinds = Object.keys(volume).filter((key) => key !== 'name');
    if (kinds.some((kind) => !['emptyDir', 'configMap', 'secret', 'projected', 'downwardAPI', 'persistentVolumeClaim', 'ephemeral', 'csi'].includes(kind))) problems.push(`volume ${volume.name}: ${kinds.join(',')}`);
  }
  const podRunsAsNonRoot = spec.securityContext?.runAsNonRoot === true;
  const podSeccomp = spec.securityContext?.seccompProfile?.type;
  for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
    const security = container.securityContext ?? {};
    if (security.privileged) problems.push(`${container.name}: privileged`);
    if (security.allowPrivilegeEscalation !== false) problems.push(`${container.name}: allowPrivilegeEscalation`);
    if (!(security.capabilities?.drop ?? []).includes('ALL')) problems.push(`${container.name}: capabilities not dropped`);
    if ((security.capabilities?.add ?? []).some((capability) => capability !== 'NET_BIND_SERVICE')) problems.push(`${container.name}: capabilities added`);
    if (!(security.runAsNonRoot ?? podRunsAsNonRoot)) problems.push(`${container.name}: runAsNonRoot`);
    if ((security.runAsUser ?? spec.securityContext?.runAsUser) === 0) problems.push(`${container.name}: runAsUser 0`);
    const seccomp = security.seccompProfile?.type ?? podSeccomp;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') problems.push(`${container.name}: seccomp ${seccomp}`);
    if (container.ports?.some((port) => port.hostPort)) problems.push(`${container.name}: host port`);
  }
  return problems;
}

test('the pod passes the restricted Pod Security Standard, with airlock\'s own profile as a Localhost seccomp profile', (t) => {
  const pod = sandboxPod(worker(), SETTINGS);
  t.deepEqual(restrictedViolations(pod), []);
  t.deepEqual(pod.spec!.securityContext!.seccompProfile, { type: 'Localhost', localhostProfile: 'airlock/airlock-build.json' });
  t.false(pod.spec!.automountServiceAccountToken);
  t.false(pod.spec!.enableServiceLinks);
  // The checker itself catches what it is for.
  const loose = structuredClone(pod);
  loose.spec!.containers[0]!.securityContext!.allowPrivilegeEscalation = true;
  loose.spec!.volumes!.push({ name: 'host', hostPath: { path: '/' } });
  t.deepEqual(restrictedViolations(loose), ['volume host: hostPath', 'sandbox: allowPrivilegeEscalation']);
});

test('inputs are read-only in the sandbox container and writable only in the fill container; only the file helper and exec run', (t) => {
  const pod = sandboxPod(worker(), SETTINGS);
  const [fill] = pod.spec!.initContainers!;
  const [sandbox] = pod.spec!.containers;
  const mounts = Object.fromEntries(sandbox!.volumeMounts!.map((mount) => [mount.mountPath, mount.readOnly ?? false]));
  t.is(mounts[SandboxPaths.source], true);
  t.is(mounts[SandboxPaths.moduleCache], true);
  t.is(mounts[SandboxPaths.work], false);
  t.is(mounts[SandboxPaths.scratch], false);
  t.true(fill!.volumeMounts!.every((mount) => !mount.readOnly));
  t.deepEqual(fill!.command, [FILE_HELPER_PATH, 'receive', '/']);
  t.deepEqual(sandbox!.command, [FILE_HELPER_PATH, 'idle']);
  t.true(sandbox!.securityContext!.readOnlyRootFilesystem);
  // The tmpfs stays in memory, bounded.
  t.like(pod.spec!.volumes!.find((volume) => volume.emptyDir?.medium === 'Memory'), { emptyDir: { medium: 'Memory' } });
  t.is(sandbox!.resources!.limits!['ephemeral-storage'], String(10 * 1024 ** 3));
});

test('a root user is refused rather than sent', (t) => {
  const spec = { ...worker(), user: '0:0' };
  t.throws(() => sandboxPod(spec, SETTINGS), { message: /not a non-root/ });
});
