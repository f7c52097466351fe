/**
 * `airlock test` as a use case: a build resolved for testing (the same gathering, module proof, toolchains and
 * targets as build, with the test policy), the vet and test jobs resolved from it, then the stages: read the
 * source, run the jobs, write the reports and attestations, normalise, publish. The reports are published
 * whatever the tests' result (a CI system wants the JUnit file of a failing run most); only a sandbox limit,
 * the engine or an interrupt leaves the output directory as it was.
 */
import type { ContainerEngine } from '../../engine/engine.js';
import { checkPackagePatterns } from '../../modules/package-patterns.js';
import type { Reporter } from '../../report/reporter.js';
import type { TestSelection } from '../../sandbox/go-test-command.js';
import { type AttestationOptions, type BuildRequest, type EngineFacts, prepareBuild, releasePreparedBuild } from '../build/index.js';
import { closeBuildRun } from '../build/run.js';
import { normaliseOutputs, publish } from '../build/stages/publish.js';
import { readSource } from '../build/stages/read-source.js';
import { writeManifest } from '../build/stages/checksums.js';
import { type ResolvedTestRun, resolveTestRun } from './resolve.js';
import { type TestStage, type ToolchainTestOutcome, openTestRun } from './run.js';
import { runTestJobs } from './run-jobs.js';
import { writeTestReports } from './write-reports.js';

export type { ResolvedTestRun, TestJob } from './resolve.js';
export type { ToolchainTestOutcome } from './run.js';

/** The output directory `airlock test` writes by default, in the module. */
export const DEFAULT_TEST_OUT = 'test-results';

/** In order; the build's source, normalise and publish stages serve a test run unchanged. */
export const TEST_STAGES: readonly TestStage[] = [readSource, runTestJobs, writeTestReports, writeManifest, normaliseOutputs, publish];

/** Gathers and resolves the build for testing, checks the package patterns, and resolves the test jobs. */
export async function prepareTestRun(request: Omit<BuildRequest, 'purpose' | 'mains' | 'ldflags'>, selection: TestSelection, engine: EngineFacts): Promise<ResolvedTestRun> {
  const build = await prepareBuild({ ...request, purpose: 'test', mains: [], ldflags: [] }, engine);
  try {
    const packages = await checkPackagePatterns(build.module.dir, build.plan.module.path, selection.packages);
    return resolveTestRun(build, { ...selection, packages });
  } catch (error) {
    await releasePreparedBuild(build);
    throw error;
  }
}

export async function releaseTestRun(test: ResolvedTestRun): Promise<void> {
  await releasePreparedBuild(test.build);
}

export interface TestOutcome {
  outDir: string;
  outcomes: ToolchainTestOutcome[];
  imagesBuilt: string[];
}

export async function executeTestRun(engine: ContainerEngine, test: ResolvedTestRun, reporter: Reporter, attestation: AttestationOptions): Promise<TestOutcome> {
  const run = openTestRun(test, engine, reporter, attestation);
  try {
    for (const stage of TEST_STAGES) await stage.run(run);
  } finally {
    await closeBuildRun(run);
  }
  return { outDir: test.build.run.outDir, outcomes: run.outcomes, imagesBuilt: run.imagesBuilt };
}
