import test from 'ava';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import tarStream from 'tar-stream';

import { packOciArchive, unpackOciArchive } from '../../../src/oci/oci-archive.js';
import { ANNOTATION_REF_NAME, OciMediaType } from '../../../src/oci/oci-image.js';
import type { LayerEntry } from '../../../src/oci/oci-layer.js';
import { type OciImageInput, blobPath, readOciLayoutImage, writeOciLayout } from '../../../src/oci/oci-layout.js';
import { run, tempDir } from '../../helpers/host-tools.js';
import { registerNeeding } from '../../helpers/needs-input.js';

const TAG = 'go1.26.8-0123456789abcdef';

/** Known before any test is declared: ava wants them all declared at once. */
function toolMissing(tool: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`]);
  return found.status === 0 ? undefined : `${tool} is not installed (Debian package ${tool}; .ci/bootstrap.sh installs it)`;
}

const skopeoMissing = toolMissing('skopeo');
const umociMissing = toolMissing('umoci');

function image(extra: LayerEntry[] = []): OciImageInput {
  return {
    platform: { architecture: 'amd64', os: 'linux' },
    runtime: { user: '65534:65534', env: ['PATH=/usr/local/go/bin'], workingDir: '/work/src', labels: { 'airlock.managed': 'true' } },
    layers: [
      [
        { type: 'directory', path: 'etc', mode: 0o755 },
        { type: 'file', path: 'etc/passwd', mode: 0o644, content: 'root:x:0:0:root:/nonexistent:/nonexistent\n' },
        { type: 'directory', path: 'tmp', mode: 0o1777 },
        { type: 'directory', path: 'work', mode: 0o755 },
        { type: 'directory', path: 'work/out', mode: 0o755, uid: 65534, gid: 65534 },
        ...extra,
      ],
    ],
    annotations: { [ANNOTATION_REF_NAME]: TAG },
  };
}

const sha256 = async (file: string) => createHash('sha256').update(await fs.readFile(file)).digest('hex');

async function listTree(dir: string, prefix = ''): Promise<string[]> {
  const found: string[] = [];
  for (const entry of (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const rel = `${prefix}${entry.name}`;
    if (entry.isDirectory()) found.push(`${rel}/`, ...(await listTree(path.join(dir, entry.name), `${rel}/`)));
    else found.push(`${rel} ${await sha256(path.join(dir, entry.name))}`);
  }
  return found;
}

test('writing the same image twice gives the same layout, byte for byte, and the same archive (golden digests)', async (t) => {
  const dir = await tempDir(t);
  const first = await writeOciLayout(path.join(dir, 'one'), image());
  const second = await writeOciLayout(path.join(dir, 'two'), image());
  t.deepEqual(first, second);
  t.deepEqual(await listTree(path.join(dir, 'one')), await listTree(path.join(dir, 'two')));
  const archiveOne = await packOciArchive(path.join(dir, 'one'), path.join(dir, 'one.tar'));
  const archiveTwo = await packOciArchive(path.join(dir, 'two'), path.join(dir, 'two.tar'));
  t.deepEqual(archiveOne, archiveTwo);
  t.snapshot({ manifest: first.manifest.digest, config: first.config.digest, layer: first.layers[0]!.digest, archive: archiveOne.digest }, 'digests');
  const other = await writeOciLayout(path.join(dir, 'three'), image([{ type: 'directory', path: 'cache', mode: 0o755 }]));
  t.not(other.manifest.digest, first.manifest.digest, 'another layer content is another image');
});

test('the layout holds oci-layout, index.json and the blobs named by their digests; the archive lists them in order', async (t) => {
  const dir = await tempDir(t);
  const layout = path.join(dir, 'layout');
  const written = await writeOciLayout(layout, image());
  t.is(await fs.readFile(path.join(layout, 'oci-layout'), 'utf8'), '{"imageLayoutVersion":"1.0.0"}');
  const index = JSON.parse(await fs.readFile(path.join(layout, 'index.json'), 'utf8')) as { manifests: unknown[] };
  t.deepEqual(index.manifests, [{ ...written.manifest, platform: { architecture: 'amd64', os: 'linux' }, annotations: { [ANNOTATION_REF_NAME]: TAG } }]);
  for (const blob of [written.manifest, written.config, ...written.layers]) {
    t.is(`sha256:${await sha256(blobPath(layout, blob.digest))}`, blob.digest);
    t.is((await fs.stat(blobPath(layout, blob.digest))).size, blob.size);
  }
  t.is(written.layers[0]!.mediaType, OciMediaType.layer);
  const read = await readOciLayoutImage(layout);
  t.deepEqual({ manifest: read.manifest, config: read.config, layers: read.layers }, { manifest: { mediaType: OciMediaType.manifest, digest: written.manifest.digest, size: written.manifest.size }, config: written.config, layers: written.layers });
  t.deepEqual(read.annotations, { [ANNOTATION_REF_NAME]: TAG });

  await packOciArchive(layout, path.join(dir, 'image.tar'));
  const listing = await run('tar', ['--numeric-owner', '-tvf', path.join(dir, 'image.tar')], { env: { ...process.env, LC_ALL: 'C', TZ: 'UTC' } });
  t.is(listing.code, 0, listing.stderr);
  const names = listing.stdout.trim().split('\n').map((line) => line.split(/\s+/).pop());
  const blobs = [written.manifest, written.config, ...written.layers].map((d) => `blobs/sha256/${d.digest.slice(7)}`).sort();
  t.deepEqual(names, ['blobs/', 'blobs/sha256/', ...blobs, 'index.json', 'oci-layout']);
  t.regex(listing.stdout, /^-rw-r--r-- 0\/0 .* 1970-01-01 00:00 oci-layout$/m);
});

test('an archive unpacks to the same layout; anything else in an archive is refused', async (t) => {
  const dir = await tempDir(t);
  const layout = path.join(dir, 'layout');
  await writeOciLayout(layout, image());
  const archive = path.join(dir, 'image.tar');
  await packOciArchive(layout, archive);
  await unpackOciArchive(archive, path.join(dir, 'back'));
  t.deepEqual(await listTree(path.join(dir, 'back')), await listTree(layout));

  const hostile = async (name: string, entries: Array<{ name: string; type?: 'file' | 'symlink' | 'directory'; data?: string; linkname?: string }>) => {
    const pack = tarStream.pack();
    for (const e of entries) pack.entry({ name: e.name, type: e.type ?? 'file', ...(e.linkname ? { linkname: e.linkname } : {}) }, e.data ?? '');
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const chunk of pack) chunks.push(chunk as Buffer);
    const file = path.join(dir, `${name}.tar`);
    await fs.writeFile(file, Buffer.concat(chunks));
    return file;
  };
  const good = { name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' };
  const cases = {
    traversal: [good, { name: '../escaped', data: 'x' }],
    symlink: [good, { name: 'index.json', type: 'symlink' as const, linkname: '/etc/passwd' }],
    'wrong digest': [good, { name: `blobs/sha256/${'0'.repeat(64)}`, data: 'not that' }],
    'no index': [good],
    'absolute name': [{ name: '/oci-layout', data: '{}' }],
  };
  for (const [name, entries] of Object.entries(cases)) {
    await t.throwsAsync(unpackOciArchive(await hostile(name.replace(/ /g, '-'), entries), path.join(dir, `out-${name.replace(/ /g, '-')}`)), { message: /is not an OCI image layout archive/ }, name);
  }
  await t.throwsAsync(fs.access(path.join(dir, 'escaped')));
});

registerNeeding(skopeoMissing, 'skopeo reads the layout and the archive, names the same manifest digest, and copies every blob (checking their digests)', (title) =>
  test(title, async (t) => {
    const dir = await tempDir(t);
    const layout = path.join(dir, 'layout');
    const written = await writeOciLayout(layout, image());
    await packOciArchive(layout, path.join(dir, 'image.tar'));
    for (const ref of [`oci:${layout}:${TAG}`, `oci-archive:${path.join(dir, 'image.tar')}:${TAG}`]) {
      const inspected = await run('skopeo', ['inspect', '--raw', ref]);
      t.is(inspected.code, 0, inspected.stderr);
      t.is(`sha256:${createHash('sha256').update(inspected.stdout).digest('hex')}`, written.manifest.digest, ref);
      const config = await run('skopeo', ['inspect', '--config', ref]);
      t.is(config.code, 0, config.stderr);
      t.like(JSON.parse(config.stdout), { architecture: 'amd64', os: 'linux', config: { User: '65534:65534', WorkingDir: '/work/src' } });
    }
    const copied = await run('skopeo', ['copy', '--quiet', `oci-archive:${path.join(dir, 'image.tar')}:${TAG}`, `dir:${path.join(dir, 'copy')}`]);
    t.is(copied.code, 0, copied.stderr);
    t.is(`sha256:${await sha256(path.join(dir, 'copy', 'manifest.json'))}`, written.manifest.digest, 'skopeo kept the manifest as written');
  }),
);

registerNeeding(umociMissing, 'umoci reads the layout and unpacks the image rootless with the modes written', (title) =>
  test(title, async (t) => {
    const dir = await tempDir(t);
    const layout = path.join(dir, 'layout');
    const written = await writeOciLayout(layout, image());
    const stat = await run('umoci', ['stat', '--json', '--image', `${layout}:${TAG}`]);
    t.is(stat.code, 0, stat.stderr);
    const bundle = path.join(dir, 'bundle');
    const unpacked = await run('umoci', ['unpack', '--rootless', '--image', `${layout}:${TAG}`, bundle]);
    t.is(unpacked.code, 0, unpacked.stderr);
    t.is(await fs.readFile(path.join(bundle, 'rootfs/etc/passwd'), 'utf8'), 'root:x:0:0:root:/nonexistent:/nonexistent\n');
    t.is((await fs.stat(path.join(bundle, 'rootfs/tmp'))).mode & 0o7777, 0o1777);
    const runtime = JSON.parse(await fs.readFile(path.join(bundle, 'config.json'), 'utf8')) as { process: { cwd: string; env: string[] } };
    t.is(runtime.process.cwd, '/work/src');
    t.true(runtime.process.env.includes('PATH=/usr/local/go/bin'));
    t.truthy(written.manifest.digest);
  }),
);
