import { createReadStream } from 'node:fs';
import fs from 'fs-extra';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extractTar } from '../archive/tar-extract.js';
import { quoteEntryName } from '../archive/zip-entries.js';
import { InputError, oneLine } from '../errors.js';
import type { PlatformPins, ToolchainMatrix } from './matrix.js';
import { extractToolchainModuleZip } from './toolchain-module-zip.js';
import { PORT_LIST_FILE, parsePortList } from './ports.js';
import { type ToolchainTree, readToolchainTree } from './read-tree.js';
import { sha256File } from '../util/hash.js';
import type { StoredToolchain, ToolchainRecord, ToolchainStore } from './store.js';
import { canonicalFileMode, isCanonicalToolchainPath, toolchainModuleVersion } from './toolchain-tree.js';
import { type ToolchainEvidence, verifyAgainstMatrix } from './verify-pins.js';
import { createScratchDir } from '../util/scratch-dir.js';

export type ToolchainSource =
  | { kind: 'goroot'; path: string }
  | { kind: 'archive'; path: string }
  | { kind: 'module-zip'; path: string };

export interface ImportOptions {
  matrix: ToolchainMatrix;
  trustOnFirstUse: boolean;
}

export interface ImportResult {
  toolchain: StoredToolchain;
  alreadyStored: boolean;
  notes: string[];
}

/** Archives are .tar.gz, module zips are .zip, anything else must be an unpacked GOROOT directory. */
export async function classifyToolchainSource(location: string): Promise<ToolchainSource> {
  const resolved = path.resolve(location);
  const stat = await fs.stat(resolved).catch(() => undefined);
  if (!stat) {
    throw new InputError(`${location} does not exist`, {
      hint: 'pass an official goX.Y.Z.linux-amd64.tar.gz, a golang.org/toolchain module zip, or --goroot DIR',
    });
  }
  if (stat.isDirectory()) return { kind: 'goroot', path: resolved };
  if (/\.zip$/i.test(resolved)) return { kind: 'module-zip', path: resolved };
  if (/\.(tar\.gz|tgz)$/i.test(resolved)) return { kind: 'archive', path: resolved };
  throw new InputError(`${location} is neither a .tar.gz archive, a .zip module nor a directory`, {
    hint: 'pass an official goX.Y.Z.linux-amd64.tar.gz, a golang.org/toolchain module zip, or --goroot DIR',
  });
}

const REFUSED = '\0refused';

async function extractGoArchive(archive: string, destination: string): Promise<void> {
  const problems: string[] = [];
  await fs.mkdirp(destination);
  const extraction = extractTar(destination, {
    // map runs before ignore in tar-fs: check and strip the go/ prefix here, skip what was refused below.
    map(header) {
      const name = header.name.replace(/\/+$/, '');
      const refuse = (problem: string) => {
        problems.push(problem);
        header.name = REFUSED;
        return header;
      };
      const shown = quoteEntryName(header.name);
      if (name !== 'go' && !name.startsWith('go/')) return refuse(`entry outside go/: ${shown}`);
      if (name.split('/').includes('..')) return refuse(`entry with "..": ${shown}`);
      // No Go release has such a name, and a line break would change the toolchain's digest summary.
      if (/[\u0000-\u001f\u007f]/.test(name)) return refuse(`entry with a control character in its name: ${shown}`);
      if (header.type !== 'file' && header.type !== 'directory') return refuse(`${header.type ?? 'unknown'} entry: ${shown}`);
      header.name = name === 'go' ? '.' : name.slice('go/'.length);
      return header;
    },
    ignore(_name, header) {
      if (!header || header.name === REFUSED) return true;
      return header.name !== '.' && !isCanonicalToolchainPath(header.name);
    },
    readable: true,
    writable: true,
  });
  try {
    await pipeline(createReadStream(archive), createGunzip(), extraction.stream);
  } catch (error) {
    // The caller removes the destination: nothing of the failed extraction may still be writing then.
    await extraction.stop();
    throw new InputError(`${archive} is not a readable .tar.gz archive (${oneLine((error as Error).message)})`, {
      hint: 'pass an official goX.Y.Z.<goos>-<goarch>.tar.gz as downloaded from the Go project',
      cause: error,
    });
  }
  if (problems.length > 0) {
    throw new InputError(`${archive} is not a Go distribution archive: ${problems[0]}`, {
      hint: 'pass an official goX.Y.Z.<goos>-<goarch>.tar.gz as downloaded from the Go project',
    });
  }
}

/** Unpacks a source into `goroot` (a GOROOT is read where it is) and gathers what verification needs. */
async function materialise(source: ToolchainSource, goroot: string): Promise<{ tree: ToolchainTree; evidence: ToolchainEvidence }> {
  if (source.kind === 'goroot') {
    const tree = await readToolchainTree(source.path);
    return { tree, evidence: { identity: tree.identity, treeDigest: tree.digest } };
  }
  if (source.kind === 'archive') {
    const archiveSha256 = await sha256File(source.path);
    await extractGoArchive(source.path, goroot);
    const tree = await readToolchainTree(goroot);
    return { tree, evidence: { identity: tree.identity, treeDigest: tree.digest, archiveSha256 } };
  }
  const zip = await extractToolchainModuleZip(source.path, goroot);
  const tree = await readToolchainTree(goroot);
  if (tree.identity.version !== zip.identity.version || tree.identity.goos !== zip.identity.goos || tree.identity.goarch !== zip.identity.goarch) {
    throw new InputError(`${source.path} is named for ${toolchainModuleVersion(zip.identity)} but holds ${toolchainModuleVersion(tree.identity)}`, {
      hint: 'the zip was altered; obtain it again from a trusted source',
    });
  }
  return { tree, evidence: { identity: tree.identity, treeDigest: tree.digest, moduleH1: zip.moduleH1 } };
}

/**
 * Imports a toolchain: unpacked into a staging directory inside the store, hashed as written, verified
 * against the matrix, and only then moved into place. Any failure leaves the store as it was.
 */
export async function importToolchain(store: ToolchainStore, source: ToolchainSource, options: ImportOptions): Promise<ImportResult> {
  if (source.kind === 'module-zip') {
    // Hashing a zip is much cheaper than unpacking it: skip the unpacking when exactly this one is stored.
    const { identity, moduleH1 } = await extractToolchainModuleZip(source.path, undefined);
    const existing = await store.get(identity);
    if (existing && existing.treeDigest === moduleH1) {
      verifyAgainstMatrix(options.matrix, { identity, treeDigest: moduleH1, moduleH1 }, options);
      return { toolchain: existing, alreadyStored: true, notes: [] };
    }
  }
  if (source.kind === 'goroot') {
    // Verify where it lies before copying anything, and skip the copy when it is already stored.
    const { tree, evidence } = await materialise(source, source.path);
    verifyAgainstMatrix(options.matrix, evidence, options);
    const existing = await store.get(tree.identity);
    if (existing && existing.treeDigest === tree.digest) return { toolchain: existing, alreadyStored: true, notes: [] };
  }
  const staging = await store.createStagingDirectory();
  try {
    const stagedGoroot = path.join(staging, 'goroot');
    await fs.mkdirp(stagedGoroot);
    let evidence: ToolchainEvidence;
    let staged: ToolchainTree;
    if (source.kind === 'goroot') {
      const original = await readToolchainTree(source.path);
      for (const file of original.files) {
        const target = path.join(stagedGoroot, ...file.relativePath.split('/'));
        await fs.mkdirp(path.dirname(target));
        await fs.copyFile(file.absolutePath, target);
      }
      evidence = { identity: original.identity, treeDigest: original.digest };
      // What counts is what was written into the store, so hash the copy.
      staged = await readToolchainTree(stagedGoroot);
      if (staged.digest !== evidence.treeDigest) {
        throw new InputError(`${source.path} changed while it was being imported`, { hint: 'import it again' });
      }
    } else {
      ({ tree: staged, evidence } = await materialise(source, stagedGoroot));
    }
    const verification = verifyAgainstMatrix(options.matrix, evidence, options);
    for (const file of staged.files) await fs.chmod(file.absolutePath, canonicalFileMode(file.relativePath));
    const portSource = await fs.readFile(path.join(stagedGoroot, ...PORT_LIST_FILE.split('/')), 'utf8').catch(() => {
      throw new InputError(`${source.path} has no ${PORT_LIST_FILE}`, { hint: 'import a complete Go 1.21 or later distribution' });
    });
    const record: ToolchainRecord = {
      schema: 1,
      ...staged.identity,
      treeDigest: staged.digest,
      fileCount: staged.files.length,
      totalBytes: staged.files.reduce((sum, file) => sum + file.size, 0),
      ports: parsePortList(portSource),
      importedAt: new Date().toISOString(),
      source: {
        kind: source.kind,
        location: source.path,
        ...(evidence.archiveSha256 !== undefined ? { sha256: evidence.archiveSha256 } : {}),
        ...(evidence.moduleH1 !== undefined ? { moduleH1: evidence.moduleH1 } : {}),
      },
      verification: { ...verification, matrix: options.matrix.location },
    };
    const { stored, alreadyStored } = await store.commit(staging, record);
    return { toolchain: stored, alreadyStored, notes: verification.notes };
  } finally {
    await fs.remove(staging);
  }
}

/** The pins a site adds to its matrix for a toolchain it trusts, computed without touching the store. */
export async function computePins(source: ToolchainSource): Promise<{ version: string; pins: PlatformPins }> {
  const scratch = await createScratchDir('airlock-pin');
  try {
    const { evidence } = await materialise(source, path.join(scratch.path, 'goroot'));
    const id = evidence.identity;
    const platform = `${id.goos}/${id.goarch}`;
    const pins: PlatformPins = {
      platform,
      module: { path: 'golang.org/toolchain', version: toolchainModuleVersion(id), h1: evidence.moduleH1 ?? evidence.treeDigest },
      treeDigest: evidence.treeDigest,
      ...(evidence.archiveSha256 !== undefined
        ? { archive: { file: `${id.version}.${id.goos}-${id.goarch}.tar.gz`, sha256: evidence.archiveSha256 } }
        : {}),
    };
    return { version: id.version, pins };
  } finally {
    await scratch.remove();
  }
}
