import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { onInterrupt } from '../../cleanup.js';
import type { ContainerEngine, ContainerPlacement } from '../../engine/engine.js';
import type { AirlockError } from '../../errors.js';
import type { GitFacts } from '../../provenance/git-source.js';
import type { OutputStaging } from '../../release/output-directory.js';
import type { Reporter } from '../../report/reporter.js';
import type { ArtifactSummary } from '../../report/summary.js';
import { SandboxImages } from '../../sandbox/ensure-image.js';
import { ResourceTracker } from '../../sandbox/resource-tracker.js';
import { ScratchGuard } from '../../sandbox/scratch-guard.js';
import type { SourceDigest, SourceEntry } from '../../sandbox/source-tree.js';
import type { SandboxWorker } from '../../sandbox/worker.js';
import { WorkerPool } from '../../sandbox/worker-pool.js';
import type { AttestationOptions } from './request.js';
import type { BuildJob, ResolvedBuild } from './resolve.js';
import { openWorker } from './worker-request.js';
import type { ScratchDir } from '../../util/scratch-dir.js';

/** A binary built, checked and staged, with the job record it was built from. */
export interface BuiltArtifact extends ArtifactSummary {
  job: BuildJob;
  /** Where the engine ran the build, when it says (the Kubernetes executor: pod, node, pod spec digest). */
  placement?: ContainerPlacement;
  startedOn: Date;
  finishedOn: Date;
}

/** What the source stage learned: the tree sent to the sandbox, its digest, and the git facts around it. */
export interface SourceFacts {
  digest: SourceDigest;
  git: GitFacts | undefined;
  /**
   * Every absolute path left out of the source: the resolved exclusions (the output directory, reproduce's
   * recorded ones) and the earlier airlock outputs found while listing. Workers send exactly this tree, and
   * the provenance records it.
   */
  exclude: readonly string[];
  /** The tar of exactly the digested tree, which fills the run's source volume. */
  archive: string;
  /** The tree the archive holds, in listing order. */
  entries: readonly SourceEntry[];
}

/**
 * One run of a resolved build: the engine resources it holds and what its stages have produced so far. The
 * stages fill it in order (docs/architecture.md); `closeBuildRun` releases everything, whatever happened.
 */
export interface BuildRun {
  readonly build: ResolvedBuild;
  readonly engine: ContainerEngine;
  readonly reporter: Reporter;
  readonly attestation: AttestationOptions;
  /** Names this run's containers and volumes. */
  readonly runId: string;
  readonly tracker: ResourceTracker;
  readonly images: SandboxImages;
  /** Holds every worker's scratch to sandbox.scratchMiB (see scratch-guard.ts). */
  readonly guard: ScratchGuard;
  readonly pool: WorkerPool<SandboxWorker>;
  source?: SourceFacts;
  staging?: OutputStaging;
  readonly artifacts: BuiltArtifact[];
  readonly imagesBuilt: string[];
  /** SBOMs written by the attest stage, by output path: SHA256SUMS lists them too. */
  readonly sboms: Map<string, { name: string; sha256: string }>;
  /** `build --test`: the test run's reports and streams the stage copied in, for the top-level SHA256SUMS. */
  readonly testRunFiles: Array<{ name: string; sha256: string }>;
  failures: AirlockError[];
  /** Removes the interrupt clean-up registered for this run. */
  readonly forgetInterrupt: () => void;
  /** Temporary directories of the run (the source archive), removed when it closes. */
  readonly scratchDirs: ScratchDir[];
  /** The volumes every worker of the run mounts read-only, each filled once: by what they hold. */
  readonly sharedVolumes: Map<string, Promise<string>>;
  /** What the run gives back when it ends, after its workers are gone (a kept source volume's lock). */
  readonly releases: Array<() => Promise<void>>;
}

export function openBuildRun(build: ResolvedBuild, engine: ContainerEngine, reporter: Reporter, attestation: AttestationOptions): BuildRun {
  const tracker = new ResourceTracker(engine);
  const guard = new ScratchGuard(engine);
  const runId = randomBytes(6).toString('hex');
  let workers = 0;
  const run: BuildRun = {
    build,
    engine,
    reporter,
    attestation,
    runId,
    tracker,
    images: new SandboxImages(engine, path.join(build.run.airlockHome, 'locks'), { policy: build.policy, imageDir: path.join(build.run.airlockHome, 'images') }),
    guard,
    // With --check every build must start in a fresh container, so workers are not reused.
    pool: new WorkerPool((version: string) => openWorker(run, version, `airlock-${runId}-w${workers++}`), { reuse: !build.run.check }),
    artifacts: [],
    imagesBuilt: [],
    sboms: new Map(),
    testRunFiles: [],
    failures: [],
    scratchDirs: [],
    sharedVolumes: new Map(),
    releases: [],
    // Staged outputs go first: they are local and quick, while the engine may be the thing that stopped answering.
    forgetInterrupt: onInterrupt(async () => {
      await run.staging?.discard();
      await tracker.removeAll();
    }),
  };
  return run;
}

/** Discards what was not published, closes the workers and removes every container and volume of the run. */
export async function closeBuildRun(run: BuildRun): Promise<void> {
  await run.staging?.discard();
  await run.pool.closeAll().catch(() => undefined);
  const left = await run.tracker.removeAll();
  if (left.length > 0) run.reporter.warn(`could not remove ${left.join(', ')}: run \`airlock prune\` when the engine answers again`);
  await Promise.all(run.releases.map((release) => release().catch(() => undefined)));
  await Promise.all(run.scratchDirs.map((dir) => dir.remove().catch(() => undefined)));
  run.forgetInterrupt();
}
