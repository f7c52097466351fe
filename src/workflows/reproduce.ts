import type { ChecksumDatabaseRequest } from './build/request.js';
import type { KeyObject } from 'node:crypto';
import fs from 'fs-extra';
import path from 'node:path';
import { describeBinaryDifference } from '../binary/binary-difference.js';
import { type BuildRequest, type EngineFacts, executeBuild, prepareBuild, releasePreparedBuild } from './build/index.js';
import type { ContainerEngine } from '../engine/engine.js';
import { AirlockError, InputError, VerificationError, oneLine } from '../errors.js';
import { readGoModule } from '../modules/read-module.js';
import type { Reporter } from '../report/reporter.js';
import { digestSourceTree, listSourceTree } from '../sandbox/source-tree.js';
import { sha256File } from '../util/hash.js';
import { isJsonObject, jsonText } from '../provenance/json-fields.js';
import { type DsseEnvelope, decodePayload, parseEnvelopeLines, verifyEnvelopeSignature } from '../provenance/dsse.js';
import { SLSA_PROVENANCE_V1, STATEMENT_TYPE } from '../provenance/statement.js';
import { createScratchDir } from '../util/scratch-dir.js';

/** What a provenance statement records that a rebuild must match. */
export interface RecordedBuild {
  envelope: string;
  artifact: { name: string; sha256: string; file?: string };
  module: string;
  package: string;
  goos: string;
  goarch: string;
  go: string;
  tags: string[];
  ldflags: string[];
  toolchainH1: string;
  source: { dirHash: string; files?: Record<string, string>; excluded: string[] };
  moduleSource: string;
  modules: Array<{ path: string; version: string; sum?: string }>;
  seccomp: string;
  limits: { memoryBytes?: number; pidsLimit?: number; tmpfsSizeBytes?: number; scratchBytes?: number; nofile?: number; timeoutSeconds?: number };
}

export interface ReproduceResult {
  artifact: string;
  status: 'REPRODUCED' | 'DIFFERENT';
  /** The sha256 the envelope records. */
  expected: string;
  /** The sha256 of the rebuild. */
  actual: string;
  /** The sha256 of the binary beside the envelope, when there is one. */
  beside?: string;
  differences: string[];
}

type Json = Record<string, unknown>;

const asRecord = (value: unknown): Json => (value !== null && typeof value === 'object' ? (value as Json) : {});
const asString = (value: unknown, what: string, source: string): string => {
  if (typeof value !== 'string') throw new VerificationError(`${source} records no ${what}`, { hint: 'pass envelopes written by airlock build' });
  // These strings end up in messages, and a line break would let the record forge a message of its own.
  if (jsonText(value) !== value) throw new VerificationError(`${source} records a ${what} holding control characters`, { hint: 'pass envelopes written by airlock build' });
  return value;
};
/** A list of strings, or none when the field is absent or not a list; a list holding anything else is refused. */
const asStrings = (value: unknown, what: string, source: string): string[] => {
  if (!Array.isArray(value)) return [];
  if (!value.every((item) => typeof item === 'string')) {
    throw new VerificationError(`${source} records ${what} that are not all strings`, { hint: 'pass envelopes written by airlock build' });
  }
  return value as string[];
};
/** The recorded per-file digests; they only name what changed in a message, so a malformed record is left out. */
const asFileDigests = (value: unknown): Record<string, string> | undefined =>
  isJsonObject(value) && Object.values(value).every((item) => typeof item === 'string') ? (value as Record<string, string>) : undefined;

const ENVELOPE_HINT = 'pass the .intoto.jsonl files of a release, the provenance beside each binary';

/** Bytes no JSON text holds: a NUL, or a sequence that is not UTF-8. */
function looksBinary(bytes: Buffer): boolean {
  return bytes.includes(0) || !Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}

/**
 * Why a file given as an envelope is none, in one line: its bytes never reach the message (a binary's would
 * garble the terminal), only what parsing it said.
 */
export function notAnEnvelope(file: string, bytes: Buffer, parseError: unknown): InputError {
  const why = looksBinary(bytes)
    ? 'it holds binary data, not JSON (is it the binary itself?)'
    : parseError instanceof AirlockError
      ? parseError.message
      : 'it is not one JSON envelope per line';
  return new InputError(oneLine(`${file} is not a provenance envelope (.intoto.jsonl): ${why}`), { hint: ENVELOPE_HINT });
}

/** The envelope's bytes; a path that is missing or no file is a wrong argument, not a failed verification. */
async function readEnvelopeFile(envelopeFile: string): Promise<Buffer> {
  const stat = await fs.stat(envelopeFile).catch(() => undefined);
  if (!stat) throw new InputError(oneLine(`${envelopeFile} does not exist`), { hint: ENVELOPE_HINT });
  if (!stat.isFile()) throw new InputError(oneLine(`${envelopeFile} is not a file`), { hint: ENVELOPE_HINT });
  return fs.readFile(envelopeFile).catch((error: unknown) => {
    throw new InputError(oneLine(`${envelopeFile} cannot be read: ${(error as Error).message}`), { hint: ENVELOPE_HINT });
  });
}

/** The binary an envelope names, when it lies beside the envelope as a regular file. */
async function binaryBeside(envelopeFile: string, name: string): Promise<string | undefined> {
  if (name !== path.basename(name) || name === '.' || name === '..') return undefined;
  const file = path.join(path.dirname(envelopeFile), name);
  const stat = await fs.stat(file).catch(() => undefined);
  return stat?.isFile() ? file : undefined;
}

/** Reads and checks one envelope (its signature when a key is given) and extracts what the build recorded. */
export async function readRecordedBuild(envelopeFile: string, publicKey: KeyObject | undefined): Promise<RecordedBuild> {
  const source = path.basename(envelopeFile);
  const bytes = await readEnvelopeFile(envelopeFile);
  let envelopes: DsseEnvelope[];
  try {
    envelopes = parseEnvelopeLines(bytes.toString('utf8'), source);
  } catch (error) {
    if (error instanceof AirlockError) throw notAnEnvelope(envelopeFile, bytes, error);
    throw error;
  }
  if (envelopes.length !== 1) throw new VerificationError(`${source} holds ${envelopes.length} envelopes, expected 1`, { hint: 'pass one airlock envelope per artifact' });
  const envelope = envelopes[0]!;
  let payload: Buffer;
  if (publicKey) {
    const verified = verifyEnvelopeSignature(envelope, publicKey);
    if (!verified.ok) throw new VerificationError(`${source}: ${verified.reason}`, { hint: 'pass the public key the release was signed with' });
    payload = verified.payload;
  } else {
    payload = decodePayload(envelope);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (!isJsonObject(parsed)) throw new VerificationError(`${source} does not hold a JSON statement`, { hint: 'pass envelopes written by airlock build' });
  const statement = parsed;
  if (statement._type !== STATEMENT_TYPE || statement.predicateType !== SLSA_PROVENANCE_V1) {
    throw new VerificationError(`${source} is not an in-toto v1 statement of SLSA v1 provenance`, { hint: 'pass envelopes written by airlock build' });
  }
  const subject = asRecord((statement.subject as unknown[] | undefined)?.[0]);
  const definition = asRecord(asRecord(statement.predicate).buildDefinition);
  const external = asRecord(definition.externalParameters);
  const internal = asRecord(definition.internalParameters);
  const sandbox = asRecord(internal.sandbox);
  const policy = asRecord(sandbox.policy);
  const dependencies = (Array.isArray(definition.resolvedDependencies) ? definition.resolvedDependencies : []).map(asRecord);
  const toolchain = dependencies.find((d) => typeof d.uri === 'string' && d.uri.startsWith('pkg:golang/golang.org/toolchain@'));
  const sourceDependency = dependencies.find((d) => d.name === 'source');
  const sourceAnnotations = asRecord(sourceDependency?.annotations);
  const files = asFileDigests(sourceAnnotations.files);
  const name = asString(subject.name, 'subject name', source);
  const artifactFile = await binaryBeside(envelopeFile, name);
  return {
    envelope: envelopeFile,
    artifact: {
      name,
      sha256: asString(asRecord(subject.digest).sha256, 'subject digest', source),
      ...(artifactFile ? { file: artifactFile } : {}),
    },
    module: asString(external.module, 'module', source),
    package: asString(external.package, 'package', source),
    goos: asString(external.goos, 'goos', source),
    goarch: asString(external.goarch, 'goarch', source),
    go: asString(external.go, 'Go version', source),
    tags: asStrings(external.tags, 'tags', source),
    ldflags: asStrings(external.ldflags, 'ldflags', source),
    toolchainH1: asString(asRecord(toolchain?.annotations).h1, 'toolchain digest', source),
    source: {
      dirHash: asString(asRecord(sourceDependency?.digest).dirHash, 'source tree digest', source),
      ...(files ? { files } : {}),
      excluded: asStrings(sourceAnnotations.excluded, 'excluded paths', source),
    },
    moduleSource: jsonText(internal.moduleSource ?? 'none'),
    modules: dependencies
      .filter((d) => typeof d.uri === 'string' && d.uri.startsWith('pkg:golang/') && d !== toolchain)
      .map((d) => {
        const [modulePath, version] = jsonText(d.name).split('@') as [string, string];
        const sum = asRecord(d.annotations).goSum;
        return { path: modulePath, version, ...(typeof sum === 'string' ? { sum } : {}) };
      }),
    seccomp: jsonText(sandbox.seccomp ?? 'engine-default'),
    limits: {
      ...(typeof policy.memoryBytes === 'number' ? { memoryBytes: policy.memoryBytes } : {}),
      ...(typeof policy.pidsLimit === 'number' ? { pidsLimit: policy.pidsLimit } : {}),
      ...(typeof policy.tmpfsSizeBytes === 'number' ? { tmpfsSizeBytes: policy.tmpfsSizeBytes } : {}),
      ...(typeof policy.scratchBytes === 'number' ? { scratchBytes: policy.scratchBytes } : {}),
      ...(typeof policy.nofile === 'number' ? { nofile: policy.nofile } : {}),
      ...(typeof policy.timeoutSeconds === 'number' ? { timeoutSeconds: policy.timeoutSeconds } : {}),
    },
  };
}

/** Names what differs between the recorded source files and the ones given, for the refusal message. */
export function describeSourceChanges(recorded: Record<string, string>, current: Record<string, string>): string[] {
  const changes: string[] = [];
  for (const [file, sha256] of Object.entries(current)) {
    if (!(file in recorded)) changes.push(`${file} is new`);
    else if (recorded[file] !== sha256) changes.push(`${file} changed (sha256 ${recorded[file]!.slice(0, 12)}… recorded, ${sha256.slice(0, 12)}… now)`);
  }
  for (const file of Object.keys(recorded)) if (!(file in current)) changes.push(`${file} is missing`);
  return changes.sort();
}

/**
 * The verdict on one artifact from three digests: what the envelope records, what the rebuild gave, and the
 * binary beside the envelope when there is one. REPRODUCED only when the rebuild and that binary both are
 * what the envelope records; otherwise every digest is shown. compareBytes: the binary beside the envelope
 * is the recorded one, so comparing it with the rebuild says where the bytes differ.
 */
export function compareReproduction(digests: { recorded: string; rebuilt: string; beside?: string }): {
  status: ReproduceResult['status'];
  differences: string[];
  compareBytes: boolean;
} {
  const { recorded, rebuilt, beside } = digests;
  if (rebuilt === recorded) {
    if (beside === undefined || beside === recorded) return { status: 'REPRODUCED', differences: [], compareBytes: false };
    return {
      status: 'DIFFERENT',
      differences: [`the rebuild matches the envelope (sha256 ${recorded}), but the binary beside it (sha256 ${beside}) does not`],
      compareBytes: false,
    };
  }
  const digestsDiffer = `the envelope records sha256 ${recorded}, the rebuild is sha256 ${rebuilt}`;
  if (beside === undefined) {
    return { status: 'DIFFERENT', differences: [digestsDiffer, 'the recorded binary is not beside its envelope, so only the digests can be compared'], compareBytes: false };
  }
  if (beside !== recorded) return { status: 'DIFFERENT', differences: [`${digestsDiffer}, the binary beside it is sha256 ${beside}`], compareBytes: false };
  return { status: 'DIFFERENT', differences: [digestsDiffer], compareBytes: true };
}

export interface ReproduceOptions {
  sourceDir: string;
  modulesFile?: string;
  /** With modulesFile: how the set's modules are proven in the Go checksum database. */
  checksumDatabase?: ChecksumDatabaseRequest;
  seccomp?: string;
  airlockHome: string;
  publicKey?: KeyObject;
}

/**
 * Rebuilds one recorded artifact exactly as recorded and compares the bytes. Every pinned input is checked
 * before anything is built: the source tree digest, the module path, the toolchain digest, the module list
 * and where the modules come from; the first difference stops the reproduction with its name.
 */
export async function reproduceArtifact(
  engine: ContainerEngine,
  engineFacts: EngineFacts,
  recorded: RecordedBuild,
  options: ReproduceOptions,
  reporter: Reporter,
): Promise<ReproduceResult> {
  const module = await readGoModule(options.sourceDir);
  if (module.goMod.module !== recorded.module) {
    throw new VerificationError(`${recorded.artifact.name}: the source is module ${module.goMod.module}, the provenance records ${recorded.module}`, { hint: 'pass --source with the recorded module' });
  }
  const exclude = recorded.source.excluded.map((relative) => path.join(module.dir, ...relative.split('/')));
  const source = await listSourceTree(module.dir, { exclude });
  for (const output of source.outputs) reporter.info(`not counting ${output}/ as source: an airlock output directory`);
  const digest = await digestSourceTree(module.dir, source.entries);
  if (digest.digest !== recorded.source.dirHash) {
    const changes = recorded.source.files ? describeSourceChanges(recorded.source.files, digest.files) : [];
    throw new VerificationError(
      `${recorded.artifact.name}: the source tree differs from the record (dirHash ${recorded.source.dirHash} recorded, ${digest.digest} now)${changes.length > 0 ? `: ${changes.join('; ')}` : ''}`,
      { hint: 'check out exactly the recorded source (the provenance records its git commit when there was one)' },
    );
  }
  const scratch = await createScratchDir('airlock-reproduce');
  const out = scratch.path;
  const request: BuildRequest = {
    dir: module.dir,
    targets: [`${recorded.goos}/${recorded.goarch}`],
    mains: [recorded.package],
    out: path.join(out, 'dist'),
    toolchains: [recorded.go],
    ldflags: recorded.ldflags,
    tags: recorded.tags,
    jobs: 1,
    airlockHome: options.airlockHome,
    // The rebuild sends exactly the tree whose digest was just checked.
    sourceExclude: exclude,
    ...(options.modulesFile !== undefined ? { modulesFile: options.modulesFile } : {}),
    ...(options.checksumDatabase !== undefined ? { checksumDatabase: options.checksumDatabase } : {}),
    ...(options.seccomp !== undefined ? { seccomp: options.seccomp } : recorded.seccomp === 'engine-default' ? { seccomp: 'engine-default' } : {}),
    // The rebuild runs under the recorded limits, whatever airlock.json says today.
    recordedLimits: recorded.limits,
  };
  try {
    const prepared = await prepareBuild(request, engineFacts);
    try {
      const toolchain = [...prepared.toolchains.values()][0]!.toolchain;
      if (toolchain.treeDigest !== recorded.toolchainH1) {
        throw new VerificationError(`${recorded.artifact.name}: the stored ${toolchain.version} is ${toolchain.treeDigest}, the provenance records ${recorded.toolchainH1}`, {
          hint: 'import the recorded toolchain (its h1 is in the provenance)',
        });
      }
      if (prepared.moduleInputs.source !== recorded.moduleSource) {
        throw new VerificationError(`${recorded.artifact.name}: modules come from ${prepared.moduleInputs.source} here, from ${recorded.moduleSource} in the record`, {
          hint: recorded.moduleSource === 'module-set' ? 'pass --modules with the recorded module set' : 'use the recorded vendor/ directory',
        });
      }
      const here = new Map(prepared.moduleInputs.modules.map((m) => [m.path, m]));
      for (const module of recorded.modules) {
        const mine = here.get(module.path);
        if (!mine || mine.version !== module.version || (module.sum && mine.sum !== module.sum)) {
          throw new VerificationError(`${recorded.artifact.name}: module ${module.path} is ${mine ? `${mine.version} ${mine.sum ?? ''}`.trim() : 'absent'} here, ${module.version} ${module.sum ?? ''} in the record`.trim(), {
            hint: 'restore the recorded go.mod, go.sum and vendor/ (or module set)',
          });
        }
      }
      if (recorded.seccomp !== 'engine-default' && !recorded.seccomp.includes(prepared.policy.seccomp.digest ?? 'none')) {
        reporter.warn(`${recorded.artifact.name}: the recorded seccomp profile (${recorded.seccomp}) differs from this one (${prepared.policy.seccomp.digest}); the bytes do not depend on it`);
      }
      await executeBuild(engine, prepared, reporter);
    } finally {
      await releasePreparedBuild(prepared);
    }
    const rebuilt = path.join(out, 'dist', path.posix.basename(prepared_output(recorded)));
    const actual = await sha256File(rebuilt);
    const besideFile = recorded.artifact.file;
    const beside = besideFile !== undefined ? await sha256File(besideFile) : undefined;
    const verdict = compareReproduction({ recorded: recorded.artifact.sha256, rebuilt: actual, ...(beside !== undefined ? { beside } : {}) });
    const differences =
      verdict.compareBytes && besideFile !== undefined
        ? [...verdict.differences, ...describeBinaryDifference(await fs.readFile(besideFile), await fs.readFile(rebuilt))]
        : verdict.differences;
    return { artifact: recorded.artifact.name, status: verdict.status, expected: recorded.artifact.sha256, actual, ...(beside !== undefined ? { beside } : {}), differences };
  } finally {
    await scratch.remove();
  }
}

function prepared_output(recorded: RecordedBuild): string {
  return recorded.artifact.name;
}
