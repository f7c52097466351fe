/**
 * The checksum database evidence formats and proofs, on what the real go command cached while it checked
 * examples/cli's modules (test/fixtures/sumdb/README.md), and on tampered copies of it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';
import * as fc from 'fast-check';

import { InputError, VerificationError } from '../../../src/errors.js';
import { parseGoSum } from '../../../src/modules/go-sum.js';
import { type EvidenceFiles, LATEST_NOTE, lookupPath, openTreeHead, proveRecord, tileReaderOf } from '../../../src/sumdb/evidence.js';
import { formatLookupRecord, parseLookupRecord } from '../../../src/sumdb/lookup-record.js';
import { recordHash, recordIsInTree, tilesForProofs, treeHashFromTiles } from '../../../src/sumdb/merkle.js';
import { openSignedNote } from '../../../src/sumdb/signed-note.js';
import { parseTilePath, tilePath } from '../../../src/sumdb/tile.js';
import { parseTreeHead } from '../../../src/sumdb/tree-head.js';
import { SUM_GOLANG_ORG_KEY, parseVerifierKey } from '../../../src/sumdb/verifier-key.js';
import { packageRoot } from '../../../src/util/package-root.js';
import { assertProperty } from '../../helpers/properties.js';

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

const EVIDENCE: EvidenceFiles = await readTree(FIXTURE);
const GO_SUM = parseGoSum(await fs.readFile(path.join(packageRoot(), 'examples/cli/go.sum'), 'utf8'));
const MODULE_VERSIONS = [...new Map(GO_SUM.map((entry) => [`${entry.path}@${entry.version}`, entry])).values()];

function copyWith(changes: Record<string, Uint8Array | undefined>): Map<string, Uint8Array> {
  const copy = new Map(EVIDENCE);
  for (const [name, bytes] of Object.entries(changes)) {
    if (bytes === undefined) copy.delete(name);
    else copy.set(name, bytes);
  }
  return copy;
}

test('the pinned sum.golang.org key reads as the go command reads it; its aliases too', (t) => {
  t.is(KEY.name, 'sum.golang.org');
  t.is(KEY.hash.toString('hex'), '033de0ae');
  t.is(parseVerifierKey('sum.golang.org').text, SUM_GOLANG_ORG_KEY);
  t.is(parseVerifierKey('sum.golang.google.cn').hash.toString('hex'), '033de0ae');
});

test('a verifier key that is malformed, or whose hash does not match, is bad input naming the problem', (t) => {
  const cases: Array<[string, RegExp]> = [
    ['sum.example.com', /not the form name\+hash\+key/],
    ['sum.golang.org+033de0af+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8', /its hash is 033de0ae, not 033de0af/],
    ['sum.golang.org+033de0ae+AAAA', /not an Ed25519 key/],
    ['sum.golang.org+033DE0AE+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8', /8 lowercase hex/],
    ['sum golang+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8', /holds a space/],
  ];
  for (const [text, message] of cases) {
    const error = t.throws(() => parseVerifierKey(text), { instanceOf: InputError });
    t.regex(error.message, message, text);
  }
});

test('the signed tree head the go command remembered verifies, and reads as size and root', (t) => {
  const tree = openTreeHead(EVIDENCE, KEY, 'fixture');
  t.is(tree.size, 66398721);
  t.is(tree.hash.toString('base64'), '5oXTdOltbW8oy+WAHSPYkUE7FskIY/5ZJCYGy+buJ3g=');
});

test('a note whose text was edited, whose signature was changed, or that no known key signed fails verification', (t) => {
  const note = Buffer.from(EVIDENCE.get(LATEST_NOTE)!).toString('utf8');
  const edits: Array<[string, string, RegExp]> = [
    ['size', note.replace('66398721', '66398722'), /signature by sum\.golang\.org does not verify/],
    ['root', note.replace('5oXT', '5oXU'), /does not verify/],
    // A character well past the 4-byte key hash: the signature bytes themselves.
    ['signature', note.replace(/(Az3gr.{24})(.)/, (_, a: string, b: string) => a + (b === 'A' ? 'B' : 'A')), /does not verify/],
    ['other key', note.replace('— sum.golang.org ', '— sum.example.com '), /carries no signature by sum\.golang\.org/],
    ['no signature', note.slice(0, note.lastIndexOf('\n\n') + 1), /no signatures/],
    ['control character', note.replace('tree\n', 'tree\r\n'), /control characters/],
  ];
  for (const [what, text, message] of edits) {
    const error = t.throws(() => openSignedNote(Buffer.from(text), KEY, 'latest'), { instanceOf: VerificationError }, what);
    t.regex(error?.message ?? '', message, what);
  }
});

test('tile paths: 3-digit groups with x prefixes, .p/W for partial tiles; every fixture tile path round-trips', (t) => {
  t.is(tilePath({ level: 0, index: 99896, width: 256 }), 'tile/8/0/x099/896');
  t.is(tilePath({ level: 1, index: 1234067, width: 256 }), 'tile/8/1/x001/x234/067');
  t.is(tilePath({ level: 3, index: 0, width: 3 }), 'tile/8/3/000.p/3');
  const tiles = [...EVIDENCE.keys()].filter((name) => name.startsWith('tile/'));
  t.true(tiles.length > 30);
  for (const name of tiles) t.is(tilePath(parseTilePath(name)!), name);
  for (const bad of ['tile/8/0/x099/0896', 'tile/8/0/99896', 'tile/8/0/x000/001', 'tile/8/0/001.p/256', 'tile/8/0/001.p/0', 'tile/8/data/001', 'tile/4/0/001', 'tile/8/0/001.p/007']) {
    t.is(parseTilePath(bad), undefined, bad);
  }
});

test('every go.sum line of examples/cli is proven: its record hashes up through the tiles to the signed root', (t) => {
  const tree = openTreeHead(EVIDENCE, KEY, 'fixture');
  const tiles = tileReaderOf(EVIDENCE, 'fixture');
  t.is(MODULE_VERSIONS.length, 9);
  for (const { path: modulePath, version } of MODULE_VERSIONS) {
    const proof = proveRecord(EVIDENCE, tiles, tree, modulePath, version, 'fixture');
    if (proof.status !== 'proven') return t.fail(`${modulePath}@${version}: ${proof.status}`);
    const lines = new Set(proof.record.lines.map((line) => line.text));
    for (const entry of GO_SUM.filter((e) => e.path === modulePath && e.version === version)) {
      t.true(lines.has(`${entry.path} ${entry.version}${entry.goMod ? '/go.mod' : ''} ${entry.hash}`), `${modulePath}@${version}`);
    }
  }
});

test('each older tree head that came with a lookup is a prefix of the remembered one (the tiles prove its root)', (t) => {
  const tiles = tileReaderOf(EVIDENCE, 'fixture');
  const sizes = new Set<number>();
  for (const [name, bytes] of EVIDENCE) {
    if (!name.startsWith('lookup/')) continue;
    const record = parseLookupRecord(bytes, name);
    const older = parseTreeHead(openSignedNote(Buffer.from(record.note), KEY, name), name);
    sizes.add(older.size);
    t.true(treeHashFromTiles(older.size, tiles, name).equals(older.hash), name);
    // A head with another root at the same size (a fork) is not.
    const forked = Buffer.from(older.hash);
    forked[0]! ^= 1;
    t.false(treeHashFromTiles(older.size, tiles, name).equals(forked));
  }
  t.true(sizes.size >= 3, 'the proxy served lookups with several different tree heads');
});

test('the tiles a proof plans are the tiles the go command read for it', (t) => {
  const tree = openTreeHead(EVIDENCE, KEY, 'fixture');
  const ids = [...EVIDENCE].filter(([name]) => name.startsWith('lookup/')).map(([name, bytes]) => parseLookupRecord(bytes, name).id);
  const planned = tilesForProofs(tree.size, ids);
  t.true(planned.length >= ids.length);
  const have = new Map<string, number>();
  for (const name of EVIDENCE.keys()) {
    const tile = parseTilePath(name);
    if (tile) have.set(`${tile.level}/${tile.index}`, Math.max(have.get(`${tile.level}/${tile.index}`) ?? 0, tile.width));
  }
  for (const tile of planned) t.true((have.get(`${tile.level}/${tile.index}`) ?? 0) >= tile.width, tilePath(tile));
  // Only the planned tiles: the proofs still hold with every other tile removed.
  const only = new Map([...EVIDENCE].filter(([name]) => !name.startsWith('tile/') || planned.some((tile) => `${tile.level}/${tile.index}` === `${parseTilePath(name)!.level}/${parseTilePath(name)!.index}`)));
  const tiles = tileReaderOf(only, 'planned');
  for (const id of ids) t.true(ids.includes(id));
  for (const [name, bytes] of only) {
    if (!name.startsWith('lookup/')) continue;
    const record = parseLookupRecord(bytes, name);
    t.true(recordIsInTree(record.id, record.text, tree, tiles, name), name);
  }
});

const UUID = lookupPath('github.com/google/uuid', 'v1.6.0');

test('tampering is caught and named: a changed record, a swapped record, a changed tile byte, a missing tile or record', (t) => {
  const tree = openTreeHead(EVIDENCE, KEY, 'fixture');
  const prove = (files: Map<string, Uint8Array>) => proveRecord(files, tileReaderOf(files, 'set'), tree, 'github.com/google/uuid', 'v1.6.0', 'set');
  const uuid = Buffer.from(EVIDENCE.get(UUID)!).toString('utf8');

  const poisoned = uuid.replace('h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=', 'h1:sbMAyDEKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
  t.not(poisoned, uuid);
  t.like(prove(copyWith({ [UUID]: Buffer.from(poisoned) })), { status: 'unproven' });
  t.regex((prove(copyWith({ [UUID]: Buffer.from(poisoned) })) as { reason: string }).reason, /does not hash to the signed tree of 66398721 records/);

  const cobra = EVIDENCE.get(lookupPath('github.com/spf13/cobra', 'v1.10.2'))!;
  t.regex((prove(copyWith({ [UUID]: cobra })) as { reason: string }).reason, /the record is not of github\.com\/google\/uuid@v1\.6\.0/);

  // Another record id for the same text: the leaf lands elsewhere in the tree.
  const moved = uuid.replace(/^22152757\n/, '22152758\n');
  t.like(prove(copyWith({ [UUID]: Buffer.from(moved) })), { status: 'unproven' });

  const record = parseLookupRecord(EVIDENCE.get(UUID)!, UUID);
  const leafTile = tilePath({ level: 0, index: Math.floor(record.id / 256), width: 256 });
  t.true(EVIDENCE.has(leafTile), leafTile);
  const flipped = Buffer.from(EVIDENCE.get(leafTile)!);
  flipped[(record.id % 256 === 0 ? 1 : 0) * 32 + 5]! ^= 0x01;
  t.like(prove(copyWith({ [leafTile]: flipped })), { status: 'unproven' });
  t.regex((prove(copyWith({ [leafTile]: undefined })) as { reason: string }).reason, /lacks the tile tile\/8\/0\/x086\/534/);
  t.like(prove(copyWith({ [UUID]: undefined })), { status: 'no-evidence' });
  t.like(prove(copyWith({})), { status: 'proven' });
});

test('a tile whose length does not fit its path is refused', (t) => {
  const name = [...EVIDENCE.keys()].find((key) => key.startsWith('tile/8/0/') && !key.includes('.p/'))!;
  const error = t.throws(() => tileReaderOf(copyWith({ [name]: EVIDENCE.get(name)!.subarray(1) }), 'set'), { instanceOf: VerificationError });
  t.regex(error.message, /holds 8191 bytes, not 8192/);
});

test('the record text written back with the one tree note is what the leaf hash covers', (t) => {
  const record = parseLookupRecord(EVIDENCE.get(UUID)!, UUID);
  const note = Buffer.from(EVIDENCE.get(LATEST_NOTE)!).toString('utf8');
  const rewritten = parseLookupRecord(Buffer.from(formatLookupRecord(record, note)), 'rewritten');
  t.is(rewritten.text, record.text);
  t.is(rewritten.note, note);
  t.true(recordHash(rewritten.text).equals(recordHash(record.text)));
});

test('property: hostile lookups, notes and tile paths fail only with a VerificationError, or read as nothing', (t) => {
  const real = [...EVIDENCE].filter(([name]) => name.startsWith('lookup/') || name === LATEST_NOTE).map(([, bytes]) => Buffer.from(bytes).toString('utf8'));
  const mutated = fc.tuple(fc.constantFrom(...real), fc.nat(400), fc.nat(400), fc.string({ maxLength: 12, unit: 'binary' })).map(([text, at, cut, insert]) => text.slice(0, at) + insert + text.slice(at + (cut % 8)));
  assertProperty(
    t,
    fc.property(mutated, (text) => {
      for (const read of [() => parseLookupRecord(Buffer.from(text), 'x'), () => openSignedNote(Buffer.from(text), KEY, 'x'), () => parseTreeHead(text, 'x')]) {
        try {
          read();
        } catch (error) {
          if (!(error instanceof VerificationError) || error.message.includes('\n')) throw error;
        }
      }
      t.notThrows(() => parseTilePath(text));
    }),
    { numRuns: 300 },
  );
});
