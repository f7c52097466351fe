import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import path from 'node:path';
import tarStream from 'tar-stream';
import { isAirlockOutputDirectory } from '../release/output-directory.js';
import { InputError } from '../errors.js';

/** Never sent into the sandbox: version-control data, JavaScript dependencies and airlock's own outputs. */
const IGNORED_NAMES = new Set(['.git', '.hg', '.svn', 'node_modules']);

export interface SourceTreeOptions {
  /** Absolute paths left out with everything under them (the output directory, say). */
  exclude: string[];
}

export interface SourceEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink';
}

function isExcluded(absolute: string, options: SourceTreeOptions): boolean {
  const name = path.basename(absolute);
  if (IGNORED_NAMES.has(name) || name.startsWith('.airlock-')) return true;
  return options.exclude.some((excluded) => absolute === excluded || absolute.startsWith(`${excluded}${path.sep}`));
}

export interface SourceListing {
  entries: SourceEntry[];
  /** Directories left out because airlock wrote them (earlier outputs), relative to the module root. */
  outputs: string[];
}

/**
 * Lists what is sent into the sandbox. Directories that are entirely airlock outputs (by the strict rule of
 * inspectOutputDirectory) are skipped, returned in `outputs` and added to `options.exclude`, so that the
 * provenance records exactly what was left out; packSourceTreeToFile then sends exactly the listed tree. Symbolic links that stay inside the
 * module are sent as links; one that points outside would smuggle host files into the build, so it is
 * refused with its path named.
 */
export async function listSourceTree(moduleDir: string, options: SourceTreeOptions): Promise<SourceListing> {
  const root = path.resolve(moduleDir);
  const entries: SourceEntry[] = [];
  const outputs: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    const children = await fs.readdir(path.join(root, relative), { withFileTypes: true });
    for (const child of children.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const rel = relative === '' ? child.name : `${relative}/${child.name}`;
      const absolute = path.join(root, rel);
      if (isExcluded(absolute, options)) continue;
      if (child.isDirectory()) {
        // Earlier outputs (dist/, shard directories) are results, not source: sending them would change the
        // tree. Only a directory holding nothing but airlock's files counts, so no source is ever left out.
        if (await isAirlockOutputDirectory(absolute)) {
          options.exclude.push(absolute);
          outputs.push(rel);
          continue;
        }
        entries.push({ path: rel, type: 'directory' });
        await walk(rel);
      } else if (child.isFile()) {
        entries.push({ path: rel, type: 'file' });
      } else if (child.isSymbolicLink()) {
        const target = await fs.readlink(absolute);
        const resolved = path.resolve(path.dirname(absolute), target);
        if (path.isAbsolute(target) || (resolved !== root && !resolved.startsWith(`${root}${path.sep}`))) {
          throw new InputError(`the source file ${rel} is a symbolic link to ${target}, outside the module`, {
            hint: 'replace the link with a copy of the file, or move what it points to into the module',
          });
        }
        entries.push({ path: rel, type: 'symlink' });
      } else {
        throw new InputError(`the source path ${rel} is not a file, directory or link`, {
          hint: 'remove special files (sockets, pipes, devices) from the module directory',
        });
      }
    }
  };
  await walk('');
  return { entries, outputs };
}

/**
 * The digest of exactly what is sent into the sandbox: Go's Hash1 construction (sha256 over sorted
 * "<sha256>  <path>" lines) over every file, with a link hashed as its target text. Hex, for provenance.
 */
export async function digestSourceTree(moduleDir: string, entries: readonly SourceEntry[]): Promise<SourceDigest> {
  const root = path.resolve(moduleDir);
  const lines: Array<{ name: string; sha256: string }> = [];
  for (const entry of entries) {
    if (entry.type === 'directory') continue;
    const absolute = path.join(root, ...entry.path.split('/'));
    const content = entry.type === 'symlink' ? Buffer.from(`symlink:${await fs.readlink(absolute)}`) : await fs.readFile(absolute);
    lines.push({ name: entry.path, sha256: createHash('sha256').update(content).digest('hex') });
  }
  return summariseDigest(lines);
}

export interface SourceDigest {
  /** Hex Hash1 over the files, see digestSourceTree. */
  digest: string;
  /** Each file's sha256, by path relative to the module root. */
  files: Record<string, string>;
}

/**
 * Writes the listed tree to `file` as the tar the sandbox's source volume is filled from (names relative to
 * the source directory, root's, 0755/0644, fixed times) and digests it from the very bytes written, in one
 * read of each file: what the provenance records is what the sandbox gets, even if a file changes meanwhile.
 */
export async function packSourceTreeToFile(moduleDir: string, entries: readonly SourceEntry[], file: string): Promise<SourceDigest> {
  const root = path.resolve(moduleDir);
  const pack = tarStream.pack();
  const out = createWriteStream(file, { mode: 0o600 });
  const written = finished(pack.pipe(out));
  let queued = 0;
  const lines: Array<{ name: string; sha256: string }> = [];
  const header = { uid: 0, gid: 0, uname: '', gname: '', mtime: new Date(0) };
  // Files are read a few dozen at a time ahead of the one being packed (one at a time, a large tree waits on
  // thousands of thread-pool round trips), and packed strictly in listing order.
  const read = (entry: SourceEntry) => readSourceEntry(path.join(root, ...entry.path.split('/')), entry.type);
  const ahead = new Map<number, ReturnType<typeof read>>();
  const READ_AHEAD = 32;
  try {
    for (let index = 0; index < entries.length; index++) {
      for (let next = index; next < Math.min(entries.length, index + READ_AHEAD); next++) {
        if (!ahead.has(next)) {
          const pending = read(entries[next]!);
          pending.catch(() => undefined);
          ahead.set(next, pending);
        }
      }
      const entry = entries[index]!;
      const item = await ahead.get(index)!;
      ahead.delete(index);
      if (item.type === 'directory') {
        pack.entry({ ...header, name: entry.path, type: 'directory', mode: 0o755 });
      } else if (item.type === 'symlink') {
        lines.push({ name: entry.path, sha256: createHash('sha256').update(`symlink:${item.target}`).digest('hex') });
        pack.entry({ ...header, name: entry.path, type: 'symlink', linkname: item.target, mode: 0o777 });
      } else {
        lines.push({ name: entry.path, sha256: createHash('sha256').update(item.content).digest('hex') });
        pack.entry({ ...header, name: entry.path, type: 'file', mode: item.executable ? 0o755 : 0o644, size: item.content.length }, item.content);
        queued += item.content.length;
      }
      // Let the file catch up now and then, so a large tree is not held in memory whole.
      while (queued - out.bytesWritten > 16 * 1024 * 1024) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    pack.finalize();
  } catch (error) {
    pack.destroy(error as Error);
    await written.catch(() => undefined);
    throw error;
  }
  await written;
  return summariseDigest(lines);
}

type ReadEntry = { type: 'directory' } | { type: 'symlink'; target: string } | { type: 'file'; content: Buffer; executable: boolean };

async function readSourceEntry(absolute: string, type: SourceEntry['type']): Promise<ReadEntry> {
  if (type === 'directory') return { type };
  if (type === 'symlink') return { type, target: await fs.readlink(absolute) };
  const handle = await fs.open(absolute, 'r');
  try {
    const stat = await handle.stat();
    return { type, content: await handle.readFile(), executable: (stat.mode & 0o111) !== 0 };
  } finally {
    await handle.close();
  }
}

function summariseDigest(lines: Array<{ name: string; sha256: string }>): SourceDigest {
  lines.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  const summary = createHash('sha256');
  for (const line of lines) summary.update(`${line.sha256}  ${line.name}\n`);
  return { digest: summary.digest('hex'), files: Object.fromEntries(lines.map((line) => [line.name, line.sha256])) };
}
