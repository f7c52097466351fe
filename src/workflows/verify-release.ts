import type { KeyObject } from 'node:crypto';
import fs from 'fs-extra';
import path from 'node:path';
import { SHARD_MANIFEST_FILE } from '../plan/shards.js';
import { CHECKSUMS_FILE, GPG_SIGNATURE_SUFFIX, GPG_SIGNED_CHECKSUMS_FILES, RELEASE_MANIFEST_FILE, SIGNATURE_SUFFIX, SM3SUMS_FILE } from '../release/layout.js';
import type { GpgKeyring } from '../provenance/gpg-keyring.js';
import { parseSha256Sums, parseSm3Sums } from '../release/checksums.js';
import { compareWithManifest, parseReleaseManifest } from '../release/release-manifest.js';
import { digestReleaseTree } from './release-signatures.js';
import { buildSetting, readGoBuildInfo } from '../binary/go-buildinfo.js';
import { checkStaticExecutable } from '../binary/static-check.js';
import { AirlockError, InputError, oneLine } from '../errors.js';
import { sha256File, sm3File } from '../util/hash.js';
import { ENVELOPE_SUFFIX, SBOM_SUFFIX, isTestReportFile, isTestStreamFile } from '../release/layout.js';
import { IN_TOTO_PAYLOAD_TYPE, decodePayload, parseEnvelopeLines, signatureAlgorithm, verifyEnvelopeSignature } from '../provenance/dsse.js';
import { isJsonObject, jsonText } from '../provenance/json-fields.js';
import { verifyDetached } from '../provenance/signers.js';
import { publicKeyFingerprint } from '../provenance/keys.js';
import { type ProvenanceFacts, type VerificationPolicy, evaluatePolicy, provenanceFacts } from '../provenance/verification-policy.js';
import { SLSA_PROVENANCE_V1, STATEMENT_TYPE } from '../provenance/statement.js';
import { TEST_RESULT_V01 } from '../provenance/test-result-statement.js';
import { listReleaseTree } from '../release/list-release-tree.js';

/** A check that could not be made (a signature without --key) is neither passed nor failed. */
export type CheckState = 'passed' | 'failed' | 'not-checked';

export interface Check {
  name: string;
  state: CheckState;
  detail: string;
}

export interface FileVerification {
  /** Path relative to the verified directory. */
  file: string;
  /**
   * 'unlisted': a file in the release that no SHA256SUMS accounts for; 'manifest': RELEASE-MANIFEST itself, or
   * a file or directory missing, added or changed against it.
   */
  kind: 'checksums' | 'artifact' | 'sbom' | 'unlisted' | 'test-run' | 'report' | 'manifest' | 'policy';
  /** No check failed (some may not have been made: see signaturesChecked). */
  ok: boolean;
  checks: Check[];
}

export interface ReleaseVerification {
  directory: string;
  /** --key was given: the .sig files and the envelopes' signatures were checked. */
  signaturesChecked: boolean;
  /** --gpg-pub was given: the .asc files were checked against that key. */
  gpgChecked: boolean;
  ok: boolean;
  files: FileVerification[];
  /** What the user must know though nothing failed: a release without RELEASE-MANIFEST, made by an earlier airlock. */
  warnings: string[];
}

export interface VerifyOptions {
  /**
   * Leave files no SHA256SUMS lists unreported. Only for `airlock merge`, which copies the listed files alone
   * and names the others itself; a release as published must hold nothing else.
   */
  ignoreUnlisted?: boolean;
  /** --gpg-pub: the keyring of exactly the given key, to check each checksums file's .asc with. */
  gpg?: GpgKeyring;
  /** What a deployment gate requires beyond the signatures (`verify --policy`): each expectation not met fails. */
  policy?: VerificationPolicy;
}

function pass(name: string, detail: string): Check {
  return { name, state: 'passed', detail };
}

function fail(name: string, detail: string): Check {
  return { name, state: 'failed', detail };
}

function notChecked(name: string, detail: string): Check {
  return { name, state: 'not-checked', detail };
}

/** Whether nothing failed; a check not made does not fail a file. */
export function noneFailed(checks: readonly Check[]): boolean {
  return checks.every((check) => check.state !== 'failed');
}

async function findChecksumFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  if (await fs.pathExists(path.join(dir, CHECKSUMS_FILE))) found.push(CHECKSUMS_FILE);
  for (const entry of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory() && (await fs.pathExists(path.join(dir, entry.name, CHECKSUMS_FILE)))) found.push(`${entry.name}/${CHECKSUMS_FILE}`);
  }
  return found.sort();
}

type Statement = {
  _type?: unknown;
  predicateType?: unknown;
  subject?: Array<{ name?: unknown; digest?: { sha256?: unknown } }>;
  predicate?: { buildDefinition?: { externalParameters?: Record<string, unknown> } };
};

/** Everything `airlock verify` checks about one binary, given its verified digest. */
/** An artifact's envelope, read and (with a key) its signature checked: the statement, or why there is none. */
async function readEnvelopeStatement(dir: string, relative: string, publicKey: KeyObject | undefined): Promise<{ checks: Check[]; statement?: Statement }> {
  const checks: Check[] = [];
  const file = path.join(dir, relative);
  const envelopeFile = `${file}${ENVELOPE_SUFFIX}`;
  let text: string;
  try {
    text = await fs.readFile(envelopeFile, 'utf8');
  } catch {
    return { checks: [fail('provenance', `${relative}${ENVELOPE_SUFFIX} is missing`)] };
  }
  let parsed: unknown;
  try {
    const envelopes = parseEnvelopeLines(text, `${relative}${ENVELOPE_SUFFIX}`);
    if (envelopes.length !== 1) return { checks: [fail('provenance', `${relative}${ENVELOPE_SUFFIX} holds ${envelopes.length} envelopes, expected 1`)] };
    const envelope = envelopes[0]!;
    if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) return { checks: [fail('provenance', `payloadType is ${envelope.payloadType}, not ${IN_TOTO_PAYLOAD_TYPE}`)] };
    let payload: Buffer;
    if (publicKey) {
      const verified = verifyEnvelopeSignature(envelope, publicKey);
      if (!verified.ok) return { checks: [fail('envelope signature', verified.reason)] };
      checks.push(pass('envelope signature', 'valid for the given key'));
      payload = verified.payload;
    } else {
      checks.push(notChecked('envelope signature', envelope.signatures.length === 0 ? 'no --key; the envelope carries no signature' : 'no --key'));
      payload = decodePayload(envelope);
    }
    parsed = JSON.parse(payload.toString('utf8'));
  } catch (error) {
    if (error instanceof AirlockError || error instanceof SyntaxError) return { checks: [...checks, fail('provenance', oneLine(error.message))] };
    throw error;
  }
  if (!isJsonObject(parsed)) return { checks: [...checks, fail('statement', `the payload is ${jsonText(parsed).slice(0, 40)}, not a JSON statement`)] };
  return { checks, statement: parsed as Statement };
}

/** The subject of a statement named `name`, checked against the file's sha256. */
function subjectCheck(statement: Statement, name: string, actualSha256: string): Check {
  const subjects = (Array.isArray(statement.subject) ? (statement.subject as unknown[]) : []).filter(isJsonObject) as NonNullable<Statement['subject']>;
  const subject = subjects.find((candidate) => candidate.name === name);
  if (!subject) {
    const names = subjects.map((candidate) => jsonText(candidate.name)).join(', ');
    return fail('subject', `the envelope is for ${names || 'no named subject'}, not ${name}`);
  }
  return subject.digest?.sha256 === actualSha256
    ? pass('subject digest', `sha256 ${actualSha256}`)
    : fail('subject digest', `the envelope records sha256 ${jsonText(subject.digest?.sha256)}, the file has ${actualSha256}`);
}

/**
 * A go test -json stream of `airlock test` and its test-result attestation: the envelope (signature with a
 * key), its statement, the stream as its subject, and the result it records (FAILED fails the check: a gate
 * that verifies a release must not pass tests that failed).
 */
async function verifyTestRun(dir: string, relative: string, actualSha256: string, publicKey: KeyObject | undefined, sources: SourceDigests): Promise<Check[]> {
  const { checks, statement } = await readEnvelopeStatement(dir, relative, publicKey);
  if (!statement) return checks;
  if (statement._type !== STATEMENT_TYPE || statement.predicateType !== TEST_RESULT_V01) {
    return [...checks, fail('statement', `not an in-toto v1 statement with a test-result v0.1 predicate (_type ${jsonText(statement._type)}, predicateType ${jsonText(statement.predicateType)})`)];
  }
  checks.push(subjectCheck(statement, path.posix.basename(relative), actualSha256));
  const tested = (statement.subject?.find((subject) => subject.name === 'source')?.digest as { dirHash?: unknown } | undefined)?.dirHash;
  if (typeof tested === 'string') sources.tested.set(relative, tested);
  const result = (statement.predicate as { result?: unknown } | undefined)?.result;
  const failed = (statement.predicate as { failedTests?: unknown } | undefined)?.failedTests;
  const count = Array.isArray(failed) ? failed.length : 0;
  checks.push(
    result === 'PASSED' || result === 'WARNED'
      ? pass('test result', jsonText(result))
      : fail('test result', `the tests ${result === 'FAILED' ? `FAILED (${count} failed: ${Array.isArray(failed) ? failed.slice(0, 3).map((name) => jsonText(name)).join(', ') : ''}${count > 3 ? ', ...' : ''})` : `recorded no result (${jsonText(result)})`}`),
  );
  return checks;
}

async function verifyArtifact(dir: string, relative: string, actualSha256: string, publicKey: KeyObject | undefined, sources: SourceDigests): Promise<Check[]> {
  const file = path.join(dir, relative);
  const name = path.posix.basename(relative);
  const read = await readEnvelopeStatement(dir, relative, publicKey);
  const { checks } = read;
  if (!read.statement) return checks;
  const statement = read.statement;
  if (statement._type !== STATEMENT_TYPE || statement.predicateType !== SLSA_PROVENANCE_V1) {
    return [...checks, fail('statement', `not an in-toto v1 statement with SLSA v1 provenance (_type ${jsonText(statement._type)}, predicateType ${jsonText(statement.predicateType)})`)];
  }
  const subject = subjectCheck(statement, name, actualSha256);
  if (subject.name === 'subject') return [...checks, subject];
  checks.push(subject);
  sources.facts.push(provenanceFacts(relative, statement));
  const params = statement.predicate?.buildDefinition?.externalParameters ?? {};
  const built = (params.source as { dirHash?: unknown } | undefined)?.dirHash;
  if (typeof built === 'string') sources.built.add(built);
  const bytes = await fs.readFile(file);
  const info = (() => {
    try {
      return readGoBuildInfo(bytes);
    } catch {
      return null;
    }
  })();
  if (!info) {
    checks.push(fail('build info', 'the binary carries no readable Go build information'));
  } else {
    const expect = (label: string, actual: string | undefined, wanted: unknown) =>
      checks.push(
        actual === wanted
          ? pass(label, jsonText(actual))
          : fail(label, `the binary says ${actual === undefined ? 'nothing' : jsonText(actual)}, the provenance says ${jsonText(wanted)}`),
      );
    expect('go version', info.goVersion, params.go);
    expect('GOOS', buildSetting(info, 'GOOS'), params.goos);
    expect('GOARCH', buildSetting(info, 'GOARCH'), params.goarch);
    expect('CGO_ENABLED', buildSetting(info, 'CGO_ENABLED'), '0');
    expect('-trimpath', buildSetting(info, '-trimpath'), 'true');
  }
  const linkage = (() => {
    try {
      return checkStaticExecutable(bytes);
    } catch (error) {
      return { static: false, reason: (error as Error).message };
    }
  })();
  checks.push(linkage.static ? pass('static', 'no dynamic linking') : fail('static', linkage.reason ?? 'not static'));
  return checks;
}

/** The source trees a release's provenance says its binaries were built from, and each test run's. */
interface SourceDigests {
  built: Set<string>;
  /** By the stream's path in the release. */
  tested: Map<string, string>;
  /** What each binary's statement (its signature verified, with a key) says, for a policy. */
  facts: ProvenanceFacts[];
}

/** What one SHA256SUMS of a release lists, by the name it has there. */
export interface ChecksumGroup {
  /** Its path relative to the release directory: SHA256SUMS, or go1.26.8/SHA256SUMS per toolchain. */
  sumsFile: string;
  names: readonly string[];
}

function inGroup(sumsFile: string, name: string): string {
  const directory = path.posix.dirname(sumsFile);
  return path.posix.normalize(directory === '.' ? name : `${directory}/${name}`);
}

/**
 * Every file airlock writes into a release, given its SHA256SUMS: each SHA256SUMS and its signature (and SM3SUMS
 * and its), what it lists (binaries and SBOMs), an envelope per binary, the release manifest and its signature,
 * and the manifest `build --shard` leaves at the top.
 */
export function releaseFiles(groups: readonly ChecksumGroup[]): Set<string> {
  const expected = new Set<string>([SHARD_MANIFEST_FILE, RELEASE_MANIFEST_FILE, `${RELEASE_MANIFEST_FILE}${SIGNATURE_SUFFIX}`]);
  for (const { sumsFile, names } of groups) {
    expected.add(sumsFile);
    expected.add(`${sumsFile}${SIGNATURE_SUFFIX}`);
    expected.add(inGroup(sumsFile, SM3SUMS_FILE));
    expected.add(inGroup(sumsFile, `${SM3SUMS_FILE}${SIGNATURE_SUFFIX}`));
    // A checksums file's GPG signature; the gpg check fails one whose checksums file is missing.
    for (const signed of GPG_SIGNED_CHECKSUMS_FILES) expected.add(inGroup(sumsFile, `${signed}${GPG_SIGNATURE_SUFFIX}`));
    for (const name of names) {
      expected.add(inGroup(sumsFile, name));
      if (!name.endsWith(SBOM_SUFFIX) && !isTestReportFile(name)) expected.add(inGroup(sumsFile, `${name}${ENVELOPE_SUFFIX}`));
    }
  }
  return expected;
}

/**
 * The GPG signatures of one checksum group: each checksums file's `.asc`, checked with --gpg-pub's key alone.
 * A release without any .asc and no --gpg-pub gets no row (it never used GPG); with --gpg-pub, a missing
 * SHA256SUMS.asc fails.
 */
async function gpgSignatureChecks(dir: string, group: string, gpg: GpgKeyring | undefined): Promise<Check[]> {
  const checks: Check[] = [];
  for (const name of GPG_SIGNED_CHECKSUMS_FILES) {
    const relative = group === '' ? name : `${group}/${name}`;
    const signatureRelative = `${relative}${GPG_SIGNATURE_SUFFIX}`;
    const label = name === CHECKSUMS_FILE ? 'gpg signature' : `${name} gpg signature`;
    const hasFile = await fs.pathExists(path.join(dir, relative));
    const hasSignature = await fs.pathExists(path.join(dir, signatureRelative));
    if (!hasSignature) {
      if (gpg && hasFile) checks.push(fail(label, `${signatureRelative} is missing`));
      continue;
    }
    if (!hasFile) {
      checks.push(fail(label, `${signatureRelative} signs ${relative}, which is missing`));
    } else if (!gpg) {
      checks.push(notChecked(label, 'no --gpg-pub'));
    } else {
      const verdict = await gpg.verify(path.join(dir, relative), path.join(dir, signatureRelative));
      checks.push(verdict.ok ? pass(label, `good signature by ${verdict.fingerprint}`) : fail(label, `${signatureRelative} does not verify: ${oneLine(verdict.reason)}`));
    }
  }
  return checks;
}

/** The SHA256SUMS a stray file would have to be listed in: the one beside it, else the top one. */
export function checksumsFileFor(file: string, sumsFiles: readonly string[]): string {
  const directory = path.posix.dirname(file);
  const beside = directory === '.' ? CHECKSUMS_FILE : `${directory}/${CHECKSUMS_FILE}`;
  if (sumsFiles.includes(beside)) return beside;
  return sumsFiles.includes(CHECKSUMS_FILE) ? CHECKSUMS_FILE : 'any SHA256SUMS';
}

const RELEASE_DIRECTORY_HINT = 'pass the release directory `airlock build` wrote (the one holding SHA256SUMS)';

/** A missing path or a file is no release directory to verify: that is what was asked, not what was found. */
async function assertDirectory(directory: string, dir: string): Promise<void> {
  const stat = await fs.stat(dir).catch(() => undefined);
  if (!stat) throw new InputError(oneLine(`${directory} does not exist`), { hint: RELEASE_DIRECTORY_HINT });
  if (!stat.isDirectory()) throw new InputError(oneLine(`${directory} is not a directory`), { hint: RELEASE_DIRECTORY_HINT });
}

/**
 * Verifies a release directory written by `airlock build`: each SHA256SUMS (and its signature), every file
 * it lists, every artifact's envelope (signature, subject, and that it belongs to that artifact), the
 * facts the binary records about itself against its provenance, and that it holds nothing else.
 */
export async function verifyRelease(directory: string, publicKey: KeyObject | undefined, options: VerifyOptions = {}): Promise<ReleaseVerification> {
  const dir = path.resolve(directory);
  await assertDirectory(directory, dir);
  const files: FileVerification[] = [];
  const sumsFiles = await findChecksumFiles(dir);
  if (sumsFiles.length === 0) {
    files.push({ file: CHECKSUMS_FILE, kind: 'checksums', ok: false, checks: [fail('SHA256SUMS', `${dir} has no SHA256SUMS (nor one per toolchain)`)] });
  }
  const groups: ChecksumGroup[] = [];
  const sources: SourceDigests = { built: new Set(), tested: new Map(), facts: [] };
  for (const sumsRelative of sumsFiles) {
    const sumsPath = path.join(dir, sumsRelative);
    const group = path.posix.dirname(sumsRelative) === '.' ? '' : path.posix.dirname(sumsRelative);
    const sumsBytes = await fs.readFile(sumsPath);
    const sumsChecks: Check[] = [await detachedSignatureCheck(dir, sumsRelative, sumsBytes, publicKey)];
    sumsChecks.push(...(await gpgSignatureChecks(dir, group, options.gpg)));
    let entries: Array<{ name: string; sha256: string }> = [];
    try {
      entries = parseSha256Sums(sumsBytes.toString('utf8'));
      sumsChecks.push(pass('format', `${entries.length} entries`));
      groups.push({ sumsFile: sumsRelative, names: entries.map((entry) => entry.name) });
    } catch (error) {
      sumsChecks.push(fail('format', `${sumsRelative} is not in sha256sum format: ${(error as Error).message}`));
    }
    files.push({ file: sumsRelative, kind: 'checksums', ok: noneFailed(sumsChecks), checks: sumsChecks });
    const sm3 = await verifySm3Sums(dir, group, entries, publicKey);
    if (sm3) files.push(sm3);
    for (const entry of entries) {
      const relative = group === '' ? entry.name : `${group}/${entry.name}`;
      const kind = entry.name.endsWith(SBOM_SUFFIX) ? 'sbom' : isTestReportFile(entry.name) ? 'report' : isTestStreamFile(entry.name) ? 'test-run' : 'artifact';
      const checks: Check[] = [];
      const actual = await sha256File(path.join(dir, relative)).catch(() => undefined);
      if (actual === undefined) {
        files.push({ file: relative, kind, ok: false, checks: [fail('present', `${relative} is listed in ${sumsRelative} but missing`)] });
        continue;
      }
      checks.push(actual === entry.sha256 ? pass('checksum', `matches ${sumsRelative}`) : fail('checksum', `sha256 ${actual} differs from ${sumsRelative} (${entry.sha256})`));
      if (kind === 'artifact') checks.push(...(await verifyArtifact(dir, relative, actual, publicKey, sources)));
      if (kind === 'test-run') checks.push(...(await verifyTestRun(dir, relative, actual, publicKey, sources)));
      files.push({ file: relative, kind, ok: noneFailed(checks), checks });
    }
  }
  // A release that carries test runs beside binaries says the binaries' source passed them: it must be so.
  if (sources.built.size > 0) {
    for (const file of files) {
      const tested = sources.tested.get(file.file);
      if (tested === undefined) continue;
      const check = sources.built.size === 1 && sources.built.has(tested)
        ? pass('tested source', `the source tree the binaries were built from (${tested.slice(0, 12)}…)`)
        : fail('tested source', `the tests ran on source tree ${jsonText(tested)}, the binaries were built from ${[...sources.built].map((digest) => jsonText(digest)).join(', ')}`);
      file.checks.push(check);
      file.ok = noneFailed(file.checks);
    }
  }
  // Unreadable checksums already fail the release; naming every file as unlisted then would only bury that.
  if (!options.ignoreUnlisted && sumsFiles.length > 0 && groups.length === sumsFiles.length) {
    const expected = releaseFiles(groups);
    for (const file of await listReleaseTree(dir)) {
      if (expected.has(file)) continue;
      const shown = oneLine(file);
      const check = fail('listed', `${shown} is in the release but not listed in ${checksumsFileFor(file, sumsFiles)}; airlock did not write it`);
      files.push({ file: shown, kind: 'unlisted', ok: false, checks: [check] });
    }
  }
  const warnings: string[] = [];
  const manifest = await verifyAgainstManifest(dir, publicKey, options);
  if (manifest === undefined && publicKey !== undefined && signatureAlgorithm(publicKey) === 'sm2-sm3') {
    // No airlock signed with SM2 before it wrote manifests: here a missing one can only have been removed.
    files.push({ file: RELEASE_MANIFEST_FILE, kind: 'manifest', ok: false, checks: [fail('present', `${RELEASE_MANIFEST_FILE} is missing: every release signed with SM2 has one`)] });
  } else if (manifest === undefined) {
    warnings.push(`${RELEASE_MANIFEST_FILE} is missing: this release was made by an earlier airlock (or the manifest was removed), so nothing proves that no file or directory is missing or added`);
  } else {
    // A file already failed above (changed, missing, unlisted) is not named twice; the manifest's row counts it.
    const failedAlready = new Set(files.filter((file) => !file.ok).map((file) => file.file));
    files.push(...manifest.filter((file, index) => index === 0 || !failedAlready.has(file.file)));
  }
  if (options.policy) {
    const signer = publicKey === undefined ? undefined : `sha256:${publicKeyFingerprint(publicKey)}`;
    for (const violation of evaluatePolicy(options.policy, signer, sources.facts)) {
      const detail = oneLine(`expected ${violation.expected}, found ${violation.actual}`);
      files.push({ file: violation.file === '' ? '(policy)' : violation.file, kind: 'policy', ok: false, checks: [fail(`policy ${violation.field}`, detail)] });
    }
  }
  return { directory: dir, signaturesChecked: publicKey !== undefined, gpgChecked: options.gpg !== undefined, ok: files.every((f) => f.ok), files, warnings };
}

/** The detached signature beside a signed list (`relative` + .sig), checked with a key, or why it was not. */
async function detachedSignatureCheck(dir: string, relative: string, bytes: Buffer, publicKey: KeyObject | undefined): Promise<Check> {
  const signature = await fs.readFile(path.join(dir, `${relative}${SIGNATURE_SUFFIX}`), 'utf8').catch(() => undefined);
  const name = path.posix.basename(relative);
  if (!publicKey) return notChecked('signature', signature === undefined ? `no --key; there is no ${relative}${SIGNATURE_SUFFIX}` : 'no --key');
  if (signature === undefined) return fail('signature', `${relative}${SIGNATURE_SUFFIX} is missing`);
  if (verifyDetached(bytes, signature, publicKey)) return pass('signature', 'valid for the given key');
  return fail('signature', `${relative}${SIGNATURE_SUFFIX} does not verify: ${name} was changed or signed with another key`);
}

/**
 * SM3SUMS beside a SHA256SUMS: its signature, that it lists exactly the same files, and each file's SM3. An
 * SM2 key requires it (an SM2 release always has one); otherwise it is checked when present. Undefined when
 * there is none and none is required.
 */
async function verifySm3Sums(dir: string, group: string, sha256Entries: ReadonlyArray<{ name: string }>, publicKey: KeyObject | undefined): Promise<FileVerification | undefined> {
  const relative = group === '' ? SM3SUMS_FILE : `${group}/${SM3SUMS_FILE}`;
  const bytes = await fs.readFile(path.join(dir, relative)).catch(() => undefined);
  if (bytes === undefined) {
    if (publicKey === undefined || signatureAlgorithm(publicKey) !== 'sm2-sm3') return undefined;
    return { file: relative, kind: 'checksums', ok: false, checks: [fail('present', `${relative} is missing: a release signed with SM2 carries SM3 digests beside ${CHECKSUMS_FILE}`)] };
  }
  const checks: Check[] = [await detachedSignatureCheck(dir, relative, bytes, publicKey)];
  let entries: Array<{ name: string; sm3: string }>;
  try {
    entries = parseSm3Sums(bytes.toString('utf8'));
    checks.push(pass('format', `${entries.length} entries`));
  } catch (error) {
    checks.push(fail('format', `${relative} is not in sha256sum format: ${(error as Error).message}`));
    return { file: relative, kind: 'checksums', ok: false, checks };
  }
  const names = sha256Entries.map((entry) => entry.name).sort().join('\n');
  if (entries.map((entry) => entry.name).sort().join('\n') !== names) {
    checks.push(fail('same files', `${relative} does not list the same files as ${path.posix.join(path.posix.dirname(relative), CHECKSUMS_FILE)}`));
  }
  for (const entry of entries) {
    const file = group === '' ? entry.name : `${group}/${entry.name}`;
    const actual = await sm3File(path.join(dir, file)).catch(() => undefined);
    // A missing file is reported against SHA256SUMS already.
    if (actual !== undefined && actual !== entry.sm3) checks.push(fail('sm3', `${oneLine(file)} has SM3 ${actual}, ${relative} records ${entry.sm3}`));
  }
  if (noneFailed(checks)) checks.push(pass('sm3', `matches ${entries.length} files`));
  return { file: relative, kind: 'checksums', ok: noneFailed(checks), checks };
}

/**
 * RELEASE-MANIFEST: its signature (with a key), and the release's files against it: every file or directory
 * missing, added or changed is one failed entry naming it. Undefined when the release has no manifest.
 * With ignoreUnlisted (merge), files added beside a shard's release are left to the merge, which ignores them.
 */
async function verifyAgainstManifest(dir: string, publicKey: KeyObject | undefined, options: VerifyOptions): Promise<FileVerification[] | undefined> {
  const bytes = await fs.readFile(path.join(dir, RELEASE_MANIFEST_FILE)).catch(() => undefined);
  if (bytes === undefined) return undefined;
  const checks: Check[] = [await detachedSignatureCheck(dir, RELEASE_MANIFEST_FILE, bytes, publicKey)];
  let listed: ReturnType<typeof parseReleaseManifest>;
  try {
    listed = parseReleaseManifest(bytes.toString('utf8'));
  } catch (error) {
    checks.push(fail('format', `${RELEASE_MANIFEST_FILE} is not in sha256sum format: ${oneLine((error as Error).message)}`));
    return [{ file: RELEASE_MANIFEST_FILE, kind: 'manifest', ok: false, checks }];
  }
  const differences = compareWithManifest(listed, await digestReleaseTree(dir), await emptyDirectories(dir)).filter(
    (difference) => !(options.ignoreUnlisted && difference.kind === 'added'),
  );
  checks.push(
    differences.length === 0
      ? pass('complete', `${listed.length} files, none missing, added or changed`)
      : fail('complete', `${differences.length} difference${differences.length === 1 ? '' : 's'} from the release as it was made; first: ${oneLine(differences[0]!.detail)}`),
  );
  return [
    { file: RELEASE_MANIFEST_FILE, kind: 'manifest', ok: noneFailed(checks), checks },
    ...differences.map((difference): FileVerification => ({
      file: oneLine(difference.path),
      kind: 'manifest',
      ok: false,
      checks: [fail(difference.kind, oneLine(difference.detail))],
    })),
  ];
}

/** The directories under dir that hold nothing at all, relative to it. */
async function emptyDirectories(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    const entries = await fs.readdir(path.join(dir, relative), { withFileTypes: true });
    if (entries.length === 0 && relative !== '') found.push(relative);
    for (const entry of entries) if (entry.isDirectory()) await walk(relative === '' ? entry.name : `${relative}/${entry.name}`);
  };
  await walk('');
  return found.sort();
}

/** How a check not made is named in a report line: "envelope signature not checked (no --key)". */
export function describeNotChecked(check: Check): string {
  return `${check.name} not checked (${check.detail})`;
}

/** One row of the `airlock verify` table: the first failed check, else what passed and what was not checked. */
export function describeFile(file: FileVerification): { status: 'OK' | 'FAILED'; detail: string } {
  const failed = file.checks.find((check) => check.state === 'failed');
  if (failed) return { status: 'FAILED', detail: `${failed.name}: ${failed.detail}` };
  const passed = file.checks.filter((check) => check.state === 'passed').map((check) => check.name);
  const skipped = file.checks.filter((check) => check.state === 'not-checked').map(describeNotChecked);
  return { status: 'OK', detail: [passed.join(', '), ...skipped].filter((part) => part !== '').join('; ') };
}

/** The last line of a passing `airlock verify`: it must not let a check that was not made pass for one. */
export function describeVerified(result: Pick<ReleaseVerification, 'directory' | 'files' | 'signaturesChecked'> & { gpgChecked?: boolean }): string {
  const verified = `verified ${result.files.length} files in ${result.directory}`;
  if (result.signaturesChecked) return `${verified}, signatures included${result.gpgChecked ? ' (GPG signatures too)' : ''}`;
  if (result.gpgChecked) return `${verified} and their GPG signatures, but not the envelopes' signatures: no --key was given`;
  return `${verified}, but not their signatures: no --key was given`;
}
