import test from 'ava';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import type { V1Pod } from '@kubernetes/client-node';

import { execArguments, execExitCode } from '../../../src/engine/kubernetes-exec.js';
import { composeFillArchive, fillEntryName, fillParts, volumeAt } from '../../../src/engine/kubernetes-fill.js';
import { labelSelector, labelValue, matchesLabels } from '../../../src/engine/kubernetes-labels.js';
import { kubernetesError, kubernetesSeccompProfileName } from '../../../src/engine/kubernetes-engine.js';
import { kubeconfigSource } from '../../../src/engine/kubernetes-connect.js';
import { podProgress, UNSCHEDULABLE_GRACE_MS } from '../../../src/engine/kubernetes-pod-status.js';
import { REQUIRED_PERMISSIONS, permissionName } from '../../../src/engine/kubernetes-permissions.js';
import { EngineError, InputError } from '../../../src/errors.js';
import { SandboxPaths, buildExecRequest, defaultSandboxPolicy, goBuildCommand, workerContainerSpec } from '../../../src/sandbox/policy.js';

const worker = () =>
  workerContainerSpec(defaultSandboxPolicy(2), {
    name: 'airlock-0123456789ab-w0',
    image: 'airlock-sandbox:go1.26.8-0123456789abcdef',
    runId: '0123456789ab',
    volume: 'airlock-0123456789ab-w0',
    scratchVolume: 'airlock-0123456789ab-w0-scratch',
    toolchain: 'go1.26.8',
    sourceVolume: 'airlock-0123456789ab-src',
  });

test('label values: valid ones are kept, others made valid, stable and distinct', (t) => {
  t.is(labelValue('0123456789ab'), '0123456789ab');
  t.is(labelValue('go1.26.8'), 'go1.26.8');
  const owner = labelValue('ci-runner-7/4242');
  t.regex(owner, /^ci-runner-7-4242-[0-9a-f]{10}$/);
  t.is(labelValue('ci-runner-7/4242'), owner);
  t.not(labelValue('ci-runner-7_4242'), owner);
  const digest = labelValue('a'.repeat(64));
  t.true(digest.length <= 63);
  t.regex(digest, /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/);
  t.regex(labelValue('/'), /^[0-9a-f]{10}$/);
  t.is(labelSelector({ 'airlock.managed': 'true', 'airlock.owner': 'h/1' }), `airlock.managed=true,airlock.owner=${labelValue('h/1')}`);
  t.true(matchesLabels({ 'airlock.owner': 'h/1', other: 'x' }, { 'airlock.owner': 'h/1' }));
  t.false(matchesLabels({ other: 'x' }, { 'airlock.owner': 'h/1' }));
});

test("a path is put into the volume mounted deepest above it, else into the container's own files", (t) => {
  const spec = worker();
  t.deepEqual(volumeAt(spec, SandboxPaths.work), { volume: 'airlock-0123456789ab-w0', directory: '' });
  t.deepEqual(volumeAt(spec, `${SandboxPaths.source}/sub/`), { volume: 'airlock-0123456789ab-src', directory: 'sub' });
  t.deepEqual(volumeAt(spec, SandboxPaths.scratch), { volume: 'airlock-0123456789ab-w0-scratch', directory: '' });
  t.is(volumeAt(spec, '/etc'), undefined);
  t.is(volumeAt(spec, '/workspace'), undefined);
});

test("the fill's parts: each mounted volume's tars under its target, in mount order, then the container's own", (t) => {
  const spec = worker();
  const volumes = new Map([
    ['airlock-0123456789ab-src', [{ file: 'src.tar', directory: '' }]],
    ['airlock-0123456789ab-w0', [{ file: 'out.tar', directory: '' }]],
    ['airlock-0123456789ab-w0-scratch', [{ file: 'scratch.tar', directory: '' }]],
    ['not-mounted', [{ file: 'other.tar', directory: '' }]],
  ]);
  t.deepEqual(fillParts(spec, volumes, [{ file: 'own.tar', directory: '/' }]), [
    { file: 'out.tar', prefix: 'work' },
    { file: 'scratch.tar', prefix: 'scratch' },
    { file: 'src.tar', prefix: 'work/src' },
    { file: 'own.tar', prefix: '' },
  ]);
  t.is(fillEntryName('work/src', './'), 'work/src');
  t.is(fillEntryName('work/src', './cmd/main.go'), 'work/src/cmd/main.go');
  t.is(fillEntryName('work', 'out/'), 'work/out');
  t.is(fillEntryName('', './'), undefined);
  // Left for the file helper to refuse, not cleaned into something else.
  t.is(fillEntryName('work/src', '../etc/passwd'), 'work/src/../etc/passwd');
});

async function tarFile(dir: string, name: string, entries: Array<{ name: string; type: 'file' | 'directory'; body?: string }>): Promise<string> {
  const pack = tarStream.pack();
  for (const entry of entries) {
    if (entry.type === 'file') pack.entry({ name: entry.name, type: 'file', mode: 0o644 }, entry.body ?? '');
    else pack.entry({ name: entry.name, type: 'directory', mode: 0o755 });
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack as unknown as Readable) chunks.push(chunk as Buffer);
  const file = path.join(dir, name);
  await fs.writeFile(file, Buffer.concat(chunks));
  return file;
}

test('the fill is one tar of every part, names moved, contents unchanged', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-fill-test-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const source = await tarFile(dir, 'src.tar', [
    { name: './', type: 'directory' },
    { name: 'go.mod', type: 'file', body: 'module example.com/x\n' },
    { name: 'cmd/', type: 'directory' },
    { name: 'cmd/main.go', type: 'file', body: 'package main\n' },
  ]);
  const out = await tarFile(dir, 'out.tar', [{ name: 'out/', type: 'directory' }]);
  const extract = tarStream.extract();
  composeFillArchive([
    { file: out, prefix: 'work' },
    { file: source, prefix: 'work/src' },
  ]).pipe(extract);
  const seen: string[] = [];
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    seen.push(`${entry.header.type} ${entry.header.name} ${Buffer.concat(chunks).toString('utf8').trim()}`.trim());
  }
  t.deepEqual(seen, ['directory work/out', 'directory work/src', 'file work/src/go.mod module example.com/x', 'directory work/src/cmd', 'file work/src/cmd/main.go package main']);
});

test('a command runs through the file helper with the directory and exactly the environment Docker would give it', (t) => {
  const spec = worker();
  const request = buildExecRequest(defaultSandboxPolicy(2), goBuildCommand({ goos: 'linux', goarch: 'arm64', mainPackage: './cmd/cli', outputName: 'cli', vendored: true, ldflags: [], tags: [] }));
  const args = execArguments(spec, request);
  t.deepEqual(args.slice(0, 3), ['/airlock/bin/file-helper', 'run', SandboxPaths.source]);
  const separator = args.indexOf('--');
  t.deepEqual(args.slice(separator + 1), request.command);
  const env = args.slice(3, separator);
  t.true(env.includes('GOARCH=arm64'));
  t.true(env.includes('GOFLAGS=-mod=vendor'));
  // PATH from the request replaces the container's; no name twice.
  t.is(env.filter((entry) => entry.startsWith('PATH=')).length, 1);
  t.throws(() => execArguments(spec, { ...request, user: '0:0' }), { message: /runs every command as its own user/ });
  t.throws(() => execArguments(spec, { ...request, env: { 'A=B': 'x' } }), { message: /cannot be passed/ });
});

test("an exec's exit status is read from the status it ends with", (t) => {
  t.deepEqual(execExitCode({ status: 'Success' }), { exitCode: 0 });
  t.deepEqual(execExitCode({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '2' }] } }), { exitCode: 2 });
  t.deepEqual(execExitCode({ status: 'Failure', message: 'container not found ("sandbox")' }), { failure: 'container not found ("sandbox")' });
});

const pod = (status: V1Pod['status']): V1Pod => ({ status });

test("a pod's progress is read from its status, and what stops it is named", (t) => {
  t.deepEqual(podProgress(pod({ phase: 'Pending' }), 0), { state: 'waiting', detail: 'Pending' });
  t.deepEqual(podProgress(pod({ phase: 'Pending', initContainerStatuses: [{ name: 'fill', image: 'i', imageID: '', ready: false, restartCount: 0, state: { running: {} } }] }), 0), { state: 'filling' });
  t.like(podProgress(pod({ phase: 'Pending', initContainerStatuses: [{ name: 'fill', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImageNeverPull', message: 'not present' } } }] }), 0), {
    state: 'failed',
    problem: { kind: 'image' },
  });
  t.like(podProgress(pod({ phase: 'Pending', initContainerStatuses: [{ name: 'fill', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'CreateContainerError', message: 'cannot load seccomp profile "/var/lib/kubelet/seccomp/airlock/x.json"' } } }] }), 0), {
    state: 'failed',
    problem: { kind: 'seccomp' },
  });
  t.like(podProgress(pod({ phase: 'Pending', initContainerStatuses: [{ name: 'fill', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, message: 'refused' } } }] }), 0), {
    state: 'failed',
    problem: { kind: 'fill' },
  });
  const unschedulable = pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient memory.' }] });
  t.like(podProgress(unschedulable, 1000), { state: 'waiting' });
  t.deepEqual(podProgress(unschedulable, UNSCHEDULABLE_GRACE_MS), { state: 'failed', problem: { kind: 'unschedulable', message: 'no node takes it: 0/1 nodes are available: 1 Insufficient memory.' } });
  t.deepEqual(
    podProgress(
      pod({
        phase: 'Running',
        initContainerStatuses: [{ name: 'fill', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0 } } }],
        containerStatuses: [{ name: 'sandbox', image: 'i', imageID: '', ready: true, restartCount: 0, state: { running: {} } }],
      }),
      0,
    ),
    { state: 'running' },
  );
});

test('API errors: forbidden and a missing namespace are the user\'s to fix (exit 2), the rest the cluster\'s (exit 5)', (t) => {
  const forbidden = kubernetesError('create the pod p', 'builds', { code: 403, body: JSON.stringify({ message: 'pods is forbidden: User "ci" cannot create resource "pods" in API group "" in the namespace "builds"' }) });
  t.true(forbidden instanceof InputError);
  t.regex(forbidden.message, /cannot create resource "pods"/);
  t.regex(forbidden.hint!, /pods\/exec/);
  const missing = kubernetesError('create the pod p', 'builds', { code: 404, body: { message: 'namespaces "builds" not found' } });
  t.true(missing instanceof InputError);
  t.is(missing.message, 'the namespace builds does not exist on the cluster');
  t.true(kubernetesError('read the pod p', 'builds', { code: 500, body: 'etcd timeout' }) instanceof EngineError);
  // A refused WebSocket upgrade (exec, attach) has only its message.
  const upgrade = kubernetesError('run a command in the pod p', 'builds', new Error('Unexpected server response: 403'));
  t.true(upgrade instanceof InputError);
  t.is(upgrade.message, 'Kubernetes refused to run a command in the pod p: forbidden (403)');
  t.regex(upgrade.hint!, /get and create pods\/attach and pods\/exec/);
});

test('the permissions a build needs, as access reviews ask for them and as messages name them', (t) => {
  t.deepEqual(REQUIRED_PERMISSIONS.map(permissionName), [
    'create pods',
    'get pods',
    'list pods',
    'delete pods',
    'get pods/attach',
    'get pods/exec',
    'create pods/attach',
    'create pods/exec',
    'create networkpolicies',
    'delete networkpolicies',
  ]);
  t.true(REQUIRED_PERMISSIONS.filter((permission) => permission.resource === 'networkpolicies').every((permission) => permission.group === 'networking.k8s.io'));
});

test('the Localhost seccomp profile is named by its content', (t) => {
  t.regex(kubernetesSeccompProfileName('{"defaultAction":"SCMP_ACT_ERRNO"}'), /^airlock\/seccomp-[0-9a-f]{16}\.json$/);
  t.not(kubernetesSeccompProfileName('{"a":1}'), kubernetesSeccompProfileName('{"a":2}'));
});

test('the kubeconfig is looked for as the client does: KUBECONFIG, ~/.kube/config, in a pod', (t) => {
  const home = path.join(os.tmpdir(), 'airlock-no-such-home');
  t.is(kubeconfigSource({ KUBECONFIG: '/etc/k.conf' }, home), 'KUBECONFIG=/etc/k.conf');
  t.is(kubeconfigSource({}, home), undefined);
  t.is(kubeconfigSource({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }, home), 'the in-cluster service account');
});
