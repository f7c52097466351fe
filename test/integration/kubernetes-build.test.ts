/**
 * `airlock build --executor kubernetes` on a real cluster (.ci/kubernetes.sh: v1.34.4 built from the Go module
 * proxy, beside Docker): every worker a restricted pod in a namespace enforcing the restricted Pod Security
 * Standard, under airlock's build seccomp profile as a Localhost profile. The binaries and SHA256SUMS must be
 * byte-identical to the Docker build of the same module, and no pod or NetworkPolicy may be left, after a
 * success, a failure or SIGINT. Without a cluster the test is skipped and says how to start one.
 */
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { parse } from 'yaml';

import { cliPath, copyModule, ensureToolchains, linkAirlockInto, repoRoot, runAirlock, TEST_OWNER, testHome } from '../helpers/airlock-run.js';
import { toolsCache } from '../helpers/bootstrap-tools.js';
import { startRegistry } from '../helpers/distribution-registry.js';
import { tempDir } from '../helpers/host-tools.js';
import { JobFailure, type JobRun, LocalPipelineRunner, type PipelineConfig } from '../helpers/gitlab-pipeline.js';
import { clusterScript, ensureClusterUp, testCluster } from '../helpers/kubernetes-cluster.js';

const { up: clusterUp, skipReason } = testCluster();
const kubeconfig = process.env.KUBECONFIG ?? '/var/lib/airlock-k8s/admin.kubeconfig';
const seccompDir = process.env.AIRLOCK_K8S_SECCOMP_DIR ?? '/var/lib/airlock-k8s/kubelet/seccomp';
const kubectlBinary = path.join(toolsCache, 'kubernetes-v1.34.4', 'bin', 'kubectl');
const namespace = `airlock-build-test-${process.pid}`;

const clusterTest = clusterUp ? test.serial : test.serial.skip;

const TARGETS = ['linux/amd64', 'linux/arm64', 'windows/amd64'];
const kubernetesEnv = { KUBECONFIG: kubeconfig, AIRLOCK_K8S_NAMESPACE: namespace };

async function kubectl(args: string[]): Promise<string> {
  return (await execa(kubectlBinary, ['--kubeconfig', kubeconfig, ...args])).stdout;
}

/** airlock's pods and NetworkPolicies in the test namespace. */
async function leftovers(): Promise<string[]> {
  const names = await kubectl(['-n', namespace, 'get', 'pods,networkpolicies', '-l', 'airlock.managed=true', '-o', 'name']);
  return names.split('\n').filter((line) => line.trim() !== '');
}

async function releaseFiles(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const name of (await fs.readdir(dir)).sort()) {
    if (/^cli_[a-z0-9]+_[a-z0-9]+(\.exe)?$/.test(name) || name === 'SHA256SUMS') files.set(name, await fs.readFile(path.join(dir, name)));
  }
  return files;
}

/** The Docker build's SHA256SUMS from the first test, for the later ones to compare with. */
let dockerSums: string | undefined;

const buildArgs = (module: string, out: string) => ['build', module, '--go', '1.26.8', ...TARGETS.flatMap((target) => ['--target', target]), '--out', out];

/** The namespace and the seccomp profile, once, after the cluster is up (ensureClusterUp, in each test). */
let setUpOnce: Promise<void> | undefined;
const setUp = (t: ExecutionContext) =>
  (setUpOnce ??= (async () => {
    await ensureClusterUp(t);
    await ensureToolchains();
    await kubectl(['create', 'namespace', namespace]);
    await kubectl(['label', 'namespace', namespace, 'pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/enforce-version=latest']);
    // airlock's build profile, where the kubelet looks for Localhost profiles, under the name airlock's pods use.
    const generated = await runAirlock(['generate', 'seccomp', '--kubernetes', '--out', seccompDir]);
    if (generated.exitCode !== 0) throw new Error(generated.stderr);
  })());

test.after.always(async () => {
  if (setUpOnce) await execa(kubectlBinary, ['--kubeconfig', kubeconfig, 'delete', 'namespace', namespace, '--wait=false'], { reject: false });
});

clusterTest(`a build on Kubernetes gives the Docker build's very bytes, and leaves no pod or NetworkPolicy${skipReason}`, async (t) => {
  await setUp(t);
  t.timeout(40 * 60_000);
  const module = await copyModule('examples/cli');
  const onCluster = path.join(module, 'dist-kubernetes');
  const onDocker = path.join(module, 'dist-docker');

  // Until the cluster has airlock's image, the first pod says so, naming the archive airlock wrote.
  let started = Date.now();
  let result = await runAirlock([...buildArgs(module, onCluster), '--executor', 'kubernetes'], { env: kubernetesEnv });
  const archive = /import (\S+\.oci\.tar) on every node/.exec(result.stderr)?.[1];
  if (archive !== undefined) {
    t.is(result.exitCode, 2, result.stderr);
    t.log(`without the image: exit ${result.exitCode} after ${((Date.now() - started) / 1000).toFixed(1)}s: ${result.stderr.trim().split('\n').at(-1)}`);
    t.deepEqual(await leftovers(), [], 'a failed build leaves no pod or NetworkPolicy');
    const imported = await execa('bash', [clusterScript, 'import-image', archive]);
    t.log(`imported ${imported.stdout.trim()}`);
    started = Date.now();
    result = await runAirlock([...buildArgs(module, onCluster), '--executor', 'kubernetes'], { env: kubernetesEnv });
  }
  t.is(result.exitCode, 0, result.stderr);
  t.log(`on Kubernetes: ${((Date.now() - started) / 1000).toFixed(1)}s`);
  t.deepEqual(await leftovers(), [], 'no pod or NetworkPolicy is left');

  started = Date.now();
  const docker = await runAirlock(buildArgs(module, onDocker));
  t.is(docker.exitCode, 0, docker.stderr);
  t.log(`on Docker: ${((Date.now() - started) / 1000).toFixed(1)}s`);

  const cluster = await releaseFiles(onCluster);
  const local = await releaseFiles(onDocker);
  t.deepEqual([...cluster.keys()], [...local.keys()]);
  t.is(cluster.size, TARGETS.length + 1);
  for (const [name, bytes] of local) t.true(cluster.get(name)!.equals(bytes), `${name} is byte-identical`);
  t.log(cluster.get('SHA256SUMS')!.toString('utf8').trim());
  dockerSums = local.get('SHA256SUMS')!.toString('utf8');

  // The provenance says where each build ran: the executor, the API server's version, the pod, its node and
  // the digest of the pod spec airlock sent; a Docker build's says nothing of the kind.
  const executorOf = async (dir: string) => {
    const envelope = JSON.parse(await fs.readFile(path.join(dir, 'cli_linux_amd64.intoto.jsonl'), 'utf8')) as { payload: string };
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as { predicate: { buildDefinition: { internalParameters: { executor?: Record<string, string> } } } };
    return statement.predicate.buildDefinition.internalParameters.executor;
  };
  const executor = await executorOf(onCluster);
  t.like(executor, { kind: 'kubernetes', apiServerVersion: 'v1.34.4', namespace });
  t.regex(executor?.pod ?? '', /^airlock-[0-9a-f]{12}-w\d+$/);
  t.truthy(executor?.node);
  t.regex(executor?.podSpecDigest ?? '', /^sha256:[0-9a-f]{64}$/);
  t.is(await executorOf(onDocker), undefined);
});

clusterTest(`kubernetes.runtimeClass puts the pods in a RuntimeClass without network, with the same bytes (and --check: a second pod gives them again); a build over sandbox.timeoutSeconds is stopped (exit 3) and its pod deleted${skipReason}`, async (t) => {
  await setUp(t);
  t.timeout(15 * 60_000);
  const module = await copyModule('examples/cli');
  await fs.writeJson(path.join(module, 'airlock.json'), { executor: 'kubernetes', kubernetes: { runtimeClass: 'airlock-nonet' } });
  const out = path.join(module, 'dist-nonet');
  const built = await runAirlock(['build', module, '--go', '1.26.8', '--target', 'linux/amd64', '--check', '--out', out], { env: kubernetesEnv });
  t.is(built.exitCode, 0, built.stderr);
  const line = (await fs.readFile(path.join(out, 'SHA256SUMS'), 'utf8')).trim();
  if (dockerSums !== undefined) t.true(dockerSums.split('\n').includes(line), `${line} is the Docker build's`);
  t.deepEqual(await leftovers(), []);

  // Ten seconds (the least airlock.json allows) is less than a cold build of the module takes on this machine.
  await fs.writeJson(path.join(module, 'airlock.json'), { executor: 'kubernetes', sandbox: { timeoutSeconds: 10 } });
  const started = Date.now();
  const stopped = await runAirlock(['build', module, '--go', '1.26.8', '--target', 'linux/amd64', '--out', path.join(module, 'dist-timeout')], { env: kubernetesEnv });
  t.is(stopped.exitCode, 3, stopped.stderr);
  t.regex(stopped.stderr, /timed out: it ran for the sandbox's limit of 10s/);
  t.log(`stopped after ${((Date.now() - started) / 1000).toFixed(1)}s`);
  t.deepEqual(await leftovers(), [], 'the timed-out pod is deleted');
});

clusterTest(`--registry pushes the sandbox image to a registry (the distribution registry on loopback) and the pods pull it from there by digest, with the same bytes${skipReason}`, async (t) => {
  await setUp(t);
  t.timeout(20 * 60_000);
  const registry = await startRegistry(t, await tempDir(t));
  const module = await copyModule('examples/cli');
  const out = path.join(module, 'dist-registry');
  const built = await runAirlock(['build', module, '--go', '1.26.8', '--target', 'linux/amd64', '--executor', 'kubernetes', '--registry', registry.url, '--out', out], { env: kubernetesEnv });
  t.is(built.exitCode, 0, built.stderr);
  const line = (await fs.readFile(path.join(out, 'SHA256SUMS'), 'utf8')).trim();
  if (dockerSums !== undefined) t.true(dockerSums.split('\n').includes(line), `${line} is the Docker build's`);
  // The manifest the pods pulled is in the registry under airlock's repository.
  const tags = (await (await fetch(`${registry.url}/v2/airlock-sandbox/tags/list`)).json()) as { tags?: string[] };
  t.log(`registry ${registry.host}: airlock-sandbox tags ${JSON.stringify(tags.tags ?? [])}`);
  const images = await execa('ctr', ['--address', '/var/lib/airlock-k8s/containerd/containerd.sock', '--namespace', 'k8s.io', 'images', 'ls', '-q'], { reject: false });
  t.true(String(images.stdout).split('\n').some((name) => name.startsWith(`${registry.host}/airlock-sandbox@sha256:`)), 'the node pulled the image from the registry');
  t.deepEqual(await leftovers(), []);
});

clusterTest(`a module set (--modules, no vendor/) reaches every pod through the emulated module cache volume, with the Docker build's bytes${skipReason}`, async (t) => {
  await setUp(t);
  t.timeout(20 * 60_000);
  const module = await copyModule('examples/cli');
  await fs.remove(path.join(module, 'vendor'));
  const set = path.join(repoRoot, 'test', 'fixtures', 'module-sets', 'cli-modules.tar.gz');
  const args = (out: string) => ['build', module, '--go', '1.26.8', '--modules', set, '--target', 'linux/amd64', '--target', 'darwin/arm64', '--out', out];
  const onCluster = await runAirlock([...args(path.join(module, 'dist-kubernetes')), '--executor', 'kubernetes'], { env: kubernetesEnv });
  t.is(onCluster.exitCode, 0, onCluster.stderr);
  t.regex(onCluster.stderr, /5 modules from the module set, verified against go\.sum/);
  t.deepEqual(await leftovers(), []);
  const onDocker = await runAirlock(args(path.join(module, 'dist-docker')));
  t.is(onDocker.exitCode, 0, onDocker.stderr);
  const cluster = await releaseFiles(path.join(module, 'dist-kubernetes'));
  const local = await releaseFiles(path.join(module, 'dist-docker'));
  t.deepEqual([...cluster.keys()], [...local.keys()]);
  for (const [name, bytes] of local) t.true(cluster.get(name)!.equals(bytes), `${name} is byte-identical`);
  t.log(cluster.get('SHA256SUMS')!.toString('utf8').trim());

});

clusterTest(`the executor comes from airlock.json and AIRLOCK_EXECUTOR too; a namespace that does not exist is bad input (exit 2)${skipReason}`, async (t) => {
  await setUp(t);
  t.timeout(10 * 60_000);
  const module = await copyModule('examples/cli');
  await fs.writeJson(path.join(module, 'airlock.json'), { executor: 'kubernetes', kubernetes: { namespace: 'airlock-no-such-namespace' } });
  const fromConfig = await runAirlock(['build', module, '--go', '1.26.8'], { env: { KUBECONFIG: kubeconfig } });
  t.is(fromConfig.exitCode, 2, fromConfig.stderr);
  t.regex(fromConfig.stderr, /the namespace airlock-no-such-namespace does not exist on the cluster/);
  await fs.remove(path.join(module, 'airlock.json'));
  const fromEnv = await runAirlock(['build', module, '--go', '1.26.8'], { env: { KUBECONFIG: kubeconfig, AIRLOCK_EXECUTOR: 'kubernetes', AIRLOCK_K8S_NAMESPACE: 'airlock-no-such-namespace' } });
  t.is(fromEnv.exitCode, 2, fromEnv.stderr);
  t.notRegex(fromEnv.stderr, /\n\s+at /, 'no stack trace');
  const unreachable = await runAirlock(['build', module, '--go', '1.26.8', '--executor', 'kubernetes'], { env: { KUBECONFIG: path.join(module, 'no-such-kubeconfig') } });
  t.is(unreachable.exitCode, 5, unreachable.stderr);
});

/** A kubeconfig for a new service account of the test namespace, holding only the roles given. */
async function serviceAccountKubeconfig(dir: string, name: string): Promise<string> {
  await kubectl(['-n', namespace, 'create', 'serviceaccount', name]);
  return kubeconfigFor(dir, name);
}

/** A kubeconfig for the service account `name` of the test namespace: the cluster's server and CA, and a token for it. */
async function kubeconfigFor(dir: string, name: string): Promise<string> {
  const token = await kubectl(['-n', namespace, 'create', 'token', name]);
  const server = await kubectl(['config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}']);
  const ca = await kubectl(['config', 'view', '--raw', '--minify', '-o', 'jsonpath={.clusters[0].cluster.certificate-authority-data}']);
  const file = path.join(dir, `${name}.kubeconfig`);
  await fs.writeFile(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server, 'certificate-authority-data': ca } }],
      users: [{ name: 'u', user: { token } }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'u', namespace } }],
      'current-context': 'c',
    }),
  );
  return file;
}

async function grant(account: string, role: string, verbs: string, resources: string): Promise<void> {
  await kubectl(['-n', namespace, 'create', 'role', role, `--verb=${verbs}`, `--resource=${resources}`]);
  await kubectl(['-n', namespace, 'create', 'rolebinding', role, `--role=${role}`, `--serviceaccount=${namespace}:${account}`]);
}

clusterTest(`an identity with only the documented permissions builds; without pods/exec the build is refused before any pod with exit 2 naming it${skipReason}`, async (t) => {
  await setUp(t);
  t.timeout(15 * 60_000);
  const module = await copyModule('examples/cli');
  const kubeconfigFile = await serviceAccountKubeconfig(await tempDir(t), 'airlock-builder');
  await grant('airlock-builder', 'airlock-pods', 'create,get,list,delete', 'pods');
  await grant('airlock-builder', 'airlock-policies', 'create,delete', 'networkpolicies');
  await grant('airlock-builder', 'airlock-attach', 'get,create', 'pods/attach');
  const args = ['build', module, '--go', '1.26.8', '--target', 'linux/amd64', '--executor', 'kubernetes', '--out', path.join(module, 'dist')];
  const refused = await runAirlock(args, { env: { ...kubernetesEnv, KUBECONFIG: kubeconfigFile } });
  t.is(refused.exitCode, 2, refused.stderr);
  // Found before any pod is made, by the API server's access reviews.
  t.regex(refused.stderr, new RegExp(`the kubeconfig's identity may not get pods/exec, create pods/exec in the namespace ${namespace}`));
  t.deepEqual(await leftovers(), []);
  await grant('airlock-builder', 'airlock-exec', 'get,create', 'pods/exec');
  const built = await runAirlock(args, { env: { ...kubernetesEnv, KUBECONFIG: kubeconfigFile } });
  t.is(built.exitCode, 0, built.stderr);
  const line = (await fs.readFile(path.join(module, 'dist', 'SHA256SUMS'), 'utf8')).trim();
  if (dockerSums !== undefined) t.true(dockerSums.split('\n').includes(line), `${line} is the Docker build's`);
  t.deepEqual(await leftovers(), []);
});

clusterTest(`SIGINT while pods build: exit 130 and no pod or NetworkPolicy is left${skipReason}`, async (t) => {
  await setUp(t);
  t.timeout(15 * 60_000);
  const module = await copyModule('examples/cli');
  const child = execa('node', [cliPath, ...buildArgs(module, path.join(module, 'dist')), '--executor', 'kubernetes'], {
    reject: false,
    env: { AIRLOCK_HOME: testHome, CI: 'true', ...kubernetesEnv },
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  const deadline = Date.now() + 5 * 60_000;
  let pods: string[] = [];
  let policies: string[] = [];
  while (Date.now() < deadline && child.exitCode === null) {
    const live = await leftovers();
    pods = live.filter((name) => name.startsWith('pod/'));
    policies = live.filter((name) => name.startsWith('networkpolicy'));
    if (pods.length > 0 && /: building after/.test(stderr)) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  t.true(pods.length > 0, `the build had pods: ${stderr}`);
  t.is(policies.length, 1, 'the run has its deny-all NetworkPolicy while its pods run');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  child.kill('SIGINT');
  const result = await child;
  t.is(result.exitCode, 130, stderr);
  t.deepEqual(await leftovers(), [], 'no pod or NetworkPolicy is left');
  t.false(await fs.pathExists(path.join(module, 'dist')), 'no output directory was written');
});

/** The pipeline's jobs, run again once the node has the sandbox image if the first run's build stopped for want of it. */
async function runWithImageImported(t: ExecutionContext, run: () => Promise<JobRun[]>): Promise<JobRun[]> {
  try {
    return await run();
  } catch (error) {
    const archive = error instanceof JobFailure ? /import (\S+\.oci\.tar) on every node/.exec(error.run.log)?.[1] : undefined;
    if (archive === undefined) throw error;
    t.log(`the build job stopped for want of the image: ${(error as JobFailure).run.log.trim().split('\n').at(-1)}`);
    t.deepEqual(await leftovers(), [], 'the failed job leaves no pod or NetworkPolicy');
    // What the cluster's administrator does once, as the pipeline's comments say.
    t.log(`imported ${(await execa('bash', [clusterScript, 'import-image', archive])).stdout.trim()}`);
    return run();
  }
}

clusterTest(`the GitLab pipeline \`airlock init --ci gitlab-kubernetes\` writes runs as written, under the service account of its RBAC manifest given as a KUBECONFIG File variable and with no Docker: build and verify pass, the binaries are the Docker build's, no pod or NetworkPolicy is left${skipReason}`, async (t) => {
  await setUp(t);
  t.timeout(30 * 60_000);
  const module = await copyModule('examples/cli');
  const work = path.dirname(module);
  t.is((await runAirlock(['init', module, '--ci', 'gitlab-kubernetes'])).exitCode, 0);
  // As a user narrows airlock.json: one toolchain, an ELF and a PE target (fewer cold builds keep the test short).
  const config = (await fs.readJson(path.join(module, 'airlock.json'))) as Record<string, unknown>;
  await fs.writeJson(path.join(module, 'airlock.json'), { ...config, toolchains: ['1.26.8'], targets: ['linux/amd64', 'windows/amd64'] }, { spaces: 2 });
  // ... and points the pipeline at the namespace the manifest is applied to.
  const pipelineFile = path.join(module, '.gitlab-ci.yml');
  const written = await fs.readFile(pipelineFile, 'utf8');
  t.regex(written, /^  AIRLOCK_K8S_NAMESPACE: "airlock"$/m);
  await fs.writeFile(pipelineFile, written.replace('AIRLOCK_K8S_NAMESPACE: "airlock"', `AIRLOCK_K8S_NAMESPACE: "${namespace}"`));

  // The cluster side, as the pipeline's comments say: the manifest applied in the namespace, and a kubeconfig
  // for its service account (a token from `kubectl create token`), given to the jobs as a File variable.
  const applied = await kubectl(['apply', '--namespace', namespace, '-f', path.join(module, '.gitlab', 'airlock-kubernetes-rbac.yml')]);
  t.log(applied);
  const kubeconfigFile = await kubeconfigFor(work, 'airlock-build');
  const passphrase = 'gitlab kubernetes pipeline test';
  const key = path.join(work, 'airlock.key');
  t.is((await runAirlock(['keygen', '--key', key, '--pub', path.join(module, 'airlock.pub')], { env: { AIRLOCK_KEY_PASSPHRASE: passphrase } })).exitCode, 0);

  const runner = new LocalPipelineRunner({
    repository: module,
    scratch: path.join(work, 'gitlab-runner'),
    variables: { AIRLOCK_KEY_PASSPHRASE: passphrase },
    fileVariables: { AIRLOCK_SIGNING_KEY: await fs.readFile(key, 'utf8'), KUBECONFIG: await fs.readFile(kubeconfigFile, 'utf8') },
    // The job pod has no Docker daemon: a Docker engine the jobs reached for would be refused here.
    baseEnv: { PATH: process.env.PATH, HOME: process.env.HOME, AIRLOCK_HOME: testHome, AIRLOCK_OWNER: TEST_OWNER, DOCKER_HOST: 'unix:///nonexistent/airlock-no-docker.sock' },
    prepareWorkspace: linkAirlockInto,
  });
  const pipeline = parse(await fs.readFile(pipelineFile, 'utf8')) as PipelineConfig;
  const started = Date.now();
  const runs = await runWithImageImported(t, () => runner.runPipeline(pipeline));
  t.log(`pipeline: ${((Date.now() - started) / 1000).toFixed(1)}s`);
  t.deepEqual(runs.map((run) => run.name), ['airlock-build', 'airlock-verify']);
  const verifyLog = runs[1]!.log;
  t.is(verifyLog.match(/^OK +cli_\S+ +checksum, envelope signature, subject digest/gm)?.length, 2, verifyLog);
  t.regex(verifyLog, /^OK +SHA256SUMS +signature/m);
  t.notRegex(verifyLog, /FAILED|signatures were not checked/);
  t.deepEqual(await leftovers(), [], 'no pod or NetworkPolicy is left');

  // The same checkout built on Docker: the same binaries and SHA256SUMS, byte for byte.
  const onDocker = path.join(work, 'dist-docker');
  const docker = await runAirlock(['build', module, '--out', onDocker]);
  t.is(docker.exitCode, 0, docker.stderr);
  const released = await releaseFiles(path.join(runs[0]!.artifacts, 'dist'));
  const local = await releaseFiles(onDocker);
  t.deepEqual([...released.keys()], [...local.keys()]);
  t.is(released.size, 3);
  for (const [name, bytes] of local) t.true(released.get(name)!.equals(bytes), `${name} is byte-identical`);
  t.log(released.get('SHA256SUMS')!.toString('utf8').trim());
  // The provenance says the binaries were built on the cluster, in the test namespace.
  const envelope = JSON.parse(await fs.readFile(path.join(runs[0]!.artifacts, 'dist', 'cli_linux_amd64.intoto.jsonl'), 'utf8')) as { payload: string };
  t.like(JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')), { predicate: { buildDefinition: { internalParameters: { executor: { kind: 'kubernetes', namespace } } } } });
});
