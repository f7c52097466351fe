import fs from 'fs-extra';
import path from 'node:path';
import type { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { extractedModuleDir } from '../modules/module-path.js';
import type { OpenedModuleSet } from '../modules/module-set.js';
import { readModuleZip } from '../modules/module-zip.js';
import { downloadCachePath } from '../modules/module-path.js';
import { listFiles } from '../modules/list-files.js';

/**
 * A verified module set as a complete, read-only module cache for the sandbox, with names relative to GOMODCACHE:
 * the download cache as packed, plus every module already unpacked where the go command looks for it, so the
 * build (GOPROXY=off) never needs to write into the cache. Everything is owned by root and read-only for the
 * build user. `last`, when given, is the final entry: a file whose presence says every other one arrived.
 */
export function packModuleCache(set: OpenedModuleSet, last?: { name: string; content: string }): Readable {
  const pack = tarStream.pack();
  const header = (name: string, size: number) => ({ name, size, mode: 0o444, mtime: new Date(0), uid: 0, gid: 0, uname: '', gname: '' });
  void (async () => {
    for (const file of await listFiles(set.dir, 'cache', { skipUnreadable: true })) {
      const bytes = await fs.readFile(path.join(set.dir, ...file.split('/')));
      pack.entry(header(file, bytes.length), bytes);
    }
    for (const module of set.manifest.modules.filter((m) => m.zip)) {
      const zipFile = path.join(set.dir, ...downloadCachePath(module.path, module.version, 'zip').split('/'));
      const zip = await readModuleZip(zipFile, module.path, module.version);
      const dir = extractedModuleDir(module.path, module.version);
      for (const file of zip.files.values()) pack.entry(header(`${dir}/${file.path}`, file.bytes.length), file.bytes);
    }
    if (last) pack.entry(header(last.name, Buffer.byteLength(last.content)), last.content);
    pack.finalize();
  })().catch((error: unknown) => pack.destroy(error as Error));
  return pack as unknown as Readable;
}
