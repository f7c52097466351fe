import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import type { ContainerSpec } from './engine.js';

/**
 * What a pod starts with. Kubernetes shares no volume between pods, so the Kubernetes engine keeps each
 * engine "volume" as the tars airlock put into it (spooled on this host), and a pod's `fill` container receives
 * them all as ONE tar on its stdin: every mounted volume's tars with their names moved under the mount's
 * target, then the tars put into the container itself. The names are all that changes; the file helper
 * writes regular files and directories only and refuses everything else, as it would from airlock.
 */

/** A tar spooled on this host, and the directory it unpacks into, relative to where it was put. */
export interface SpooledTar {
  file: string;
  /** For a volume: the directory under the volume's root ('' for the root). For a container: an absolute path. */
  directory: string;
}

/** One tar of the fill, and the prefix (relative to the pod's root, '' for the root) its names move under. */
export interface FillPart {
  file: string;
  prefix: string;
}

/** The volume mounted at the deepest target holding `containerPath`, and the path under its root. */
export function volumeAt(spec: Pick<ContainerSpec, 'volumes'>, containerPath: string): { volume: string; directory: string } | undefined {
  const normal = path.posix.normalize(containerPath);
  let best: { volume: string; directory: string; depth: number } | undefined;
  for (const mount of spec.volumes) {
    const target = path.posix.normalize(mount.target);
    const relative = path.posix.relative(target, normal);
    if (relative.startsWith('..') || path.posix.isAbsolute(relative)) continue;
    if (!best || target.length > best.depth) best = { volume: mount.name, directory: relative, depth: target.length };
  }
  return best ? { volume: best.volume, directory: best.directory } : undefined;
}

const rootRelative = (absolute: string) => path.posix.normalize(absolute).replace(/^\/+/, '').replace(/\/+$/, '').replace(/^\.$/, '');

/**
 * The parts of a pod's fill, in order: each volume's tars (in the order they were put), in the order the
 * spec mounts them, then the container's own.
 */
export function fillParts(spec: Pick<ContainerSpec, 'volumes'>, volumeTars: ReadonlyMap<string, readonly SpooledTar[]>, own: readonly SpooledTar[]): FillPart[] {
  const parts: FillPart[] = [];
  for (const mount of spec.volumes) {
    for (const tar of volumeTars.get(mount.name) ?? []) parts.push({ file: tar.file, prefix: rootRelative(path.posix.join(mount.target, tar.directory)) });
  }
  for (const tar of own) parts.push({ file: tar.file, prefix: rootRelative(tar.directory) });
  return parts;
}

/**
 * A tar entry's name moved under the prefix, or undefined for the entry naming the prefix itself at the
 * pod's root (nothing to make). Names are left for the helper to judge ("..", absolute): it refuses them.
 */
export function fillEntryName(prefix: string, name: string): string | undefined {
  const elements = name.split('/').filter((element) => element !== '' && element !== '.');
  const joined = [...(prefix === '' ? [] : [prefix]), ...elements].join('/');
  if (joined === '') return undefined;
  return joined;
}

/** The fill's one tar stream, read from the spooled files one after the other as it is consumed. */
export function composeFillArchive(parts: readonly FillPart[]): Readable {
  const pack = tarStream.pack();
  void (async () => {
    for (const part of parts) {
      const extract = tarStream.extract();
      const source = createReadStream(part.file);
      source.on('error', (error) => extract.destroy(error));
      source.pipe(extract);
      for await (const entry of extract) {
        const name = fillEntryName(part.prefix, entry.header.name);
        if (name === undefined) {
          entry.resume();
          continue;
        }
        await new Promise<void>((resolve, reject) => {
          const sink = pack.entry({ ...entry.header, name }, (error) => (error ? reject(error) : resolve()));
          entry.on('error', reject);
          entry.pipe(sink);
        });
      }
    }
    pack.finalize();
  })().catch((error: unknown) => pack.destroy(error as Error));
  return pack as unknown as Readable;
}
