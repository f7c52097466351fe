import { InputError } from '../errors.js';
import { canonicalJson } from '../util/canonical-json.js';
import { sha256Hex } from '../util/hash.js';
import type { BuildPlan, PlanJob } from './build-plan.js';
import { countOf } from '../report/wording.js';

/** Written by `airlock build --shard` into its output directory; read by `airlock merge`. */
export const SHARD_MANIFEST_FILE = 'airlock-shard.json';
/** Names the shard manifest's format, so `airlock merge` can check it has every shard of one plan. */
export const SHARD_SCHEMA = 'airlock.dev/shard/v1';
/** GitHub refuses a matrix of more than 256 jobs; GitLab's parallel:matrix allows 200. */
export const MAX_SHARDS = 200;

export interface ShardSpec {
  /** 1-based. */
  index: number;
  count: number;
}

export interface ShardManifest {
  schema: typeof SHARD_SCHEMA;
  shard: ShardSpec;
  /** The digest of the whole plan the shard was cut from: shards of different plans never merge. */
  planDigest: string;
  layout: BuildPlan['layout'];
  /** Every output of the whole plan, and the ones this shard built. */
  planOutputs: string[];
  outputs: string[];
}

export function formatShard(spec: ShardSpec): string {
  return `${spec.index}/${spec.count}`;
}

export function parseShardSpec(text: string): ShardSpec {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || count < 1 || index < 1 || index > count || count > MAX_SHARDS) {
    throw new InputError(`--shard ${text} is not a shard of the plan`, {
      hint: `write I/N with 1 <= I <= N <= ${MAX_SHARDS}, e.g. --shard 2/4`,
    });
  }
  return { index, count };
}

export function validateShardCount(count: number): number {
  if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS) {
    throw new InputError(`--shards ${count} is not a number of shards`, { hint: `give a whole number from 1 to ${MAX_SHARDS}` });
  }
  return count;
}

/**
 * Cuts the plan's jobs into `count` contiguous runs of near-equal length, in plan order (toolchain, package,
 * target), so a shard needs as few sandbox images as possible and the same plan always splits the same way.
 */
export function splitPlan(plan: BuildPlan, count: number): PlanJob[][] {
  validateShardCount(count);
  const jobs = plan.jobs;
  if (count > jobs.length) {
    throw new InputError(`${count} shards are more than the ${countOf(jobs.length, 'build')} of the plan`, {
      hint: `use at most ${jobs.length} shards, or add targets`,
    });
  }
  const shards: PlanJob[][] = [];
  for (let shard = 0; shard < count; shard++) {
    shards.push(jobs.slice(Math.floor((shard * jobs.length) / count), Math.floor(((shard + 1) * jobs.length) / count)));
  }
  return shards;
}

/** What identifies a plan: everything but where it is built. Two machines resolving the same plan agree on it. */
export function planDigest(plan: BuildPlan): string {
  const { module, toolchains, layout, flags, jobs, modules } = plan;
  return `sha256:${sha256Hex(
    canonicalJson({
      module,
      toolchains: toolchains.map(({ version, platform, digest }) => ({ version, platform, digest })),
      layout,
      flags,
      jobs: jobs.map(({ id, toolchain, package: pkg, target, output }) => ({ id, toolchain, package: pkg, target, output })),
      modules: modules ? { source: modules.source, list: modules.list } : undefined,
    }),
  )}`;
}

/** The plan narrowed to one shard, and the manifest that shard's output directory carries. */
export function selectShard(plan: BuildPlan, spec: ShardSpec): { plan: BuildPlan; manifest: ShardManifest } {
  const shards = splitPlan(plan, spec.count);
  const jobs = shards[spec.index - 1]!;
  return {
    plan: { ...plan, jobs },
    manifest: {
      schema: SHARD_SCHEMA,
      shard: spec,
      planDigest: planDigest(plan),
      layout: plan.layout,
      planOutputs: plan.jobs.map((job) => job.output),
      outputs: jobs.map((job) => job.output),
    },
  };
}
