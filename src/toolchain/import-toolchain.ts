import { createReadStream } from 'node:fs';
import fs from 'fs-extra';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-fs';
import { InputError } from '../errors.js';
import { PORT_LIST_FILE, parsePortList } from './ports.js';
import { type ToolchainTree, readToolchainTree, sha256File } from './read-tree.js';
import type { StoredToolchain, ToolchainRecord, ToolchainSourceKind, ToolchainStore } from './store.js';
import { canonicalFileMode, isCanonicalToolchainPath } from './toolchain-tree.js';

export interface ImportResult {
  toolchain: StoredToolchain;
  alreadyStored: boolean;
}

/** Imports an unpacked Go installation (a GOROOT, or a golang.org/toolchain directory in the module cache). */
export async function importToolchainFromGoroot(store: ToolchainStore, goroot: string): Promise<ImportResult> {
  const source = path.resolve(goroot);
  if (!(await fs.pathExists(source)) || !(await fs.stat(source)).isDirectory()) {
    throw new InputError(`${goroot} is not a directory`, { hint: 'pass the directory `go env GOROOT` prints' });
  }
  const sourceTree = await readToolchainTree(source);
  const existing = await store.get(sourceTree.identity);
  if (existing && existing.treeDigest === sourceTree.digest) return { toolchain: existing, alreadyStored: true };
  return stageAndCommit(store, { kind: 'goroot', location: source }, async (stagedGoroot) => {
    for (const file of sourceTree.files) {
      const target = path.join(stagedGoroot, ...file.relativePath.split('/'));
      await fs.mkdirp(path.dirname(target));
      await fs.copyFile(file.absolutePath, target);
    }
    return sourceTree.digest;
  });
}

/** Imports an official binary archive, goX.Y.Z.<goos>-<goarch>.tar.gz, whose entries all live under go/. */
export async function importToolchainFromArchive(store: ToolchainStore, archive: string): Promise<ImportResult> {
  const file = path.resolve(archive);
  if (!(await fs.pathExists(file)) || !(await fs.stat(file)).isFile()) {
    throw new InputError(`${archive} does not exist`, { hint: 'pass the path of a goX.Y.Z.linux-amd64.tar.gz archive' });
  }
  const archiveSha256 = await sha256File(file);
  return stageAndCommit(store, { kind: 'archive', location: file, sha256: archiveSha256 }, async (stagedGoroot) => {
    await extractGoArchive(file, stagedGoroot);
    return undefined;
  });
}

const REFUSED = '\0refused';

async function extractGoArchive(archive: string, destination: string): Promise<void> {
  const problems: string[] = [];
  await fs.mkdirp(destination);
  try {
    await pipeline(
      createReadStream(archive),
      createGunzip(),
      tar.extract(destination, {
        // map runs before ignore in tar-fs: check and strip the go/ prefix here, skip what was refused below.
        map(header) {
          const name = header.name.replace(/\/+$/, '');
          const refuse = (problem: string) => {
            problems.push(problem);
            header.name = REFUSED;
            return header;
          };
          if (name !== 'go' && !name.startsWith('go/')) return refuse(`entry outside go/: ${header.name}`);
          if (name.split('/').includes('..')) return refuse(`entry with "..": ${header.name}`);
          if (header.type !== 'file' && header.type !== 'directory') return refuse(`${header.type ?? 'unknown'} entry: ${header.name}`);
          header.name = name === 'go' ? '.' : name.slice('go/'.length);
          return header;
        },
        ignore(_name, header) {
          if (!header || header.name === REFUSED) return true;
          return header.name !== '.' && !isCanonicalToolchainPath(header.name);
        },
        readable: true,
        writable: true,
      }),
    );
  } catch (error) {
    throw new InputError(`${archive} is not a readable .tar.gz archive (${(error as Error).message})`, {
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

/**
 * Materialises a toolchain in a staging directory, normalises its file modes, hashes what was actually
 * written and only then moves it into the store: the store is never left with a partial toolchain.
 */
async function stageAndCommit(
  store: ToolchainStore,
  source: ToolchainRecord['source'] & { kind: ToolchainSourceKind },
  materialise: (stagedGoroot: string) => Promise<string | undefined>,
): Promise<ImportResult> {
  const staging = await store.createStagingDirectory();
  try {
    const stagedGoroot = path.join(staging, 'goroot');
    await fs.mkdirp(stagedGoroot);
    const expectedDigest = await materialise(stagedGoroot);
    const staged: ToolchainTree = await readToolchainTree(stagedGoroot);
    if (expectedDigest !== undefined && staged.digest !== expectedDigest) {
      throw new InputError(`${source.location} changed while it was being imported`, { hint: 'import it again' });
    }
    for (const file of staged.files) await fs.chmod(file.absolutePath, canonicalFileMode(file.relativePath));
    const portSource = await fs.readFile(path.join(stagedGoroot, ...PORT_LIST_FILE.split('/')), 'utf8').catch(() => {
      throw new InputError(`${source.location} has no ${PORT_LIST_FILE}`, { hint: 'import a complete Go 1.21 or later distribution' });
    });
    const record: ToolchainRecord = {
      schema: 1,
      ...staged.identity,
      treeDigest: staged.digest,
      fileCount: staged.files.length,
      totalBytes: staged.files.reduce((sum, file) => sum + file.size, 0),
      ports: parsePortList(portSource),
      importedAt: new Date().toISOString(),
      source,
      verification: { status: 'unpinned' },
    };
    const { stored, alreadyStored } = await store.commit(staging, record);
    return { toolchain: stored, alreadyStored };
  } finally {
    await fs.remove(staging);
  }
}
