/**
 * `airlock merge`: re-verifies the output directories of `airlock build --shard I/N` and combines them into
 * the release one unsharded build writes: the same binaries, envelopes and SBOMs (copied unchanged, with
 * their modes and times), one SHA256SUMS per checksum group (and SM3SUMS with an SM2 signer; signed when a
 * signer is given), a new release manifest over all of it, and no shard manifest. The output directory is published whole or not at all.
 */
import type { KeyObject } from 'node:crypto';
import fs from 'fs-extra';
import path from 'node:path';
import { onInterrupt } from '../cleanup.js';
import { InputError, VerificationError, oneLine } from '../errors.js';
import { SHARD_MANIFEST_FILE, formatShard } from '../plan/shards.js';
import type { Signer } from '../provenance/dsse.js';
import { verifyDetached } from '../provenance/signers.js';
import { type ReleaseVerification, verifyRelease } from './verify-release.js';
import type { Reporter } from '../report/reporter.js';
import { sha256File } from '../util/hash.js';
import { type MergePlan, SIGNATURE_SUFFIX, type ShardListing, planMerge } from '../release/merge-plan.js';
import { OutputStaging, realPathOf } from '../release/output-directory.js';
import { CHECKSUMS_FILE, GPG_SIGNATURE_SUFFIX, GPG_SIGNED_CHECKSUMS_FILES } from '../release/layout.js';
import type { GpgKeyring } from '../provenance/gpg-keyring.js';
import type { GpgSigner } from '../provenance/gpg-signer.js';
import { listReleaseTree } from '../release/list-release-tree.js';
import { writeChecksumFiles, writeReleaseManifest } from './release-signatures.js';

export interface MergeRequest {
  /** The shards' output directories, as the user named them. */
  dirs: readonly string[];
  out: string;
  /** Checks every shard's SHA256SUMS signature and envelope signatures (and the merged signature) with it. */
  publicKey?: KeyObject;
  /** Signs the merged SHA256SUMS. */
  signer?: Signer;
  /**
   * --gpg-key: signs every merged checksums file again (`.asc`). The shards' .asc files sign the shards' own
   * checksums, which the merge rewrites, so they are never carried over.
   */
  gpg?: GpgSigner;
  /** --gpg-pub: checks the shards' .asc files (and the merged ones) with exactly this key. */
  gpgKeyring?: GpgKeyring;
}

export interface MergeOutcome {
  outDir: string;
  plan: MergePlan;
  signaturesChecked: boolean;
  signed: boolean;
  gpgSigned: boolean;
}

/** A SHA256SUMS is a few lines per binary; anything far larger is not one. */
const MAX_CHECKSUMS_BYTES = 16 * 1024 * 1024;

/** Reads what planMerge needs from one shard directory. */
export async function readShardListing(dir: string): Promise<ShardListing> {
  const absolute = path.resolve(dir);
  const stat = await fs.stat(absolute).catch(() => undefined);
  if (!stat) throw new InputError(`the shard directory ${dir} does not exist`, { hint: 'pass the output directory of each `airlock build --shard I/N`' });
  if (!stat.isDirectory()) throw new InputError(`${dir} is not a directory`, { hint: 'pass the output directory of each `airlock build --shard I/N`' });
  const realPath = await fs.realpath(absolute);
  const files = await listReleaseTree(realPath, { regularOnly: true });
  const checksums: Record<string, string> = {};
  for (const file of files) {
    if (path.posix.basename(file) !== CHECKSUMS_FILE) continue;
    const size = (await fs.stat(path.join(realPath, file))).size;
    if (size > MAX_CHECKSUMS_BYTES) throw new VerificationError(oneLine(`${dir}/${file} is ${size} bytes, far too large for a SHA256SUMS`), { hint: 'rebuild the shard' });
    checksums[file] = await fs.readFile(path.join(realPath, file), 'utf8');
  }
  const manifest = files.includes(SHARD_MANIFEST_FILE) ? await fs.readFile(path.join(realPath, SHARD_MANIFEST_FILE), 'utf8') : undefined;
  return { dir, realPath, manifest, files, checksums };
}

function within(parent: string, child: string): boolean {
  return child === parent || child.startsWith(`${parent}${path.sep}`);
}

/** Publishing --out replaces it whole: it must be no shard, hold none, and lie in none. */
async function assertOutsideShards(out: string, listings: readonly ShardListing[]): Promise<void> {
  const realOut = await realPathOf(path.resolve(out));
  for (const listing of listings) {
    if (within(realOut, listing.realPath) || within(listing.realPath, realOut)) {
      throw new InputError(`--out ${out} ${realOut === listing.realPath ? 'is' : within(realOut, listing.realPath) ? 'holds' : 'lies inside'} the shard directory ${listing.dir}`, {
        hint: 'write the merged release to a directory apart from every shard, such as dist/',
      });
    }
  }
}

function firstFailure(result: ReleaseVerification): { failed: number; line: string; details: string } {
  const failures = result.files.filter((file) => !file.ok);
  const describe = (file: (typeof failures)[number]) => {
    const check = file.checks.find((candidate) => candidate.state === 'failed')!;
    return oneLine(`${file.file}: ${check.name}: ${check.detail}`);
  };
  return { failed: failures.length, line: failures.length > 0 ? describe(failures[0]!) : '', details: failures.map(describe).join('\n') };
}

/** Copies a file with its permission bits and modification time. */
async function copyUnchanged(from: string, to: string): Promise<void> {
  const stat = await fs.stat(from);
  await fs.copyFile(from, to);
  await fs.chmod(to, stat.mode & 0o7777);
  await fs.utimes(to, stat.atime, stat.mtime);
}

/** Combines verified shards into one release at request.out; on any failure --out is left as it was. */
export async function mergeRelease(request: MergeRequest, reporter: Pick<Reporter, 'info' | 'warn'>): Promise<MergeOutcome> {
  // As with --key: one release, one GPG key. Said before anything is read, not by the merged release failing.
  if (request.gpg && request.gpgKeyring && !request.gpgKeyring.fingerprints.includes(request.gpg.fingerprint)) {
    throw new InputError(`--gpg-key ${request.gpg.fingerprint} is not the key of --gpg-pub (${request.gpgKeyring.fingerprints.join(', ')}): the merged release would not verify with the shards' key`, {
      hint: 'sign the merge with the GPG key the shards were signed with, or leave out --gpg-pub',
    });
  }
  const listings: ShardListing[] = [];
  for (const dir of request.dirs) listings.push(await readShardListing(dir));
  const plan = planMerge(listings);
  await assertOutsideShards(request.out, listings);
  for (const ignored of plan.ignored) reporter.warn(`ignoring ${ignored}: it is not part of the shard's release`);
  if (!request.publicKey) reporter.warn('shard signatures are not checked: pass --key with the public key the shards were signed with');
  if (!request.gpg && plan.gpgSignatures.length > 0) {
    reporter.warn(`the shards' GPG signatures (${plan.gpgSignatures[0]}${plan.gpgSignatures.length > 1 ? ', ...' : ''}) sign their own checksums and are left out; pass --gpg-key to GPG-sign the merged ones`);
  }
  if (!request.signer && plan.shards.some((shard) => shard.signed)) {
    reporter.warn('the shards\' SHA256SUMS are signed but the merged SHA256SUMS will not be: pass --sign-key or --signer-command to sign it');
  }

  for (const shard of plan.shards) {
    // planMerge named the files beside the shard's release, and they are not copied.
    const result = await verifyRelease(shard.realPath, request.publicKey, { ignoreUnlisted: true, ...(request.gpgKeyring ? { gpg: request.gpgKeyring } : {}) });
    if (!result.ok) {
      const failure = firstFailure(result);
      throw new VerificationError(
        oneLine(`shard ${formatShard(shard.manifest.shard)} (${shard.dir}) failed verification: ${failure.failed} of ${result.files.length} files; first: ${failure.line}`),
        { hint: 'do not merge it; rebuild that shard, or fetch it again from where it was built', ...(failure.failed > 1 ? { details: failure.details } : {}) },
      );
    }
    reporter.info(`verified shard ${formatShard(shard.manifest.shard)} (${shard.dir}): ${result.files.length} files${request.publicKey ? ', signatures checked' : ''}`);
  }

  if (plan.testRun) {
    const result = await verifyRelease(plan.testRun.realPath, request.publicKey, { ignoreUnlisted: true });
    if (!result.ok) {
      const failure = firstFailure(result);
      throw new VerificationError(oneLine(`the test run ${plan.testRun.dir} failed verification: ${failure.line}`), {
        hint: 'do not release it: fix the tests, run `airlock test` again and merge its output',
        ...(failure.failed > 1 ? { details: failure.details } : {}),
      });
    }
    reporter.info(`verified the test run ${plan.testRun.dir}: ${result.files.length} files${request.publicKey ? ', signatures checked' : ''}`);
  }

  const outDir = path.resolve(request.out);
  // OutputStaging guards a build's module directory; here every shard is guarded above, so it guards one again.
  const staging = await OutputStaging.create(outDir, plan.shards[0]!.realPath);
  const unregister = onInterrupt(() => staging.discard());
  try {
    const times = new Set<number>();
    for (const file of plan.files) {
      // directoryFor, not mkdirp: once an interrupt has discarded the staging, it must not be made again.
      const target = await staging.directoryFor(file.file);
      await copyUnchanged(path.join(file.shardDir, file.file), target);
      times.add((await fs.stat(target)).mtimeMs);
      // The copy is what gets published: it must still be what the shard's SHA256SUMS (and ours) record.
      if (file.sha256 !== undefined) {
        const actual = await sha256File(target);
        if (actual !== file.sha256) {
          throw new VerificationError(oneLine(`${file.shardLabel}/${file.file} changed while it was merged (sha256 ${actual}, not ${file.sha256})`), {
            hint: 'make sure nothing writes to the shard directories during the merge, and merge again',
          });
        }
      }
    }
    const written: string[] = [];
    for (const group of plan.groups) {
      const sumsRelative = group.directory === '' ? CHECKSUMS_FILE : `${group.directory}/${CHECKSUMS_FILE}`;
      const sumsFile = await staging.directoryFor(sumsRelative);
      const files = await writeChecksumFiles(path.dirname(sumsFile), group.entries, request.signer);
      written.push(...files.map((file) => path.relative(staging.stagingDir, file).split(path.sep).join('/')));
      if (request.signer && request.publicKey) {
        const signature = await fs.readFile(`${sumsFile}${SIGNATURE_SUFFIX}`, 'utf8');
        if (!verifyDetached(await fs.readFile(sumsFile), signature, request.publicKey)) {
          throw new VerificationError(`the new signature of ${sumsRelative} does not verify with --key: the merge signs with another key than the shards were signed with`, {
            hint: 'sign with the key whose public half is --key, so the whole release verifies with one key',
          });
        }
      }
    }
    // After every checksums file is written (SM3SUMS too, where there is one): each is GPG-signed as a build signs it.
    if (request.gpg) {
      for (const group of plan.groups) {
        for (const name of GPG_SIGNED_CHECKSUMS_FILES) {
          const relative = group.directory === '' ? name : `${group.directory}/${name}`;
          if (!(await fs.pathExists(staging.pathFor(relative)))) continue;
          const signature = `${staging.pathFor(relative)}${GPG_SIGNATURE_SUFFIX}`;
          await request.gpg.signFile(staging.pathFor(relative), signature);
          await fs.chmod(signature, 0o644);
          written.push(`${relative}${GPG_SIGNATURE_SUFFIX}`);
        }
      }
    }
    // Last of the files: the manifest lists all the others, the SHA256SUMS and their signatures included.
    written.push(...(await writeReleaseManifest(staging.stagingDir, request.signer)).map((file) => path.relative(staging.stagingDir, file)));
    // A build gives every output one time (SOURCE_DATE_EPOCH or the commit's); when the shards agree on it, so does the merge.
    if (times.size === 1) {
      const time = [...times][0]! / 1000;
      for (const file of written) await fs.utimes(staging.pathFor(file), time, time);
      for (const group of plan.groups) {
        if (group.directory === '') continue;
        await fs.chmod(staging.pathFor(group.directory), 0o755);
        await fs.utimes(staging.pathFor(group.directory), time, time);
      }
    } else {
      for (const group of plan.groups) if (group.directory !== '') await fs.chmod(staging.pathFor(group.directory), 0o755);
    }
    // Last, what will be published is verified as a release, with the merged signatures when there are any.
    const merged = await verifyRelease(staging.stagingDir, request.signer ? request.publicKey : undefined, request.gpg && request.gpgKeyring ? { gpg: request.gpgKeyring } : {});
    if (!merged.ok) {
      const failure = firstFailure(merged);
      throw new VerificationError(oneLine(`the merged release does not verify: ${failure.line}`), {
        hint: 'make sure nothing writes to the shard directories during the merge, and merge again',
        ...(failure.failed > 1 ? { details: failure.details } : {}),
      });
    }
    await staging.publish();
    return { outDir: staging.outDir, plan, signaturesChecked: request.publicKey !== undefined, signed: request.signer !== undefined, gpgSigned: request.gpg !== undefined };
  } finally {
    await staging.discard();
    unregister();
  }
}
