import fs from 'node:fs/promises';
import path from 'node:path';

import test, { type ExecutionContext } from 'ava';

import { ExitCode, InputError } from '../../../src/errors.js';
import { type SourceEntry, digestSourceTree, listSourceTree, packSourceTreeToFile } from '../../../src/sandbox/source-tree.js';
import { execa } from 'execa';
import { tempDir } from '../../helpers/host-tools.js';
import { writeAirlockGroup, writeAirlockMatrix, writeAirlockShard } from '../../helpers/output-layouts.js';

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
  await writeAirlockGroup(path.join(root, 'dist'), ['tool_linux_amd64']);
  await write(root, '.airlock-staging-dist-0123abcd/partial', '');
  await write(root, '.github/workflows/ci.yml', '');
  await write(root, '.env.example', '');
  return root;
}

const paths = (entries: SourceEntry[]) => entries.map((entry) => entry.path);
const listed = async (root: string, exclude: string[] = []) => paths((await listSourceTree(root, { exclude })).entries);

test('lists files and directories, sorted, skipping VCS data, node_modules, airlock staging and the excluded output', async (t) => {
  const root = await module(t);
  const { entries, outputs } = await listSourceTree(root, { exclude: [path.join(root, 'dist')] });
  t.deepEqual(outputs, [], 'the excluded output directory is not reported again');
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

test('earlier airlock outputs (flat, per-toolchain, shard) are never source, and are returned and added to the exclusions', async (t) => {
  const root = await module(t);
  await writeAirlockShard(path.join(root, 'shards', '1-of-2'), 'flat');
  await writeAirlockShard(path.join(root, 'shards', '2-of-2'), 'per-toolchain');
  await writeAirlockMatrix(path.join(root, 'matrix'), ['go1.26.8', 'go1.27.3'], ['tool_linux_amd64']);
  await writeAirlockGroup(path.join(root, 'signed'), ['tool_linux_amd64', 'tool_windows_amd64.exe'], { sbom: true, signed: true });
  await write(root, 'notes/SHA256SUMS.txt', 'not an output directory');
  const options = { exclude: [] as string[] };
  const listing = await listSourceTree(root, options);
  const listedPaths = paths(listing.entries);
  t.deepEqual(listing.outputs, ['dist', 'matrix', 'shards/1-of-2', 'shards/2-of-2', 'signed']);
  t.false(listedPaths.some((p) => listing.outputs.some((output) => p === output || p.startsWith(`${output}/`))));
  t.true(listedPaths.includes('shards'));
  t.true(listedPaths.includes('notes/SHA256SUMS.txt'));
  t.deepEqual(options.exclude.map((p) => path.relative(root, p)).sort(), ['dist', 'matrix', path.join('shards', '1-of-2'), path.join('shards', '2-of-2'), 'signed']);
  t.false(listedPaths.some((p) => p.startsWith('.git') && !p.startsWith('.github')));
  t.false(listedPaths.some((p) => p.split('/').includes('node_modules')));
});

test('a directory named dist that airlock did not write is source like any other', async (t) => {
  const root = await module(t);
  await fs.rm(path.join(root, 'dist', 'SHA256SUMS'));
  t.true((await listed(root)).includes('dist/tool_linux_amd64'));
});

// Regression test: any directory holding a file named SHA256SUMS used to be left out of the source, so an
// embedded assets tree or a package directory with such a file silently went missing from the build.
test('source directories holding a SHA256SUMS of their own are sent, with everything in them', async (t) => {
  const root = await module(t);
  await write(root, 'assets/index.html', '<p>hi</p>');
  await write(root, 'assets/checksums/SHA256SUMS', `${'a'.repeat(64)}  ../index.html\n`);
  await write(root, 'assets/checksums/README', 'checksums of the assets');
  await write(root, 'pkg/sums/sums.go', 'package sums\n');
  await write(root, 'pkg/sums/SHA256SUMS', `${'b'.repeat(64)}  sums.go\n`);
  // A directory laid out almost like an output, but with one file airlock does not write, is source too.
  await writeAirlockGroup(path.join(root, 'release'), ['tool_linux_amd64']);
  await write(root, 'release/NOTES.md', 'release notes');
  await write(root, 'empty-sums/SHA256SUMS', '');
  const options = { exclude: [] as string[] };
  const listing = await listSourceTree(root, options);
  for (const file of [
    'assets/checksums/SHA256SUMS',
    'assets/checksums/README',
    'assets/index.html',
    'pkg/sums/SHA256SUMS',
    'pkg/sums/sums.go',
    'release/NOTES.md',
    'release/SHA256SUMS',
    'release/tool_linux_amd64',
    'empty-sums/SHA256SUMS',
  ]) {
    t.true(paths(listing.entries).includes(file), file);
  }
  t.deepEqual(listing.outputs, ['dist']);
  t.deepEqual(options.exclude, [path.join(root, 'dist')]);
});

test('an exclusion covers only that directory, not siblings sharing its name as a prefix', async (t) => {
  const root = await module(t);
  await write(root, 'dist-notes/readme.txt', '');
  await write(root, 'distribution.go', 'package main\n');
  const found = await listed(root, [path.join(root, 'dist')]);
  t.true(found.includes('dist-notes/readme.txt'));
  t.true(found.includes('distribution.go'));
  t.false(found.some((p) => p === 'dist' || p.startsWith('dist/')));
});

test('an excluded nested directory is skipped with everything under it', async (t) => {
  const root = await module(t);
  await write(root, 'build/out/bin/x', '');
  await write(root, 'build/keep.go', 'package main\n');
  const found = await listed(root, [path.join(root, 'build', 'out')]);
  t.true(found.includes('build/keep.go'));
  t.false(found.some((p) => p.startsWith('build/out')));
});

test('symbolic links that stay inside the module are listed as links', async (t) => {
  const root = await module(t);
  await fs.symlink('main.go', path.join(root, 'alias.go'));
  await fs.symlink('../lib', path.join(root, 'internal', 'lib-link'));
  await fs.symlink(path.join('..', '..', 'go.mod'), path.join(root, 'internal', 'lib', 'go.mod.link'));
  await fs.symlink('.', path.join(root, 'self'));
  await fs.symlink('..', path.join(root, 'internal', 'up'));
  const { entries } = await listSourceTree(root, { exclude: [path.join(root, 'dist')] });
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

test('the source archive holds exactly the listed tree (root-owned, 0755/0644, time 0), and its digest is the one digestSourceTree gives', async (t) => {
  const root = await module(t);
  await write(root, 'tools/run.sh', '#!/bin/sh\n');
  await fs.chmod(path.join(root, 'tools/run.sh'), 0o750);
  await fs.symlink('../main.go', path.join(root, 'internal/link.go'));
  const { entries } = await listSourceTree(root, { exclude: [] });
  const archive = path.join(await tempDir(t, 'airlock-src-tar-'), 'source.tar');
  const packed = await packSourceTreeToFile(root, entries, archive);
  t.deepEqual(packed, await digestSourceTree(root, entries));
  // GNU tar reads it as it is: names relative to the source directory, in listing order.
  const listing = (await execa('tar', ['--numeric-owner', '--full-time', '-tvf', archive])).stdout.split('\n');
  t.deepEqual(
    listing.map((line) => line.split(/\s+/).slice(5).join(' ').replace(/\/$/, '')),
    entries.map((entry) => (entry.type === 'symlink' ? `${entry.path} -> ../main.go` : entry.path)),
  );
  for (const line of listing) t.regex(line, /^\S+ 0\/0 .* 1970-01-01 00:00:00 /, line);
  t.true(listing.some((line) => line.startsWith('-rwxr-xr-x') && line.endsWith(' tools/run.sh')));
  t.true(listing.some((line) => line.startsWith('-rw-r--r--') && line.endsWith(' main.go')));
  t.true(listing.some((line) => line.startsWith('drwxr-xr-x') && / internal\/?$/.test(line)));
});
