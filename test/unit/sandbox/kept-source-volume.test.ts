import test from 'ava';
import { execa } from 'execa';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';

import { type KeptSourceRecord, keptSourceVolumeName, planSourceSync, selectFromArchive, type SourceTreeState } from '../../../src/sandbox/kept-source-volume.js';
import { listSourceTree, packSourceTreeToFile } from '../../../src/sandbox/source-tree.js';

function record(state: SourceTreeState): KeptSourceRecord {
  return {
    schema: 'airlock/kept-source-volume/v1',
    volume: 'airlock-src-x',
    generation: 'g',
    digest: state.digest,
    entries: Object.fromEntries(state.entries.map((entry) => [entry.path, entry.type])),
    files: { ...state.files },
  };
}

const BEFORE: SourceTreeState = {
  digest: 'd1',
  entries: [
    { path: 'go.mod', type: 'file' },
    { path: 'main.go', type: 'file' },
    { path: 'pkg', type: 'directory' },
    { path: 'pkg/a.go', type: 'file' },
    { path: 'link', type: 'symlink' },
  ],
  files: { 'go.mod': 'h1', 'main.go': 'h2', 'pkg/a.go': 'h3', link: 'h4' },
};

test('no record, or a record of nothing, means the volume is filled afresh', (t) => {
  t.deepEqual(planSourceSync(undefined, BEFORE), { kind: 'refill', reason: 'no volume is recorded' });
});

test('the same tree is reused as it is: nothing is sent', (t) => {
  t.deepEqual(planSourceSync(record(BEFORE), BEFORE), { kind: 'reuse' });
});

test('changed and new files, and a new directory with its files, are the only entries sent, in listing order', (t) => {
  const after: SourceTreeState = {
    digest: 'd2',
    entries: [...BEFORE.entries.slice(0, 4), { path: 'pkg/b.go', type: 'file' }, BEFORE.entries[4]!, { path: 'util', type: 'directory' }, { path: 'util/u.go', type: 'file' }],
    files: { ...BEFORE.files, 'main.go': 'h2-changed', 'pkg/b.go': 'h5', 'util/u.go': 'h6' },
  };
  t.deepEqual(planSourceSync(record(BEFORE), after), { kind: 'update', paths: ['main.go', 'pkg/b.go', 'util', 'util/u.go'] });
});

test('a new empty directory changes no digest but is still sent', (t) => {
  const after: SourceTreeState = { ...BEFORE, entries: [...BEFORE.entries, { path: 'empty', type: 'directory' }] };
  t.deepEqual(planSourceSync(record(BEFORE), after), { kind: 'update', paths: ['empty'] });
});

test('a removed entry or one that changed type makes the volume start again empty (the engine cannot delete)', (t) => {
  const removed: SourceTreeState = { digest: 'd3', entries: BEFORE.entries.filter((entry) => entry.path !== 'pkg/a.go'), files: { 'go.mod': 'h1', 'main.go': 'h2', link: 'h4' } };
  t.deepEqual(planSourceSync(record(BEFORE), removed), { kind: 'refill', reason: 'pkg/a.go was removed' });
  const retyped: SourceTreeState = { ...BEFORE, digest: 'd4', entries: BEFORE.entries.map((entry) => (entry.path === 'link' ? { path: 'link', type: 'file' } : entry)) };
  t.deepEqual(planSourceSync(record(BEFORE), retyped), { kind: 'refill', reason: 'link is now a file' });
});

test('the volume name depends on the host, the airlock home and the module directory, and is a valid volume name', (t) => {
  const name = keptSourceVolumeName('host', '/home/u/.airlock', '/src/m');
  t.regex(name, /^airlock-src-[0-9a-f]{24}$/);
  t.is(keptSourceVolumeName('host', '/home/u/.airlock', '/src/m/'), name);
  t.not(keptSourceVolumeName('other', '/home/u/.airlock', '/src/m'), name);
  t.not(keptSourceVolumeName('host', '/home/v/.airlock', '/src/m'), name);
  t.not(keptSourceVolumeName('host', '/home/u/.airlock', '/src/n'), name);
});

test('selectFromArchive gives the chosen entries of the packed tree with their headers and bytes, and nothing else (GNU tar reads it)', async (t) => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-kept-'));
  t.teardown(() => fs.rm(root, { recursive: true, force: true }));
  const module = path.join(root, 'm');
  await fs.mkdir(path.join(module, 'pkg', 'deep'), { recursive: true });
  await fs.writeFile(path.join(module, 'go.mod'), 'module example.com/m\n');
  await fs.writeFile(path.join(module, 'main.go'), 'package main\n');
  await fs.writeFile(path.join(module, 'pkg', 'deep', 'd.go'), 'package deep\n');
  await fs.writeFile(path.join(module, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
  const { entries } = await listSourceTree(module, { exclude: [] });
  const archive = path.join(root, 'source.tar');
  await packSourceTreeToFile(module, entries, archive);
  const selected = path.join(root, 'selected.tar');
  await fs.writeFile(selected, await buffer(selectFromArchive(archive, new Set(['pkg/deep', 'pkg/deep/d.go', 'run.sh']))));
  const listing = (await execa('tar', ['-tvf', selected, '--numeric-owner'])).stdout.split('\n');
  t.is(listing.length, 3);
  t.regex(listing[0]!, /^drwxr-xr-x 0\/0 +0 1970-01-01 00:00 pkg\/deep\/?$/);
  t.regex(listing[1]!, /^-rw-r--r-- 0\/0 +13 1970-01-01 00:00 pkg\/deep\/d\.go$/);
  t.regex(listing[2]!, /^-rwxr-xr-x 0\/0 +10 1970-01-01 00:00 run\.sh$/);
  t.is((await execa('tar', ['-xOf', selected, 'pkg/deep/d.go'])).stdout, 'package deep');
});
