/**
 * The names of the files of a release, in one place so that build, verify, merge and the output directory
 * check agree on what a release directory holds.
 */
export const CHECKSUMS_FILE = 'SHA256SUMS';
/** The detached signature written beside SHA256SUMS with --sign-key. */
export const SIGNATURE_SUFFIX = '.sig';
/**
 * SHA256SUMS's twin with SM3 digests (GB/T 32905), same names, same format; written beside each SHA256SUMS
 * when the release is signed with an SM2 key, and signed like it.
 */
export const SM3SUMS_FILE = 'SM3SUMS';
/**
 * The signed release manifest at the top of every release: every file of the release, subdirectories
 * included, with its SHA-256, in `sha256sum` format. It lists everything but itself and its signatures.
 */
export const RELEASE_MANIFEST_FILE = 'RELEASE-MANIFEST';

/**
 * Whether a top-level name is a signature over the manifest (RELEASE-MANIFEST.sig today; RELEASE-MANIFEST.asc or
 * any other RELEASE-MANIFEST.* later): those cannot be listed in what they sign, so the manifest never lists them.
 */
export function isManifestOrItsSignature(relative: string): boolean {
  return relative === RELEASE_MANIFEST_FILE || relative.startsWith(`${RELEASE_MANIFEST_FILE}.`);
}
/** The armored detached GPG signature written beside each checksums file with --gpg-key (`gpg --verify` reads it). */
export const GPG_SIGNATURE_SUFFIX = '.asc';
/**
 * Every checksums file a checksum group may hold at its top, in the order they are written: each one there is
 * signed with --gpg-key. SM3SUMS is there when the release is signed with an SM2 key.
 */
export const GPG_SIGNED_CHECKSUMS_FILES: readonly string[] = [CHECKSUMS_FILE, SM3SUMS_FILE];
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
