/**
 * An OCI image layout as one file: a tar of the layout directory, which `ctr images import`, skopeo's
 * oci-archive transport and the like take. It is written by the same rules as a layer (oci-layer.ts), so the
 * archive's bytes, not only the image's digest, are a function of the image.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';
import { OCI_LAYOUT_FILE } from './oci-image.js';
import { DigestingStream, type LayerDigest, type LayerEntry, treeLayerEntries, writeLayer } from './oci-layer.js';

/** Writes the layout in LAYOUT_DIR to FILE (which must not exist); returns the archive's own digest and size. */
export async function packOciArchive(layoutDir: string, file: string): Promise<LayerDigest> {
  const entries: LayerEntry[] = [];
  for (const name of (await fs.readdir(layoutDir)).sort()) {
    const full = path.join(layoutDir, name);
    const stat = await fs.lstat(full);
    if (stat.isDirectory()) entries.push(...(await treeLayerEntries(full, name, { fileMode: () => 0o644 })));
    else if (stat.isFile()) entries.push({ type: 'file', path: name, mode: 0o644, source: full, size: stat.size });
    else throw new Error(`${full} is neither a regular file nor a directory`);
  }
  return writeLayer(entries, file);
}

/** The directories and files an image layout written by airlock holds; anything else in an archive is refused. */
const LAYOUT_DIRECTORY = /^blobs(?:\/sha256)?\/?$/;
const LAYOUT_FILE = /^(?:oci-layout|index\.json|blobs\/sha256\/[0-9a-f]{64})$/;

/** At most this many bytes of index.json and oci-layout: both are a few hundred bytes. */
const SMALL_FILE_LIMIT = 1024 * 1024;

/**
 * Unpacks an archive written by packOciArchive into LAYOUT_DIR (which must not exist). Read as hostile
 * input: only the layout's own names, only files and directories, and every blob's bytes must match the
 * digest that names it.
 */
export async function unpackOciArchive(file: string, layoutDir: string): Promise<void> {
  await fs.mkdir(layoutDir);
  await fs.mkdir(path.join(layoutDir, 'blobs', 'sha256'), { recursive: true });
  const extract = tarStream.extract();
  const reading = pipeline(createReadStream(file), extract);
  reading.catch(() => undefined);
  const refuse = (what: string) => new Error(`${file} is not an OCI image layout archive: ${what}`);
  for await (const entry of extract) {
    const { name, type, size } = entry.header;
    if (LAYOUT_DIRECTORY.test(name) && type === 'directory') {
      entry.resume();
      continue;
    }
    if (!LAYOUT_FILE.test(name)) throw refuse(`it holds ${JSON.stringify(name)}`);
    if (type !== 'file') throw refuse(`${name} is a ${type}, not a regular file`);
    if (!name.startsWith('blobs/') && size > SMALL_FILE_LIMIT) throw refuse(`${name} is ${size} bytes long`);
    const digesting = new DigestingStream();
    await pipeline(entry, digesting, createWriteStream(path.join(layoutDir, ...name.split('/')), { flags: 'wx' }));
    if (name.startsWith('blobs/') && digesting.result().digest !== `sha256:${name.slice('blobs/sha256/'.length)}`) {
      throw refuse(`the blob ${name} does not match its digest`);
    }
  }
  await reading;
  for (const required of [OCI_LAYOUT_FILE.name, 'index.json']) {
    await fs.access(path.join(layoutDir, required)).catch(() => {
      throw refuse(`it holds no ${required}`);
    });
  }
}
