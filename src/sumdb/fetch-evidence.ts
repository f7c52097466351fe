import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pLimit from 'p-limit';
import { BuildError, InputError, VerificationError, oneLine } from '../errors.js';
import { LATEST_NOTE, lookupPath, proveRecord, tileReaderOf } from './evidence.js';
import { formatLookupRecord, parseLookupRecord } from './lookup-record.js';
import { tilesForProofs } from './merkle.js';
import { openSignedNote } from './signed-note.js';
import type { RequestCredentials } from './go-auth.js';
import { HASH_SIZE, TILE_WIDTH, type Tile, tilePath } from './tile.js';
import { type TreeHead, parseTreeHead } from './tree-head.js';
import { type VerifierKey, parseVerifierKey } from './verifier-key.js';

/** Where the checksum database is read from at pack time, decided as the go command decides it. */
export interface ChecksumDatabaseSource {
  key: VerifierKey;
  /** Base URL of the database's protocol paths (`<base>/latest`, `<base>/lookup/...`, `<base>/tile/...`). */
  base: string;
}

export type Fetch = (url: string) => Promise<{ status: number; bytes: Uint8Array }>;

/**
 * Node's fetch, reduced to what the protocol needs; file:// URLs (a local mirror or proxy tree) are read from
 * disk. With credentials, an https request carries their headers, and a 4xx answer is tried once more when the
 * credentials' URL-specific methods (GOAUTH commands, git) have something new for it.
 */
export function httpFetch(credentials?: RequestCredentials): Fetch {
  return async (url) => {
    if (url.startsWith('file://')) {
      const bytes = await readFile(fileURLToPath(url)).catch(() => undefined);
      return bytes ? { status: 200, bytes } : { status: 404, bytes: new Uint8Array() };
    }
    const send = async () => {
      const headers = await credentials?.headersFor(url);
      return fetch(url, { redirect: 'follow', ...(headers ? { headers: headers.map(([name, value]) => [name, value] as [string, string]) } : {}) });
    };
    let response = await send();
    if (credentials && response.status >= 400 && response.status < 500 && (await credentials.afterRefusal(url, response))) {
      await response.body?.cancel();
      response = await send();
    }
    return { status: response.status, bytes: new Uint8Array(await response.arrayBuffer()) };
  };
}

/**
 * GOSUMDB (`name`, `name+hash+key`, either optionally followed by a URL) and GOPROXY decide the base URL:
 * an explicit URL; else the first proxy in GOPROXY that answers 200 for `<proxy>/sumdb/<name>/supported`
 * (404 and 410 pass to the next; anything else means the database is unavailable); else `https://<name>`.
 * Returns undefined when GOSUMDB is off.
 */
export async function resolveChecksumDatabase(gosumdb: string, goproxy: string, get: Fetch = httpFetch()): Promise<ChecksumDatabaseSource | undefined> {
  const words = gosumdb.trim().split(/\s+/);
  if (words[0] === 'off') return undefined;
  if (words.length > 2 || words[0] === undefined || words[0] === '') {
    throw new InputError(`GOSUMDB=${oneLine(JSON.stringify(gosumdb))} is not a checksum database setting`, { hint: 'set GOSUMDB to a name or name+hash+key, optionally followed by a URL, as the go command takes it' });
  }
  const key = parseVerifierKey(words[0]);
  if (words[1] !== undefined) return { key, base: words[1].replace(/\/+$/, '') };
  for (const entry of goproxy.split(/[,|]/)) {
    const proxy = entry.trim().replace(/\/+$/, '');
    if (proxy === '' || proxy === 'direct') continue;
    if (proxy === 'off') break;
    const base = `${proxy}/sumdb/${key.name}`;
    const answer = await get(`${base}/supported`).catch((error: unknown) => {
      throw new BuildError(`cannot reach the module proxy ${proxy} for the checksum database: ${oneLine((error as Error).message)}`, { hint: 'run modules pack where the module proxy answers' });
    });
    if (answer.status === 200) return { key, base };
    if (answer.status !== 404 && answer.status !== 410) {
      throw new BuildError(`the module proxy ${proxy} answered ${answer.status} for the checksum database ${key.name}`, { hint: 'run modules pack where the checksum database is reachable' });
    }
  }
  return { key, base: `https://${key.name}` };
}

export interface FetchedEvidence {
  tree: TreeHead;
  /** Protocol-relative paths to bytes: latest, supported, lookup/..., tile/... */
  files: Map<string, Uint8Array>;
}

/**
 * Fetches, on a connected machine, the evidence that proves every given module version in one signed tree:
 * the newest signed head seen (from `latest` and the notes served with the lookups), each version's record
 * (rewritten to carry that one head), and the tiles the proofs read, including those that prove each of
 * `earlierHeads` a prefix of it. Everything is proven before it is returned: nothing unproven is packed.
 */
export async function fetchEvidence(
  source: ChecksumDatabaseSource,
  modules: ReadonlyArray<{ path: string; version: string }>,
  earlierSizes: readonly number[] = [],
  get: Fetch = httpFetch(),
): Promise<FetchedEvidence> {
  const fetchOk = async (name: string): Promise<Uint8Array> => {
    const url = `${source.base}/${name}`;
    const answer = await get(url).catch((error: unknown) => {
      throw new BuildError(`cannot fetch ${url}: ${oneLine((error as Error).message)}`, { hint: 'run modules pack where the checksum database is reachable' });
    });
    if (answer.status === 401 || answer.status === 403) {
      throw new BuildError(`the checksum database answered ${answer.status} for ${url}`, {
        hint: 'the proxy wants credentials: give them as the go command takes them (GOAUTH: .netrc, git DIR or a command)',
      });
    }
    if (answer.status !== 200) {
      throw new BuildError(`the checksum database answered ${answer.status} for ${url}`, {
        hint: 'a module that is not in the public log must be named in GONOSUMDB or GOPRIVATE; otherwise run modules pack again later',
      });
    }
    return answer.bytes;
  };
  const heads: Array<{ note: string; tree: TreeHead }> = [];
  const openHead = (note: string, from: string) => {
    const tree = parseTreeHead(openSignedNote(Buffer.from(note), source.key, from), from);
    heads.push({ note, tree });
  };
  openHead(Buffer.from(await fetchOk(LATEST_NOTE)).toString('utf8'), `${source.base}/${LATEST_NOTE}`);
  // A few requests at a time: the database's proxy serves many small files.
  const limit = pLimit(8);
  const fetchRecord = async (module: { path: string; version: string }) => {
    const name = lookupPath(module.path, module.version);
    const record = parseLookupRecord(await fetchOk(name), `${source.base}/${name}`);
    openHead(record.note, `${source.base}/${name}`);
    return { name, record };
  };
  const records = await Promise.all(modules.map((module) => limit(() => fetchRecord(module))));
  const newest = heads.reduce((best, head) => (head.tree.size > best.tree.size ? head : best));
  const tree = newest.tree;
  const files = new Map<string, Uint8Array>([
    [LATEST_NOTE, Buffer.from(newest.note)],
    ['supported', new Uint8Array()],
  ]);
  for (const { name, record } of records) files.set(name, Buffer.from(formatLookupRecord(record, newest.note)));
  const earlier = earlierSizes.filter((size) => size <= tree.size);
  const tiles = tilesForProofs(tree.size, records.map(({ record }) => record.id), earlier);
  const fetchTile = async (tile: Tile) => {
    const name = tilePath(tile);
    let bytes: Uint8Array;
    try {
      bytes = await fetchOk(name);
    } catch (error) {
      // A partial tile for an older tree size may be gone; the full tile's prefix is the same hashes.
      if (tile.width === TILE_WIDTH) throw error;
      bytes = (await fetchOk(tilePath({ ...tile, width: TILE_WIDTH }))).subarray(0, tile.width * HASH_SIZE);
    }
    files.set(name, bytes);
  };
  await Promise.all(tiles.map((tile) => limit(() => fetchTile(tile))));
  const reader = tileReaderOf(files, source.base);
  for (const { name, record } of records) {
    const module = record.lines[0]!;
    const proof = proveRecord(files, reader, tree, module.path, module.version, source.base);
    if (proof.status !== 'proven') throw new VerificationError(`${name}: ${proof.reason}`, { hint: 'the checksum database or the route to it misbehaves; do not use this set' });
  }
  return { tree, files };
}
