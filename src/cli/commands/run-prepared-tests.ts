/** Running a prepared test run and reporting it: `airlock test`, and `airlock build --test` before it builds. */
import path from 'node:path';
import type { ContainerEngine } from '../../engine/engine.js';
import { BuildError } from '../../errors.js';
import { testTableRows } from '../../gotest/summary-table.js';
import type { Signer } from '../../provenance/dsse.js';
import { formatTable } from '../../report/summary.js';
import { countOf } from '../../report/wording.js';
import { type ResolvedTestRun, type ToolchainTestOutcome, executeTestRun, releaseTestRun } from '../../workflows/test/index.js';
import type { CommandContext } from '../context.js';

/** The terminal's summary: per toolchain, a row per package and a total whose status is the run's verdict. */
export function formatTestSummary(outcomes: readonly ToolchainTestOutcome[]): string {
  return outcomes
    .map((outcome) => {
      const reasons = outcome.summary.resultReasons.length > 0 ? ` (${outcome.summary.resultReasons.join(', ')})` : '';
      return [`${outcome.toolchain} on ${outcome.target}: ${outcome.summary.result}${reasons}`, formatTable(testTableRows(outcome.summary))].join('\n');
    })
    .join('\n\n');
}

/**
 * Runs a prepared test run, prints its summary, and fails with exit 3 when a toolchain's result is FAILED (the
 * reports are published first: a CI system wants a failing run's JUnit most). `build --test` runs it too.
 */
export async function runPreparedTests(
  context: CommandContext,
  engine: ContainerEngine,
  test: ResolvedTestRun,
  signer: Signer | undefined,
  options: { json: boolean; out: string; failure: string; summaryOnStdout: boolean },
): Promise<ToolchainTestOutcome[]> {
  let outcomes: ToolchainTestOutcome[];
  try {
    for (const note of test.build.notes) context.reporter.info(note);
    context.reporter.info(test.build.moduleInputs.summary);
    const vets = test.jobs.filter((job) => job.kind === 'vet').length;
    const { engine: platform } = test.build;
    context.reporter.info(
      `go vet for ${countOf(vets, 'target')} and go test on ${platform.os}/${platform.arch} of ${test.build.plan.module.path} (${test.selection.packages.join(' ')})` +
        ` with ${test.build.plan.toolchains.map((t) => t.version).join(', ')}, offline, up to ${test.build.run.jobs} at once`,
    );
    ({ outcomes } = await executeTestRun(engine, test, context.reporter, signer ? { signer, sbom: false } : { sbom: false }));
  } finally {
    await releaseTestRun(test);
  }
  if (options.summaryOnStdout) {
    // The command's own result: the live view ends first, and the table goes to stdout (not with --json).
    context.reporter.close();
    if (!options.json) context.stdout.write(`${formatTestSummary(outcomes)}\n`);
  } else if (!options.json) {
    for (const line of formatTestSummary(outcomes).split('\n')) context.reporter.info(line);
  }
  context.reporter.info(`wrote the go test -json streams, go vet reports, junit.xml, ${signer ? 'signed' : 'unsigned'} test-result attestations and SHA256SUMS to ${options.out}`);
  const failed = outcomes.filter((outcome) => outcome.summary.result === 'FAILED');
  if (failed.length > 0) {
    throw new BuildError(`the tests failed${options.failure}: ${failed.map((o) => `${o.toolchain}: ${o.summary.resultReasons.join(', ')}`).join('; ')}`, {
      hint: `see the failures above and in ${path.join(options.out, 'junit.xml')}`,
    });
  }
  return outcomes;
}

