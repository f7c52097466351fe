import { VerificationError, oneLine } from '../errors.js';

/** SHA256SUMS in the form `sha256sum -c` reads: "<64 hex>  <name>", sorted by name, newline-terminated. */
export interface ChecksumEntry {
  name: string;
  sha256: string;
}

export function formatSha256Sums(entries: readonly ChecksumEntry[]): string {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of sorted) {
    if (!/^[0-9a-f]{64}$/.test(entry.sha256)) throw new Error(`not a sha256 digest: ${entry.sha256}`);
    if (/[\n\\]/.test(entry.name) || entry.name.includes('/') && entry.name.startsWith('/')) {
      throw new Error(`file name cannot be written to SHA256SUMS: ${JSON.stringify(entry.name)}`);
    }
  }
  return sorted.map((entry) => `${entry.sha256}  ${entry.name}\n`).join('');
}

/** One line of SM3SUMS: the SM3 digest (64 hex, like SHA-256's) and the name SHA256SUMS has beside it. */
export interface Sm3Entry {
  name: string;
  sm3: string;
}

/** SM3SUMS: SHA256SUMS's format ("<64 hex>  <name>", sorted), SM3 digests; `openssl dgst -sm3 -r` prints the same digests. */
export function formatSm3Sums(entries: readonly Sm3Entry[]): string {
  return formatSha256Sums(entries.map((entry) => ({ name: entry.name, sha256: entry.sm3 })));
}

export function parseSm3Sums(text: string): Sm3Entry[] {
  return parseSha256Sums(text).map((entry) => ({ name: entry.name, sm3: entry.sha256 }));
}

const DAMAGED_HINT = 'the release directory was damaged or not written by airlock; obtain it again from where it was published';

/** Names a release lists: relative, and never leading out of the directory by way of "..". */
function isInsideDirectory(name: string): boolean {
  return !name.startsWith('/') && !name.split('/').includes('..');
}

export function parseSha256Sums(text: string): ChecksumEntry[] {
  const entries: ChecksumEntry[] = [];
  text.split('\n').forEach((line, index) => {
    if (line === '') return;
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!match) throw new VerificationError(`line ${index + 1} is not "<sha256>  <name>"`, { hint: DAMAGED_HINT });
    const name = match[2]!;
    // verify hashes every listed file: a name outside the directory could read any file, or /dev/zero forever.
    if (!isInsideDirectory(name)) {
      throw new VerificationError(`line ${index + 1} names ${oneLine(JSON.stringify(name))}, outside the release directory`, { hint: DAMAGED_HINT });
    }
    entries.push({ sha256: match[1]!, name });
  });
  return entries;
}
