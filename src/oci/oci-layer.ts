/**
 * One image layer as a deterministic tar stream. The same entries always make the same bytes: they are
 * written in byte order of their paths, every header carries the mode and owner the caller decided, the
 * epoch as its time and no user or group names, and files on disk are streamed (a toolchain is hundreds of
 * megabytes) with their size checked against what was listed. Headers are plain ustar; tar-stream falls back
 * to a PAX header (of fixed content) only for a path longer than ustar can hold or one that is not ASCII.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarStream, { type Header, type Pack } from 'tar-stream';

interface EntryCommon {
  /** Relative to the image's root, forward slashes, no leading slash: "usr/local/go/bin/go". */
  path: string;
  mode: number;
  uid?: number;
  gid?: number;
}

export type LayerEntry =
  | (EntryCommon & { type: 'directory' })
  | (EntryCommon & { type: 'file'; content: Uint8Array | string })
  | (EntryCommon & { type: 'file'; source: string; size: number });

export interface LayerDigest {
  /** "sha256:…" of the tar's bytes, which for an uncompressed layer is also its diff ID. */
  digest: string;
  size: number;
}

/** A path a layer may hold: relative, no empty, "." or ".." element, no trailing slash. */
export function checkLayerPath(entryPath: string): void {
  const elements = entryPath.split('/');
  if (entryPath === '' || elements.some((element) => element === '' || element === '.' || element === '..') || entryPath.includes('\0')) {
    throw new Error(`not a layer path: ${JSON.stringify(entryPath)}`);
  }
}

function comparePaths(a: LayerEntry, b: LayerEntry): number {
  return Buffer.compare(Buffer.from(a.path, 'utf8'), Buffer.from(b.path, 'utf8'));
}

/**
 * The entries in the order the layer holds them, checked: no path twice, and every parent directory an entry
 * of its own (with its mode and owner decided), so nothing in the image is made up by whoever unpacks it.
 */
export function orderLayerEntries(entries: readonly LayerEntry[]): LayerEntry[] {
  const sorted = [...entries].sort(comparePaths);
  const directories = new Set<string>();
  let previous: string | undefined;
  for (const entry of sorted) {
    checkLayerPath(entry.path);
    if (entry.path === previous) throw new Error(`the layer lists ${entry.path} twice`);
    previous = entry.path;
    const slash = entry.path.lastIndexOf('/');
    if (slash >= 0 && !directories.has(entry.path.slice(0, slash))) {
      throw new Error(`the layer lists ${entry.path} without its directory ${entry.path.slice(0, slash)}`);
    }
    if (entry.type === 'directory') directories.add(entry.path);
  }
  return sorted;
}

export interface TreeEntryOptions {
  /** Whether a path relative to the tree's root (forward slashes) goes into the layer. */
  include?: (relative: string) => boolean;
  /** The mode of a file, by its path relative to the tree's root. */
  fileMode: (relative: string) => number;
  directoryMode?: number;
}

/**
 * A directory tree on disk as layer entries under PREFIX (the tree's root included, as a directory).
 * Only directories and regular files are taken: a verified tree holds nothing else, and anything else
 * (a link, a device) is refused rather than followed or copied.
 */
export async function treeLayerEntries(root: string, prefix: string, options: TreeEntryOptions): Promise<LayerEntry[]> {
  checkLayerPath(prefix);
  const directoryMode = options.directoryMode ?? 0o755;
  const entries: LayerEntry[] = [{ type: 'directory', path: prefix, mode: directoryMode }];
  const walk = async (relative: string): Promise<void> => {
    const children = await fs.readdir(path.join(root, relative), { withFileTypes: true });
    for (const child of children) {
      const rel = relative === '' ? child.name : `${relative}/${child.name}`;
      if (options.include && !options.include(rel)) continue;
      const full = path.join(root, rel);
      const stat = await fs.lstat(full);
      if (stat.isDirectory()) {
        entries.push({ type: 'directory', path: `${prefix}/${rel}`, mode: directoryMode });
        await walk(rel);
      } else if (stat.isFile()) {
        entries.push({ type: 'file', path: `${prefix}/${rel}`, mode: options.fileMode(rel), source: full, size: stat.size });
      } else {
        throw new Error(`${full} is neither a regular file nor a directory`);
      }
    }
  };
  await walk('');
  return entries;
}

function header(entry: LayerEntry, size: number): Partial<Header> & Pick<Header, 'name'> {
  return {
    // A directory's name ends in a slash, as in the layers docker and the go command write.
    name: entry.type === 'directory' ? `${entry.path}/` : entry.path,
    type: entry.type,
    mode: entry.mode,
    uid: entry.uid ?? 0,
    gid: entry.gid ?? 0,
    uname: '',
    gname: '',
    mtime: new Date(0),
    size,
  };
}

function addEntry(pack: Pack, entry: LayerEntry): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (entry.type === 'directory') {
      pack.entry(header(entry, 0), (error) => (error ? reject(error) : resolve()));
    } else if ('content' in entry) {
      const content = Buffer.from(entry.content);
      pack.entry(header(entry, content.length), content, (error) => (error ? reject(error) : resolve()));
    } else {
      // tar-stream fails the entry when fewer or more bytes arrive than its header announced.
      const sink = pack.entry(header(entry, entry.size), (error) => (error ? reject(new Error(`${entry.source}: ${error.message}`)) : resolve()));
      const source = createReadStream(entry.source);
      source.once('error', (error) => sink.destroy(error));
      sink.once('error', () => source.destroy());
      source.pipe(sink as unknown as NodeJS.WritableStream);
    }
  });
}

/** Counts and hashes what passes through it. */
export class DigestingStream extends Transform {
  readonly #hash = createHash('sha256');
  #size = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null, data?: Buffer) => void): void {
    this.#hash.update(chunk);
    this.#size += chunk.length;
    callback(null, chunk);
  }

  /** Once the stream has ended. */
  result(): LayerDigest {
    return { digest: `sha256:${this.#hash.digest('hex')}`, size: this.#size };
  }
}

/** Writes the layer to FILE, hashing it on the way. */
export async function writeLayer(entries: readonly LayerEntry[], file: string): Promise<LayerDigest> {
  const ordered = orderLayerEntries(entries);
  const pack = tarStream.pack();
  const digesting = new DigestingStream();
  const written = pipeline(pack, digesting, createWriteStream(file, { flags: 'wx' }));
  try {
    for (const entry of ordered) await addEntry(pack, entry);
    pack.finalize();
  } catch (error) {
    pack.destroy(error as Error);
    await written.catch(() => undefined);
    throw error;
  }
  await written;
  return digesting.result();
}
