import fs from 'fs-extra';
import path from 'node:path';
import { InputError, oneLine } from '../errors.js';
import { treeHashFromTiles, type TileReader } from './merkle.js';
import type { TreeHead } from './tree-head.js';

/**
 * The largest checksum database tree head a store (AIRLOCK_HOME) has accepted, per database. A later set must
 * show that this head is a prefix of its own (the log only grows), so a set with an older head (a rollback) or
 * a head on another branch (a fork: a database showing different logs to different users) is refused.
 */
export interface RememberedHead {
  size: number;
  hash: string;
  /** When it was accepted, and from which set: for `airlock modules trust`. */
  acceptedAt: string;
  from: string;
}

function headFile(home: string, name: string): string {
  return path.join(home, 'checksum-database', `${name}.json`);
}

export async function readRememberedHead(home: string, name: string): Promise<RememberedHead | undefined> {
  const file = headFile(home, name);
  const text = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const head = JSON.parse(text) as RememberedHead;
    if (!Number.isSafeInteger(head.size) || head.size < 0 || !/^[A-Za-z0-9+/]{43}=$/.test(head.hash)) throw new Error('malformed');
    return head;
  } catch {
    throw new InputError(`${file} is not a remembered checksum database head (${oneLine(text.slice(0, 60))})`, {
      hint: 'restore it from a backup, or forget it with `airlock modules trust --reset` (the next set is then accepted as the first)',
    });
  }
}

/** Remembers `tree` when it is larger than what is remembered (written whole, then renamed). */
export async function rememberHead(home: string, name: string, tree: { size: number; hash: string }, from: string, now = new Date()): Promise<void> {
  const current = await readRememberedHead(home, name);
  if (current !== undefined && current.size >= tree.size) return;
  const file = headFile(home, name);
  await fs.mkdirp(path.dirname(file));
  const partial = `${file}.${process.pid}.partial`;
  await fs.writeFile(partial, `${JSON.stringify({ size: tree.size, hash: tree.hash, acceptedAt: now.toISOString(), from }, null, 2)}\n`);
  await fs.rename(partial, file);
}

export async function forgetHeads(home: string): Promise<string[]> {
  const dir = path.join(home, 'checksum-database');
  const names = (await fs.readdir(dir).catch(() => [] as string[])).filter((file) => file.endsWith('.json'));
  await fs.remove(dir);
  return names.map((file) => file.replace(/\.json$/, ''));
}

export async function listRememberedHeads(home: string): Promise<Array<{ name: string; head: RememberedHead }>> {
  const dir = path.join(home, 'checksum-database');
  const names = (await fs.readdir(dir).catch(() => [] as string[])).filter((file) => file.endsWith('.json')).map((file) => file.replace(/\.json$/, ''));
  const heads = [];
  for (const name of names.sort()) {
    const head = await readRememberedHead(home, name);
    if (head) heads.push({ name, head });
  }
  return heads;
}

export type HeadVerdict = { ok: true } | { ok: false; reason: string; hint: string };

/**
 * Pure: whether `tree` (proven by the set's signature) may follow the remembered head. Same size: the same
 * root. Larger: the remembered root must be rebuilt from the set's tiles. Smaller: a rollback.
 */
export function checkRememberedHead(remembered: { size: number; hash: string } | undefined, tree: TreeHead, tiles: TileReader, source: string): HeadVerdict {
  if (remembered === undefined) return { ok: true };
  const theirs = `${tree.size} ${tree.hash.toString('base64')}`;
  const ours = `${remembered.size} ${remembered.hash}`;
  if (tree.size < remembered.size) {
    return {
      ok: false,
      reason: `${source} carries an older checksum database head (${theirs}) than this store has accepted (${ours}): a rollback`,
      hint: 'pack the set again on a connected machine; if this store accepted a wrong head, see `airlock modules trust`',
    };
  }
  if (tree.size === remembered.size) {
    return tree.hash.toString('base64') === remembered.hash
      ? { ok: true }
      : {
          ok: false,
          reason: `${source} carries a checksum database head (${theirs}) that forks from the one this store accepted (${ours}): the same size, another root`,
          hint: 'the checksum database, or the route to it, shows different logs to different users; do not use this set and report it',
        };
  }
  let rebuilt: Buffer;
  try {
    rebuilt = treeHashFromTiles(remembered.size, tiles, source);
  } catch {
    return {
      ok: false,
      reason: `${source} cannot show that the head this store accepted (${ours}) is a prefix of its own (${theirs}): it lacks the tiles`,
      hint: `pack it again with \`airlock modules pack --consistent-with ${remembered.size}\`, or see \`airlock modules trust\``,
    };
  }
  return rebuilt.toString('base64') === remembered.hash
    ? { ok: true }
    : {
        ok: false,
        reason: `${source} carries a checksum database head (${theirs}) that is not consistent with the one this store accepted (${ours}): a fork`,
        hint: 'the checksum database, or the route to it, shows different logs to different users; do not use this set and report it',
      };
}
