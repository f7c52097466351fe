import test from 'ava';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

import { orderLayerEntries } from '../../../src/oci/oci-layer.js';
import { blobPath } from '../../../src/oci/oci-layout.js';
import { generatedContextFiles } from '../../../src/sandbox/image-context.js';
import { type ImageToolchain, sandboxImageSpec } from '../../../src/sandbox/image-spec.js';
import { loadSandboxTemplate } from '../../../src/sandbox/load-template.js';
import { defaultSandboxPolicy } from '../../../src/sandbox/policy.js';
import {
  FILE_HELPER_IMAGE_PATH,
  sandboxBaseEntries,
  sandboxOciRuntime,
  writeSandboxOciLayout,
} from '../../../src/sandbox/sandbox-oci-image.js';
import { TOOLCHAIN_TREE } from '../../helpers/toolchain-fixture.js';
import { run, tempDir } from '../../helpers/host-tools.js';

const TOOLCHAIN: ImageToolchain = { version: 'go1.26.8', goos: 'linux', goarch: 'amd64', treeDigest: 'h1:ZOmGe1OnfREDMIdb1Qi4G9JSuDPBLGExZMQ4nis1RXM=' };
const POLICY = defaultSandboxPolicy(4);
const HELPER = Buffer.from('\x7fELF a stand-in for the file helper\n');
const HELPER_SHA256 = createHash('sha256').update(HELPER).digest('hex');

const specPromise = loadSandboxTemplate().then((template) => sandboxImageSpec(template, TOOLCHAIN, POLICY));

/** A small synthetic GOROOT: the fixture's tree plus a test file and test data, which the image leaves out. */
async function syntheticGoroot(dir: string, extra: Record<string, string> = {}): Promise<string> {
  const goroot = path.join(dir, 'goroot');
  const files = { ...TOOLCHAIN_TREE, 'src/fmt/print_test.go': 'package fmt\n', 'src/fmt/testdata/x.txt': 'x\n', 'src/fmt/print.go': 'package fmt\n', ...extra };
  for (const [name, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(goroot, name)), { recursive: true });
    await fs.writeFile(path.join(goroot, name), content, { mode: 0o600 });
  }
  return goroot;
}

async function helperFile(dir: string, bytes = HELPER): Promise<{ path: string; sha256: string }> {
  const file = path.join(dir, `helper-${createHash('sha256').update(bytes).digest('hex').slice(0, 8)}`);
  await fs.writeFile(file, bytes);
  return { path: file, sha256: createHash('sha256').update(bytes).digest('hex') };
}

test('the image holds what the Docker build context puts into the Docker image, plus the file helper', async (t) => {
  const spec = await specPromise;
  // Where the Dockerfile template copies each part of the context (COPY rootfs/ /, work/, out/, cache/).
  const dockerPaths = new Map([['rootfs/', ''], ['work', 'work'], ['out', 'work/out'], ['cache', 'cache']]);
  const fromDocker = generatedContextFiles(spec)
    .filter((entry) => entry.path !== 'Dockerfile')
    .map((entry) => {
      for (const [from, to] of dockerPaths) {
        if (entry.path === from || entry.path.startsWith(`${from}/`) || (from.endsWith('/') && entry.path.startsWith(from))) {
          return { path: `${to}${entry.path.slice(from.length)}`.replace(/^\//, ''), type: entry.type, mode: entry.mode };
        }
      }
      throw new Error(`no place for ${entry.path}`);
    });
  const entries = sandboxBaseEntries(spec, POLICY, HELPER);
  const helperPath = FILE_HELPER_IMAGE_PATH.slice(1);
  const ours = entries.filter((e) => !e.path.startsWith('airlock') && e.path !== 'etc').map(({ path: p, type, mode }) => ({ path: p, type, mode }));
  t.deepEqual(new Set(ours.map((e) => JSON.stringify(e))), new Set(fromDocker.map((e) => JSON.stringify(e))));
  t.like(entries.find((e) => e.path === 'work/out'), { uid: POLICY.uid, gid: POLICY.gid }, 'COPY --chown: the build user owns /work/out');
  t.like(entries.find((e) => e.path === 'cache'), { uid: POLICY.uid, gid: POLICY.gid }, 'COPY --chown: the build user owns /cache');
  t.like(entries.find((e) => e.path === helperPath), { type: 'file', mode: 0o555, content: HELPER });
  t.is(entries.find((e) => e.path === helperPath)?.uid, undefined, 'the helper is root\'s');
  t.notThrows(() => orderLayerEntries([...entries, { type: 'directory', path: 'usr/local/go', mode: 0o755 }]), 'every parent directory is listed');
});

test('the image config sets the user, environment and working directory the Dockerfile sets', async (t) => {
  const spec = await specPromise;
  const runtime = sandboxOciRuntime(spec, POLICY, HELPER_SHA256);
  const instruction = (keyword: string) => spec.dockerfile.split('\n').filter((line) => line.startsWith(`${keyword} `)).map((line) => line.slice(keyword.length + 1));
  t.deepEqual(instruction('USER'), [runtime.user]);
  t.deepEqual(instruction('WORKDIR'), [runtime.workingDir]);
  t.deepEqual(instruction('ENV'), [...runtime.env]);
  t.deepEqual(runtime.labels, { ...spec.labels, 'airlock.file-helper.digest': `sha256:${HELPER_SHA256}` });
});

test('the manifest digest is a function of the toolchain tree, the template and the helper (golden)', async (t) => {
  const dir = await tempDir(t);
  const spec = await specPromise;
  const goroot = await syntheticGoroot(dir);
  const helper = await helperFile(dir);
  const write = (name: string, input: Partial<Parameters<typeof writeSandboxOciLayout>[1]> = {}) =>
    writeSandboxOciLayout(path.join(dir, name), { spec, policy: POLICY, goroot, helper, ...input });
  const first = await write('one');
  const second = await write('two');
  t.deepEqual(first, second);
  t.snapshot({ reference: first.reference, manifest: first.manifest.digest, config: first.config.digest, layer: first.layers[0]!.digest }, 'synthetic sandbox image');
  t.regex(first.reference, /^airlock-sandbox:go1\.26\.8-[0-9a-f]{16}$/);

  const named = await write('named', { containerdName: 'airlock.invalid/airlock-sandbox:x' });
  t.is(named.manifest.digest, first.manifest.digest, 'a name in index.json is not part of the image');

  const otherHelper = await write('helper', { helper: await helperFile(dir, Buffer.from('another helper')) });
  t.not(otherHelper.manifest.digest, first.manifest.digest);
  t.not(otherHelper.tag, first.tag, 'the tag names the helper too');
  const otherTree = await write('tree', { goroot: await syntheticGoroot(path.join(dir, 'other-tree'), { 'src/fmt/print.go': 'package fmt // changed\n' }) });
  t.not(otherTree.manifest.digest, first.manifest.digest);
  const testOnly = await write('test-only', { goroot: await syntheticGoroot(path.join(dir, 'changed-test'), { 'src/fmt/print_test.go': 'package fmt // changed\n' }) });
  t.is(testOnly.manifest.digest, first.manifest.digest, 'test files are not in the image');
  const otherTemplate = await write('template', { spec: sandboxImageSpec({ ...(await loadSandboxTemplate()), passwd: 'root:x:0:0::/:/x\n' }, TOOLCHAIN, POLICY) });
  t.not(otherTemplate.manifest.digest, first.manifest.digest);
});

test('the layer as GNU tar lists it: the helper read-only and root\'s, the toolchain\'s canonical modes, no test files', async (t) => {
  const dir = await tempDir(t);
  const spec = await specPromise;
  const image = await writeSandboxOciLayout(path.join(dir, 'layout'), { spec, policy: POLICY, goroot: await syntheticGoroot(dir), helper: await helperFile(dir) });
  const listing = await run('tar', ['--numeric-owner', '-tvf', blobPath(path.join(dir, 'layout'), image.layers[0]!.digest)], { env: { ...process.env, LC_ALL: 'C', TZ: 'UTC' } });
  t.is(listing.code, 0, listing.stderr);
  const lines = listing.stdout.trim().split('\n').map((line) => {
    const [mode, owner, , , , name] = line.split(/\s+/);
    return `${mode} ${owner} ${name}`;
  });
  t.snapshot(lines, 'tar -tv of the layer (mode, owner, name)');
  t.true(lines.includes('-r-xr-xr-x 0/0 airlock/bin/file-helper'));
  t.true(lines.includes('-rwxr-xr-x 0/0 usr/local/go/bin/go'));
  t.true(lines.includes('-rw-r--r-- 0/0 usr/local/go/src/fmt/print.go'));
  t.true(lines.includes('drwxrwxrwt 0/0 tmp/'));
  t.true(lines.includes(`drwxr-xr-x ${POLICY.uid}/${POLICY.gid} work/out/`));
  // As in the Docker image: test files and what testdata directories hold are left out (the empty directory stays).
  t.false(lines.some((line) => line.includes('_test.go') || line.includes('/testdata/x')));
});

test('a helper whose bytes are not the ones built is refused', async (t) => {
  const dir = await tempDir(t);
  const helper = await helperFile(dir);
  await fs.appendFile(helper.path, 'tampered');
  await t.throwsAsync(writeSandboxOciLayout(path.join(dir, 'layout'), { spec: await specPromise, policy: POLICY, goroot: await syntheticGoroot(dir), helper }), {
    message: /is not the one built/,
  });
});
