/**
 * A test run as table rows for the terminal: one row per package and a total. Only strings come out (the
 * report layer lays them out); every cell is one line, with the control characters a package name could
 * carry out of the sandbox escaped.
 */
import { oneLine } from '../errors.js';
import { type PackageResult, type PackageStatus, type TestRunSummary } from './test-run.js';

export const TEST_TABLE_HEADER: readonly string[] = ['PACKAGE', 'STATUS', 'PASSED', 'FAILED', 'SKIPPED', 'TIME'];

const STATUS_WORDS: Record<PackageStatus, string> = {
  passed: 'ok',
  failed: 'FAIL',
  skipped: 'skipped',
  'build-failed': 'build failed',
  unfinished: 'unfinished',
};

function statusWord(pkg: PackageResult): string {
  if (pkg.status === 'skipped' && pkg.noTestFiles) return 'no test files';
  if (pkg.status === 'failed' && pkg.timedOut) return 'FAIL (timeout)';
  if (pkg.status === 'failed' && pkg.panicked) return 'FAIL (panic)';
  return STATUS_WORDS[pkg.status];
}

function secondsCell(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '-' : `${value.toFixed(2)}s`;
}

/**
 * The header, a row per package (FAILED counts tests that failed or never finished) and a total row. The
 * total's STATUS is the run's result.
 */
export function testTableRows(summary: TestRunSummary): string[][] {
  const rows = summary.packages.map((pkg) => [
    oneLine(pkg.importPath),
    statusWord(pkg),
    String(pkg.counts.passed),
    String(pkg.counts.failed + pkg.counts.unfinished),
    String(pkg.counts.skipped),
    secondsCell(pkg.elapsed),
  ]);
  const time = summary.packages.reduce((sum, pkg) => sum + (pkg.elapsed !== undefined && Number.isFinite(pkg.elapsed) ? pkg.elapsed : 0), 0);
  const { counts } = summary;
  const total = ['total', summary.result, String(counts.passed), String(counts.failed + counts.unfinished), String(counts.skipped), secondsCell(time)];
  return [[...TEST_TABLE_HEADER], ...rows, total];
}
