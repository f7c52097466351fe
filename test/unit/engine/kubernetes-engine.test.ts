/**
 * The Kubernetes engine against a scripted API client: the emulated volumes (what a never-started loader and a
 * worker before its start were given reaches the pod's fill container as one tar, names under each mount),
 * the order of API calls (the run's NetworkPolicy before its first pod, deleted after its last), exec through
 * the file helper's `run`, and getArchive's answers.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import type { V1Pod, V1Status } from '@kubernetes/client-node';
import { Readable, type Writable } from 'node:stream';
import tarStream from 'tar-stream';

import { KubernetesEngine } from '../../../src/engine/kubernetes-engine.js';
import { EngineError } from '../../../src/errors.js';
import { SandboxPaths, defaultSandboxPolicy, volumeLoaderSpec, workerContainerSpec } from '../../../src/sandbox/policy.js';
import { outputDirectoryPack, scratchDirectoriesPack } from '../../../src/sandbox/work-area.js';
import { canonicalJson } from '../../../src/util/canonical-json.js';

function tarOf(entries: Array<{ name: string; body?: string }>): Readable {
  const pack = tarStream.pack();
  for (const entry of entries) {
    if (entry.body === undefined) pack.entry({ name: entry.name, type: 'directory', mode: 0o755 });
    else pack.entry({ name: entry.name, type: 'file', mode: 0o644 }, entry.body);
  }
  pack.finalize();
  return pack as unknown as Readable;
}

async function entryNames(bytes: Buffer): Promise<string[]> {
  const extract = tarStream.extract();
  const names: string[] = [];
  const reading = (async () => {
    for await (const entry of extract) {
      names.push(entry.header.name);
      entry.resume();
    }
  })();
  extract.end(bytes);
  await reading;
  return names;
}

interface Scripted {
  calls: string[];
  /** The pods as the engine sent them. */
  created: V1Pod[];
  filled: Promise<Buffer>;
  execs: string[][];
  engine: KubernetesEngine;
}

function scriptedEngine(answer: (command: string[]) => { stdout?: string; stderr?: string; status: V1Status }): Scripted {
  const calls: string[] = [];
  const execs: string[][] = [];
  const created: V1Pod[] = [];
  let fillDone = false;
  let resolveFill!: (bytes: Buffer) => void;
  const filled = new Promise<Buffer>((resolve) => (resolveFill = resolve));
  const core = {
    createNamespacedPod: async ({ body }: { body: V1Pod }) => {
      calls.push(`create pod ${body.metadata!.name}`);
      created.push(body);
    },
    readNamespacedPod: async (): Promise<V1Pod> =>
      fillDone
        ? {
            spec: { nodeName: 'node-a', containers: [] },
            status: {
              phase: 'Running',
              initContainerStatuses: [{ name: 'fill', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0 } } }],
              containerStatuses: [{ name: 'sandbox', image: 'i', imageID: '', ready: true, restartCount: 0, state: { running: {} } }],
            },
          }
        : { status: { phase: 'Pending', initContainerStatuses: [{ name: 'fill', image: 'i', imageID: '', ready: false, restartCount: 0, state: { running: {} } }] } },
    deleteNamespacedPod: async ({ name }: { name: string }) => void calls.push(`delete pod ${name}`),
  };
  const networking = {
    createNamespacedNetworkPolicy: async ({ body }: { body: { metadata: { name: string } } }) => void calls.push(`create networkpolicy ${body.metadata.name}`),
    deleteNamespacedNetworkPolicy: async ({ name }: { name: string }) => void calls.push(`delete networkpolicy ${name}`),
  };
  const socket = () => ({ close: () => undefined, on: () => undefined, bufferedAmount: 0 });
  class Attach {
    async attach(_ns: string, pod: string, container: string, _out: unknown, _err: unknown, stdin: Readable) {
      calls.push(`attach ${pod} ${container}`);
      const chunks: Buffer[] = [];
      stdin.on('data', (chunk: Buffer) => chunks.push(chunk));
      stdin.on('end', () => {
        fillDone = true;
        resolveFill(Buffer.concat(chunks));
      });
      return socket();
    }
  }
  class Exec {
    async exec(_ns: string, _pod: string, _container: string, command: string[], stdout: Writable, stderr: Writable, _stdin: unknown, _tty: boolean, onStatus: (status: V1Status) => void) {
      execs.push(command);
      const result = answer(command);
      setImmediate(() => {
        if (result.stdout) stdout.write(result.stdout);
        if (result.stderr) stderr.write(result.stderr);
        stdout.end();
        stderr.end();
        onStatus(result.status);
      });
      return socket();
    }
  }
  const engine = new KubernetesEngine(
    {} as never,
    core as never,
    networking as never,
    { Exec: Exec as never, Attach: Attach as never, handler: () => undefined },
    'https://cluster.invalid',
    'v1.34.4',
    { namespace: 'builds', owner: 'ci/42', podDeadlineSeconds: 600, startTimeoutMs: 10_000 },
  );
  return { calls, filled, execs, engine, created };
}

const policy = defaultSandboxPolicy(1);
const IMAGE = 'airlock-sandbox:go1.26.8-0123456789abcdef';

async function openWorker(scripted: Scripted): Promise<string> {
  const { engine } = scripted;
  engine.useImage(IMAGE, { reference: 'airlock.local/airlock-sandbox@sha256:' + 'a'.repeat(64), pullPolicy: 'Never', digest: 'sha256:' + 'a'.repeat(64) });
  await engine.createVolume('run-src', { 'airlock.run': 'r1' });
  await engine.createVolume('w0', { 'airlock.run': 'r1' });
  await engine.createVolume('w0-scratch', { 'airlock.run': 'r1' });
  // The shared source, through a loader that is never started.
  const loader = await engine.createContainer(volumeLoaderSpec(policy, { name: 'run-src-loader', image: IMAGE, volume: 'run-src', target: SandboxPaths.source, labels: { 'airlock.run': 'r1' } }));
  await engine.putArchive(loader, SandboxPaths.source, tarOf([{ name: './' }, { name: 'go.mod', body: 'module x\n' }, { name: 'cmd/' }, { name: 'cmd/main.go', body: 'package main\n' }]));
  await engine.removeContainer(loader);
  const spec = workerContainerSpec(policy, { name: 'airlock-r1-w0', image: IMAGE, runId: 'r1', volume: 'w0', scratchVolume: 'w0-scratch', toolchain: 'go1.26.8', sourceVolume: 'run-src' });
  const id = await engine.createContainer(spec);
  await engine.putArchive(id, SandboxPaths.work, outputDirectoryPack(policy));
  await engine.putArchive(id, SandboxPaths.scratch, scratchDirectoriesPack(policy));
  await engine.start(id);
  return id;
}

test("a worker's pod receives its volumes' contents as one tar, after the run's NetworkPolicy, and goes with it", async (t) => {
  const scripted = scriptedEngine(() => ({ status: { status: 'Success' } }));
  const id = await openWorker(scripted);
  t.deepEqual(await entryNames(await scripted.filled), ['work/out', 'scratch/gocache', 'scratch/tmp', 'work/src', 'work/src/go.mod', 'work/src/cmd', 'work/src/cmd/main.go']);
  t.deepEqual(await scripted.engine.listVolumes({ 'airlock.run': 'r1' }), ['run-src', 'w0', 'w0-scratch']);
  await scripted.engine.removeContainer(id);
  t.deepEqual(scripted.calls, ['create networkpolicy airlock-r1-deny-all', 'create pod airlock-r1-w0', 'attach airlock-r1-w0 fill', 'delete pod airlock-r1-w0', 'delete networkpolicy airlock-r1-deny-all']);
});

test('exec runs the command through the file helper and returns its status and output', async (t) => {
  const scripted = scriptedEngine((command) =>
    command.includes('vet')
      ? { stderr: 'vet: failed\n', status: { status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } } }
      : { stdout: 'ok\n', status: { status: 'Success' } },
  );
  const id = await openWorker(scripted);
  const request = { command: ['/usr/local/go/bin/go', 'version'], env: { GOOS: 'linux' }, user: `${policy.uid}:${policy.gid}`, workingDir: SandboxPaths.source };
  t.deepEqual(await scripted.engine.exec(id, request, 10_000), { stdout: 'ok\n', stderr: '', exitCode: 0, timedOut: false });
  t.deepEqual(scripted.execs[0], ['/airlock/bin/file-helper', 'run', '/work/src', 'PATH=/usr/local/go/bin', 'GOOS=linux', '--', '/usr/local/go/bin/go', 'version']);
  t.like(await scripted.engine.exec(id, { ...request, command: ['/usr/local/go/bin/go', 'vet'] }, 10_000), { exitCode: 3, stderr: 'vet: failed\n' });
  await scripted.engine.removeContainer(id);
});

test('getArchive streams what the helper sends, and a missing file is a 404', async (t) => {
  const scripted = scriptedEngine((command) =>
    command.at(-1) === '/work/out/missing'
      ? { stderr: 'file-helper: lstat /work/out/missing: no such file or directory\n', status: { status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '1' }] } } }
      : { stdout: 'TARBYTES', status: { status: 'Success' } },
  );
  const id = await openWorker(scripted);
  const archive = await scripted.engine.getArchive(id, '/work/out/tool');
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  t.is(Buffer.concat(chunks).toString(), 'TARBYTES');
  const missing = await t.throwsAsync(scripted.engine.getArchive(id, '/work/out/missing'), { instanceOf: EngineError });
  t.is((missing!.cause as { statusCode?: number }).statusCode, 404);
  await scripted.engine.removeContainer(id);
});

test('a running pod\'s placement names its namespace, pod, node and the digest of the pod spec sent, for the provenance', async (t) => {
  const scripted = scriptedEngine(() => ({ status: { status: 'Success' } }));
  t.is(scripted.engine.placement('airlock-r1-w0'), undefined, 'nothing before the pod exists');
  const id = await openWorker(scripted);
  const sent = scripted.created[0]!;
  t.deepEqual(scripted.engine.placement(id), {
    executor: 'kubernetes',
    namespace: 'builds',
    pod: id,
    node: 'node-a',
    podSpecDigest: `sha256:${createHash('sha256').update(canonicalJson(sent.spec)).digest('hex')}`,
  });
  await scripted.engine.removeContainer(id);
});
