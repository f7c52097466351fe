/**
 * The release manifest (RELEASE-MANIFEST): one signed list, at the top of a release, of every file in it,
 * subdirectories included, with its SHA-256. The per-directory SHA256SUMS cannot say that a whole toolchain
 * directory, SHA256SUMS and all, was removed; this can.
 *
 * Format: exactly `sha256sum`'s ("<64 hex>  <path>", paths relative to the release's top with "/", sorted
 * bytewise, newline-terminated), so `sha256sum -c RELEASE-MANIFEST` in the release checks every listed file
 * with standard tools, and comparing its names with `find . -type f` shows additions. Rule: it lists every
 * file of the release except itself and its own signatures (top-level RELEASE-MANIFEST.*: .sig, and any
 * other signature over it such as a GPG .asc), because a signature cannot be in what it signs. Other
 * signatures (SHA256SUMS.sig, SM3SUMS.sig, a SHA256SUMS.asc) are files of the release and are listed.
 * Pure: the caller reads the tree and the digests.
 */
import { type ChecksumEntry, formatSha256Sums, parseSha256Sums } from './checksums.js';
import { isManifestOrItsSignature } from './layout.js';

/** The text of RELEASE-MANIFEST for the files of a release (paths relative to its top, with their SHA-256). */
export function formatReleaseManifest(files: readonly ChecksumEntry[]): string {
  const listed = files.filter((file) => !isManifestOrItsSignature(file.name));
  for (const file of listed) {
    if (file.name.startsWith('/') || file.name.split('/').some((part) => part === '' || part === '.' || part === '..')) {
      throw new Error(`not a path inside the release: ${JSON.stringify(file.name)}`);
    }
  }
  return formatSha256Sums(listed);
}

/** Reads RELEASE-MANIFEST; throws a VerificationError naming the line that is not "<sha256>  <path>". */
export function parseReleaseManifest(text: string): ChecksumEntry[] {
  const entries = parseSha256Sums(text);
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry.name)) throw new Error(`${entry.name} is listed twice`);
    seen.add(entry.name);
  }
  return entries;
}

/** One way the release differs from its manifest. */
export interface ManifestDifference {
  kind: 'missing' | 'added' | 'changed';
  /** A file's path, or a directory's with a trailing "/" when all of it is missing or all of it added. */
  path: string;
  detail: string;
}

/** The directories a path lies in, outermost first: "a/b/c" gives "a", "a/b". */
function directoriesOf(file: string): string[] {
  const parts = file.split('/');
  return parts.slice(0, -1).map((_, index) => parts.slice(0, index + 1).join('/'));
}

/**
 * How the release differs from its manifest. `present` maps each entry of the tree (manifest and its
 * signatures left out by the caller or here) to its SHA-256, or to undefined for what is no regular file.
 * A directory that holds none of the files listed under it is named once, as a directory, not file by file.
 */
export function compareWithManifest(
  listed: readonly ChecksumEntry[],
  present: ReadonlyMap<string, string | undefined>,
  emptyDirectories: readonly string[] = [],
): ManifestDifference[] {
  const differences: ManifestDifference[] = [];
  const listedNames = new Set(listed.map((entry) => entry.name));
  const presentNames = [...present.keys()].filter((name) => !isManifestOrItsSignature(name));
  const listedDirectories = new Set(listed.flatMap((entry) => directoriesOf(entry.name)));
  const presentDirectories = new Set(presentNames.flatMap(directoriesOf));

  // The outermost directory wholly gone (listed files under it, none present) stands for all it held.
  const goneDirectories = [...listedDirectories].filter((directory) => !presentDirectories.has(directory));
  const outermostGone = (file: string): string | undefined => directoriesOf(file).find((directory) => goneDirectories.includes(directory));
  const reportedGone = new Set<string>();
  for (const entry of listed) {
    const actual = present.get(entry.name);
    const gone = outermostGone(entry.name);
    if (gone !== undefined) {
      if (!reportedGone.has(gone)) {
        reportedGone.add(gone);
        const count = listed.filter((candidate) => candidate.name.startsWith(`${gone}/`)).length;
        differences.push({ kind: 'missing', path: `${gone}/`, detail: `${gone}/ is missing: RELEASE-MANIFEST lists ${count} file${count === 1 ? '' : 's'} in it, none is there` });
      }
      continue;
    }
    if (!present.has(entry.name)) {
      differences.push({ kind: 'missing', path: entry.name, detail: `${entry.name} is listed in RELEASE-MANIFEST but missing` });
    } else if (actual === undefined) {
      differences.push({ kind: 'changed', path: entry.name, detail: `${entry.name} is no longer a regular file` });
    } else if (actual !== entry.sha256) {
      differences.push({ kind: 'changed', path: entry.name, detail: `${entry.name} has sha256 ${actual}, RELEASE-MANIFEST records ${entry.sha256}` });
    }
  }

  const addedDirectories = [...presentDirectories].filter((directory) => !listedDirectories.has(directory));
  const outermostAdded = (file: string): string | undefined => directoriesOf(file).find((directory) => addedDirectories.includes(directory));
  const reportedAdded = new Set<string>();
  for (const name of presentNames) {
    if (listedNames.has(name)) continue;
    const added = outermostAdded(name);
    if (added !== undefined) {
      if (!reportedAdded.has(added)) {
        reportedAdded.add(added);
        differences.push({ kind: 'added', path: `${added}/`, detail: `the directory ${added}/ is not in RELEASE-MANIFEST: it was added after the release was made` });
      }
      continue;
    }
    differences.push({ kind: 'added', path: name, detail: `${name} is not in RELEASE-MANIFEST: it was added after the release was made` });
  }
  // An empty directory holds no file to list; one the manifest does not account for was added all the same.
  for (const directory of emptyDirectories) {
    if (listedDirectories.has(directory) || directoriesOf(`${directory}/x`).some((outer) => reportedAdded.has(outer))) continue;
    reportedAdded.add(directory);
    differences.push({ kind: 'added', path: `${directory}/`, detail: `the directory ${directory}/ is not in RELEASE-MANIFEST: it was added after the release was made` });
  }
  return differences;
}
