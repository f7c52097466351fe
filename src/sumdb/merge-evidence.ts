import { VerificationError } from '../errors.js';
import { type EvidenceFiles, LATEST_NOTE, openTreeHead, tileReaderOf } from './evidence.js';
import { formatLookupRecord, parseLookupRecord } from './lookup-record.js';
import { recordIsInTree, tilesForProofs } from './merkle.js';
import { TILE_WIDTH, tilePath } from './tile.js';
import type { TreeHead } from './tree-head.js';
import type { VerifierKey } from './verifier-key.js';

export interface EvidenceSource {
  /** What the evidence came from, for messages: a set's file name, or the mirror. */
  name: string;
  files: EvidenceFiles;
}

export interface MergedEvidence {
  tree: TreeHead;
  /** Protocol-relative paths to bytes: latest, supported, every lookup (rewritten to carry the one head), every tile. */
  files: Map<string, Uint8Array>;
}

/**
 * Pure: merges the checksum database evidence of several sources (module sets, an existing mirror) into one,
 * proven against the newest signed head among them. Every record must prove in that head, and every tile the
 * go command would ask for to prove it must be there at that head's width (the go command reads no other), so
 * that the merged tree serves an offline go command as it serves airlock. A tile or record that two sources
 * hold with different bytes is a conflict.
 */
export function mergeEvidence(sources: readonly EvidenceSource[], key: VerifierKey): MergedEvidence {
  if (sources.length === 0) throw new Error('mergeEvidence needs a source');
  const heads = sources.map((source) => ({ source, tree: openTreeHead(source.files, key, source.name) }));
  const newest = heads.reduce((best, head) => (head.tree.size > best.tree.size ? head : best));
  const note = Buffer.from(newest.source.files.get(LATEST_NOTE)!).toString('utf8');
  const tiles = new Map<string, { bytes: Uint8Array; from: string }>();
  const records = new Map<string, { id: number; text: string; from: string }>();
  for (const { name, files } of sources) {
    for (const [file, bytes] of files) {
      if (file.startsWith('tile/')) {
        const held = tiles.get(file);
        if (held && !Buffer.from(held.bytes).equals(Buffer.from(bytes))) {
          throw new VerificationError(`${name} and ${held.from} hold different bytes for the tile ${file}`, { hint: 'one of them is damaged or forged; verify each with `airlock modules verify`' });
        }
        tiles.set(file, { bytes, from: name });
      } else if (file.startsWith('lookup/')) {
        const record = parseLookupRecord(bytes, `${name} ${file}`);
        const held = records.get(file);
        if (held && (held.id !== record.id || held.text !== record.text)) {
          throw new VerificationError(`${name} and ${held.from} hold different checksum database records for ${file.slice('lookup/'.length)}`, {
            hint: 'the log never changes a record: one of them is forged; verify each with `airlock modules verify`',
          });
        }
        records.set(file, { id: record.id, text: record.text, from: name });
      }
    }
  }
  const union = new Map([...tiles].map(([file, { bytes }]) => [file, bytes] as const));
  const reader = tileReaderOf(union, 'the merged evidence');
  for (const [file, record] of records) {
    if (!recordIsInTree(record.id, record.text, newest.tree, reader, `${record.from} ${file}`)) {
      throw new VerificationError(`${record.from} ${file}: record ${record.id} does not prove in the newest head (${newest.tree.size} records, from ${newest.source.name})`, {
        hint: 'the evidence is damaged or forged; verify the set with `airlock modules verify`',
      });
    }
  }
  for (const tile of tilesForProofs(newest.tree.size, [...records.values()].map((record) => record.id))) {
    const exact = tilePath(tile);
    if (union.has(exact) || union.has(tilePath({ ...tile, width: TILE_WIDTH }))) continue;
    throw new VerificationError(
      `the merged evidence lacks the tile ${exact} of the newest head (${newest.tree.size} records, from ${newest.source.name}), which the go command reads to prove the older records`,
      { hint: `pack the older sets again, or pack the newest with \`airlock modules pack --consistent-with SIZE\` for each older set's head` },
    );
  }
  const files = new Map<string, Uint8Array>([
    [LATEST_NOTE, Buffer.from(note)],
    ['supported', new Uint8Array()],
    ...union,
  ]);
  for (const [file, record] of records) files.set(file, Buffer.from(formatLookupRecord(record, note)));
  return { tree: newest.tree, files };
}
