/**
 * Merging checksum database evidence (module sets, a mirror) into one tree proven against the newest head: the
 * real evidence of examples/cli's set and what the go command cached for the same modules under older heads.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';

import { VerificationError } from '../../../src/errors.js';
import { readChecksumDatabaseEvidence } from '../../../src/modules/module-set.js';
import { LATEST_NOTE, lookupPath, openTreeHead, proveRecord, tileReaderOf } from '../../../src/sumdb/evidence.js';
import { parseLookupRecord } from '../../../src/sumdb/lookup-record.js';
import { mergeEvidence } from '../../../src/sumdb/merge-evidence.js';
import { SUM_GOLANG_ORG_KEY, parseVerifierKey } from '../../../src/sumdb/verifier-key.js';
import { packageRoot } from '../../../src/util/package-root.js';
import { extractCliModuleSet } from '../../helpers/cli-module-set.js';

const KEY = parseVerifierKey(SUM_GOLANG_ORG_KEY);

async function readTree(dir: string, prefix = ''): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const entry of await fs.readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const name = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) for (const [key, bytes] of await readTree(dir, name)) files.set(key, bytes);
    else files.set(name, await fs.readFile(path.join(dir, name)));
  }
  return files;
}

const GO_COMMAND = await readTree(path.join(packageRoot(), 'test/fixtures/sumdb/go-command-cache'));

async function setEvidence(t: Parameters<typeof extractCliModuleSet>[0]): Promise<Map<string, Uint8Array>> {
  return readChecksumDatabaseEvidence({ dir: await extractCliModuleSet(t) }, 'sum.golang.org');
}

test("a set's evidence merged alone is itself: one head, every record rewritten with it, every tile", async (t) => {
  const set = await setEvidence(t);
  const merged = mergeEvidence([{ name: 'set', files: set }], KEY);
  t.is(merged.tree.size, 73014680);
  t.deepEqual([...merged.files.keys()].sort(), [...set.keys()].sort());
  for (const [name, bytes] of set) t.true(Buffer.from(merged.files.get(name)!).equals(Buffer.from(bytes)), name);
});

test('evidence under an older head merges into the newest: the older records prove in it, and carry its note', async (t) => {
  const set = await setEvidence(t);
  const merged = mergeEvidence([{ name: 'go command cache', files: GO_COMMAND }, { name: 'set', files: set }], KEY);
  t.is(merged.tree.size, 73014680);
  const tiles = tileReaderOf(merged.files, 'merged');
  const note = Buffer.from(merged.files.get(LATEST_NOTE)!).toString('utf8');
  for (const [name, bytes] of merged.files) {
    if (!name.startsWith('lookup/')) continue;
    const record = parseLookupRecord(bytes, name);
    t.is(record.note, note, name);
    const proof = proveRecord(merged.files, tiles, merged.tree, record.lines[0]!.path, record.lines[0]!.version, 'merged');
    t.is(proof.status, 'proven', name);
  }
  // The go command's older partial tiles are kept: a developer whose go command remembers an older head can use them.
  t.true(merged.files.has('tile/8/3/000.p/3'));
  t.deepEqual(openTreeHead(merged.files, KEY, 'merged'), merged.tree);
});

test('two sources with different bytes for one tile or one record are a conflict, both named', async (t) => {
  const set = await setEvidence(t);
  const tile = [...set.keys()].find((name) => name.startsWith('tile/8/0/') && !name.includes('.p/'))!;
  const changed = new Map(set);
  const bytes = Buffer.from(set.get(tile)!);
  bytes[0]! ^= 1;
  changed.set(tile, bytes);
  const tileError = t.throws(() => mergeEvidence([{ name: 'a.tar.gz', files: set }, { name: 'b.tar.gz', files: changed }], KEY), { instanceOf: VerificationError });
  t.is(tileError.message, `b.tar.gz and a.tar.gz hold different bytes for the tile ${tile}`);

  const uuid = lookupPath('github.com/google/uuid', 'v1.6.0');
  const forged = new Map(set);
  forged.set(uuid, Buffer.from(Buffer.from(set.get(uuid)!).toString('utf8').replace(/^22152757\n/, '22152758\n')));
  const recordError = t.throws(() => mergeEvidence([{ name: 'a.tar.gz', files: set }, { name: 'b.tar.gz', files: forged }], KEY), { instanceOf: VerificationError });
  t.regex(recordError.message, /^b\.tar\.gz and a\.tar\.gz hold different checksum database records for github\.com\/google\/uuid@v1\.6\.0$/);
});

test('evidence without a tile the proofs read is refused, naming the tile', async (t) => {
  const set = await setEvidence(t);
  const uuid = parseLookupRecord(set.get(lookupPath('github.com/google/uuid', 'v1.6.0'))!, 'uuid');
  const leafTile = `tile/8/0/x${String(Math.floor(uuid.id / 256 / 1000)).padStart(3, '0')}/${String(Math.floor(uuid.id / 256) % 1000).padStart(3, '0')}`;
  t.true(set.has(leafTile), leafTile);
  const without = new Map(set);
  without.delete(leafTile);
  const error = t.throws(() => mergeEvidence([{ name: 'set', files: without }], KEY), { instanceOf: VerificationError });
  t.regex(error.message, new RegExp(`lacks the tile ${leafTile.replace(/\//g, '\\/')}`));
});
