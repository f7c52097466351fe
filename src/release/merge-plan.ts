/**
 * What `airlock merge` decides before it copies a byte: whether the given directories are every shard of one
 * plan, each once, whether their manifests and SHA256SUMS agree with each other and with themselves, and so
 * which files make up the merged release and what its SHA256SUMS say. Pure: the caller reads the directories.
 */
import path from 'node:path';
import { type AirlockErrorOptions, InputError, VerificationError, oneLine } from '../errors.js';
import { SHARD_MANIFEST_FILE, SHARD_SCHEMA, type ShardManifest, formatShard } from '../plan/shards.js';
import { ENVELOPE_SUFFIX, SBOM_SUFFIX, isTestStreamFile } from './layout.js';
import { planTestRunFiles } from './test-run-files.js';
import { type ChecksumEntry, parseSha256Sums } from './checksums.js';
import { CHECKSUMS_FILE, GPG_SIGNATURE_SUFFIX, GPG_SIGNED_CHECKSUMS_FILES, SIGNATURE_SUFFIX, SM3SUMS_FILE, isManifestOrItsSignature } from './layout.js';

export { SIGNATURE_SUFFIX };

/** One shard's output directory as read from disk. */
export interface ShardListing {
  /** The directory as the user named it, for messages. */
  dir: string;
  /** Its real path: two names for one directory are one shard given twice. */
  realPath: string;
  /** The text of airlock-shard.json; undefined when there is none. */
  manifest: string | undefined;
  /** Every regular file under the directory, relative to it with / separators. */
  files: readonly string[];
  /** The text of each SHA256SUMS among the files, by its path relative to the directory. */
  checksums: Readonly<Record<string, string>>;
}

export interface MergeShard {
  dir: string;
  realPath: string;
  manifest: ShardManifest;
  /** Whether every SHA256SUMS of the shard has a .sig beside it. */
  signed: boolean;
}

/** One file of the merged release, copied unchanged from a shard (same relative path in both). */
export interface MergeFile {
  /** The shard's real path. */
  shardDir: string;
  /** As the user named that shard, for messages. */
  shardLabel: string;
  /** Relative to the shard and to the merged output. */
  file: string;
  kind: 'binary' | 'envelope' | 'sbom' | 'test-report' | 'test-envelope';
  /** The digest the shard's SHA256SUMS records (binaries and SBOMs). */
  sha256?: string;
}

/** One SHA256SUMS of the merged release: its directory ('' for the top level) and every entry, binaries and SBOMs. */
export interface MergeChecksumGroup {
  directory: string;
  entries: ChecksumEntry[];
}

export interface MergePlan {
  planDigest: string;
  layout: ShardManifest['layout'];
  count: number;
  /** In shard order (1..N). */
  shards: MergeShard[];
  /** In plan order: each binary, then its envelope, then its SBOM when there is one. */
  files: MergeFile[];
  /** In plan order of their directories. */
  groups: MergeChecksumGroup[];
  /** Whether the shards carry SBOMs (all of them do, or none). */
  sbom: boolean;
  /** Files in the shards that are not part of the release and are not copied, as "DIR/FILE". */
  ignored: string[];
  /** The shards' GPG signatures (.asc), as "DIR/FILE": never copied, since the merged checksums are new files. */
  gpgSignatures: string[];
  /** The output of `airlock test` given beside the shards: its reports and attestations join the release. */
  testRun?: { dir: string; realPath: string };
}

const RESERVED_NAMES = new Set([
  CHECKSUMS_FILE,
  `${CHECKSUMS_FILE}${SIGNATURE_SUFFIX}`,
  SM3SUMS_FILE,
  `${SM3SUMS_FILE}${SIGNATURE_SUFFIX}`,
  SHARD_MANIFEST_FILE,
  ...GPG_SIGNED_CHECKSUMS_FILES.map((name) => `${name}${GPG_SIGNATURE_SUFFIX}`),
]);

/** A shard's or test run's own lists (SM3SUMS, the release manifest and their signatures): checked, never copied, written anew. */
function isRewrittenList(file: string): boolean {
  return isManifestOrItsSignature(file) || (RESERVED_NAMES.has(path.posix.basename(file)) && path.posix.basename(file) !== SHARD_MANIFEST_FILE);
}
const MERGE_HINT = 'merge the output directories of one `airlock build --shard I/N` matrix, every shard once';
const REBUILD_HINT = 'do not merge these shards; rebuild the shards from one plan (or fetch them again) and merge those';

// Names in these messages come from files and manifests: they are escaped to keep every message on one line.
const verificationError = (message: string, options: AirlockErrorOptions): VerificationError => new VerificationError(oneLine(message), options);
const inputError = (message: string, options: AirlockErrorOptions): InputError => new InputError(oneLine(message), options);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** Reads airlock-shard.json; anything that is not a complete v1 manifest is refused. */
export function parseShardManifest(text: string, dir: string): ShardManifest {
  const where = `${dir}/${SHARD_MANIFEST_FILE}`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw verificationError(`${where} is not JSON: ${(error as Error).message}`, { hint: REBUILD_HINT });
  }
  if (!isRecord(value)) throw verificationError(`${where} is not a shard manifest (not a JSON object)`, { hint: REBUILD_HINT });
  if (value.schema !== SHARD_SCHEMA) {
    throw inputError(`${where} has schema ${JSON.stringify(value.schema)}, not ${SHARD_SCHEMA}`, {
      hint: 'merge with the airlock version that built the shards',
    });
  }
  const shard = value.shard;
  const bad = (field: string): VerificationError =>
    verificationError(`${where} is not a shard manifest: ${field} is missing or malformed`, { hint: REBUILD_HINT });
  if (!isRecord(shard) || !Number.isSafeInteger(shard.index) || !Number.isSafeInteger(shard.count)) throw bad('shard');
  const index = shard.index as number;
  const count = shard.count as number;
  if (count < 1 || index < 1 || index > count) throw bad('shard');
  if (typeof value.planDigest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(value.planDigest)) throw bad('planDigest');
  if (value.layout !== 'flat' && value.layout !== 'per-toolchain') throw bad('layout');
  if (!isStringArray(value.planOutputs)) throw bad('planOutputs');
  if (!isStringArray(value.outputs)) throw bad('outputs');
  return {
    schema: SHARD_SCHEMA,
    shard: { index, count },
    planDigest: value.planDigest,
    layout: value.layout,
    planOutputs: value.planOutputs,
    outputs: value.outputs,
  };
}

/** Where an output's SHA256SUMS lies: '' in the flat layout, its toolchain directory in the other. */
function groupOf(output: string): string {
  const slash = output.lastIndexOf('/');
  return slash < 0 ? '' : output.slice(0, slash);
}

function joinGroup(group: string, name: string): string {
  return group === '' ? name : `${group}/${name}`;
}

/** Every path a manifest names must be one the build writes: a plain name, or go-version/name per toolchain. */
function assertOutputPath(output: string, layout: ShardManifest['layout'], where: string): void {
  const segments = output.split('/');
  const plain = (segment: string) => segment !== '' && segment !== '.' && segment !== '..' && !/[\\\0\n\r]/.test(segment);
  const name = segments[segments.length - 1]!;
  const ok =
    segments.length === (layout === 'flat' ? 1 : 2) &&
    segments.every(plain) &&
    !RESERVED_NAMES.has(name) &&
    !name.endsWith(ENVELOPE_SUFFIX) &&
    !name.endsWith(SBOM_SUFFIX);
  if (!ok) {
    throw verificationError(`${where} names ${JSON.stringify(output)}, which is not an output path of the ${layout} layout`, {
      hint: REBUILD_HINT,
    });
  }
}

function listWords(words: string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/** Shortens a plan digest for messages. */
function short(digest: string): string {
  return `${digest.slice(0, 'sha256:'.length + 12)}…`;
}

/**
 * Checks that the listings are every shard of one plan, each once, consistent with each other and with their
 * own SHA256SUMS, and plans the merged release. Throws InputError when the set of directories is wrong and
 * VerificationError when their contents disagree.
 */
export function planMerge(listings: readonly ShardListing[]): MergePlan {
  if (listings.length === 0) throw inputError('no shard directories to merge', { hint: MERGE_HINT });
  const seenPaths = new Map<string, string>();
  for (const listing of listings) {
    const earlier = seenPaths.get(listing.realPath);
    if (earlier !== undefined) {
      throw inputError(
        earlier === listing.dir ? `${listing.dir} is given twice` : `${earlier} and ${listing.dir} are the same directory`,
        { hint: 'name each shard directory once' },
      );
    }
    seenPaths.set(listing.realPath, listing.dir);
  }

  // One directory may be the output of `airlock test` (CI runs the tests once, before the shards).
  const testRuns = listings.filter(isTestRunListing);
  if (testRuns.length > 1) {
    throw inputError(`${testRuns[0]!.dir} and ${testRuns[1]!.dir} are both test runs`, { hint: 'pass the output of one `airlock test` run beside the shards' });
  }
  const testRun = testRuns[0];
  const shardListings = listings.filter((listing) => listing !== testRun);
  if (shardListings.length === 0) throw inputError('no shard directories to merge, only a test run', { hint: MERGE_HINT });
  const shards = shardListings.map((listing) => {
    if (listing.manifest === undefined) {
      throw inputError(`${listing.dir} has no ${SHARD_MANIFEST_FILE}: it is not the output of \`airlock build --shard\``, { hint: MERGE_HINT });
    }
    return { listing, manifest: parseShardManifest(listing.manifest, listing.dir) };
  });
  const label = (shard: (typeof shards)[number]) => `shard ${formatShard(shard.manifest.shard)} (${shard.listing.dir})`;

  // One plan, cut the same way.
  const first = shards[0]!;
  for (const shard of shards.slice(1)) {
    if (shard.manifest.planDigest !== first.manifest.planDigest) {
      throw verificationError(
        `${label(shard)} is from another plan than ${label(first)} (${short(shard.manifest.planDigest)} and ${short(first.manifest.planDigest)})`,
        { hint: 'merge only shards of one plan: the same source, toolchains, targets and flags; rebuild the odd shard' },
      );
    }
    if (shard.manifest.shard.count !== first.manifest.shard.count) {
      throw inputError(`${label(shard)} and ${label(first)} split the plan into different numbers of shards`, {
        hint: 'merge the shards of one `airlock build --shard I/N` matrix, all with the same N',
      });
    }
    for (const field of ['layout', 'planOutputs'] as const) {
      if (JSON.stringify(shard.manifest[field]) !== JSON.stringify(first.manifest[field])) {
        throw verificationError(`${label(shard)} and ${label(first)} name one plan but disagree on its ${field}`, { hint: REBUILD_HINT });
      }
    }
  }
  const { count } = first.manifest.shard;
  const byIndex = new Map<number, (typeof shards)[number]>();
  for (const shard of shards) {
    const other = byIndex.get(shard.manifest.shard.index);
    if (other !== undefined) {
      throw inputError(`shard ${formatShard(shard.manifest.shard)} is given twice: ${other.listing.dir} and ${shard.listing.dir}`, {
        hint: 'name each shard once; if the two differ, one of them comes from another run',
      });
    }
    byIndex.set(shard.manifest.shard.index, shard);
  }
  const missing: string[] = [];
  for (let index = 1; index <= count; index++) if (!byIndex.has(index)) missing.push(formatShard({ index, count }));
  if (missing.length > 0) {
    throw inputError(missing.length === 1 ? `shard ${missing[0]} is missing` : `shards ${listWords(missing)} are missing`, {
      hint: `pass the output directory of every shard: ${count} in all`,
    });
  }
  const ordered = [...byIndex.keys()].sort((a, b) => a - b).map((index) => byIndex.get(index)!);

  // The plan's outputs, and which shard built each: every one exactly once.
  const { layout, planOutputs } = first.manifest;
  const planWhere = `${first.listing.dir}/${SHARD_MANIFEST_FILE}`;
  const planSet = new Set<string>();
  for (const output of planOutputs) {
    assertOutputPath(output, layout, planWhere);
    if (planSet.has(output)) throw verificationError(`${planWhere} names ${output} twice in planOutputs`, { hint: REBUILD_HINT });
    planSet.add(output);
  }
  const owner = new Map<string, (typeof shards)[number]>();
  for (const shard of ordered) {
    for (const output of shard.manifest.outputs) {
      if (!planSet.has(output)) {
        throw verificationError(`${label(shard)} says it built ${output}, which is not an output of the plan`, { hint: REBUILD_HINT });
      }
      const other = owner.get(output);
      if (other === shard) throw verificationError(`${label(shard)} names ${output} twice`, { hint: REBUILD_HINT });
      if (other !== undefined) {
        throw verificationError(`${output} is in two shards: ${label(other)} and ${label(shard)}; the shards conflict`, { hint: REBUILD_HINT });
      }
      owner.set(output, shard);
    }
  }
  const unbuilt = planOutputs.filter((output) => !owner.has(output));
  if (unbuilt.length > 0) {
    throw verificationError(`no shard built ${listWords(unbuilt.slice(0, 3))}${unbuilt.length > 3 ? ` (and ${unbuilt.length - 3} more)` : ''}`, {
      hint: REBUILD_HINT,
    });
  }

  // Each shard against its own SHA256SUMS and files.
  const groupDirs = [...new Set(planOutputs.map(groupOf))];
  const digests = new Map<string, string>();
  const sboms = new Map<string, string>();
  const ignored: string[] = [];
  const signed: boolean[] = [];
  const gpgSigned: string[] = [];
  for (const shard of ordered) {
    const { listing } = shard;
    const files = new Set(listing.files);
    const outputs = new Set(shard.manifest.outputs);
    const expected = new Set<string>([SHARD_MANIFEST_FILE]);
    let allSigned = true;
    for (const [sumsFile, text] of Object.entries(listing.checksums)) {
      const group = path.posix.dirname(sumsFile) === '.' ? '' : path.posix.dirname(sumsFile);
      const where = `${listing.dir}/${sumsFile}`;
      if (path.posix.basename(sumsFile) !== CHECKSUMS_FILE || !groupDirs.includes(group)) {
        throw verificationError(`${where} is not where the plan's ${layout} layout puts checksums`, { hint: REBUILD_HINT });
      }
      expected.add(sumsFile);
      if (files.has(`${sumsFile}${SIGNATURE_SUFFIX}`)) expected.add(`${sumsFile}${SIGNATURE_SUFFIX}`);
      else allSigned = false;
      // A shard's GPG signatures are part of its release but not of the merged one: its checksums are rewritten,
      // so merge signs them again with --gpg-key or leaves them out (and says so).
      for (const signed of GPG_SIGNED_CHECKSUMS_FILES) {
        const signature = joinGroup(group, `${signed}${GPG_SIGNATURE_SUFFIX}`);
        if (files.has(signature)) {
          expected.add(signature);
          gpgSigned.push(oneLine(`${listing.dir}/${signature}`));
        }
      }
      let entries: ChecksumEntry[];
      try {
        entries = parseSha256Sums(text);
      } catch (error) {
        throw verificationError(`${where} is not in sha256sum format: ${(error as Error).message}`, { hint: REBUILD_HINT });
      }
      const binaries = new Set(entries.filter((entry) => !entry.name.endsWith(SBOM_SUFFIX)).map((entry) => entry.name));
      const names = new Set<string>();
      for (const entry of entries) {
        if (names.has(entry.name)) throw verificationError(`${where} lists ${entry.name} twice`, { hint: REBUILD_HINT });
        names.add(entry.name);
        const file = joinGroup(group, entry.name);
        if (entry.name.endsWith(SBOM_SUFFIX)) {
          if (!binaries.has(entry.name.slice(0, -SBOM_SUFFIX.length))) {
            throw verificationError(`${where} lists the SBOM ${entry.name} without its binary`, { hint: REBUILD_HINT });
          }
          sboms.set(file.slice(0, -SBOM_SUFFIX.length), entry.sha256);
        } else {
          if (!outputs.has(file)) {
            throw verificationError(`${where} lists ${entry.name}, which ${label(shard)} does not say it built`, { hint: REBUILD_HINT });
          }
          digests.set(file, entry.sha256);
        }
        expected.add(file);
      }
    }
    for (const output of shard.manifest.outputs) {
      if (!digests.has(output)) {
        const sumsFile = joinGroup(groupOf(output), CHECKSUMS_FILE);
        throw verificationError(`${listing.dir}/${sumsFile} does not list ${path.posix.basename(output)}, which ${label(shard)} built`, {
          hint: REBUILD_HINT,
        });
      }
      for (const file of [output, `${output}${ENVELOPE_SUFFIX}`, ...(sboms.has(output) ? [`${output}${SBOM_SUFFIX}`] : [])]) {
        if (!files.has(file)) {
          throw verificationError(`${listing.dir}/${file} is missing or not a regular file`, { hint: REBUILD_HINT });
        }
        expected.add(file);
      }
    }
    signed.push(allSigned);
    for (const file of listing.files) if (!expected.has(file) && !isRewrittenList(file)) ignored.push(oneLine(`${listing.dir}/${file}`));
  }

  // SBOMs: every binary has one or none has; a mix is no release a single build writes.
  const withSbom = ordered.filter((shard) => shard.manifest.outputs.some((output) => sboms.has(output)));
  const withoutSbom = ordered.filter((shard) => shard.manifest.outputs.some((output) => !sboms.has(output)));
  if (withSbom.length > 0 && withoutSbom.length > 0) {
    const partial = withSbom.find((shard) => withoutSbom.includes(shard));
    throw verificationError(
      partial
        ? `${label(partial)} has SBOMs for some of its binaries only`
        : `${label(withSbom[0]!)} has SBOMs and ${label(withoutSbom[0]!)} has none`,
      { hint: 'build every shard with the same --sbom setting' },
    );
  }

  const files: MergeFile[] = [];
  for (const output of planOutputs) {
    const { listing } = owner.get(output)!;
    const from = { shardDir: listing.realPath, shardLabel: listing.dir };
    files.push({ ...from, file: output, kind: 'binary', sha256: digests.get(output)! });
    files.push({ ...from, file: `${output}${ENVELOPE_SUFFIX}`, kind: 'envelope' });
    const sbom = sboms.get(output);
    if (sbom !== undefined) files.push({ ...from, file: `${output}${SBOM_SUFFIX}`, kind: 'sbom', sha256: sbom });
  }
  if (testRun) {
    const tests = planTestRunFiles(testRun.checksums[CHECKSUMS_FILE]!, testRun.dir, new Set(planOutputs.map((output) => path.posix.basename(output))));
    const from = { shardDir: testRun.realPath, shardLabel: testRun.dir };
    for (const entry of tests.listed) files.push({ ...from, file: entry.name, kind: 'test-report', sha256: entry.sha256 });
    for (const envelope of tests.envelopes) files.push({ ...from, file: envelope, kind: 'test-envelope' });
    const carried = new Set([...tests.listed.map((entry) => entry.name), ...tests.envelopes]);
    for (const file of testRun.files) if (!carried.has(file) && !RESERVED_NAMES.has(file) && !isManifestOrItsSignature(file)) ignored.push(oneLine(`${testRun.dir}/${file}`));
    if (!groupDirs.includes('')) groupDirs.unshift('');
  }
  const groups = groupDirs.map((directory) => ({
    directory,
    entries: files
      .filter((file) => file.kind !== 'envelope' && file.kind !== 'test-envelope' && groupOf(file.file) === directory)
      .map((file) => ({ name: path.posix.basename(file.file), sha256: file.sha256! })),
  }));
  return {
    planDigest: first.manifest.planDigest,
    layout,
    count,
    shards: ordered.map((shard, index) => ({ dir: shard.listing.dir, realPath: shard.listing.realPath, manifest: shard.manifest, signed: signed[index]! })),
    files,
    groups,
    sbom: withSbom.length > 0,
    ignored,
    gpgSignatures: gpgSigned,
    ...(testRun ? { testRun: { dir: testRun.dir, realPath: testRun.realPath } } : {}),
  };
}

/** The output directory of `airlock test`: no shard manifest, and a top-level SHA256SUMS listing a go test -json stream. */
function isTestRunListing(listing: ShardListing): boolean {
  const sums = listing.checksums[CHECKSUMS_FILE];
  if (listing.manifest !== undefined || sums === undefined) return false;
  try {
    return parseSha256Sums(sums).some((entry) => isTestStreamFile(entry.name));
  } catch {
    return false;
  }
}
