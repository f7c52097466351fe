/**
 * The SLSA Verification Summary Attestation (VSA v1) of one `airlock verify`: which release was checked, against
 * which policy and attestations, with what result. A deployment system keeps it and checks it later (by its
 * signature) instead of verifying the whole release again. Pure: the caller hashes the files and signs it.
 */
import { STATEMENT_TYPE } from './statement.js';

export const VERIFICATION_SUMMARY_V1 = 'https://slsa.dev/verification_summary/v1';
export const AIRLOCK_VERIFIER_ID = 'https://airlock.dev/verifiers/airlock-verify/v1';
/** The policy URI when no --policy was given: the signatures, checksums and provenance checks alone. */
export const BUILT_IN_POLICY_URI = 'https://airlock.dev/policies/release-integrity/v1';

export interface VerificationSummaryInput {
  airlockVersion: string;
  /** RFC 3339, UTC. */
  timeVerified: string;
  /** The release directory as a URI (file://...). */
  resourceUri: string;
  passed: boolean;
  /** The binaries of the release: the VSA's subjects. */
  subjects: ReadonlyArray<{ name: string; sha256: string }>;
  /** The provenance envelopes the verdict rests on, by their path in the release. */
  inputAttestations: ReadonlyArray<{ name: string; sha256: string }>;
  /** The --policy file, if one was given. */
  policy?: { uri: string; sha256: string };
  /** Which kinds of signature were checked, recorded so a reader knows what PASSED covered. */
  checked: { signatures: boolean; gpg: boolean; manifest: boolean };
}

export function verificationSummaryStatement(input: VerificationSummaryInput): Record<string, unknown> {
  return {
    _type: STATEMENT_TYPE,
    subject: input.subjects.map((subject) => ({ name: subject.name, digest: { sha256: subject.sha256 } })),
    predicateType: VERIFICATION_SUMMARY_V1,
    predicate: {
      verifier: { id: AIRLOCK_VERIFIER_ID, version: { airlock: input.airlockVersion } },
      timeVerified: input.timeVerified,
      resourceUri: input.resourceUri,
      policy: input.policy ? { uri: input.policy.uri, digest: { sha256: input.policy.sha256 } } : { uri: BUILT_IN_POLICY_URI },
      inputAttestations: input.inputAttestations.map((attestation) => ({ name: attestation.name, digest: { sha256: attestation.sha256 } })),
      verificationResult: input.passed ? 'PASSED' : 'FAILED',
      // Build level 1: provenance exists and was checked. airlock claims no more: its builds run on the user's
      // own engine, not on a hosted build platform whose signing key the user cannot reach (levels 2 and 3).
      verifiedLevels: input.passed && input.inputAttestations.length > 0 && input.checked.signatures ? ['SLSA_BUILD_LEVEL_1'] : [],
      slsaVersion: '1.0',
      airlock_checked: input.checked,
    },
  };
}
