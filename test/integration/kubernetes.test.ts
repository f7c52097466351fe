/**
 * The sandbox on a real Kubernetes cluster (.ci/kubernetes.sh: v1.34.4 built from the Go module proxy, beside
 * Docker): airlock's pod for a worker is accepted by a namespace enforcing the restricted Pod Security Standard
 * (a plain pod is refused there), runs the OCI sandbox image airlock writes itself (imported by digest) under
 * airlock's own seccomp profile as a Localhost profile, takes the source through its fill container's stdin
 * with the file helper, mounts it read-only, runs the verified toolchain through exec, and gives a file back
 * as a tar stream.
 *
 * The Kubernetes executor is being built (issue 22); these are the parts it stands on. Without a cluster the
 * test is skipped and says how to start one.
 */
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import fs from 'node:fs/promises';
import path from 'node:path';
import tarStream from 'tar-stream';

import { FILL_CONTAINER, SANDBOX_CONTAINER, sandboxPod } from '../../src/engine/kubernetes-pod.js';
import { packOciArchive } from '../../src/oci/oci-archive.js';
import { buildFileHelper } from '../../src/sandbox/file-helper.js';
import { sandboxImageSpec } from '../../src/sandbox/image-spec.js';
import { loadSandboxTemplate } from '../../src/sandbox/load-template.js';
import { SandboxPaths, defaultSandboxPolicy, workerContainerSpec } from '../../src/sandbox/policy.js';
import { writeSandboxOciLayout } from '../../src/sandbox/sandbox-oci-image.js';
import { ToolchainStore } from '../../src/toolchain/store.js';
import { ensureToolchains, repoRoot, testHome } from '../helpers/airlock-run.js';
import { toolsCache } from '../helpers/bootstrap-tools.js';
import { tempDir } from '../helpers/host-tools.js';
import { clusterScript, ensureClusterUp, testCluster } from '../helpers/kubernetes-cluster.js';

const { up: clusterUp, skipReason } = testCluster();
const kubeconfig = process.env.KUBECONFIG ?? '/var/lib/airlock-k8s/admin.kubeconfig';
const seccompDir = process.env.AIRLOCK_K8S_SECCOMP_DIR ?? '/var/lib/airlock-k8s/kubelet/seccomp';
const kubectlBinary = path.join(toolsCache, 'kubernetes-v1.34.4', 'bin', 'kubectl');

const clusterTest = clusterUp
  ? test.serial
  : test.serial.skip;

function kubectl(args: string[], options: { input?: string | Buffer; reject?: boolean } = {}) {
  return execa(kubectlBinary, ['--kubeconfig', kubeconfig, ...args], { reject: options.reject ?? true, ...(options.input !== undefined ? { input: options.input } : {}), encoding: 'buffer' });
}

const text = (value: unknown) => Buffer.from(value as Uint8Array).toString('utf8');

async function waitFor(t: ExecutionContext, what: string, check: () => Promise<boolean>, seconds = 120): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  t.fail(`timed out waiting for ${what}`);
  throw new Error(`timed out waiting for ${what}`);
}

/** One tar: the directories a worker starts with and a small module, named as paths under the pod's root. */
async function fillArchive(uid: number, gid: number): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk) => void chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  const rel = (p: string) => p.replace(/^\//, '');
  const dir = (name: string, owner = { uid: 0, gid: 0 }, mode = 0o755) => pack.entry({ name: rel(name), type: 'directory', mode, ...owner, mtime: new Date(0) });
  dir(SandboxPaths.output, { uid, gid });
  dir(`${SandboxPaths.scratch}/gocache`, { uid, gid }, 0o700);
  dir(`${SandboxPaths.scratch}/tmp`, { uid, gid }, 0o700);
  pack.entry({ name: rel(`${SandboxPaths.source}/go.mod`), mode: 0o644, mtime: new Date(0) }, 'module example.com/hello\n\ngo 1.26\n');
  pack.entry({ name: rel(`${SandboxPaths.source}/main.go`), mode: 0o644, mtime: new Date(0) }, 'package main\n\nfunc main() { println("hello from the pod") }\n');
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function singleFile(archive: Buffer): Promise<{ name: string; content: string }[]> {
  const extract = tarStream.extract();
  const files: { name: string; content: string }[] = [];
  const reading = (async () => {
    for await (const entry of extract) {
      const parts: Buffer[] = [];
      for await (const chunk of entry) parts.push(chunk as Buffer);
      files.push({ name: entry.header.name, content: Buffer.concat(parts).toString('utf8') });
    }
  })();
  extract.end(archive);
  await reading;
  return files;
}

clusterTest(`a worker's pod runs airlock's own sandbox image under the restricted Pod Security Standard, with airlock's seccomp profile, the source in through the file helper and read-only${skipReason}`, async (t) => {
  t.timeout(15 * 60_000);
  await ensureClusterUp(t);
  t.timeout(15 * 60_000);
  await ensureToolchains();
  const stored = await new ToolchainStore(testHome).get({ version: 'go1.26.8', goos: 'linux', goarch: 'amd64' });
  if (!stored) return t.fail('go1.26.8 linux/amd64 is not in the test store');
  const work = await tempDir(t, 'airlock-k8s-');
  const namespace = `airlock-test-${process.pid}`;
  t.teardown(async () => void (await kubectl(['delete', 'namespace', namespace, '--wait=false'], { reject: false })));
  await kubectl(['create', 'namespace', namespace]);
  await kubectl(['label', 'namespace', namespace, 'pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/enforce-version=latest']);

  // airlock's measured profile for go test (the build's plus fchmod and friends, which the file helper needs too),
  // installed on the node where the kubelet looks for Localhost profiles.
  await fs.mkdir(path.join(seccompDir, 'airlock'), { recursive: true });
  await fs.copyFile(path.join(repoRoot, 'templates', 'seccomp', 'airlock-go-test.json'), path.join(seccompDir, 'airlock', 'airlock-go-test.json'));

  // The sandbox image, written by airlock with no Docker, imported by digest.
  await fs.mkdir(path.join(work, 'helper'));
  const helper = await buildFileHelper({ toolchain: stored, target: { goos: 'linux', goarch: 'amd64' }, scratchDir: path.join(work, 'helper') });
  const policy = defaultSandboxPolicy(1);
  const spec = sandboxImageSpec(await loadSandboxTemplate(), { version: stored.version, goos: stored.goos, goarch: stored.goarch, treeDigest: stored.treeDigest }, policy);
  // A fully qualified name: the kubelet looks an unqualified one up under the default registry's name.
  const image = await writeSandboxOciLayout(path.join(work, 'layout'), { spec, policy, goroot: stored.goroot, helper, containerdName: `airlock.local/${spec.tag}` });
  await packOciArchive(path.join(work, 'layout'), path.join(work, 'sandbox.tar'));
  const imported = await execa('bash', [clusterScript, 'import-image', path.join(work, 'sandbox.tar')]);
  const reference = imported.stdout.trim().split('\n').at(-1)!;
  t.true(reference.endsWith(`@${image.manifest.digest}`), `imported as ${reference}, manifest ${image.manifest.digest}`);

  const container = workerContainerSpec(policy, {
    name: 'airlock-k8stest-w0',
    image: spec.tag,
    runId: 'k8stest',
    volume: 'airlock-k8stest-w0',
    scratchVolume: 'airlock-k8stest-w0-scratch',
    toolchain: stored.version,
    sourceVolume: 'airlock-k8stest-src',
  });
  const pod = sandboxPod(container, {
    namespace,
    image: reference,
    imagePullPolicy: 'Never',
    seccompProfile: 'airlock/airlock-go-test.json',
    activeDeadlineSeconds: 600,
    ephemeralStorageBytes: 2 * 1024 ** 3,
  });
  const manifest = JSON.stringify(pod);

  // The namespace enforces the standard: a plain pod is refused, airlock's is accepted.
  const plain = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'plain', namespace }, spec: { containers: [{ name: 'c', image: reference, imagePullPolicy: 'Never' }] } };
  const refused = await kubectl(['apply', '--dry-run=server', '-f', '-'], { input: JSON.stringify(plain), reject: false });
  t.not(refused.exitCode, 0);
  t.regex(text(refused.stderr), /violates PodSecurity "restricted/);
  const dryRun = await kubectl(['apply', '--dry-run=server', '-f', '-'], { input: manifest, reject: false });
  t.is(dryRun.exitCode, 0, text(dryRun.stderr));

  await kubectl(['apply', '-f', '-'], { input: manifest });
  const podState = async () => JSON.parse(text((await kubectl(['-n', namespace, 'get', 'pod', container.name, '-o', 'json'])).stdout)) as { status: { phase: string; initContainerStatuses?: Array<{ state: Record<string, unknown> }> } };
  t.teardown(async () => {
    if (!t.passed) t.log(text((await kubectl(['-n', namespace, 'describe', 'pod', container.name], { reject: false })).stdout).split('\n').slice(-40).join('\n'));
  });
  await waitFor(t, 'the fill container to run', async () => Boolean((await podState()).status.initContainerStatuses?.[0]?.state.running), 60);
  // The source goes in as one tar stream on the fill container's stdin; the helper ends at the tar's end.
  const attached = await kubectl(['-n', namespace, 'attach', '-i', '-c', FILL_CONTAINER, container.name], { input: await fillArchive(policy.uid, policy.gid), reject: false });
  t.log(`attach: exit ${attached.exitCode} ${text(attached.stderr).trim()}`);
  await waitFor(t, 'the sandbox container to run', async () => (await podState()).status.phase === 'Running');

  const exec = (command: string[]) => kubectl(['-n', namespace, 'exec', container.name, '-c', SANDBOX_CONTAINER, '--', ...command], { reject: false });
  const version = await exec([`${SandboxPaths.goroot}/bin/go`, 'version']);
  t.is(version.exitCode, 0, text(version.stderr));
  t.regex(text(version.stdout), /^go version go1\.26\.8 linux\/amd64/);
  // The source is there, read-only; the output directory is the build user's.
  const sent = await exec(['/airlock/bin/file-helper', 'send', `${SandboxPaths.source}/main.go`]);
  t.is(sent.exitCode, 0, text(sent.stderr));
  t.deepEqual(await singleFile(Buffer.from(sent.stdout as Uint8Array)), [{ name: 'main.go', content: 'package main\n\nfunc main() { println("hello from the pod") }\n' }]);
  const overwrite = await kubectl(['-n', namespace, 'exec', '-i', container.name, '-c', SANDBOX_CONTAINER, '--', '/airlock/bin/file-helper', 'receive', SandboxPaths.source], { input: await fillArchive(policy.uid, policy.gid), reject: false });
  t.not(overwrite.exitCode, 0, 'the source volume is read-only in the sandbox container');
  const goroot = await exec([`${SandboxPaths.goroot}/bin/go`, 'env', 'GOROOT']);
  t.is(text(goroot.stdout).trim(), SandboxPaths.goroot);
  t.log(`pod ${container.name} in ${namespace}: image ${reference}`);
});
