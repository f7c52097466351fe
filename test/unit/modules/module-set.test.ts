/**
 * Module sets: the entry-name allow list, opening the real set of examples/cli, and refusing damaged or
 * hostile sets without writing anything outside the private extraction directory.
 *
 * openModuleSet extracts into a fresh directory under os.tmpdir(). The opening tests run serially with TMPDIR
 * pointed at a private directory, so that after each one the test can list everything that was written
 * around the extraction directory: nothing must be left, and nothing must have escaped.
 */
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';

import test, { type ExecutionContext } from 'ava';
import tarStream from 'tar-stream';

import { InputError } from '../../../src/errors.js';
import { MODULE_SET_MANIFEST, MODULE_SET_SCHEMA, isAllowedModuleSetEntry, openModuleSet } from '../../../src/modules/module-set.js';
import { CLI_MODULE_SET, CLI_ZIP_MODULES, extractCliModuleSet } from '../../helpers/cli-module-set.js';
import { execFileAsync, tempDir } from '../../helpers/host-tools.js';

const ALLOWED = [
  'airlock-modules.json',
  'cache/download/github.com/x/y/@v/v1.0.0.zip',
  'cache/download/github.com/x/y/@v/v1.0.0.mod',
  'cache/download/github.com/x/y/@v/v1.0.0.info',
  'cache/download/github.com/x/y/@v/v1.0.0.ziphash',
  'cache/download/github.com/!burnt!sushi/toml/@v/v1.3.2.zip',
  'cache/download/gopkg.in/check.v1/@v/v0.0.0-20161208181325-20d25e280405.mod',
  'cache/download/x/@v/v1.0.0.zip',
  // A GOPROXY tree's version list, and checksum database evidence in the database's protocol layout.
  'cache/download/x/@v/list',
  'cache/download/sumdb/sum.golang.org/latest',
  'cache/download/sumdb/sum.golang.org/supported',
  'cache/download/sumdb/sum.golang.org/lookup/github.com/!burnt!sushi/toml@v1.4.0',
  'cache/download/sumdb/sum.golang.org/tile/8/0/x285/213.p/152',
  'cache/download/sumdb/sum.golang.org/tile/8/1/x001/x234/067',
];

const REFUSED = [
  '../x',
  '/etc/passwd',
  'cache/download/x/@v/../../evil.zip',
  'cache/download/x/@v/v1.lock',
  'cache/other',
  '',
  '/cache/download/x/@v/v1.0.0.zip',
  './cache/download/x/@v/v1.0.0.zip',
  'cache/download/x/./@v/v1.0.0.zip',
  'cache/download//x/@v/v1.0.0.zip',
  'cache/download/x/@v/v1.0.0.zip/',
  'cache/download/@v/v1.0.0.zip',
  'cache/download/x/@v/.zip',
  'cache/download/x/@v/v1.0.0.zip.partial',
  'cache/download/x/@v/list.tmp',
  'cache/download/sumdb/sum.golang.org/tile/8/data/001',
  'cache/download/sumdb/sum.golang.org/lookup/../../x@v1',
  'cache/download/sumdb/sum.golang.org/latest.tmp',
  'cache/download/sumdb/sum golang/latest',
  'cache/download/sumdb/sum.golang.org/tile/8/0/1',
  'cache/download/x/@v/v1.0.0.tmp',
  'cache/download/x/@v/v1.0.0.zip\n',
  'cache/vcs/0123/HEAD',
  'pkg/mod/github.com/x/y@v1.0.0/y.go',
  'airlock-modules.json/../../x',
  './airlock-modules.json',
  'cache/download',
];

test('isAllowedModuleSetEntry accepts the manifest and download-cache files', (t) => {
  for (const name of ALLOWED) t.true(isAllowedModuleSetEntry(name), JSON.stringify(name));
});

test('isAllowedModuleSetEntry refuses everything else', (t) => {
  for (const name of REFUSED) t.false(isAllowedModuleSetEntry(name), JSON.stringify(name));
});

test('every file of the real module set is an allowed name', async (t) => {
  const listing = (await execFileAsync('tar', ['-tzf', CLI_MODULE_SET])).stdout.trim().split('\n');
  // 9 module versions (5 with zips): .mod, .info, list per path, .zip and .ziphash; then the evidence: the signed head, supported, 9 lookups and 26 tiles.
  t.is(listing.length, 75);
  t.is(listing.filter((name) => name.startsWith('cache/download/sumdb/sum.golang.org/')).length, 37);
  for (const name of listing) t.true(isAllowedModuleSetEntry(name), name);
});

interface TarEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'fifo';
  content?: string | Buffer;
  linkname?: string;
}

/** Writes a .tar.gz with tar-stream, entries exactly as given (names are not cleaned). */
async function writeTarGz(file: string, entries: readonly TarEntry[]): Promise<void> {
  const pack = tarStream.pack();
  const written = pipeline(pack, createGzip(), createWriteStream(file));
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error | null) => (error ? reject(error) : resolve());
      const header = {
        name: entry.name,
        type,
        mode: type === 'directory' ? 0o755 : 0o644,
        ...(entry.linkname !== undefined ? { linkname: entry.linkname } : {}),
        ...(type === 'character-device' ? { devmajor: 1, devminor: 3 } : {}),
      };
      if (type === 'file') pack.entry(header, entry.content ?? '', done);
      else pack.entry(header, done);
    });
  }
  pack.finalize();
  await written;
}

const GOOD_MANIFEST = JSON.stringify({
  schema: MODULE_SET_SCHEMA,
  module: 'example.com/m',
  goVersion: 'go1.26.8',
  modules: [{ path: 'github.com/x/y', version: 'v1.0.0', zip: false }],
});
const GOOD_ENTRIES: TarEntry[] = [
  { name: MODULE_SET_MANIFEST, content: GOOD_MANIFEST },
  { name: 'cache/download/github.com/x/y/@v/v1.0.0.mod', content: 'module github.com/x/y\n' },
];

interface Sandbox {
  /** Holds the archives the test writes; nothing else may appear under root. */
  archives: string;
  /** What os.tmpdir() returns while the test runs: three levels below root, so "../../evil" stays inside root. */
  tmp: string;
  root: string;
}

/** Runs fn with TMPDIR pointing into a private tree. Only for serial tests: it changes process.env. */
async function withPrivateTmp(t: ExecutionContext, fn: (sandbox: Sandbox) => Promise<void>): Promise<void> {
  const root = await tempDir(t, 'airlock-set-root-');
  const archives = path.join(root, 'archives');
  const tmp = path.join(root, 'a', 'b', 'tmp');
  await fs.mkdir(archives);
  await fs.mkdir(tmp, { recursive: true });
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  try {
    t.is(os.tmpdir(), tmp);
    await fn({ archives, tmp, root });
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
}

/** Every path under root (files, links and directories), relative, except the archives directory's contents. */
async function listTree(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    for (const entry of await fs.readdir(path.join(root, relative), { withFileTypes: true })) {
      const rel = relative === '' ? entry.name : `${relative}/${entry.name}`;
      found.push(rel);
      if (entry.isDirectory() && rel !== 'archives') await walk(rel);
    }
  };
  await walk('');
  return found.sort();
}

/** What the sandbox tree holds before and after an open that must fail and clean up. */
const UNTOUCHED_TREE = ['a', 'a/b', 'a/b/tmp', 'archives'];

test.serial('openModuleSet on the real set of examples/cli returns its manifest; close() removes the directory', async (t) => {
  const expected = JSON.parse((await execFileAsync('tar', ['-xzOf', CLI_MODULE_SET, MODULE_SET_MANIFEST])).stdout) as unknown;
  const reference = await extractCliModuleSet(t);
  await withPrivateTmp(t, async ({ tmp, root }) => {
    const opened = await openModuleSet(CLI_MODULE_SET);
    t.is(opened.file, CLI_MODULE_SET);
    t.is(path.dirname(opened.dir), tmp);
    t.deepEqual(opened.manifest, expected);
    t.is(opened.manifest.schema, 'airlock.dev/modules/v1');
    t.is(opened.manifest.module, 'example.com/cli');
    t.is(opened.manifest.modules.length, 9);
    t.deepEqual(
      opened.manifest.modules.filter((m) => m.zip).map((m) => ({ path: m.path, version: m.version })),
      CLI_ZIP_MODULES,
    );
    // The extracted files are the archive's, byte for byte (compared with tar's own extraction).
    for (const module of CLI_ZIP_MODULES) {
      const rel = `cache/download/${module.path}/@v/${module.version}.zip`;
      t.true((await fs.readFile(path.join(opened.dir, rel))).equals(await fs.readFile(path.join(reference, rel))), rel);
    }
    await opened.close();
    await t.throwsAsync(fs.access(opened.dir), { code: 'ENOENT' });
    t.deepEqual(await listTree(root), UNTOUCHED_TREE);
  });
});

test.serial('a set written by GNU tar, with ./ names and directory entries, opens too', async (t) => {
  const extracted = await extractCliModuleSet(t);
  await withPrivateTmp(t, async ({ archives, root }) => {
    const file = path.join(archives, 'gnu.tar.gz');
    await execFileAsync('tar', ['-czf', file, '-C', extracted, '.']);
    const listing = (await execFileAsync('tar', ['-tzf', file])).stdout;
    t.true(listing.includes('./cache/download/github.com/'), 'the archive has ./ names and directories');
    const opened = await openModuleSet(file);
    t.is(opened.manifest.modules.length, 9);
    await t.notThrowsAsync(fs.access(path.join(opened.dir, 'cache/download/github.com/google/uuid/@v/v1.6.0.zip')));
    await opened.close();
    t.deepEqual(await listTree(root), UNTOUCHED_TREE);
  });
});

const HOSTILE: Array<{ name: string; entries: (sandbox: Sandbox) => TarEntry[] }> = [
  { name: 'a file ../evil', entries: () => [{ name: '../evil', content: 'evil' }] },
  { name: 'a file ../../evil', entries: () => [{ name: '../../evil', content: 'evil' }] },
  { name: 'a file ./../evil', entries: () => [{ name: './../evil', content: 'evil' }] },
  { name: 'a download-cache name climbing out with ..', entries: () => [{ name: 'cache/download/x/@v/../../../../../evil.zip', content: 'evil' }] },
  { name: 'an absolute path', entries: ({ root }) => [{ name: path.join(root, 'evil'), content: 'evil' }] },
  { name: 'an absolute download-cache path', entries: () => [{ name: '/cache/download/x/@v/v1.0.0.zip', content: 'evil' }] },
  { name: 'a directory ../evil', entries: () => [{ name: '../evil/', type: 'directory' }] },
  { name: 'a directory outside cache/', entries: () => [{ name: 'evil/', type: 'directory' }] },
  { name: 'a symlink as a module zip', entries: () => [{ name: 'cache/download/x/@v/v1.0.0.zip', type: 'symlink', linkname: '/etc/passwd' }] },
  {
    name: 'a symlinked directory and a file written through it',
    entries: ({ root }) => [
      { name: 'cache/download/link', type: 'symlink', linkname: root },
      { name: 'cache/download/link/evil/@v/v1.0.0.zip', content: 'evil' },
    ],
  },
  { name: 'a symlink ../evil', entries: () => [{ name: '../evil', type: 'symlink', linkname: '/etc/passwd' }] },
  { name: 'a hard link to a file outside', entries: () => [{ name: 'cache/download/x/@v/v1.0.0.mod', type: 'link', linkname: '../../../../../../etc/passwd' }] },
  { name: 'a character device', entries: () => [{ name: 'cache/download/x/@v/v1.0.0.zip', type: 'character-device' }] },
  { name: 'a fifo', entries: () => [{ name: 'cache/download/x/@v/v1.0.0.info', type: 'fifo' }] },
  { name: 'a file with a name outside the download cache', entries: () => [{ name: 'cache/download/x/@v/v1.lock', content: '' }] },
];

for (const hostile of HOSTILE) {
  for (const position of ['first', 'last'] as const) {
    test.serial(`a set holding ${hostile.name} (${position}) raises InputError and writes nothing outside`, async (t) => {
      await withPrivateTmp(t, async (sandbox) => {
        const file = path.join(sandbox.archives, 'hostile.tar.gz');
        const bad = hostile.entries(sandbox);
        await writeTarGz(file, position === 'first' ? [...bad, ...GOOD_ENTRIES] : [...GOOD_ENTRIES, ...bad]);
        const error = await t.throwsAsync(openModuleSet(file), { instanceOf: InputError, message: /holds an unsafe/ });
        t.true(error?.message.includes(file));
        t.deepEqual(await listTree(sandbox.root), UNTOUCHED_TREE, 'no evil file, and the extraction directory is gone');
        await t.throwsAsync(fs.lstat(path.join(os.tmpdir(), '..', 'evil')), { code: 'ENOENT' });
      });
    });
  }
}

const BROKEN: Array<{ name: string; message: RegExp; write: (file: string) => Promise<void> }> = [
  { name: 'no manifest', message: /has no airlock-modules\.json/, write: (file) => writeTarGz(file, GOOD_ENTRIES.slice(1)) },
  { name: 'an empty archive', message: /has no airlock-modules\.json/, write: (file) => writeTarGz(file, []) },
  { name: 'a manifest that is not JSON', message: /unreadable airlock-modules\.json/, write: (file) => writeTarGz(file, [{ name: MODULE_SET_MANIFEST, content: '{"schema": "airlock.dev/modules/v1",' }]) },
  { name: 'a manifest that is null', message: /malformed airlock-modules\.json/, write: (file) => writeTarGz(file, [{ name: MODULE_SET_MANIFEST, content: 'null' }]) },
  { name: 'a manifest that is an array', message: /malformed airlock-modules\.json/, write: (file) => writeTarGz(file, [{ name: MODULE_SET_MANIFEST, content: '[]' }]) },
  {
    name: 'a manifest of another schema',
    message: /malformed airlock-modules\.json/,
    write: (file) => writeTarGz(file, [{ name: MODULE_SET_MANIFEST, content: GOOD_MANIFEST.replace('airlock.dev/modules/v1', 'airlock.dev/modules/v2') }]),
  },
  {
    name: 'a manifest without modules',
    message: /malformed airlock-modules\.json/,
    write: (file) => writeTarGz(file, [{ name: MODULE_SET_MANIFEST, content: JSON.stringify({ schema: MODULE_SET_SCHEMA, module: 'example.com/m', goVersion: 'go1.26.8' }) }]),
  },
  {
    name: 'a manifest with a module entry whose zip is not a boolean',
    message: /malformed airlock-modules\.json/,
    write: (file) => writeTarGz(file, [{ name: MODULE_SET_MANIFEST, content: GOOD_MANIFEST.replace('"zip":false', '"zip":"yes"') }]),
  },
  {
    name: 'a manifest with a null module entry',
    message: /malformed airlock-modules\.json/,
    write: (file) => writeTarGz(file, [{ name: MODULE_SET_MANIFEST, content: JSON.stringify({ schema: MODULE_SET_SCHEMA, module: 'example.com/m', goVersion: 'go1.26.8', modules: [null] }) }]),
  },
  {
    name: 'random bytes',
    message: /is not a readable \.tar\.gz/,
    write: async (file) => {
      // Fixed pseudo-random bytes (a linear congruential sequence), so that every run sees the same file.
      const bytes = Buffer.alloc(64 * 1024);
      let state = 0x2545f491;
      for (let i = 0; i < bytes.length; i++) {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        bytes[i] = state >>> 24;
      }
      await fs.writeFile(file, bytes);
    },
  },
  {
    name: 'gzipped random bytes',
    message: /is not a readable \.tar\.gz/,
    write: async (file) => {
      const bytes = Buffer.alloc(8 * 1024);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 251;
      await fs.writeFile(file, gzipSync(bytes));
    },
  },
  {
    name: 'the real set truncated to half',
    message: /is not a readable \.tar\.gz/,
    write: async (file) => {
      const bytes = await fs.readFile(CLI_MODULE_SET);
      await fs.writeFile(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    },
  },
  { name: 'an empty file', message: /is not a readable \.tar\.gz|has no airlock-modules\.json/, write: (file) => fs.writeFile(file, '') },
];

for (const broken of BROKEN) {
  test.serial(`a set with ${broken.name} raises InputError and leaves nothing behind`, async (t) => {
    await withPrivateTmp(t, async ({ archives, root }) => {
      const file = path.join(archives, 'broken.tar.gz');
      await broken.write(file);
      const error = await t.throwsAsync(openModuleSet(file), { instanceOf: InputError, message: broken.message });
      t.truthy((error as InputError | undefined)?.hint);
      t.deepEqual(await listTree(root), UNTOUCHED_TREE);
    });
  });
}

test.serial('a set that does not exist, or is a directory, raises InputError before anything is created', async (t) => {
  await withPrivateTmp(t, async ({ archives, root }) => {
    await t.throwsAsync(openModuleSet(path.join(archives, 'absent.tar.gz')), { instanceOf: InputError, message: /does not exist/ });
    await t.throwsAsync(openModuleSet(archives), { instanceOf: InputError, message: /does not exist/ });
    t.deepEqual(await listTree(root), UNTOUCHED_TREE);
  });
});
