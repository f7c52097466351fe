import { createHash } from 'node:crypto';
import { VerificationError } from '../errors.js';
import { HASH_SIZE, TILE_HEIGHT, TILE_WIDTH, type Tile, tilePath } from './tile.js';
import type { TreeHead } from './tree-head.js';

/**
 * RFC 6962 Merkle hashing over the checksum database's tiles. Every hash a proof reads from a tile feeds the
 * final comparison with the signed root, so a forged or damaged tile can only make a proof fail: tiles need no
 * authentication of their own.
 */

/** The leaf hash of a record: SHA-256(0x00 || record text). */
export function recordHash(text: string | Uint8Array): Buffer {
  return createHash('sha256').update(Buffer.of(0)).update(text).digest();
}

/** An interior node: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(Buffer.of(1)).update(left).update(right).digest();
}

/** Hands out the bytes of a tile: at least `width` hashes (a wider copy of the same tile serves as well). */
export interface TileReader {
  read(level: number, index: number, width: number): Uint8Array | undefined;
}

/** Tile `index` of tile level `level` as it is in a tree of `treeSize` records: full, or the right edge's partial one. */
export function tileInTree(level: number, index: number, treeSize: number): Tile {
  const nodes = Math.floor(treeSize / TILE_WIDTH ** level);
  return { level, index, width: Math.min(TILE_WIDTH, nodes - index * TILE_WIDTH) };
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

/** The largest power of two below n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** The Merkle root of 2^k hashes laid end to end. */
function subtreeRoot(hashes: Uint8Array): Buffer {
  let level: Uint8Array[] = [];
  for (let at = 0; at < hashes.length; at += HASH_SIZE) level.push(hashes.subarray(at, at + HASH_SIZE));
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(nodeHash(level[i]!, level[i + 1]!));
    level = next;
  }
  return Buffer.from(level[0]!);
}

interface Leaf {
  id: number;
  hash: Buffer;
}

class TreeWalk {
  constructor(
    private readonly treeSize: number,
    private readonly tiles: TileReader,
    private readonly source: string,
  ) {}

  /** The hash of the complete subtree of height `height` whose leftmost leaf is index·2^height. */
  private stored(height: number, index: number): Buffer {
    const level = Math.floor(height / TILE_HEIGHT);
    const span = 2 ** (height % TILE_HEIGHT);
    const first = index * span;
    const tile = tileInTree(level, Math.floor(first / TILE_WIDTH), this.treeSize);
    const offset = first % TILE_WIDTH;
    const bytes = this.tiles.read(tile.level, tile.index, tile.width);
    if (bytes === undefined || bytes.length < tile.width * HASH_SIZE) {
      throw new VerificationError(`${this.source}: the evidence lacks the tile ${tilePath(tile)}`, {
        hint: 'the module set is incomplete; pack it again on a connected machine',
      });
    }
    return subtreeRoot(bytes.subarray(offset * HASH_SIZE, (offset + span) * HASH_SIZE));
  }

  /** The root of leaves [lo, hi), computing through `leaf` when it lies inside. */
  root(lo: number, hi: number, leaf?: Leaf): Buffer {
    const size = hi - lo;
    const holdsLeaf = leaf !== undefined && leaf.id >= lo && leaf.id < hi;
    if (!holdsLeaf && isPowerOfTwo(size)) return this.stored(Math.log2(size), lo / size);
    if (size === 1) return leaf!.hash;
    const k = splitPoint(size);
    return nodeHash(this.root(lo, lo + k, leaf), this.root(lo + k, hi, leaf));
  }
}

/** The root hash of the first `size` records, read from the tiles (for a consistency check, tiles of a larger tree). */
export function treeHashFromTiles(size: number, tiles: TileReader, source: string): Buffer {
  if (size === 0) return createHash('sha256').digest();
  return new TreeWalk(size, tiles, source).root(0, size);
}

/** Whether the record (`id`, `text`) is in the signed tree: the root recomputed through its leaf equals the tree's. */
export function recordIsInTree(id: number, text: string, tree: TreeHead, tiles: TileReader, source: string): boolean {
  if (!Number.isSafeInteger(id) || id < 0 || id >= tree.size) return false;
  return new TreeWalk(tree.size, tiles, source).root(0, tree.size, { id, hash: recordHash(text) }).equals(tree.hash);
}

/**
 * The tiles a proof needs, found by running it over a reader that records what is read: for the inclusion
 * of each record id in a tree of `treeSize`, and for the root of an earlier tree of each `earlierSizes`
 * (consistency), all as tiles of the tree of `treeSize`.
 */
export function tilesForProofs(treeSize: number, recordIds: readonly number[], earlierSizes: readonly number[] = []): Tile[] {
  const wanted = new Map<string, Tile>();
  const zeros = Buffer.alloc(TILE_WIDTH * HASH_SIZE);
  const recorder: TileReader = {
    read(level, index) {
      const tile = tileInTree(level, index, treeSize);
      wanted.set(tilePath(tile), tile);
      return zeros;
    },
  };
  for (const id of recordIds) new TreeWalk(treeSize, recorder, 'plan').root(0, treeSize, { id, hash: zeros.subarray(0, HASH_SIZE) });
  for (const size of earlierSizes) if (size > 0) new TreeWalk(size, recorder, 'plan').root(0, size);
  return [...wanted.values()].sort((a, b) => a.level - b.level || a.index - b.index);
}
