/**
 * Provenance envelopes (.intoto.jsonl) never crash airlock: damaged envelope lines, and well-formed envelopes
 * whose statement is damaged or hostile, fail with a one-line VerificationError when parsed and decoded,
 * when `airlock reproduce` reads what they record (readRecordedBuild, where a file that does not parse as
 * an envelope is an InputError instead), and when `airlock verify` checks a release holding them
 * (verifyRelease, which reports a failed check instead).
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';
import * as fc from 'fast-check';

import { formatSha256Sums } from '../../../src/release/checksums.js';
import { CHECKSUMS_FILE } from '../../../src/release/layout.js';
import { VerificationError } from '../../../src/errors.js';
import { ENVELOPE_SUFFIX } from '../../../src/release/layout.js';
import { IN_TOTO_PAYLOAD_TYPE, decodePayload, parseEnvelopeLines, serializeEnvelope, signEnvelope, verifyEnvelopeSignature } from '../../../src/provenance/dsse.js';
import { readRecordedBuild } from '../../../src/workflows/reproduce.js';
import { KeySigner } from '../../../src/provenance/signers.js';
import { type ProvenanceInput, buildProvenanceStatement } from '../../../src/provenance/statement.js';
import { verifyRelease } from '../../../src/workflows/verify-release.js';
import { tempDir } from '../../helpers/host-tools.js';
import { assertAsyncProperty, assertProperty } from '../../helpers/properties.js';
import {
  applyTextMutations,
  jsonMutationArbitrary,
  mutateJsonText,
  parsesOrFailsCleanly,
  parsesOrFailsCleanlyAsync,
  textMutationArbitrary,
} from '../../helpers/robustness.js';

const ARTIFACT = 'tool_linux_amd64';
const ARTIFACT_BYTES = Buffer.from('\x7fELF not really an executable\n');
const ARTIFACT_SHA256 = createHash('sha256').update(ARTIFACT_BYTES).digest('hex');
const H1 = 'h1:r0ub+FnqzZxoWm/dSUOI9DcIqYWn/mNYGFJcv7PyBzs=';

const INPUT: ProvenanceInput = {
  artifact: { name: ARTIFACT, sha256: ARTIFACT_SHA256 },
  source: { path: '/src/tool', treeDigest: '14e66d1524aa5c7b00bdf4d2147ec75f5402560b2968431ff58029c3e0248787', files: { 'main.go': 'ab'.repeat(32) }, excluded: ['dist'] },
  module: { path: 'example.com/tool', go: '1.26' },
  build: { package: '.', goos: 'linux', goarch: 'amd64', ldflags: ['-s', '-w'], tags: ['netgo'] },
  toolchain: { version: 'go1.26.8', platform: 'linux/amd64', treeDigest: H1, verification: { status: 'pinned', checks: [] }, moduleVersion: 'v0.0.1-go1.26.8.linux-amd64' },
  command: ['go', 'build'],
  environment: { GOOS: 'linux' },
  sandbox: { image: 'airlock-sandbox:x', imageId: 'sha256:0', policy: { memoryBytes: 1, pidsLimit: 2 }, policyDigest: 'sha256:0', seccomp: 'engine-default', network: 'none' },
  modules: { source: 'vendor', verified: true, list: [{ path: 'github.com/google/uuid', version: 'v1.6.0', sum: 'h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=', origin: 'vendor' }] },
  builderVersion: { airlock: '0.1.0' },
  invocationId: 'fuzz',
  startedOn: new Date(0),
  finishedOn: new Date(0),
};
const STATEMENT = JSON.stringify(buildProvenanceStatement(INPUT));

const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signer = new KeySigner(keys.privateKey);
const envelopeLine = async (payload: Uint8Array, signed = true) => serializeEnvelope(await signEnvelope(payload, IN_TOTO_PAYLOAD_TYPE, signed ? signer : undefined));
const REAL_LINE = await envelopeLine(Buffer.from(STATEMENT));

/** A payload: the statement damaged as JSON, any JSON value at all, or bytes that are not JSON. */
const payloadArbitrary = fc.oneof(
  { weight: 4, arbitrary: fc.array(jsonMutationArbitrary(), { minLength: 1, maxLength: 4 }).map((mutations) => Buffer.from(mutateJsonText(STATEMENT, mutations))) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => Buffer.from(JSON.stringify(value) ?? 'null')) },
  { weight: 1, arbitrary: fc.constantFrom('null', '[]', '"x"', '1', '{"_type":null}', '{"toString":1,"valueOf":1}').map((text) => Buffer.from(text)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)) },
);

test('the real envelope decodes, verifies, and is read back (the mutations below start from a real input)', async (t) => {
  const [envelope] = parseEnvelopeLines(REAL_LINE, 'x');
  t.true(verifyEnvelopeSignature(envelope!, keys.publicKey).ok);
  const file = path.join(await tempDir(t), `${ARTIFACT}${ENVELOPE_SUFFIX}`);
  await fs.writeFile(file, REAL_LINE);
  t.is((await readRecordedBuild(file, keys.publicKey)).artifact.sha256, ARTIFACT_SHA256);
});

test('property: damaged envelope lines parse, decode and verify, or fail with a one-line VerificationError', (t) => {
  assertProperty(
    t,
    fc.property(fc.array(textMutationArbitrary(), { minLength: 1, maxLength: 5 }), (mutations) => {
      parsesOrFailsCleanly(() => {
        for (const envelope of parseEnvelopeLines(applyTextMutations(REAL_LINE, mutations), 'dist/tool.intoto.jsonl')) {
          decodePayload(envelope);
          const verified = verifyEnvelopeSignature(envelope, keys.publicKey);
          if (!verified.ok && !/^[^\n\r]+$/.test(verified.reason)) throw new Error(`reason spans lines: ${verified.reason}`);
        }
      });
    }),
    { numRuns: 400 },
  );
});

test('property: readRecordedBuild of a signed envelope with a damaged statement fails only with a one-line VerificationError', async (t) => {
  const file = path.join(await tempDir(t), `${ARTIFACT}${ENVELOPE_SUFFIX}`);
  await assertAsyncProperty(
    t,
    fc.asyncProperty(payloadArbitrary, fc.boolean(), async (payload, withKey) => {
      await fs.writeFile(file, await envelopeLine(payload));
      await parsesOrFailsCleanlyAsync(() => readRecordedBuild(file, withKey ? keys.publicKey : undefined));
    }),
    { numRuns: 300 },
  );
});

test('property: readRecordedBuild of a damaged envelope file fails only with a one-line AirlockError (InputError when it is no envelope at all)', async (t) => {
  const file = path.join(await tempDir(t), `${ARTIFACT}${ENVELOPE_SUFFIX}`);
  await assertAsyncProperty(
    t,
    fc.asyncProperty(fc.array(textMutationArbitrary(), { minLength: 1, maxLength: 5 }), async (mutations) => {
      await fs.writeFile(file, applyTextMutations(REAL_LINE, mutations));
      await parsesOrFailsCleanlyAsync(() => readRecordedBuild(file, keys.publicKey));
    }),
    { numRuns: 150 },
  );
});

/** A release directory holding the artifact and its SHA256SUMS. */
async function release(t: Parameters<typeof tempDir>[0]): Promise<{ dir: string; sums: string }> {
  const dir = await tempDir(t);
  await fs.writeFile(path.join(dir, ARTIFACT), ARTIFACT_BYTES);
  const sums = formatSha256Sums([{ name: ARTIFACT, sha256: ARTIFACT_SHA256 }]);
  await fs.writeFile(path.join(dir, CHECKSUMS_FILE), sums);
  return { dir, sums };
}

test('property: verifyRelease of a release whose signed envelope holds a damaged statement reports failed checks, and never throws', async (t) => {
  const { dir } = await release(t);
  await assertAsyncProperty(
    t,
    fc.asyncProperty(payloadArbitrary, fc.boolean(), async (payload, withKey) => {
      await fs.writeFile(path.join(dir, `${ARTIFACT}${ENVELOPE_SUFFIX}`), await envelopeLine(payload));
      const result = await verifyRelease(dir, withKey ? keys.publicKey : undefined);
      for (const file of result.files) {
        for (const check of file.checks) if (!/^[^\n\r\u2028\u2029\u0085]*$/.test(check.detail)) throw new Error(`check detail spans lines: ${JSON.stringify(check.detail)}`);
      }
    }),
    { numRuns: 150 },
  );
});

test('property: verifyRelease of a release with a damaged envelope or SHA256SUMS reports failed checks, and never throws', async (t) => {
  const { dir, sums } = await release(t);
  await assertAsyncProperty(
    t,
    fc.asyncProperty(
      payloadArbitrary,
      fc.array(textMutationArbitrary(), { maxLength: 2 }),
      fc.array(textMutationArbitrary([`${ARTIFACT_SHA256}  ../${path.basename(dir)}/${ARTIFACT}`]), { maxLength: 2 }),
      fc.boolean(),
      async (payload, envelopeMutations, sumsMutations, withKey) => {
        await fs.writeFile(path.join(dir, `${ARTIFACT}${ENVELOPE_SUFFIX}`), applyTextMutations(await envelopeLine(payload), envelopeMutations));
        await fs.writeFile(path.join(dir, CHECKSUMS_FILE), applyTextMutations(sums, sumsMutations));
        await parsesOrFailsCleanlyAsync(() => verifyRelease(dir, withKey ? keys.publicKey : undefined));
      },
    ),
    { numRuns: 100 },
  );
});

test('statements that used to crash verify and reproduce are failed checks and VerificationErrors', async (t) => {
  const { dir } = await release(t);
  const envelopeFile = path.join(dir, `${ARTIFACT}${ENVELOPE_SUFFIX}`);
  const statement = JSON.parse(STATEMENT) as Record<string, unknown>;
  const external = (statement.predicate as { buildDefinition: { externalParameters: Record<string, unknown> } }).buildDefinition.externalParameters;
  const hostile = {
    'a null payload': 'null',
    'a null subject': JSON.stringify({ ...statement, subject: [null] }),
    'a _type whose toString is not a function': JSON.stringify({ ...statement, _type: { toString: 1, valueOf: 1 } }),
    'tags that cannot be turned into strings': JSON.stringify({ ...statement, predicate: { buildDefinition: { ...(statement.predicate as { buildDefinition: object }).buildDefinition, externalParameters: { ...external, tags: [{ toString: 1 }] } } } }),
  };
  for (const [what, payload] of Object.entries(hostile)) {
    await fs.writeFile(envelopeFile, await envelopeLine(Buffer.from(payload)));
    const result = await verifyRelease(dir, keys.publicKey);
    t.false(result.ok, what);
    await t.throwsAsync(readRecordedBuild(envelopeFile, keys.publicKey), { instanceOf: VerificationError }, what);
  }
});
