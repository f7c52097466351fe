import { randomBytes } from 'node:crypto';
import fs from 'fs-extra';
import path from 'node:path';
import { onInterrupt } from '../cleanup.js';
import { InputError, InterruptedError, oneLine } from '../errors.js';
import { SHARD_MANIFEST_FILE } from '../plan/shards.js';
import { CHECKSUMS_FILE, ENVELOPE_SUFFIX, GPG_SIGNATURE_SUFFIX, GPG_SIGNED_CHECKSUMS_FILES, SBOM_SUFFIX, SIGNATURE_SUFFIX, SM3SUMS_FILE, isManifestOrItsSignature, isTestReportFile } from './layout.js';
import { parseSha256Sums } from './checksums.js';

const TOOLCHAIN_DIRECTORY = /^go\d+\.\d+(\.\d+)?([a-z]+\d+)?$/;
/** A SHA256SUMS is a few lines per binary; anything far larger is not one airlock wrote. */
const MAX_CHECKSUMS_BYTES = 16 * 1024 * 1024;
/** How many foreign files an error names. */
const NAMED_FOREIGN = 3;

/** One directory level: regular files by name, subdirectories, and anything else (links, sockets...). */
export interface DirectoryLevel {
  files: string[];
  directories: string[];
  others: string[];
}

/**
 * What a directory holds, judged by what airlock writes: `airlock` only when every entry is a file airlock
 * writes and the files tie together (each binary SHA256SUMS lists has its envelope beside it), `foreign` with
 * the entries that are not (relative paths, a directory with a trailing slash) otherwise.
 */
export type OutputDirectoryState =
  | { kind: 'absent' }
  | { kind: 'not-a-directory' }
  | { kind: 'empty' }
  | { kind: 'airlock' }
  | { kind: 'foreign'; foreign: string[] };

/**
 * The entries of one SHA256SUMS directory (a flat output, or one toolchain's directory) that airlock did not
 * write. When its SHA256SUMS is missing, unreadable, lists no binary or lists a binary without its envelope,
 * nothing in it is airlock's. `sums` is the SHA256SUMS text, undefined when it could not be read.
 */
export function foreignInChecksumGroup(level: DirectoryLevel, sums: string | undefined, allowShardManifest: boolean): string[] {
  const everything = [...level.files, ...level.directories.map((name) => `${name}/`), ...level.others].sort();
  const listed = sums === undefined ? undefined : listedNames(sums);
  if (listed === undefined) return everything;
  const binaries = listed.filter((name) => !name.endsWith(SBOM_SUFFIX) && !isTestReportFile(name));
  const files = new Set(level.files);
  if (binaries.length === 0 || binaries.some((binary) => !files.has(`${binary}${ENVELOPE_SUFFIX}`))) return everything;
  const written = new Set([
    CHECKSUMS_FILE,
    `${CHECKSUMS_FILE}${SIGNATURE_SUFFIX}`,
    SM3SUMS_FILE,
    `${SM3SUMS_FILE}${SIGNATURE_SUFFIX}`,
    ...GPG_SIGNED_CHECKSUMS_FILES.map((name) => `${name}${GPG_SIGNATURE_SUFFIX}`),
    ...(allowShardManifest ? [SHARD_MANIFEST_FILE] : []),
    ...listed,
    ...binaries.map((binary) => `${binary}${ENVELOPE_SUFFIX}`),
  ]);
  // The release manifest and its signatures stand at the top only (where the shard manifest may stand too).
  return everything.filter((entry) => !written.has(entry) && !(allowShardManifest && isManifestOrItsSignature(entry)));
}

/** The names a SHA256SUMS lists, or undefined when it is not one airlock could have written. */
function listedNames(sums: string): string[] | undefined {
  try {
    const names = parseSha256Sums(sums).map((entry) => entry.name);
    return names.some((name) => name.includes('/') || name === CHECKSUMS_FILE) ? undefined : names;
  } catch {
    return undefined;
  }
}

async function readLevel(dir: string): Promise<DirectoryLevel> {
  const level: DirectoryLevel = { files: [], directories: [], others: [] };
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    if (entry.isFile()) level.files.push(entry.name);
    else if (entry.isDirectory()) level.directories.push(entry.name);
    else level.others.push(entry.name);
  }
  return level;
}

async function readChecksums(dir: string, level: DirectoryLevel): Promise<string | undefined> {
  if (!level.files.includes(CHECKSUMS_FILE)) return undefined;
  const file = path.join(dir, CHECKSUMS_FILE);
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat || stat.size > MAX_CHECKSUMS_BYTES) return undefined;
  return fs.readFile(file, 'utf8').catch(() => undefined);
}

async function foreignInGroupDirectory(dir: string, allowShardManifest: boolean): Promise<string[]> {
  const level = await readLevel(dir);
  return foreignInChecksumGroup(level, await readChecksums(dir, level), allowShardManifest);
}

/**
 * Judges a directory as an output of `airlock build` (flat: SHA256SUMS at the top; several toolchains: one
 * goX.Y.Z directory each, with a shard manifest at the top for a shard) or of `airlock merge`. Reads one level
 * and the toolchain directories only, so a source tree full of ordinary directories is judged quickly.
 */
export async function inspectOutputDirectory(dir: string): Promise<OutputDirectoryState> {
  const stat = await fs.lstat(dir).catch(() => undefined);
  if (!stat) return { kind: 'absent' };
  if (!stat.isDirectory()) return { kind: 'not-a-directory' };
  const level = await readLevel(dir);
  const entries = level.files.length + level.directories.length + level.others.length;
  if (entries === 0) return { kind: 'empty' };
  const foreign = level.files.includes(CHECKSUMS_FILE)
    ? foreignInChecksumGroup(level, await readChecksums(dir, level), true)
    : await foreignInToolchainLayout(dir, level);
  return foreign.length === 0 ? { kind: 'airlock' } : { kind: 'foreign', foreign };
}

/** The per-toolchain layout: only goX.Y.Z directories, each a checksum group, and maybe a shard manifest. */
async function foreignInToolchainLayout(dir: string, level: DirectoryLevel): Promise<string[]> {
  const toolchains = level.directories.filter((name) => TOOLCHAIN_DIRECTORY.test(name));
  const everything = [...level.files, ...level.directories.map((name) => `${name}/`), ...level.others].sort();
  if (toolchains.length === 0) return everything;
  const foreign = [
    ...level.files.filter((name) => name !== SHARD_MANIFEST_FILE && !isManifestOrItsSignature(name)),
    ...level.directories.filter((name) => !TOOLCHAIN_DIRECTORY.test(name)).map((name) => `${name}/`),
    ...level.others,
  ];
  for (const toolchain of toolchains) {
    foreign.push(...(await foreignInGroupDirectory(path.join(dir, toolchain), false)).map((entry) => `${toolchain}/${entry}`));
  }
  return foreign.sort();
}

/** Whether airlock wrote this directory, by the rule of inspectOutputDirectory. Such a directory is never source. */
export async function isAirlockOutputDirectory(dir: string): Promise<boolean> {
  return (await inspectOutputDirectory(dir)).kind === 'airlock';
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
    private readonly forgetInterrupt: () => void,
  ) {}

  static async create(outDir: string, moduleDir: string): Promise<OutputStaging> {
    const out = await assertUsableOutput(outDir, moduleDir);
    const stagingDir = path.join(path.dirname(out), `.airlock-staging-${path.basename(out)}-${randomBytes(4).toString('hex')}`);
    // Its removal is registered before it is made: a signal landing while mkdirp is in flight would otherwise
    // leave the directory behind, since the caller only learns of it after the await.
    const making = fs.mkdirp(stagingDir);
    const forget = onInterrupt(async () => {
      await making.catch(() => undefined);
      await fs.remove(stagingDir);
    });
    try {
      await making;
    } catch (error) {
      forget();
      throw error;
    }
    return new OutputStaging(out, stagingDir, forget);
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
    this.forgetInterrupt();
    await Promise.allSettled([...this.preparing]);
    await fs.remove(this.stagingDir);
  }
}

/**
 * Refuses an --out that would replace the module or anything airlock did not write, and returns its real
 * path. Cheap and local: a build calls it before any other work, and OutputStaging.create again.
 */
export async function assertUsableOutput(outDir: string, moduleDir: string): Promise<string> {
  // Compare real paths: through a symbolic link, the module directory could otherwise pass as an output.
  const out = await realPathOf(path.resolve(outDir));
  const module = await realPathOf(path.resolve(moduleDir));
  if (out === module || module.startsWith(`${out}${path.sep}`)) {
    throw new InputError(`--out ${outDir} would replace the module's own directory`, {
      hint: 'choose an output directory inside or beside the module, such as dist/',
    });
  }
  await assertReplaceable(out);
  return out;
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

/**
 * Refuses an --out that airlock may not replace: a file, or a directory holding anything airlock did not
 * write (see inspectOutputDirectory). Runs before a build starts and again just before publishing.
 */
async function assertReplaceable(out: string): Promise<void> {
  const state = await inspectOutputDirectory(out);
  if (state.kind === 'not-a-directory') {
    throw new InputError(`the output path ${out} exists and is not a directory`, { hint: 'choose another --out' });
  }
  if (state.kind === 'foreign') {
    throw new InputError(oneLine(`the output directory ${out} holds files airlock did not write: ${describeForeign(state.foreign)}`), {
      hint: 'move them out of it, or choose an empty or new --out directory',
    });
  }
}

/** The first few foreign entries, and how many more there are. */
export function describeForeign(foreign: readonly string[]): string {
  const named = foreign.slice(0, NAMED_FOREIGN).join(', ');
  return foreign.length > NAMED_FOREIGN ? `${named} and ${foreign.length - NAMED_FOREIGN} more` : named;
}
