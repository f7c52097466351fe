import test from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import { IN_TOTO_PAYLOAD_TYPE, decodePayload, signEnvelope, verifyEnvelopeSignature } from '../../../src/provenance/dsse.js';
import { withoutCredentials } from '../../../src/provenance/git-source.js';
import { KeySigner } from '../../../src/provenance/signers.js';
import { BUILT_IN_POLICY_URI, VERIFICATION_SUMMARY_V1, verificationSummaryStatement } from '../../../src/provenance/verification-summary.js';
import { canonicalJson } from '../../../src/util/canonical-json.js';

const INPUT = {
  airlockVersion: '0.1.0',
  timeVerified: '2026-12-07T20:00:00Z',
  resourceUri: 'file:///srv/releases/cli/dist',
  passed: true,
  subjects: [{ name: 'cli_linux_amd64', sha256: 'a'.repeat(64) }],
  inputAttestations: [{ name: 'cli_linux_amd64.intoto.jsonl', sha256: 'b'.repeat(64) }],
  policy: { uri: 'file:///etc/airlock/gate.json', sha256: 'c'.repeat(64) },
  checked: { signatures: true, gpg: false, manifest: true },
};

test('the VSA v1 statement: subjects, verifier, policy by digest, input attestations, result and the level airlock claims', (t) => {
  const statement = verificationSummaryStatement(INPUT) as { subject: unknown; predicateType: string; predicate: Record<string, unknown> };
  t.is(statement.predicateType, VERIFICATION_SUMMARY_V1);
  t.deepEqual(statement.subject, [{ name: 'cli_linux_amd64', digest: { sha256: 'a'.repeat(64) } }]);
  t.deepEqual(statement.predicate.policy, { uri: 'file:///etc/airlock/gate.json', digest: { sha256: 'c'.repeat(64) } });
  t.deepEqual(statement.predicate.inputAttestations, [{ name: 'cli_linux_amd64.intoto.jsonl', digest: { sha256: 'b'.repeat(64) } }]);
  t.is(statement.predicate.verificationResult, 'PASSED');
  t.deepEqual(statement.predicate.verifiedLevels, ['SLSA_BUILD_LEVEL_1']);
  t.is(statement.predicate.slsaVersion, '1.0');
  t.is(statement.predicate.resourceUri, 'file:///srv/releases/cli/dist');
});

test('FAILED, or PASSED without checked signatures, claims no level; no --policy names the built-in checks', (t) => {
  const failed = verificationSummaryStatement({ ...INPUT, passed: false }) as { predicate: Record<string, unknown> };
  t.is(failed.predicate.verificationResult, 'FAILED');
  t.deepEqual(failed.predicate.verifiedLevels, []);
  const { policy: _policy, ...withoutPolicy } = INPUT;
  const unsigned = verificationSummaryStatement({ ...withoutPolicy, checked: { signatures: false, gpg: false, manifest: true } }) as { predicate: Record<string, unknown> };
  t.deepEqual(unsigned.predicate.verifiedLevels, []);
  t.deepEqual(unsigned.predicate.policy, { uri: BUILT_IN_POLICY_URI });
});

test('signed as a DSSE envelope it verifies with the verifier key and reads back the same statement', async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const statement = verificationSummaryStatement(INPUT);
  const envelope = await signEnvelope(Buffer.from(canonicalJson(statement)), IN_TOTO_PAYLOAD_TYPE, new KeySigner(privateKey));
  t.true(verifyEnvelopeSignature(envelope, publicKey).ok);
  t.deepEqual(JSON.parse(decodePayload(envelope).toString('utf8')), statement);
});

test('a remote URL loses its credentials before it is recorded; an scp-like ssh address is kept', (t) => {
  t.is(withoutCredentials('https://gitlab-ci-token:glcbt-SECRET@git.corp.example/payments/cli.git'), 'https://git.corp.example/payments/cli.git');
  t.is(withoutCredentials('https://x-access-token:ghs_SECRET@github.example/org/repo'), 'https://github.example/org/repo');
  t.is(withoutCredentials('ssh://git@git.corp.example:2222/payments/cli.git'), 'ssh://git.corp.example:2222/payments/cli.git');
  t.is(withoutCredentials('git@git.corp.example:payments/cli.git'), 'git@git.corp.example:payments/cli.git');
  t.is(withoutCredentials('/srv/git/cli.git'), '/srv/git/cli.git');
});
