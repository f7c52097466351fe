import fs from 'node:fs/promises';
import path from 'node:path';

import test, { type ExecutionContext } from 'ava';

import { ExitCode, InputError } from '../../../src/errors.js';
import { type SourceEntry, listSourceTree } from '../../../src/sandbox/source-tree.js';
import { tempDir } from '../../helpers/host-tools.js';

async function write(root: string, relative: string, text = ''): Promise<void> {
  await fs.mkdir(path.dirname(path.join(root, relative)), { recursive: true });
  await fs.writeFile(path.join(root, relative), text);
}

/** A module with the usual clutter around it. */
async function module(t: ExecutionContext): Promise<string> {
  const root = path.join(await tempDir(t, 'airlock-src-'), 'mod');
  await write(root, 'go.mod', 'module example.com/mod\n\ngo 1.26\n');
  await write(root, 'main.go', 'package main\n\nfunc main() {}\n');
  await write(root, 'internal/lib/lib.go', 'package lib\n');
  await write(root, 'vendor/modules.txt', '');
  await write(root, '.git/HEAD', 'ref: refs/heads/main\n');
  await write(root, '.git/objects/ab/cdef', 'blob');
  await write(root, 'node_modules/left-pad/index.js', '');
  await write(root, 'web/node_modules/x/y.js', '');
  await write(root, '.hg/store', '');
  await write(root, '.svn/entries', '');
  await write(root, 'dist/tool_linux_amd64', 'previous output');
  await write(root, 'dist/SHA256SUMS', '');
  await write(root, '.airlock-staging-dist-0123abcd/partial', '');
  await write(root, '.github/workflows/ci.yml', '');
  await write(root, '.env.example', '');
  return root;
}

const paths = (entries: SourceEntry[]) => entries.map((entry) => entry.path);

test('lists files and directories, sorted, skipping VCS data, node_modules, airlock staging and the excluded output', async (t) => {
  const root = await module(t);
  const entries = await listSourceTree(root, { exclude: [path.join(root, 'dist')] });
  t.deepEqual(entries, [
    { path: '.env.example', type: 'file' },
    { path: '.github', type: 'directory' },
    { path: '.github/workflows', type: 'directory' },
    { path: '.github/workflows/ci.yml', type: 'file' },
    { path: 'go.mod', type: 'file' },
    { path: 'internal', type: 'directory' },
    { path: 'internal/lib', type: 'directory' },
    { path: 'internal/lib/lib.go', type: 'file' },
    { path: 'main.go', type: 'file' },
    { path: 'vendor', type: 'directory' },
    { path: 'vendor/modules.txt', type: 'file' },
    { path: 'web', type: 'directory' },
  ]);
});

test('earlier airlock outputs (SHA256SUMS, per-toolchain or shard directories) are never source, and are added to the exclusions', async (t) => {
  const root = await module(t);
  await write(root, 'shards/1-of-2/airlock-shard.json', '{}');
  await write(root, 'shards/1-of-2/tool_linux_amd64', 'shard output');
  await write(root, 'matrix/go1.26.8/SHA256SUMS', '');
  await write(root, 'matrix/go1.26.8/tool_linux_amd64', 'matrix output');
  await write(root, 'notes/SHA256SUMS.txt', 'not an output directory');
  const options = { exclude: [] as string[] };
  const listed = paths(await listSourceTree(root, options));
  t.false(listed.some((p) => p.startsWith('dist') || p.startsWith('shards/1-of-2') || p.startsWith('matrix')));
  t.true(listed.includes('shards'));
  t.true(listed.includes('notes/SHA256SUMS.txt'));
  t.deepEqual(options.exclude.map((p) => path.relative(root, p)).sort(), ['dist', 'matrix', path.join('shards', '1-of-2')]);
  t.false(listed.some((p) => p.startsWith('.git') && !p.startsWith('.github')));
  t.false(listed.some((p) => p.split('/').includes('node_modules')));
});

test('a directory named dist that airlock did not write is source like any other', async (t) => {
  const root = await module(t);
  await fs.rm(path.join(root, 'dist', 'SHA256SUMS'));
  const listed = paths(await listSourceTree(root, { exclude: [] }));
  t.true(listed.includes('dist/tool_linux_amd64'));
});

test('an exclusion covers only that directory, not siblings sharing its name as a prefix', async (t) => {
  const root = await module(t);
  await write(root, 'dist-notes/readme.txt', '');
  await write(root, 'distribution.go', 'package main\n');
  const listed = paths(await listSourceTree(root, { exclude: [path.join(root, 'dist')] }));
  t.true(listed.includes('dist-notes/readme.txt'));
  t.true(listed.includes('distribution.go'));
  t.false(listed.some((p) => p === 'dist' || p.startsWith('dist/')));
});

test('an excluded nested directory is skipped with everything under it', async (t) => {
  const root = await module(t);
  await write(root, 'build/out/bin/x', '');
  await write(root, 'build/keep.go', 'package main\n');
  const listed = paths(await listSourceTree(root, { exclude: [path.join(root, 'build', 'out')] }));
  t.true(listed.includes('build/keep.go'));
  t.false(listed.some((p) => p.startsWith('build/out')));
});

test('symbolic links that stay inside the module are listed as links', async (t) => {
  const root = await module(t);
  await fs.symlink('main.go', path.join(root, 'alias.go'));
  await fs.symlink('../lib', path.join(root, 'internal', 'lib-link'));
  await fs.symlink(path.join('..', '..', 'go.mod'), path.join(root, 'internal', 'lib', 'go.mod.link'));
  await fs.symlink('.', path.join(root, 'self'));
  await fs.symlink('..', path.join(root, 'internal', 'up'));
  const entries = await listSourceTree(root, { exclude: [path.join(root, 'dist')] });
  const links = entries.filter((entry) => entry.type === 'symlink').map((entry) => entry.path);
  t.deepEqual(links, ['alias.go', 'internal/lib/go.mod.link', 'internal/lib-link', 'internal/up', 'self']);
  t.false(paths(entries).some((p) => p.startsWith('self/')), 'links are not followed');
});

test('a symbolic link to /etc/passwd is refused with an InputError naming it', async (t) => {
  const root = await module(t);
  await fs.symlink('/etc/passwd', path.join(root, 'internal', 'passwd'));
  const error = await t.throwsAsync(listSourceTree(root, { exclude: [] }), { instanceOf: InputError });
  t.is(error?.message, 'the source file internal/passwd is a symbolic link to /etc/passwd, outside the module');
  t.is(error?.exitCode, ExitCode.badInput);
  t.regex(error?.hint ?? '', /copy of the file/);
});

test('a relative symbolic link escaping with ../ is refused with an InputError naming it', async (t) => {
  const root = await module(t);
  await write(path.dirname(root), 'secret.txt', 'host secret');
  await fs.symlink('../../../secret.txt', path.join(root, 'internal', 'lib', 'secret.txt'));
  await t.throwsAsync(listSourceTree(root, { exclude: [] }), {
    instanceOf: InputError,
    message: 'the source file internal/lib/secret.txt is a symbolic link to ../../../secret.txt, outside the module',
  });
});

test('a relative link into a sibling directory whose name extends the module name is refused', async (t) => {
  const root = await module(t);
  await write(`${root}-secrets`, 'key', 'k');
  await fs.symlink(`../${path.basename(root)}-secrets/key`, path.join(root, 'key'));
  await t.throwsAsync(listSourceTree(root, { exclude: [] }), {
    instanceOf: InputError,
    message: `the source file key is a symbolic link to ../${path.basename(root)}-secrets/key, outside the module`,
  });
});

test('an absolute link is refused even when it points inside the module', async (t) => {
  const root = await module(t);
  await fs.symlink(path.join(root, 'main.go'), path.join(root, 'abs.go'));
  await t.throwsAsync(listSourceTree(root, { exclude: [] }), {
    instanceOf: InputError,
    message: `the source file abs.go is a symbolic link to ${path.join(root, 'main.go')}, outside the module`,
  });
});

test('a link that escapes inside an excluded directory is never looked at', async (t) => {
  const root = await module(t);
  await fs.symlink('/etc/passwd', path.join(root, 'dist', 'passwd'));
  await fs.symlink('/etc/passwd', path.join(root, 'node_modules', 'passwd'));
  await t.notThrowsAsync(listSourceTree(root, { exclude: [path.join(root, 'dist')] }));
});
