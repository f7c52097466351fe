/**
 * The OCI sandbox image pushed to a real registry (the CNCF distribution registry on loopback), pulled back
 * by digest and by tag, with and without authentication; and the real go1.26.8 sandbox image, written twice
 * (the same manifest digest) and pushed, with the times logged. No container engine is needed.
 */
import test, { type ExecutionContext } from 'ava';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

import { ExitCode, InputError } from '../../src/errors.js';
import { readRegistryCredentials } from '../../src/oci/docker-config.js';
import { packOciArchive } from '../../src/oci/oci-archive.js';
import { ANNOTATION_REF_NAME, OciMediaType } from '../../src/oci/oci-image.js';
import { type OciImageWritten, writeOciLayout } from '../../src/oci/oci-layout.js';
import { pushImage } from '../../src/oci/registry-push.js';
import { buildFileHelper } from '../../src/sandbox/file-helper.js';
import { sandboxImageSpec } from '../../src/sandbox/image-spec.js';
import { loadSandboxTemplate } from '../../src/sandbox/load-template.js';
import { defaultSandboxPolicy } from '../../src/sandbox/policy.js';
import { writeSandboxOciLayout } from '../../src/sandbox/sandbox-oci-image.js';
import { ToolchainStore } from '../../src/toolchain/store.js';
import { BOOTSTRAP_BUILD_WAIT_MS } from '../helpers/bootstrap-tools.js';
import { ensureToolchains, testHome } from '../helpers/airlock-run.js';
import { TEST_REGISTRY_USER, startRegistry } from '../helpers/distribution-registry.js';
import { tempDir } from '../helpers/host-tools.js';

const TAG = 'go1.26.8-0123456789abcdef';
const skopeo = spawnSync('sh', ['-c', 'command -v skopeo']).status === 0;

async function smallLayout(t: ExecutionContext): Promise<{ dir: string; image: OciImageWritten }> {
  const dir = path.join(await tempDir(t), 'layout');
  const image = await writeOciLayout(dir, {
    platform: { architecture: 'amd64', os: 'linux' },
    runtime: { user: '65534:65534', env: ['PATH=/usr/local/go/bin'], workingDir: '/work/src', labels: { 'airlock.managed': 'true' } },
    layers: [[{ type: 'directory', path: 'tmp', mode: 0o1777 }, { type: 'file', path: 'hello', mode: 0o644, content: 'hello from airlock\n' }]],
    annotations: { [ANNOTATION_REF_NAME]: TAG },
  });
  return { dir, image };
}

/** GETs a manifest as a pod's runtime would, and returns its bytes' digest and the digest the registry names. */
async function pullManifest(url: string, repository: string, reference: string, authorization?: string): Promise<{ digest: string; answered: string | null; mediaType: string }> {
  const response = await fetch(`${url}/v2/${repository}/manifests/${reference}`, {
    headers: { accept: OciMediaType.manifest, ...(authorization ? { authorization } : {}) },
  });
  if (response.status !== 200) throw new Error(`GET manifests/${reference}: ${response.status} ${await response.text()}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, answered: response.headers.get('docker-content-digest'), mediaType: (JSON.parse(bytes.toString()) as { mediaType: string }).mediaType };
}

const longWait = (t: ExecutionContext) => t.timeout(BOOTSTRAP_BUILD_WAIT_MS + 10 * 60_000, 'the registry may still be building in the background');

test.serial('an image pushed to the registry comes back by digest and by tag, byte for byte', async (t) => {
  longWait(t);
  const registry = await startRegistry(t, await tempDir(t));
  const { dir, image } = await smallLayout(t);
  const pushed = await pushImage({ registry: registry.url, repository: 'team/airlock-sandbox', archiveOrLayout: dir });
  t.is(pushed.reference, `${registry.host}/team/airlock-sandbox@${image.manifest.digest}`);
  t.deepEqual(pushed.uploaded, [image.config.digest, image.layers[0]!.digest]);
  for (const reference of [image.manifest.digest, TAG]) {
    t.deepEqual(await pullManifest(registry.url, 'team/airlock-sandbox', reference), { digest: image.manifest.digest, answered: image.manifest.digest, mediaType: OciMediaType.manifest });
  }
  const layer = await fetch(`${registry.url}/v2/team/airlock-sandbox/blobs/${image.layers[0]!.digest}`);
  t.is(`sha256:${createHash('sha256').update(Buffer.from(await layer.arrayBuffer())).digest('hex')}`, image.layers[0]!.digest);
  const again = await pushImage({ registry: registry.url, repository: 'team/airlock-sandbox', archiveOrLayout: dir });
  t.deepEqual(again.present, pushed.uploaded, 'a second push sends no blob again');
  if (skopeo) {
    // Another client of the distribution API: skopeo reads what airlock pushed.
    const raw = spawnSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/team/airlock-sandbox:${TAG}`], { encoding: 'utf8' });
    t.is(raw.status, 0, raw.stderr);
    t.is(`sha256:${createHash('sha256').update(raw.stdout).digest('hex')}`, image.manifest.digest);
  } else {
    t.log('skopeo is not installed: the pushed image was not read by a second client');
  }
});

test.serial('a registry with htpasswd: refused without credentials (exit 2), pushed with those of a docker config file', async (t) => {
  longWait(t);
  const work = await tempDir(t);
  const registry = await startRegistry(t, path.join(work, 'registry'), { htpasswd: true });
  const { dir, image } = await smallLayout(t);
  const dockerConfig = path.join(work, 'docker');
  const none = await readRegistryCredentials(registry.host, { DOCKER_CONFIG: dockerConfig }, '/nonexistent');
  const refused = await t.throwsAsync(pushImage({ registry: registry.url, repository: 'airlock-sandbox', archiveOrLayout: dir, credentialsFile: none.file }), { instanceOf: InputError });
  t.is(refused?.exitCode, ExitCode.badInput);
  t.is(refused?.message, `the registry ${registry.host} asks for credentials to push to airlock-sandbox, and ${path.join(dockerConfig, 'config.json')} has none for it`);

  await fs.mkdir(dockerConfig);
  const auth = (password: string) => Buffer.from(`${TEST_REGISTRY_USER.username}:${password}`).toString('base64');
  await fs.writeFile(path.join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth: auth('wrong') } } }));
  const wrong = await readRegistryCredentials(registry.host, { DOCKER_CONFIG: dockerConfig }, '/nonexistent');
  await t.throwsAsync(pushImage({ registry: registry.url, repository: 'airlock-sandbox', archiveOrLayout: dir, credentials: wrong.credentials!, credentialsFile: wrong.file }), { instanceOf: InputError, message: /refused the credentials of airlock-ci/ });

  await fs.writeFile(path.join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [`http://${registry.host}/v2/`]: { auth: auth(TEST_REGISTRY_USER.password) } } }));
  const found = await readRegistryCredentials(registry.host, { DOCKER_CONFIG: dockerConfig }, '/nonexistent');
  const pushed = await pushImage({ registry: registry.url, repository: 'airlock-sandbox', archiveOrLayout: dir, credentials: found.credentials!, credentialsFile: found.file });
  t.is(pushed.digest, image.manifest.digest);
  const basic = `Basic ${auth(TEST_REGISTRY_USER.password)}`;
  t.is((await pullManifest(registry.url, 'airlock-sandbox', TAG, basic)).digest, image.manifest.digest);
});

test.serial('the go1.26.8 sandbox image: written twice with the same manifest digest, archived, pushed and pulled back (times logged)', async (t) => {
  longWait(t);
  await ensureToolchains();
  const stored = await new ToolchainStore(testHome).get({ version: 'go1.26.8', goos: 'linux', goarch: 'amd64' });
  if (!stored) return t.fail('go1.26.8 linux/amd64 is not in the test store');
  const work = await tempDir(t);
  const timed = async <T>(what: string, step: () => Promise<T>): Promise<T> => {
    const started = process.hrtime.bigint();
    const result = await step();
    t.log(`${what}: ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s`);
    return result;
  };
  const helper = await timed('file helper built', async () => {
    await fs.mkdir(path.join(work, 'helper'));
    return buildFileHelper({ toolchain: stored, target: { goos: 'linux', goarch: 'amd64' }, scratchDir: path.join(work, 'helper') });
  });
  const policy = defaultSandboxPolicy(2);
  const spec = sandboxImageSpec(await loadSandboxTemplate(), { version: stored.version, goos: stored.goos, goarch: stored.goarch, treeDigest: stored.treeDigest }, policy);
  const input = { spec, policy, goroot: stored.goroot, helper };
  const first = await timed('layout written', () => writeSandboxOciLayout(path.join(work, 'one'), input));
  const archive = await timed('archive packed', () => packOciArchive(path.join(work, 'one'), path.join(work, 'sandbox.tar')));
  const second = await timed('layout written again', () => writeSandboxOciLayout(path.join(work, 'two'), input));
  t.deepEqual(second, first, 'the same toolchain, template and helper make the same image');
  t.log(`manifest ${first.manifest.digest}, layer ${first.layers[0]!.size} bytes, archive ${archive.size} bytes (${archive.digest}), helper sha256:${helper.sha256}`);

  const registry = await startRegistry(t, path.join(work, 'registry'));
  const pushed = await timed('archive pushed', () => pushImage({ registry: registry.url, repository: 'airlock-sandbox', archiveOrLayout: path.join(work, 'sandbox.tar') }));
  t.is(pushed.digest, first.manifest.digest);
  t.is(pushed.tag, first.tag);
  const again = await timed('layout pushed again (every blob present)', () => pushImage({ registry: registry.url, repository: 'airlock-sandbox', archiveOrLayout: path.join(work, 'two') }));
  t.deepEqual(again.uploaded, []);
  t.is((await pullManifest(registry.url, 'airlock-sandbox', first.tag)).digest, first.manifest.digest);
});
