/**
 * Writing the signed lists of a release, the same way in `build`, `test` and `merge`: SHA256SUMS (and, for an
 * SM2 signer, its SM3 twin SM3SUMS) per checksum group, and the release manifest at the top, each with a
 * detached signature when there is a signer.
 */
import fs from 'fs-extra';
import path from 'node:path';
import type { Signer } from '../provenance/dsse.js';
import { signDetached } from '../provenance/signers.js';
import { type ChecksumEntry, formatSha256Sums, formatSm3Sums } from '../release/checksums.js';
import { CHECKSUMS_FILE, RELEASE_MANIFEST_FILE, SIGNATURE_SUFFIX, SM3SUMS_FILE } from '../release/layout.js';
import { formatReleaseManifest } from '../release/release-manifest.js';
import { listReleaseTree } from '../release/list-release-tree.js';
import { sha256File, sm3File } from '../util/hash.js';

async function writeSigned(file: string, text: string, signer: Signer | undefined): Promise<string[]> {
  await fs.writeFile(file, text, { mode: 0o644 });
  await fs.chmod(file, 0o644);
  if (!signer) return [file];
  await fs.writeFile(`${file}${SIGNATURE_SUFFIX}`, await signDetached(Buffer.from(text), signer), { mode: 0o644 });
  await fs.chmod(`${file}${SIGNATURE_SUFFIX}`, 0o644);
  return [file, `${file}${SIGNATURE_SUFFIX}`];
}

/**
 * SHA256SUMS for `entries` in `directory` (signed with a signer), and with an SM2 signer SM3SUMS for the same
 * files, hashed from `directory`, signed too. Returns the absolute paths written.
 */
export async function writeChecksumFiles(directory: string, entries: readonly ChecksumEntry[], signer: Signer | undefined): Promise<string[]> {
  const written = await writeSigned(path.join(directory, CHECKSUMS_FILE), formatSha256Sums(entries), signer);
  if (signer?.algorithm === 'sm2-sm3') {
    const sm3 = [];
    for (const entry of entries) sm3.push({ name: entry.name, sm3: await sm3File(path.join(directory, entry.name)) });
    written.push(...(await writeSigned(path.join(directory, SM3SUMS_FILE), formatSm3Sums(sm3), signer)));
  }
  return written;
}

/** The SHA-256 of every file under `dir` but the manifest and its signatures, by path relative to `dir`. */
export async function digestReleaseTree(dir: string): Promise<Map<string, string | undefined>> {
  const digests = new Map<string, string | undefined>();
  for (const relative of await listReleaseTree(dir)) {
    const stat = await fs.lstat(path.join(dir, relative));
    digests.set(relative, stat.isFile() ? await sha256File(path.join(dir, relative)) : undefined);
  }
  return digests;
}

/**
 * Writes RELEASE-MANIFEST at the top of `dir` (a staged release, complete but for it), listing every file, and
 * signs it with a signer. Last of the lists: it covers the SHA256SUMS, SM3SUMS and their signatures.
 */
export async function writeReleaseManifest(dir: string, signer: Signer | undefined): Promise<string[]> {
  const entries: ChecksumEntry[] = [];
  for (const [name, sha256] of await digestReleaseTree(dir)) {
    if (sha256 === undefined) throw new Error(`${name} in the staged release is not a regular file`);
    entries.push({ name, sha256 });
  }
  return writeSigned(path.join(dir, RELEASE_MANIFEST_FILE), formatReleaseManifest(entries), signer);
}
