import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import tarFs, { type TarHeader } from 'tar-fs';
import tarStream from 'tar-stream';
import { canonicalFileMode } from '../toolchain/toolchain-tree.js';
import { type SandboxImageSpec, isImageToolchainFile } from './image-spec.js';
import { SandboxPaths } from './policy.js';

export interface ContextEntry {
  path: string;
  type: 'file' | 'directory';
  mode: number;
}

const GOROOT_IN_CONTEXT = `rootfs${SandboxPaths.goroot}`;

/** The small, generated part of the build context; the toolchain follows under rootfs/usr/local/go. */
export function generatedContextFiles(spec: SandboxImageSpec): Array<ContextEntry & { content?: string }> {
  return [
    { path: 'Dockerfile', type: 'file', mode: 0o644, content: spec.dockerfile },
    { path: 'rootfs/etc/passwd', type: 'file', mode: 0o644, content: spec.passwd },
    { path: 'rootfs/etc/group', type: 'file', mode: 0o644, content: spec.group },
    { path: 'rootfs/tmp', type: 'directory', mode: 0o1777 },
    // The scratch volume's mount point, root's; the build user's directories in it come with each worker.
    { path: `rootfs${SandboxPaths.scratch}`, type: 'directory', mode: 0o755 },
    { path: 'rootfs/usr', type: 'directory', mode: 0o755 },
    { path: 'rootfs/usr/local', type: 'directory', mode: 0o755 },
    { path: 'work', type: 'directory', mode: 0o755 },
    { path: 'work/src', type: 'directory', mode: 0o755 },
    { path: 'out', type: 'directory', mode: 0o755 },
    { path: 'cache', type: 'directory', mode: 0o755 },
  ];
}

function normaliseHeader(header: TarHeader): TarHeader {
  header.uid = 0;
  header.gid = 0;
  header.uname = '';
  header.gname = '';
  header.mtime = new Date(0);
  return header;
}

/** Streams the build context as a tar: nothing is copied to disk, and nothing outside it is sent. */
export function createImageContext(spec: SandboxImageSpec, goroot: string): Readable {
  const pack = tarStream.pack();
  for (const entry of generatedContextFiles(spec)) {
    const header = normaliseHeader({ name: entry.path, type: entry.type, mode: entry.mode });
    if (entry.type === 'file') pack.entry(header, entry.content ?? '');
    else pack.entry(header);
  }
  const context = tarFs.pack(goroot, {
    pack,
    sort: true,
    ignore: (name) => {
      const relative = path.relative(goroot, name).split(path.sep).join('/');
      return relative !== '' && !isImageToolchainFile(relative);
    },
    map: (header) => {
      const relative = header.name;
      header.name = relative === '.' || relative === '' ? GOROOT_IN_CONTEXT : `${GOROOT_IN_CONTEXT}/${relative}`;
      header.mode = header.type === 'directory' ? 0o755 : canonicalFileMode(relative);
      return normaliseHeader(header);
    },
  });
  return context as unknown as Readable;
}

/** Every entry the context holds, for people who want to read what goes into the image. */
export async function listImageContext(spec: SandboxImageSpec, goroot: string): Promise<ContextEntry[]> {
  const entries: ContextEntry[] = generatedContextFiles(spec).map(({ path: p, type, mode }) => ({ path: p, type, mode }));
  const walk = async (relative: string): Promise<void> => {
    const children = await fs.readdir(path.join(goroot, relative), { withFileTypes: true });
    for (const child of children.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const rel = relative === '' ? child.name : `${relative}/${child.name}`;
      if (!isImageToolchainFile(rel)) continue;
      if (child.isDirectory()) {
        entries.push({ path: `${GOROOT_IN_CONTEXT}/${rel}`, type: 'directory', mode: 0o755 });
        await walk(rel);
      } else {
        entries.push({ path: `${GOROOT_IN_CONTEXT}/${rel}`, type: 'file', mode: canonicalFileMode(rel) });
      }
    }
  };
  await walk('');
  return entries;
}
