import type { ContainerEngine } from '../../engine/engine.js';
import type { BuildPlan } from '../../plan/build-plan.js';
import type { Reporter } from '../../report/reporter.js';
import type { ArtifactSummary } from '../../report/summary.js';
import type { AttestationOptions } from './request.js';
import type { ResolvedBuild } from './resolve.js';
import { closeBuildRun, openBuildRun } from './run.js';
import type { BuildStage } from './stage.js';
import { attest } from './stages/attest.js';
import { buildTargets } from './stages/build-targets.js';
import { includeTestRun } from './stages/include-test-run.js';
import { writeChecksums, writeManifest } from './stages/checksums.js';
import { gpgSignChecksums } from './stages/gpg-sign.js';
import { normaliseOutputs, publish } from './stages/publish.js';
import { readSource } from './stages/read-source.js';
import { writeShardManifest } from './stages/shard-manifest.js';

/** A build, stage by stage (docs/architecture.md). Nothing reaches the output directory before `publish`. */
export const BUILD_STAGES: readonly BuildStage[] = [readSource, buildTargets, attest, includeTestRun, writeChecksums, gpgSignChecksums, writeShardManifest, writeManifest, normaliseOutputs, publish];

export interface BuildOutcome {
  plan: BuildPlan;
  outDir: string;
  artifacts: ArtifactSummary[];
  imagesBuilt: string[];
}

/**
 * Runs a resolved build on the engine and publishes the outputs, or leaves the output directory untouched.
 * Interrupts, failures and clean-up are handled here once, for every stage.
 */
export async function executeBuild(
  engine: ContainerEngine,
  build: ResolvedBuild,
  reporter: Reporter,
  attestation: AttestationOptions = { sbom: false },
  stages: readonly BuildStage[] = BUILD_STAGES,
): Promise<BuildOutcome> {
  const run = openBuildRun(build, engine, reporter, attestation);
  try {
    for (const stage of stages) if (!stage.skip?.(run)) await stage.run(run);
  } finally {
    await closeBuildRun(run);
  }
  const artifacts = [...run.artifacts].sort((a, b) => (a.file < b.file ? -1 : 1));
  return {
    plan: build.plan,
    outDir: build.run.outDir,
    artifacts: artifacts.map(({ job: _job, startedOn: _s, finishedOn: _f, placement: _p, ...summary }) => summary),
    imagesBuilt: run.imagesBuilt,
  };
}
