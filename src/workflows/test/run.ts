import type { ContainerEngine } from '../../engine/engine.js';
import type { Reporter } from '../../report/reporter.js';
import { type BuildRun, openBuildRun } from '../build/run.js';
import type { AttestationOptions } from '../build/request.js';
import type { TestRunSummary } from '../../gotest/test-run.js';
import type { ResolvedTestRun, TestJob } from './resolve.js';

/** What one vet or test job printed, as the sandbox returned it; judging it is the reports' work. */
export interface TestJobResult {
  readonly job: TestJob;
  readonly exitCode: number;
  /** The -json stream of go test, the -json report of go vet. */
  readonly stdout: string;
  /** The go command's own errors. */
  readonly stderr: string;
  readonly startedOn: Date;
  readonly finishedOn: Date;
}

/** One toolchain's test run, judged: what the summary table, the JUnit file and the attestation are made of. */
export interface ToolchainTestOutcome {
  toolchain: string;
  target: string;
  summary: TestRunSummary;
  /** The go test -json stream's file, and its envelope's, in the output directory. */
  stream: string;
  envelope: string;
}

/**
 * A test run is a build run (the same engine resources, workers, staging and clean-up: docs/architecture.md)
 * carrying the resolved test jobs and what each printed.
 */
export interface TestRun extends BuildRun {
  readonly test: ResolvedTestRun;
  readonly results: TestJobResult[];
  readonly outcomes: ToolchainTestOutcome[];
}

export function openTestRun(test: ResolvedTestRun, engine: ContainerEngine, reporter: Reporter, attestation: AttestationOptions): TestRun {
  const run = openBuildRun(test.build, engine, reporter, attestation) as TestRun;
  return Object.assign(run, { test, results: [] as TestJobResult[], outcomes: [] as ToolchainTestOutcome[] });
}

/** One step of a test run, as a build stage is one of a build. */
export interface TestStage {
  readonly name: string;
  run(run: TestRun): Promise<void>;
}

/**
 * The report file of a job, as written to the output directory: go test's -json stream (its stdout); go vet's
 * -json report (its stdout) followed by what it wrote to stderr (a package it could not load, a type error).
 */
export function reportText(result: TestJobResult): string {
  return result.job.kind === 'test' ? result.stdout : result.stdout + result.stderr;
}
