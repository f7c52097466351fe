/**
 * Hash tiles of the checksum database (height 8): tile (level L, index K, width W) holds W consecutive hashes
 * of tree level 8·L, from index K·256. A full tile holds 256; a partial one (the right edge of a tree) fewer,
 * and is always a prefix of the later full tile.
 */
export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 1 << TILE_HEIGHT;
export const HASH_SIZE = 32;

export interface Tile {
  level: number;
  index: number;
  /** 1 to 256. */
  width: number;
}

/** `tile/8/L/K[.p/W]`, K written in 3-digit groups, every group but the last prefixed with x. */
export function tilePath(tile: Tile): string {
  let digits = String(tile.index).padStart(3, '0');
  while (digits.length % 3 !== 0) digits = `0${digits}`;
  const groups = digits.match(/\d{3}/g)!;
  const index = groups.map((group, i) => (i < groups.length - 1 ? `x${group}` : group)).join('/');
  return `tile/${TILE_HEIGHT}/${tile.level}/${index}${tile.width === TILE_WIDTH ? '' : `.p/${tile.width}`}`;
}

const TILE_PATH = /^tile\/8\/(\d)\/((?:x\d{3}\/)*)(\d{3})(?:\.p\/(\d{1,3}))?$/;

/** The tile a path names, or undefined when it is not a hash tile path in canonical form (data tiles are not). */
export function parseTilePath(text: string): Tile | undefined {
  const match = TILE_PATH.exec(text);
  if (!match) return undefined;
  const index = Number(`${match[2]!.replace(/x|\//g, '')}${match[3]}`);
  const width = match[4] === undefined ? TILE_WIDTH : Number(match[4]);
  if (width < 1 || width >= TILE_WIDTH + (match[4] === undefined ? 1 : 0) || !Number.isSafeInteger(index)) return undefined;
  const tile = { level: Number(match[1]), index, width };
  // Only the canonical spelling: one name per tile, so a set cannot hold two differing copies of one tile.
  return tilePath(tile) === text ? tile : undefined;
}
