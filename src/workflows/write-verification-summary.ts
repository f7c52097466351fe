import fs from 'fs-extra';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError, oneLine } from '../errors.js';
import { IN_TOTO_PAYLOAD_TYPE, type Signer, serializeEnvelope, signEnvelope } from '../provenance/dsse.js';
import { verificationSummaryStatement } from '../provenance/verification-summary.js';
import { ENVELOPE_SUFFIX } from '../release/layout.js';
import { canonicalJson } from '../util/canonical-json.js';
import { sha256File } from '../util/hash.js';
import { airlockVersion } from '../util/package-root.js';
import type { ReleaseVerification } from './verify-release.js';

/**
 * Refuses, before anything is verified, a --vsa that cannot be written as asked: unsigned (a summary nobody can
 * check later is worth nothing to a deployment gate) or inside the release (it would be a file the release does
 * not list, and fail the next verify).
 */
export function checkVerificationSummaryTarget(file: string, releaseDir: string, signer: Signer | undefined): string {
  const target = path.resolve(file);
  if (signer === undefined) {
    throw new InputError(`--vsa ${file}: a verification summary must be signed`, { hint: 'add --sign-key KEY (or --signer-command with --signer-pub): the key of the verifier, not necessarily the release\'s' });
  }
  const release = path.resolve(releaseDir);
  if (target === release || target.startsWith(`${release}${path.sep}`)) {
    throw new InputError(`--vsa ${file} is inside the release being verified`, { hint: 'write the summary outside the release directory' });
  }
  return target;
}

/** Writes the signed VSA of a finished verification (PASSED or FAILED) as one DSSE envelope line, atomically. */
export async function writeVerificationSummary(
  target: string,
  result: ReleaseVerification,
  signer: Signer,
  policyFile: string | undefined,
  now: Date = new Date(),
): Promise<void> {
  const dir = result.directory;
  const artifacts = result.files.filter((file) => file.kind === 'artifact');
  const subjects = await Promise.all(artifacts.map(async (file) => ({ name: file.file, sha256: await sha256File(path.join(dir, file.file)).catch(() => '') })));
  const envelopes = artifacts.map((file) => `${file.file}${ENVELOPE_SUFFIX}`);
  const inputAttestations = [];
  for (const name of envelopes) {
    const sha256 = await sha256File(path.join(dir, name)).catch(() => undefined);
    if (sha256 !== undefined) inputAttestations.push({ name, sha256 });
  }
  const statement = verificationSummaryStatement({
    airlockVersion: airlockVersion(),
    timeVerified: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    resourceUri: pathToFileURL(path.resolve(dir)).href,
    passed: result.ok,
    subjects: subjects.filter((subject) => subject.sha256 !== ''),
    inputAttestations,
    ...(policyFile !== undefined ? { policy: { uri: pathToFileURL(path.resolve(policyFile)).href, sha256: await sha256File(path.resolve(policyFile)) } } : {}),
    checked: { signatures: result.signaturesChecked, gpg: result.gpgChecked, manifest: result.files.some((file) => file.kind === 'manifest') },
  });
  const envelope = await signEnvelope(Buffer.from(canonicalJson(statement)), IN_TOTO_PAYLOAD_TYPE, signer);
  const partial = `${target}.${process.pid}.partial`;
  try {
    await fs.writeFile(partial, serializeEnvelope(envelope), { mode: 0o644 });
    await fs.rename(partial, target);
  } catch (error) {
    await fs.remove(partial);
    throw new InputError(oneLine(`cannot write --vsa ${target}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`), { hint: 'pass --vsa a file in a writable directory' });
  }
}
