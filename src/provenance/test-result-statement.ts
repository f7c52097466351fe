/**
 * The in-toto test-result attestation of one `go test` run in the sandbox (predicate test-result v0.1).
 * Subjects: the source tree, by the same digests the build provenance uses, and the go test -json stream's
 * sha256, so standard tools (cosign verify-blob-attestation) can check the envelope against that file.
 * Configuration: the toolchain, the test policy and its seccomp profile, the image and the exact command.
 * airlock's own fields live inside the predicate with the airlock_ prefix (in-toto's rule for extensions:
 * consumers ignore what they do not know; a field beside the predicate would break strict parsers).
 */
import { pathToFileURL } from 'node:url';
import { h1ToHex } from '../util/hash.js';
import { type ResourceDescriptor, STATEMENT_TYPE } from './statement.js';

export const TEST_RESULT_V01 = 'https://in-toto.io/attestation/test-result/v0.1';

export type TestResultVerdict = 'PASSED' | 'WARNED' | 'FAILED';

export interface TestResultInput {
  result: TestResultVerdict;
  /** Test names as importpath#TestName/sub (`#` never occurs in an import path). */
  passedTests: readonly string[];
  failedTests: readonly string[];
  /** Skipped tests: the predicate has no field of its own for them. */
  warnedTests: readonly string[];
  source: { path: string; treeDigest: string; gitCommit?: string };
  /** The go test -json stream as written beside the envelope. */
  stream: { name: string; sha256: string };
  toolchain: { version: string; treeDigest: string; moduleVersion: string; platform: string };
  sandbox: { image: string; imageId: string; policyDigest: string; seccomp: string; network: string };
  command: readonly string[];
  environment: Readonly<Record<string, string>>;
  target: string;
  /** Counts and what else airlock knows of the run, recorded as airlock_ extensions. */
  counts: { passed: number; failed: number; skipped: number; errors: number; packages: number };
  /** The go vet reports of the same toolchain, by name and sha256, with their findings' count. */
  vet: ReadonlyArray<{ name: string; sha256: string; target: string; findings: number; failed: boolean }>;
  airlockVersion: string;
  invocationId: string;
  startedOn: Date;
  finishedOn: Date;
}

export interface TestResultStatement {
  _type: typeof STATEMENT_TYPE;
  subject: ResourceDescriptor[];
  predicateType: typeof TEST_RESULT_V01;
  predicate: {
    result: TestResultVerdict;
    configuration: ResourceDescriptor[];
    passedTests: string[];
    warnedTests: string[];
    failedTests: string[];
    [extension: `airlock_${string}`]: unknown;
  };
}

function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Pure: the statement for one test run. */
export function buildTestResultStatement(input: TestResultInput): TestResultStatement {
  return {
    _type: STATEMENT_TYPE,
    subject: [
      {
        name: 'source',
        uri: pathToFileURL(input.source.path).href,
        digest: { dirHash: input.source.treeDigest, ...(input.source.gitCommit ? { gitCommit: input.source.gitCommit } : {}) },
      },
      { name: input.stream.name, digest: { sha256: input.stream.sha256 }, mediaType: 'application/x-ndjson' },
    ],
    predicateType: TEST_RESULT_V01,
    predicate: {
      result: input.result,
      configuration: [
        {
          name: `go-toolchain:${input.toolchain.version}`,
          uri: `pkg:golang/golang.org/toolchain@${input.toolchain.moduleVersion}`,
          digest: { dirHash: h1ToHex(input.toolchain.treeDigest) },
          annotations: { h1: input.toolchain.treeDigest, platform: input.toolchain.platform },
        },
        { name: 'sandbox-image', uri: input.sandbox.image, digest: { sha256: input.sandbox.imageId.replace(/^sha256:/, '') } },
        { name: 'sandbox-policy', digest: { sha256: input.sandbox.policyDigest.replace(/^sha256:/, '') }, annotations: { network: input.sandbox.network, seccomp: input.sandbox.seccomp } },
        { name: 'command', annotations: { command: [...input.command], environment: { ...input.environment } } },
        ...input.vet.map((vet) => ({ name: vet.name, digest: { sha256: vet.sha256 }, annotations: { tool: 'go vet', target: vet.target, findings: vet.findings, failed: vet.failed } })),
      ],
      passedTests: [...input.passedTests],
      warnedTests: [...input.warnedTests],
      failedTests: [...input.failedTests],
      airlock_target: input.target,
      airlock_counts: { ...input.counts },
      airlock_version: input.airlockVersion,
      airlock_invocationId: input.invocationId,
      airlock_startedOn: timestamp(input.startedOn),
      airlock_finishedOn: timestamp(input.finishedOn),
    },
  };
}
