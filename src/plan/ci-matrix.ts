import type { BuildPlan, PlanJob } from './build-plan.js';
import { formatShard, splitPlan } from './shards.js';

export const PLAN_FORMATS = ['table', 'json', 'github', 'gitlab'] as const;
export type PlanFormat = (typeof PLAN_FORMATS)[number];

export interface ShardSummary {
  shard: string;
  jobs: number;
  targets: string;
  toolchains: string;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

export function summariseShards(plan: BuildPlan, count: number): ShardSummary[] {
  return splitPlan(plan, count).map((jobs: PlanJob[], index) => ({
    shard: formatShard({ index: index + 1, count }),
    jobs: jobs.length,
    targets: unique(jobs.map((job) => job.target)).join(' '),
    toolchains: unique(jobs.map((job) => job.toolchain)).join(' '),
  }));
}

/** GitHub Actions: the object `strategy.matrix: ${{ fromJSON(...) }}` takes, one matrix entry per shard. */
export function githubMatrix(plan: BuildPlan, count: number): { include: ShardSummary[] } {
  return { include: summariseShards(plan, count) };
}

/**
 * GitLab CI: a job for a child pipeline (JSON is YAML) whose parallel:matrix runs one job per shard; it
 * extends the hidden `.airlock-build` job that the pipeline template defines. Matrix entries become the
 * job's environment, so their names must not be ones airlock reads (AIRLOCK_TOOLCHAINS names the toolchain
 * matrix file): the shard's targets and toolchains, shown in the job's name, are AIRLOCK_SHARD_*.
 */
export function gitlabMatrix(plan: BuildPlan, count: number): Record<string, unknown> {
  return {
    'airlock-build': {
      extends: '.airlock-build',
      parallel: {
        matrix: summariseShards(plan, count).map((shard) => ({
          AIRLOCK_SHARD: shard.shard,
          AIRLOCK_SHARD_TARGETS: shard.targets,
          AIRLOCK_SHARD_TOOLCHAINS: shard.toolchains,
        })),
      },
    },
  };
}
