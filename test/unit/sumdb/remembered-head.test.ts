/**
 * Rollback and fork detection against the head a store accepted, on real heads: the go command's cache for
 * examples/cli holds lookups served with several older heads and the tiles that prove each a prefix of the
 * one it remembered.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';

import { InputError } from '../../../src/errors.js';
import { openTreeHead, tileReaderOf } from '../../../src/sumdb/evidence.js';
import { parseLookupRecord } from '../../../src/sumdb/lookup-record.js';
import { checkRememberedHead, forgetHeads, listRememberedHeads, readRememberedHead, rememberHead } from '../../../src/sumdb/remembered-head.js';
import { openSignedNote } from '../../../src/sumdb/signed-note.js';
import { parseTreeHead } from '../../../src/sumdb/tree-head.js';
import { SUM_GOLANG_ORG_KEY, parseVerifierKey } from '../../../src/sumdb/verifier-key.js';
import { packageRoot } from '../../../src/util/package-root.js';
import { tempDir } from '../../helpers/host-tools.js';

const FIXTURE = path.join(packageRoot(), 'test/fixtures/sumdb/go-command-cache');
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

const EVIDENCE = await readTree(FIXTURE);
const TREE = openTreeHead(EVIDENCE, KEY, 'fixture');
const TILES = tileReaderOf(EVIDENCE, 'fixture');
/** The smallest genuine head the proxy served with a lookup: an earlier state of the same log. */
const OLDER = [...EVIDENCE]
  .filter(([name]) => name.startsWith('lookup/'))
  .map(([name, bytes]) => parseTreeHead(openSignedNote(Buffer.from(parseLookupRecord(bytes, name).note), KEY, name), name))
  .reduce((a, b) => (a.size < b.size ? a : b));

const head = (tree: { size: number; hash: Buffer }) => ({ size: tree.size, hash: tree.hash.toString('base64') });

test('nothing remembered: any proven head is accepted as the first', (t) => {
  t.deepEqual(checkRememberedHead(undefined, TREE, TILES, 'set'), { ok: true });
});

test('an earlier genuine head is a prefix of the newer one: its root is rebuilt from the newer tiles', (t) => {
  t.true(OLDER.size < TREE.size);
  t.deepEqual(checkRememberedHead(head(OLDER), TREE, TILES, 'set'), { ok: true });
  t.deepEqual(checkRememberedHead(head(TREE), TREE, TILES, 'set'), { ok: true });
});

test('a set whose head is older than the remembered one is a rollback, both heads named', (t) => {
  const verdict = checkRememberedHead(head(TREE), OLDER, TILES, 'set.tar.gz');
  t.false(verdict.ok);
  if (!verdict.ok) t.is(verdict.reason, `set.tar.gz carries an older checksum database head (${OLDER.size} ${OLDER.hash.toString('base64')}) than this store has accepted (${TREE.size} ${TREE.hash.toString('base64')}): a rollback`);
});

test('another root at the remembered size, or an earlier head the tiles do not rebuild, is a fork', (t) => {
  const forkedRoot = Buffer.from(OLDER.hash);
  forkedRoot[31]! ^= 0x80;
  const earlier = checkRememberedHead({ size: OLDER.size, hash: forkedRoot.toString('base64') }, TREE, TILES, 'set');
  t.false(earlier.ok);
  if (!earlier.ok) t.regex(earlier.reason, /is not consistent with the one this store accepted .*: a fork$/);
  const same = checkRememberedHead({ size: TREE.size, hash: forkedRoot.toString('base64') }, TREE, TILES, 'set');
  t.false(same.ok);
  if (!same.ok) t.regex(same.reason, /forks from the one this store accepted .*: the same size, another root$/);
});

test('a set without the tiles to prove the remembered head a prefix is refused, pointing at --consistent-with', (t) => {
  const noTiles = { read: () => undefined };
  const verdict = checkRememberedHead(head(OLDER), TREE, noTiles, 'set');
  t.false(verdict.ok);
  if (!verdict.ok) {
    t.regex(verdict.reason, /cannot show that the head this store accepted .* is a prefix of its own .*: it lacks the tiles$/);
    t.is(verdict.hint, `pack it again with \`airlock modules pack --consistent-with ${OLDER.size}\`, or see \`airlock modules trust\``);
  }
});

test('the store remembers only a larger head, lists it, and forgets it on reset', async (t) => {
  const home = await tempDir(t, 'airlock-trust-');
  t.is(await readRememberedHead(home, 'sum.golang.org'), undefined);
  await rememberHead(home, 'sum.golang.org', head(TREE), 'new.tar.gz', new Date('2026-12-07T00:00:00Z'));
  await rememberHead(home, 'sum.golang.org', head(OLDER), 'old.tar.gz');
  t.like(await readRememberedHead(home, 'sum.golang.org'), { size: TREE.size, from: 'new.tar.gz', acceptedAt: '2026-12-07T00:00:00.000Z' });
  t.deepEqual((await listRememberedHeads(home)).map((entry) => entry.name), ['sum.golang.org']);
  t.deepEqual(await forgetHeads(home), ['sum.golang.org']);
  t.is(await readRememberedHead(home, 'sum.golang.org'), undefined);
});

test('a damaged remembered head is bad input naming the file and how to reset it', async (t) => {
  const home = await tempDir(t, 'airlock-trust-');
  await fs.mkdir(path.join(home, 'checksum-database'));
  await fs.writeFile(path.join(home, 'checksum-database', 'sum.golang.org.json'), '{"size": -1}');
  const error = await t.throwsAsync(readRememberedHead(home, 'sum.golang.org'), { instanceOf: InputError });
  t.regex(error?.message ?? '', /sum\.golang\.org\.json is not a remembered checksum database head/);
  t.regex(error?.hint ?? '', /airlock modules trust --reset/);
});
