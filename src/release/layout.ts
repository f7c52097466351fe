/**
 * The names of the files of a release, in one place so that build, verify, merge and the output directory
 * check agree on what a release directory holds.
 */
export const CHECKSUMS_FILE = 'SHA256SUMS';
/** The detached signature written beside SHA256SUMS with --sign-key. */
export const SIGNATURE_SUFFIX = '.sig';
/** The armored detached GPG signature written beside each checksums file with --gpg-key (`gpg --verify` reads it). */
export const GPG_SIGNATURE_SUFFIX = '.asc';
/**
 * Every checksums file a checksum group may hold at its top, in the order they are written: each one there is
 * signed with --gpg-key. SM3SUMS (the SM2 signing work) is listed so that its GPG signature needs no change here.
 */
export const GPG_SIGNED_CHECKSUMS_FILES: readonly string[] = [CHECKSUMS_FILE, 'SM3SUMS'];
/** The DSSE envelope of the provenance statement, beside each binary. */
export const ENVELOPE_SUFFIX = '.intoto.jsonl';
/** The CycloneDX SBOM beside each binary, with --sbom. */
export const SBOM_SUFFIX = '.cdx.json';
/** `airlock test`'s JUnit report, beside the go test -json streams and their envelopes. */
export const JUNIT_FILE = 'junit.xml';

/**
 * The reports of `airlock test` that SHA256SUMS lists without an envelope of their own: the JUnit file and the
 * go vet -json reports (the test run's envelope, beside its go test -json stream, attests the run).
 */
export function isTestReportFile(name: string): boolean {
  return name === JUNIT_FILE || /^go-vet\.[^/]+\.json$/.test(name);
}

/** The go test -json stream of one `airlock test` run, which its test-result envelope has beside it. */
export function isTestStreamFile(name: string): boolean {
  return /^go-test\.[^/]+\.json$/.test(name);
}
