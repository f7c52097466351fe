import { createReadStream } from 'node:fs';
import fs from 'fs-extra';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extractTar } from '../archive/tar-extract.js';
import { InputError, oneLine } from '../errors.js';
import { isModulePath } from './module-path.js';
import { isModuleVersion } from './modules-txt.js';
import { createScratchDir } from '../util/scratch-dir.js';

export const MODULE_SET_SCHEMA = 'airlock.dev/modules/v1';
export const MODULE_SET_MANIFEST = 'airlock-modules.json';

export interface ModuleSetEntry {
  path: string;
  version: string;
  /** Whether the set holds the module's zip (source), or only its go.mod (needed for the module graph). */
  zip: boolean;
}

/** What the set's checksum database evidence was packed against: for the record; the proof reads the files. */
export interface ModuleSetChecksumDatabase {
  /** The verifier key (`name+hash+key`). */
  key: string;
  tree: { size: number; hash: string };
  /** The GONOSUMDB patterns at pack time: modules they matched were not looked up. */
  privatePatterns: string;
}

export interface ModuleSetManifest {
  schema: typeof MODULE_SET_SCHEMA;
  module: string;
  goVersion: string;
  modules: ModuleSetEntry[];
  /** Absent in sets packed before airlock carried checksum database evidence, or with GOSUMDB=off. */
  checksumDatabase?: ModuleSetChecksumDatabase;
}

/** Where a set keeps a checksum database's evidence, in the database's protocol layout (as the go command caches it). */
export function checksumDatabaseDir(name: string): string {
  return `cache/download/sumdb/${name}`;
}

/**
 * The only names a module set may hold: the manifest, files of the download cache's layout (a GOPROXY tree:
 * .info, .mod, .zip, the cache's .ziphash, and each module's version list) and checksum database evidence.
 */
const ALLOWED_ENTRY = /^cache\/download\/[^/]+(\/[^/]+)*\/@v\/([^/]+\.(info|mod|zip|ziphash)|list)$/;
const ALLOWED_EVIDENCE = /^cache\/download\/sumdb\/[A-Za-z0-9.-]+\/(latest|supported|lookup\/[^/@]+(\/[^/@]+)*@[^/@]+|tile\/8\/[0-9]\/(x[0-9]{3}\/)*[0-9]{3}(\.p\/[0-9]{1,3})?)$/;

export function isAllowedModuleSetEntry(name: string): boolean {
  if (name === MODULE_SET_MANIFEST) return true;
  if (name.split('/').some((part) => part === '..' || part === '.' || part === '')) return false;
  // Module paths and versions never hold control characters.
  if (/[\u0000-\u001f\u007f]/.test(name)) return false;
  return ALLOWED_ENTRY.test(name) || ALLOWED_EVIDENCE.test(name);
}

/** The evidence files of one checksum database in an opened set, by their protocol paths; empty when it has none. */
export async function readChecksumDatabaseEvidence(set: Pick<OpenedModuleSet, 'dir'>, name: string): Promise<Map<string, Uint8Array>> {
  const root = path.join(set.dir, ...checksumDatabaseDir(name).split('/'));
  const files = new Map<string, Uint8Array>();
  const walk = async (relative: string): Promise<void> => {
    const entries = await fs.readdir(path.join(root, relative), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const name = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) await walk(name);
      else if (entry.isFile()) files.set(name, await fs.readFile(path.join(root, name)));
    }
  };
  await walk('');
  return files;
}

export interface OpenedModuleSet {
  file: string;
  /** A private directory holding cache/download/... */
  dir: string;
  manifest: ModuleSetManifest;
  close(): Promise<void>;
}

/** What is wrong with a manifest entry whose fields have the right types, if anything: its files must lie inside the set. */
function entryProblem(entry: ModuleSetEntry): string | undefined {
  if (!isModulePath(entry.path)) return `module path ${oneLine(JSON.stringify(entry.path))} is not a module path`;
  if (!isModuleVersion(entry.version)) return `${entry.path} has no valid version (${oneLine(JSON.stringify(entry.version))})`;
  return undefined;
}

function parseManifest(text: string, file: string): ModuleSetManifest {
  let manifest: ModuleSetManifest;
  try {
    manifest = JSON.parse(text) as ModuleSetManifest;
  } catch {
    throw new InputError(`the module set ${file} has an unreadable ${MODULE_SET_MANIFEST}`, { hint: 'pack it again with `airlock modules pack`' });
  }
  const valid =
    manifest?.schema === MODULE_SET_SCHEMA &&
    typeof manifest.module === 'string' &&
    Array.isArray(manifest.modules) &&
    manifest.modules.every((entry) => typeof entry?.path === 'string' && typeof entry.version === 'string' && typeof entry.zip === 'boolean');
  if (!valid) {
    throw new InputError(`the module set ${file} has a malformed ${MODULE_SET_MANIFEST}`, { hint: 'pack it again with `airlock modules pack`' });
  }
  const problem = manifest.modules.map(entryProblem).find((found) => found !== undefined);
  if (problem !== undefined) {
    throw new InputError(`the module set ${file} has a malformed ${MODULE_SET_MANIFEST}: ${problem}`, { hint: 'pack it again with `airlock modules pack`' });
  }
  return manifest;
}

/**
 * Unpacks a module set into a private temporary directory. Only regular files with download-cache names are
 * accepted; an entry with "..", an absolute path, a link or a device is refused before anything is written
 * for it, so nothing lands outside the extraction directory.
 */
export async function openModuleSet(file: string): Promise<OpenedModuleSet> {
  const resolved = path.resolve(file);
  if (!(await fs.stat(resolved).then((s) => s.isFile()).catch(() => false))) {
    throw new InputError(`the module set ${file} does not exist`, { hint: 'pass the file `airlock modules pack` wrote' });
  }
  const scratch = await createScratchDir('airlock-modules');
  const dir = scratch.path;
  const close = () => scratch.remove();
  const refused: string[] = [];
  const REFUSED = '\0refused';
  const extraction = extractTar(dir, {
    map(header) {
      const name = header.name.replace(/^\.\//, '').replace(/\/+$/, '');
      const safe = !name.split('/').some((part) => part === '..' || part === '.');
      const cacheDir = name === '' || name === 'cache' || name === 'cache/download' || name.startsWith('cache/download/');
      if (header.type === 'directory' && safe && cacheDir) {
        header.name = name === '' ? '.' : name;
        return header;
      }
      if (header.type !== 'file' || !isAllowedModuleSetEntry(name)) {
        refused.push(`${header.type ?? 'unknown'} entry ${oneLine(JSON.stringify(header.name))}`);
        header.name = REFUSED;
        return header;
      }
      header.name = name;
      return header;
    },
    ignore: (_name, header) => !header || header.name === REFUSED,
    readable: true,
    writable: true,
  });
  try {
    await pipeline(createReadStream(resolved), createGunzip(), extraction.stream);
  } catch (error) {
    // Nothing of the failed extraction may still be writing when the directory is removed.
    await extraction.stop();
    await close();
    throw new InputError(`the module set ${file} is not a readable .tar.gz (${oneLine((error as Error).message)})`, {
      hint: 'the file is damaged or truncated; pack it again on a connected machine with `airlock modules pack`',
      cause: error,
    });
  }
  if (refused.length > 0) {
    await close();
    throw new InputError(`the module set ${file} holds an unsafe ${refused[0]}; it was refused and nothing was extracted outside a private directory`, {
      hint: 'use a set written by `airlock modules pack`; a set must hold only cache/download files and its manifest',
    });
  }
  let manifestText: string;
  try {
    manifestText = await fs.readFile(path.join(dir, MODULE_SET_MANIFEST), 'utf8');
  } catch {
    await close();
    throw new InputError(`the module set ${file} has no ${MODULE_SET_MANIFEST}`, { hint: 'pack it with `airlock modules pack`' });
  }
  let manifest: ModuleSetManifest;
  try {
    manifest = parseManifest(manifestText, file);
  } catch (error) {
    await close();
    throw error;
  }
  return { file: resolved, dir, manifest, close };
}
