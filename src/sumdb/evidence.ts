import { VerificationError } from '../errors.js';
import { escapeModulePath } from '../modules/module-path.js';
import { type LookupRecord, parseLookupRecord } from './lookup-record.js';
import { type TileReader, recordIsInTree } from './merkle.js';
import { openSignedNote } from './signed-note.js';
import { HASH_SIZE, parseTilePath } from './tile.js';
import { type TreeHead, parseTreeHead } from './tree-head.js';
import type { VerifierKey } from './verifier-key.js';

/**
 * Checksum database evidence as files in the database's own protocol layout (`latest`, `lookup/<module>@<version>`,
 * `tile/8/L/K[.p/W]`), keyed by those relative paths: what a module set carries under
 * cache/download/sumdb/<name>/ and what the go command caches there.
 */
export type EvidenceFiles = ReadonlyMap<string, Uint8Array>;

export const LATEST_NOTE = 'latest';

export function lookupPath(modulePath: string, version: string): string {
  return `lookup/${escapeModulePath(modulePath)}@${escapeModulePath(version)}`;
}

/** A reader over the evidence's tiles; of several widths of one tile, the widest serves every request. */
export function tileReaderOf(files: EvidenceFiles, source: string): TileReader {
  const widest = new Map<string, Uint8Array>();
  for (const [name, bytes] of files) {
    if (!name.startsWith('tile/')) continue;
    const tile = parseTilePath(name);
    if (tile === undefined) throw new VerificationError(`${source}: ${name} is not a hash tile path`, { hint: 'pack the module set again' });
    if (bytes.length !== tile.width * HASH_SIZE) {
      throw new VerificationError(`${source}: ${name} holds ${bytes.length} bytes, not ${tile.width * HASH_SIZE}`, { hint: 'the evidence is damaged; pack the module set again' });
    }
    const key = `${tile.level}/${tile.index}`;
    if ((widest.get(key)?.length ?? 0) < bytes.length) widest.set(key, bytes);
  }
  return { read: (level, index) => widest.get(`${level}/${index}`) };
}

/** The signed tree head the evidence is proven against: its `latest` note, verified under `key`. */
export function openTreeHead(files: EvidenceFiles, key: VerifierKey, source: string): TreeHead {
  const note = files.get(LATEST_NOTE);
  if (note === undefined) throw new VerificationError(`${source}: the evidence has no signed tree head (${LATEST_NOTE})`, { hint: 'pack the module set again' });
  return parseTreeHead(openSignedNote(note, key, `${source} ${LATEST_NOTE}`), `${source} ${LATEST_NOTE}`);
}

export type RecordProof =
  | { status: 'proven'; record: LookupRecord }
  | { status: 'no-evidence'; reason: string }
  | { status: 'unproven'; reason: string };

/**
 * Proves the record of one module version in `tree`: its lookup file must name that module version on every
 * line, and its leaf must hash up through the tiles to the signed root. A missing lookup is no evidence; a
 * lookup that does not prove is unproven (damaged or forged evidence).
 */
export function proveRecord(files: EvidenceFiles, tiles: TileReader, tree: TreeHead, modulePath: string, version: string, source: string): RecordProof {
  const name = lookupPath(modulePath, version);
  const bytes = files.get(name);
  if (bytes === undefined) return { status: 'no-evidence', reason: `no checksum database record for ${modulePath}@${version} in the evidence` };
  let record: LookupRecord;
  try {
    record = parseLookupRecord(bytes, `${source} ${name}`);
  } catch (error) {
    return { status: 'unproven', reason: (error as Error).message };
  }
  if (record.lines.length === 0 || record.lines.some((line) => line.path !== modulePath || line.version !== version)) {
    return { status: 'unproven', reason: `${source} ${name}: the record is not of ${modulePath}@${version}` };
  }
  try {
    if (!recordIsInTree(record.id, record.text, tree, tiles, `${source} ${name}`)) {
      return { status: 'unproven', reason: `${source} ${name}: record ${record.id} does not hash to the signed tree of ${tree.size} records` };
    }
  } catch (error) {
    if (error instanceof VerificationError) return { status: 'unproven', reason: error.message };
    throw error;
  }
  return { status: 'proven', record };
}
