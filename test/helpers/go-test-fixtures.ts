/**
 * The captured streams of test/fixtures/go-test-json/ (its README says how each was made), read for the
 * gotest tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { parseTestEvents } from '../../src/gotest/test-events.js';
import { type SummarizeOptions, type TestRunSummary, summarizeTestRun } from '../../src/gotest/test-run.js';
import { type VetReport, parseVetReport } from '../../src/gotest/vet-report.js';
import { packageRoot } from '../../src/util/package-root.js';

export const FIXTURES = path.join(packageRoot(), 'test', 'fixtures', 'go-test-json');

export const GO_VERSIONS = ['go1.26.8', 'go1.27.3'] as const;
export type GoVersion = (typeof GO_VERSIONS)[number];

/** The go test streams, by the name their files start with. */
export const TEST_STREAMS = [
  'passing',
  'failing',
  'skips',
  'panic',
  'timeout',
  'build-failed',
  'build-failed-stderr-merged',
  'vet-failed',
  'hostile',
  'example-failed',
  'flaky-count-2',
] as const;
export type TestStreamName = (typeof TEST_STREAMS)[number];

export const VET_OUTPUTS = ['go-vet-findings', 'go-vet-clean', 'go-vet-type-error', 'go-vet-bad-pattern'] as const;
export type VetOutputName = (typeof VET_OUTPUTS)[number];

// The exit codes the README's table records.
const VET_EXIT_CODES: Record<VetOutputName, number> = { 'go-vet-findings': 0, 'go-vet-clean': 0, 'go-vet-type-error': 1, 'go-vet-bad-pattern': 1 };

export function fixturePath(name: string, version: GoVersion, extension: string): string {
  return path.join(FIXTURES, `${name}.${version}.${extension}`);
}

export function readStream(name: TestStreamName, version: GoVersion): string {
  return readFileSync(fixturePath(name, version, 'json'), 'utf8');
}

export function summaryOf(name: TestStreamName, version: GoVersion, options: SummarizeOptions = {}): TestRunSummary {
  return summarizeTestRun(parseTestEvents(readStream(name, version)), options);
}

/** The module directory vet ran in, which its positions start with. */
export const VET_SOURCE_ROOT = '/tmp/wt-gotest-mods/vetfail';

export function vetReportOf(name: VetOutputName, version: GoVersion): VetReport {
  const stderrFile = fixturePath(name, version, 'stderr');
  const stderr = existsSync(stderrFile) ? readFileSync(stderrFile, 'utf8') : '';
  return parseVetReport({ stdout: readFileSync(fixturePath(name, version, 'json'), 'utf8'), stderr, exitCode: VET_EXIT_CODES[name] }, { sourceRoot: VET_SOURCE_ROOT });
}
