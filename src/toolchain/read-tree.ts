import fs from 'node:fs/promises';
import path from 'node:path';
import { InputError, oneLine } from '../errors.js';
import { type ToolchainIdentity, isCanonicalToolchainPath, toModuleFileName, toolchainModulePrefix } from './toolchain-tree.js';
import { type FileDigest, hash1 } from '../modules/dirhash.js';
import { sha256File } from '../util/hash.js';

export interface ToolchainTreeFile {
  /** GOROOT-relative, forward slashes, go.mod spelled as the go command uses it. */
  relativePath: string;
  absolutePath: string;
  size: number;
  sha256: string;
}

export interface ToolchainTree {
  root: string;
  identity: ToolchainIdentity;
  files: ToolchainTreeFile[];
  digest: string;
}


/** Reads VERSION and pkg/tool/<goos>_<goarch> to learn which toolchain a GOROOT holds. */
export async function readToolchainIdentity(root: string): Promise<ToolchainIdentity> {
  let versionText: string;
  try {
    versionText = await fs.readFile(path.join(root, 'VERSION'), 'utf8');
  } catch {
    throw new InputError(`${root} is not a Go installation: it has no VERSION file`, {
      hint: 'pass the directory `go env GOROOT` prints',
    });
  }
  const version = versionText.split('\n', 1)[0]?.trim() ?? '';
  if (!/^go1\.\d+(\.\d+)?((rc|beta)\d+)?$/.test(version)) {
    throw new InputError(`${root}/VERSION names no Go release (${JSON.stringify(version)})`, {
      hint: 'import an official Go release (a development build cannot be pinned)',
    });
  }
  let toolDirs: string[] = [];
  try {
    toolDirs = (await fs.readdir(path.join(root, 'pkg', 'tool'))).filter((name) => /^[a-z0-9]+_[a-z0-9]+$/.test(name));
  } catch {
    // handled below
  }
  if (toolDirs.length !== 1) {
    throw new InputError(`${root} has ${toolDirs.length === 0 ? 'no' : 'more than one'} pkg/tool/<goos>_<goarch> directory`, {
      hint: 'import an unmodified binary distribution of Go',
    });
  }
  const [goos, goarch] = toolDirs[0]!.split('_') as [string, string];
  return { version, goos, goarch };
}

async function walkFiles(root: string, relative = ''): Promise<string[]> {
  const entries = await fs.readdir(path.join(root, relative), { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const rel = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (!isCanonicalToolchainPath(rel)) continue;
    if (/[\u0000-\u001f\u007f]/.test(entry.name)) {
      throw new InputError(`${oneLine(JSON.stringify(path.join(root, rel)))} has a control character in its name`, {
        hint: 'no Go release has such a file; import an unmodified distribution',
      });
    }
    if (entry.isDirectory()) files.push(...(await walkFiles(root, rel)));
    else if (entry.isFile()) files.push(rel);
    else {
      throw new InputError(`${path.join(root, rel)} is not a regular file or directory`, {
        hint: 'a Go toolchain holds no links or special files; import an unmodified distribution',
      });
    }
  }
  return files;
}

/**
 * Reads and hashes a toolchain tree in GOROOT or module-cache form. In the module cache the go command keeps
 * each _go.mod and may add a go.mod copy beside it; a copy that differs from its _go.mod would change the
 * build without changing the digest, so it is refused.
 */
export async function readToolchainTree(root: string): Promise<ToolchainTree> {
  const identity = await readToolchainIdentity(root);
  const found = await walkFiles(root);
  const present = new Set(found);
  const files: ToolchainTreeFile[] = [];
  for (const rel of found) {
    const isModuleSpelling = rel === '_go.mod' || rel.endsWith('/_go.mod');
    const goroot = isModuleSpelling ? `${rel.slice(0, -'_go.mod'.length)}go.mod` : rel;
    const isGoModCopy = (rel === 'go.mod' || rel.endsWith('/go.mod')) && present.has(toModuleFileName(rel));
    const absolutePath = path.join(root, rel);
    const [stat, sha256] = await Promise.all([fs.stat(absolutePath), sha256File(absolutePath)]);
    if (isGoModCopy) {
      const original = await sha256File(path.join(root, toModuleFileName(rel)));
      if (original !== sha256) {
        throw new InputError(`${absolutePath} differs from the _go.mod beside it`, {
          hint: 'the toolchain was modified after download; fetch it again',
        });
      }
      continue;
    }
    files.push({ relativePath: goroot, absolutePath, size: stat.size, sha256 });
  }
  files.sort((a, b) => (a.relativePath < b.relativePath ? -1 : 1));
  return { root, identity, files, digest: toolchainDigest(identity, files) };
}

export function toolchainDigest(identity: ToolchainIdentity, files: readonly ToolchainTreeFile[]): string {
  const prefix = toolchainModulePrefix(identity);
  const named: FileDigest[] = files.map((file) => ({
    name: `${prefix}/${toModuleFileName(file.relativePath)}`,
    sha256: file.sha256,
  }));
  return hash1(named);
}
