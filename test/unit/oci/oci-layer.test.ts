import test from 'ava';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

import { type LayerEntry, checkLayerPath, orderLayerEntries, treeLayerEntries, writeLayer } from '../../../src/oci/oci-layer.js';
import { run, tempDir } from '../../helpers/host-tools.js';

const LONG_PARTS = ['src', 'cmd', 'vendor', 'golang.org', 'x', 'tools', 'go', 'analysis', 'passes', ...Array.from({ length: 6 }, (_, i) => `deeply-nested-directory-${i}`)];

function sampleEntries(): LayerEntry[] {
  return [
    { type: 'directory', path: 'etc', mode: 0o755 },
    { type: 'file', path: 'etc/passwd', mode: 0o644, content: 'root:x:0:0:root:/nonexistent:/nonexistent\n' },
    { type: 'directory', path: 'tmp', mode: 0o1777 },
    { type: 'directory', path: 'work', mode: 0o755 },
    { type: 'directory', path: 'work/out', mode: 0o755, uid: 65534, gid: 65534 },
    { type: 'directory', path: 'usr', mode: 0o755 },
    { type: 'directory', path: 'usr/local', mode: 0o755 },
    { type: 'directory', path: 'usr/local/go', mode: 0o755 },
    { type: 'directory', path: 'usr/local/go/bin', mode: 0o755 },
    { type: 'file', path: 'usr/local/go/bin/go', mode: 0o755, content: Buffer.from([0x7f, 0x45, 0x4c, 0x46]) },
  ];
}

/** The directories of a path well over ustar's 100-byte name field (and its 155-byte prefix). */
function longPathEntries(): LayerEntry[] {
  return LONG_PARTS.map((_, i) => ({ type: 'directory' as const, path: ['usr/local/go', ...LONG_PARTS.slice(0, i + 1)].join('/'), mode: 0o755 }));
}

const sha256File = async (file: string) => createHash('sha256').update(await fs.readFile(file)).digest('hex');

test('the same entries in any order make the same bytes, and the digest is the sha256 of the file', async (t) => {
  const dir = await tempDir(t);
  const entries = sampleEntries();
  const first = await writeLayer(entries, path.join(dir, 'a.tar'));
  const second = await writeLayer([...entries].reverse(), path.join(dir, 'b.tar'));
  t.deepEqual(first, second);
  t.is(first.digest, `sha256:${await sha256File(path.join(dir, 'a.tar'))}`);
  t.is(first.size, (await fs.stat(path.join(dir, 'a.tar'))).size);
  t.is(first.size % 512, 0);
  t.snapshot(first, 'the sample layer\'s digest (a change here changes every sandbox image digest)');
});

test('GNU tar reads the layer: sorted paths, the modes and owners given, the epoch, no user names', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'layer.tar');
  await writeLayer(sampleEntries(), file);
  const listing = await run('tar', ['--numeric-owner', '--utc', '-tvf', file], { env: { ...process.env, LC_ALL: 'C', TZ: 'UTC' } });
  t.is(listing.code, 0, listing.stderr);
  const lines = listing.stdout.trim().split('\n').map((line) => line.replace(/\s+/g, ' '));
  t.deepEqual(lines, [
    'drwxr-xr-x 0/0 0 1970-01-01 00:00 etc/',
    '-rw-r--r-- 0/0 42 1970-01-01 00:00 etc/passwd',
    'drwxrwxrwt 0/0 0 1970-01-01 00:00 tmp/',
    'drwxr-xr-x 0/0 0 1970-01-01 00:00 usr/',
    'drwxr-xr-x 0/0 0 1970-01-01 00:00 usr/local/',
    'drwxr-xr-x 0/0 0 1970-01-01 00:00 usr/local/go/',
    'drwxr-xr-x 0/0 0 1970-01-01 00:00 usr/local/go/bin/',
    '-rwxr-xr-x 0/0 4 1970-01-01 00:00 usr/local/go/bin/go',
    'drwxr-xr-x 0/0 0 1970-01-01 00:00 work/',
    'drwxr-xr-x 65534/65534 0 1970-01-01 00:00 work/out/',
  ]);
  const names = await run('tar', ['-tvf', file], { env: { ...process.env, LC_ALL: 'C' } });
  t.notRegex(names.stdout, /root|nobody/, 'no user or group names are stored');
});

test('a path longer than ustar\'s name field, and a non-ASCII one, still come out whole and the same each time', async (t) => {
  const dir = await tempDir(t);
  const long = longPathEntries();
  const deepest = long[long.length - 1]!.path;
  const entries: LayerEntry[] = [
    { type: 'directory', path: 'usr', mode: 0o755 },
    { type: 'directory', path: 'usr/local', mode: 0o755 },
    { type: 'directory', path: 'usr/local/go', mode: 0o755 },
    ...long,
    { type: 'file', path: `${deepest}/${'x'.repeat(99)}.go`, mode: 0o644, content: 'package x\n' },
    { type: 'file', path: 'usr/local/go/héllo.txt', mode: 0o644, content: 'é\n' },
  ];
  const a = await writeLayer(entries, path.join(dir, 'a.tar'));
  const b = await writeLayer(entries, path.join(dir, 'b.tar'));
  t.deepEqual(a, b);
  const listing = await run('tar', ['-tf', path.join(dir, 'a.tar')], { env: { ...process.env, LC_ALL: 'C.UTF-8' } });
  t.is(listing.code, 0, listing.stderr);
  t.true(listing.stdout.split('\n').includes(`${deepest}/${'x'.repeat(99)}.go`), listing.stdout);
  t.true(listing.stdout.split('\n').includes('usr/local/go/héllo.txt'), listing.stdout);
  t.true(`${deepest}/${'x'.repeat(99)}.go`.length > 255, 'the long name needs more than ustar can hold');
});

test('orderLayerEntries refuses a path twice, a missing parent directory and paths that are not plain', (t) => {
  t.throws(() => orderLayerEntries([{ type: 'directory', path: 'a', mode: 0o755 }, { type: 'directory', path: 'a', mode: 0o700 }]), { message: 'the layer lists a twice' });
  t.throws(() => orderLayerEntries([{ type: 'file', path: 'a/b', mode: 0o644, content: '' }]), { message: 'the layer lists a/b without its directory a' });
  t.throws(() => orderLayerEntries([{ type: 'file', path: 'a', mode: 0o644, content: '' }, { type: 'file', path: 'a/b', mode: 0o644, content: '' }]), {
    message: 'the layer lists a/b without its directory a',
  });
  for (const bad of ['', '/etc', 'a/../b', './a', 'a//b', 'a/', '..', 'a/\0']) t.throws(() => checkLayerPath(bad), { message: /^not a layer path/ }, bad);
  t.deepEqual(
    orderLayerEntries([
      { type: 'directory', path: 'a', mode: 0o755 },
      { type: 'file', path: 'a/b', mode: 0o644, content: '' },
      { type: 'file', path: 'a-b', mode: 0o644, content: '' },
    ]).map((e) => e.path),
    ['a', 'a-b', 'a/b'],
    'byte order of the paths; a parent still comes before its children',
  );
});

test('a file that is not the size it was listed with fails the layer', async (t) => {
  const dir = await tempDir(t);
  const source = path.join(dir, 'grown');
  await fs.writeFile(source, 'four');
  await t.throwsAsync(writeLayer([{ type: 'file', path: 'f', mode: 0o644, source, size: 3 }], path.join(dir, 'a.tar')));
  await t.throwsAsync(writeLayer([{ type: 'file', path: 'f', mode: 0o644, source, size: 5 }], path.join(dir, 'b.tar')));
  await t.throwsAsync(writeLayer([{ type: 'file', path: 'f', mode: 0o644, source: path.join(dir, 'missing'), size: 1 }], path.join(dir, 'c.tar')));
});

test('treeLayerEntries lists a tree under a prefix, filtered, with the modes asked for, and refuses a link', async (t) => {
  const root = await tempDir(t);
  await fs.mkdir(path.join(root, 'bin'));
  await fs.mkdir(path.join(root, 'src/fmt'), { recursive: true });
  await fs.writeFile(path.join(root, 'bin/go'), 'go', { mode: 0o700 });
  await fs.writeFile(path.join(root, 'src/fmt/print.go'), 'package fmt\n');
  await fs.writeFile(path.join(root, 'src/fmt/print_test.go'), 'package fmt\n');
  const entries = await treeLayerEntries(root, 'usr/local/go', {
    include: (rel) => !rel.endsWith('_test.go'),
    fileMode: (rel) => (rel.startsWith('bin/') ? 0o755 : 0o644),
  });
  t.deepEqual(
    orderLayerEntries([{ type: 'directory', path: 'usr', mode: 0o755 }, { type: 'directory', path: 'usr/local', mode: 0o755 }, ...entries])
      .slice(2)
      .map((e) => `${e.type} ${e.path} ${e.mode.toString(8)}${'size' in e ? ` ${e.size}` : ''}`),
    ['directory usr/local/go 755', 'directory usr/local/go/bin 755', 'file usr/local/go/bin/go 755 2', 'directory usr/local/go/src 755', 'directory usr/local/go/src/fmt 755', 'file usr/local/go/src/fmt/print.go 644 12'],
  );
  await fs.symlink('/etc/passwd', path.join(root, 'src/fmt/link.go'));
  await t.throwsAsync(treeLayerEntries(root, 'usr/local/go', { fileMode: () => 0o644 }), { message: /link\.go is neither a regular file nor a directory/ });
});
