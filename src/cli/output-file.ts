import fs from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors.js';

/**
 * Checks, before any work, that a command may write the file `--out` names: its directory exists, it is not
 * a directory, and it is not an existing file unless `force`. Returns the absolute path.
 */
export async function checkOutputFile(file: string, force: boolean): Promise<string> {
  const target = path.resolve(file);
  const parent = path.dirname(target);
  const parentStat = await fs.stat(parent).catch(() => undefined);
  if (!parentStat?.isDirectory()) {
    throw new InputError(`--out ${file}: the directory ${parent} does not exist`, { hint: 'create it first, or pass --out a file in an existing directory' });
  }
  if ((await fs.stat(target).catch(() => undefined))?.isDirectory()) {
    throw new InputError(`--out ${file} is a directory`, { hint: 'pass --out the path of the file to write' });
  }
  // lstat: a dangling symbolic link is there too.
  if ((await fs.lstat(target).catch(() => undefined)) === undefined) return target;
  if (!force) {
    throw new InputError(`--out ${file} already exists`, { hint: 'pass --force to overwrite it, or choose another file' });
  }
  return target;
}

/** Writes through a temporary file beside the target, so a failure leaves neither a half-written file nor the temporary one. */
export async function writeFileAtomically(target: string, data: Uint8Array | string): Promise<void> {
  const partial = `${target}.${process.pid}.partial`;
  try {
    await fs.writeFile(partial, data);
    await fs.rename(partial, target);
  } catch (error) {
    await fs.rm(partial, { force: true });
    throw new InputError(`cannot write ${target}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      hint: 'pass --out a file in a writable directory',
      cause: error,
    });
  }
}
