import { randomBytes } from 'node:crypto';
import fs from 'fs-extra';
import path from 'node:path';
import { InputError, InterruptedError } from '../errors.js';

export const CHECKSUMS_FILE = 'SHA256SUMS';
/** Written by `airlock build --shard`; kept here so every stage agrees on what an output directory is. */
export const SHARD_MANIFEST_FILE = 'airlock-shard.json';
const TOOLCHAIN_DIRECTORY = /^go\d+\.\d+(\.\d+)?([a-z]+\d+)?$/;

/**
 * Whether airlock wrote this directory: it holds SHA256SUMS or a shard manifest, itself or (with one
 * subdirectory per toolchain) in a goX.Y.Z subdirectory. Such a directory is replaceable and never source.
 */
export async function isAirlockOutputDirectory(dir: string): Promise<boolean> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  if (entries.some((entry) => entry.isFile() && (entry.name === CHECKSUMS_FILE || entry.name === SHARD_MANIFEST_FILE))) return true;
  for (const entry of entries) {
    if (entry.isDirectory() && TOOLCHAIN_DIRECTORY.test(entry.name) && (await fs.pathExists(path.join(dir, entry.name, CHECKSUMS_FILE)))) return true;
  }
  return false;
}

/**
 * Outputs are written into a staging directory beside the final one and renamed into place only when the
 * whole build succeeded, so the output directory is always either the previous complete result or the new
 * complete result.
 */
export class OutputStaging {
  private discarded = false;
  private readonly preparing = new Set<Promise<unknown>>();

  private constructor(
    readonly outDir: string,
    readonly stagingDir: string,
  ) {}

  static async create(outDir: string, moduleDir: string): Promise<OutputStaging> {
    // Compare real paths: through a symbolic link, the module directory could otherwise pass as an output.
    const out = await realPathOf(path.resolve(outDir));
    const module = await realPathOf(path.resolve(moduleDir));
    if (out === module || module.startsWith(`${out}${path.sep}`)) {
      throw new InputError(`--out ${outDir} would replace the module's own directory`, {
        hint: 'choose an output directory inside or beside the module, such as dist/',
      });
    }
    await assertReplaceable(out);
    const stagingDir = path.join(path.dirname(out), `.airlock-staging-${path.basename(out)}-${randomBytes(4).toString('hex')}`);
    await fs.mkdirp(stagingDir);
    return new OutputStaging(out, stagingDir);
  }

  pathFor(relative: string): string {
    return path.join(this.stagingDir, relative);
  }

  async publish(): Promise<void> {
    await assertReplaceable(this.outDir);
    const previous = path.join(path.dirname(this.outDir), `.airlock-previous-${path.basename(this.outDir)}-${randomBytes(4).toString('hex')}`);
    const hadPrevious = await fs.pathExists(this.outDir);
    if (hadPrevious) await fs.rename(this.outDir, previous);
    try {
      await fs.rename(this.stagingDir, this.outDir);
    } catch (error) {
      if (hadPrevious) await fs.rename(previous, this.outDir);
      throw error;
    }
    if (hadPrevious) await fs.remove(previous);
  }

  /**
   * Makes the directory a staged file goes into. Once the staging is discarded (an interrupt) it refuses, so
   * a build still finishing cannot bring the directory back after clean-up removed it.
   */
  async directoryFor(relative: string): Promise<string> {
    if (this.discarded) throw new InterruptedError('the run is being cleaned up; nothing more is staged');
    const file = this.pathFor(relative);
    const making = fs.mkdirp(path.dirname(file));
    this.preparing.add(making);
    try {
      await making;
    } finally {
      this.preparing.delete(making);
    }
    return file;
  }

  async discard(): Promise<void> {
    this.discarded = true;
    await Promise.allSettled([...this.preparing]);
    await fs.remove(this.stagingDir);
  }
}

/** The real path of a file that may not exist yet: its nearest existing ancestor resolved, the rest appended. */
export async function realPathOf(target: string): Promise<string> {
  try {
    return await fs.realpath(target);
  } catch {
    const parent = path.dirname(target);
    return parent === target ? target : path.join(await realPathOf(parent), path.basename(target));
  }
}

/** An existing output directory is replaced only when it is empty or airlock wrote it (it holds SHA256SUMS). */
async function assertReplaceable(out: string): Promise<void> {
  if (!(await fs.pathExists(out))) return;
  const stat = await fs.lstat(out);
  if (!stat.isDirectory()) {
    throw new InputError(`the output path ${out} exists and is not a directory`, { hint: 'choose another --out' });
  }
  const entries = await fs.readdir(out);
  if (entries.length > 0 && !(await isAirlockOutputDirectory(out))) {
    throw new InputError(`the output directory ${out} holds files airlock did not write`, {
      hint: 'choose an empty or new --out directory, or remove this one',
    });
  }
}
