import { createHash } from 'node:crypto';
import fs from 'fs-extra';
import path from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { forEachZipEntry, quoteEntryName, relativeEntryName } from '../archive/zip-entries.js';
import { InputError, oneLine } from '../errors.js';
import { type ToolchainIdentity, fromModuleFileName } from './toolchain-tree.js';
import { type FileDigest, hash1 } from '../modules/dirhash.js';

/** The Go module system's limit on a module zip's uncompressed size. */
const MAX_MODULE_BYTES = 500 * 1024 * 1024;
const PREFIX = /^golang\.org\/toolchain@v0\.0\.1-(go1\.\d+(?:\.\d+)?(?:(?:rc|beta)\d+)?)\.([a-z0-9]+)-([a-z0-9]+)\//;

export interface ExtractedModuleZip {
  identity: ToolchainIdentity;
  /** h1: over the zip's entries, as the go command and the checksum database compute it */
  moduleH1: string;
}

/**
 * Unpacks (or, without a goroot, only hashes) a golang.org/toolchain module zip into a GOROOT (every _go.mod back to go.mod, as the go command
 * does) while hashing each entry, so the zip's h1 is known without reading it twice.
 */
export async function extractToolchainModuleZip(file: string, goroot: string | undefined): Promise<ExtractedModuleZip> {
  const fail = (problem: string, cause?: unknown): never => {
    throw new InputError(`${file} is not a Go toolchain module zip: ${problem}`, {
      hint: 'pass the golang.org/toolchain zip from a module cache (cache/download/golang.org/toolchain/@v/*.zip)',
      cause,
    });
  };
  const digests: FileDigest[] = [];
  let identity: ToolchainIdentity | undefined;
  let prefix = '';
  let total = 0;
  try {
    await forEachZipEntry(file, async (entry, open) => {
      const name = entry.fileName;
      const match = PREFIX.exec(name);
      if (!match) return fail(`entry outside golang.org/toolchain@v0.0.1-<version>.<goos>-<goarch>/: ${quoteEntryName(name)}`);
      if (identity === undefined) {
        identity = { version: match[1]!, goos: match[2]!, goarch: match[3]! };
        prefix = match[0];
      } else if (!name.startsWith(prefix)) {
        return fail(`entries of two different modules: ${prefix} and ${quoteEntryName(name)}`);
      }
      const relative = relativeEntryName(name, prefix);
      if (relative === undefined) return fail(`unsafe entry name: ${quoteEntryName(name)}`);
      total += entry.uncompressedSize;
      if (total > MAX_MODULE_BYTES) return fail(`more than ${MAX_MODULE_BYTES} bytes uncompressed`);
      const hash = createHash('sha256');
      const hasher = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          callback(null, goroot === undefined ? undefined : chunk);
        },
      });
      if (goroot === undefined) {
        await pipeline(await open(), hasher, new Writable({ write: (_chunk, _encoding, callback) => callback() }));
      } else {
        const target = path.join(goroot, ...fromModuleFileName(relative).split('/'));
        await fs.mkdirp(path.dirname(target));
        await pipeline(await open(), hasher, fs.createWriteStream(target, { flags: 'wx' }));
      }
      digests.push({ name, sha256: hash.digest('hex') });
    });
  } catch (error) {
    if (error instanceof InputError) throw error;
    return fail(oneLine((error as Error).message), error);
  }
  if (identity === undefined) return fail('it has no entries');
  return { identity, moduleH1: hash1(digests) };
}
