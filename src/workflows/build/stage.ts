import type { BuildRun } from './run.js';

/**
 * One step of a build, as GoReleaser's pipes are: a name for messages and docs, an optional reason to be
 * skipped, and the work, which reads and extends the run. The stages run in the order of BUILD_STAGES.
 */
export interface BuildStage {
  readonly name: string;
  skip?(run: BuildRun): boolean;
  run(run: BuildRun): Promise<void>;
}

/** The run's staging directory, which the source stage opens before any stage writes an output. */
export function stagingOf(run: BuildRun) {
  if (!run.staging) throw new Error('the staging directory is opened by the source stage, which has not run');
  return run.staging;
}

/** What the source stage learned; every later stage sends and records exactly that tree. */
export function sourceOf(run: BuildRun) {
  if (!run.source) throw new Error('the source is read by the source stage, which has not run');
  return run.source;
}
