/**
 * Which files of an `airlock test` output directory belong in a release, decided from its SHA256SUMS and the
 * names of the release's binaries. Pure: the caller reads the directory and copies the files.
 */
import { VerificationError, oneLine } from '../errors.js';
import { type ChecksumEntry, parseSha256Sums } from './checksums.js';
import { CHECKSUMS_FILE, ENVELOPE_SUFFIX, isTestReportFile, isTestStreamFile } from './layout.js';

export interface TestRunFiles {
  /** What SHA256SUMS lists: the JUnit file, the go vet reports and the go test -json streams, with their digests. */
  listed: ChecksumEntry[];
  /** The test-result envelope beside each stream (not listed: each is verified by its signature and subject). */
  envelopes: string[];
}

const RERUN_HINT = 'run `airlock test` again, and build from its fresh output';

/**
 * The files to carry: every entry of the test run's SHA256SUMS, which must all be test reports or streams,
 * and the envelope of each stream. A name the release already uses for a binary is refused, not overwritten.
 */
export function planTestRunFiles(sumsText: string, dir: string, releaseNames: ReadonlySet<string>): TestRunFiles {
  let entries: ChecksumEntry[];
  try {
    entries = parseSha256Sums(sumsText);
  } catch (error) {
    throw new VerificationError(oneLine(`${dir}/${CHECKSUMS_FILE} is not in sha256sum format: ${(error as Error).message}`), { hint: RERUN_HINT });
  }
  const streams = entries.filter((entry) => isTestStreamFile(entry.name));
  if (streams.length === 0) {
    throw new VerificationError(oneLine(`${dir}/${CHECKSUMS_FILE} lists no go test -json stream: ${dir} is not the output of \`airlock test\``), { hint: RERUN_HINT });
  }
  for (const entry of entries) {
    if (!isTestStreamFile(entry.name) && !isTestReportFile(entry.name)) {
      throw new VerificationError(oneLine(`${dir}/${CHECKSUMS_FILE} lists ${JSON.stringify(entry.name)}, which \`airlock test\` does not write`), { hint: RERUN_HINT });
    }
  }
  const envelopes = streams.map((stream) => `${stream.name}${ENVELOPE_SUFFIX}`);
  for (const name of [...entries.map((entry) => entry.name), ...envelopes]) {
    if (releaseNames.has(name)) {
      throw new VerificationError(oneLine(`the test report ${name} has the name of one of the release's binaries`), { hint: 'rename the binary (its main package) so that it does not look like a test report' });
    }
  }
  return { listed: entries, envelopes };
}
