import { createHash } from 'node:crypto';
import { forEachZipEntry, quoteEntryName, relativeEntryName } from '../archive/zip-entries.js';
import { InputError, oneLine } from '../errors.js';
import { type FileDigest, hash1 } from './dirhash.js';

/** The Go module system's limit on a module zip's uncompressed size. */
const MAX_MODULE_BYTES = 500 * 1024 * 1024;

export interface ModuleZipFile {
  /** Path inside the module, without the "<module>@<version>/" prefix. */
  path: string;
  bytes: Buffer;
  sha256: string;
}

export interface ModuleZip {
  h1: string;
  files: Map<string, ModuleZipFile>;
}

/** The h1: of a go.mod file as go.sum records it: Hash1 over one file literally named "go.mod". */
export function goModHash(bytes: Uint8Array): string {
  return hash1([{ name: 'go.mod', sha256: createHash('sha256').update(bytes).digest('hex') }]);
}

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', reject);
    stream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/**
 * Reads a module zip completely and computes its h1: as the go command does (over the entry names, which
 * carry the "<module>@<version>/" prefix). Entries must all carry that prefix and stay inside it.
 */
export async function readModuleZip(file: string, modulePath: string, version: string): Promise<ModuleZip> {
  const prefix = `${modulePath}@${version}/`;
  const fail = (problem: string, cause?: unknown): never => {
    throw new InputError(`${file} is not a readable module zip of ${modulePath}@${version}: ${problem}`, {
      hint: 'the module set is damaged; pack it again on a connected machine with `airlock modules pack`',
      cause,
    });
  };
  const files = new Map<string, ModuleZipFile>();
  const digests: FileDigest[] = [];
  let total = 0;
  try {
    await forEachZipEntry(file, async (entry, open) => {
      const name = entry.fileName;
      if (!name.startsWith(prefix)) return fail(`entry outside ${prefix}: ${quoteEntryName(name)}`);
      const relative = relativeEntryName(name, prefix);
      if (relative === undefined) return fail(`unsafe entry name: ${quoteEntryName(name)}`);
      total += entry.uncompressedSize;
      if (total > MAX_MODULE_BYTES) return fail(`more than ${MAX_MODULE_BYTES} bytes uncompressed`);
      const bytes = await readAll(await open());
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      if (files.has(relative)) return fail(`duplicate entry ${quoteEntryName(name)}`);
      files.set(relative, { path: relative, bytes, sha256 });
      digests.push({ name, sha256 });
    });
  } catch (error) {
    if (error instanceof InputError) throw error;
    fail(oneLine((error as Error).message), error);
  }
  return { h1: hash1(digests), files };
}
