import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import fc from 'fast-check';

import { ExitCode, InputError } from '../../../src/errors.js';
import type { BuildPlan } from '../../../src/plan/build-plan.js';
import { githubMatrix, gitlabMatrix } from '../../../src/plan/ci-matrix.js';
import { MAX_SHARDS, SHARD_SCHEMA, parseShardSpec, planDigest, selectShard, splitPlan } from '../../../src/plan/shards.js';
import { assertProperty } from '../../helpers/properties.js';
import { syntheticPlan } from '../../helpers/synthetic-plan.js';

const PORTS = ['linux/amd64', 'linux/arm64', 'linux/386', 'linux/riscv64', 'darwin/arm64', 'darwin/amd64', 'windows/amd64', 'windows/arm64', 'freebsd/amd64'];

function plan(toolchains: number, mains: number, targets: number): BuildPlan {
  return syntheticPlan(PORTS, toolchains, mains, targets);
}

const planShape = fc.record({
  toolchains: fc.integer({ min: 1, max: 3 }),
  mains: fc.integer({ min: 1, max: 3 }),
  targets: fc.integer({ min: 1, max: PORTS.length }),
});

test('every plan entry lands in exactly one shard, in plan order, and shard sizes differ by at most one', (t) => {
  assertProperty(
    t,
    fc.property(planShape, fc.integer({ min: 1, max: 100 }), (shape, wanted) => {
      const whole = plan(shape.toolchains, shape.mains, shape.targets);
      const count = Math.min(wanted, whole.jobs.length);
      const shards = splitPlan(whole, count);
      const ids = shards.flat().map((job) => job.id);
      const sizes = shards.map((shard) => shard.length);
      return (
        shards.length === count &&
        JSON.stringify(ids) === JSON.stringify(whole.jobs.map((job) => job.id)) &&
        Math.max(...sizes) - Math.min(...sizes) <= 1 &&
        sizes.every((size) => size >= 1)
      );
    }),
    { numRuns: 300 },
  );
});

test('the same plan always splits the same way, and selectShard agrees with splitPlan', (t) => {
  assertProperty(
    t,
    fc.property(planShape, fc.integer({ min: 1, max: 12 }), (shape, wanted) => {
      const first = plan(shape.toolchains, shape.mains, shape.targets);
      const second = plan(shape.toolchains, shape.mains, shape.targets);
      const count = Math.min(wanted, first.jobs.length);
      const shards = splitPlan(first, count);
      return shards.every((jobs, index) => {
        const selected = selectShard(second, { index: index + 1, count });
        return (
          JSON.stringify(selected.plan.jobs) === JSON.stringify(jobs) &&
          selected.manifest.planDigest === planDigest(first) &&
          JSON.stringify(selected.manifest.outputs) === JSON.stringify(jobs.map((job) => job.output))
        );
      });
    }),
    { numRuns: 200 },
  );
});

test('a 2 x 6 matrix in 4 shards keeps each toolchain together where it can', (t) => {
  const whole = plan(2, 1, 6);
  const shards = splitPlan(whole, 4).map((jobs) => jobs.map((job) => `${job.toolchain} ${job.target}`));
  t.snapshot(shards);
  t.deepEqual(
    shards.map((jobs) => new Set(jobs.map((job) => job.split(' ')[0])).size),
    [1, 1, 1, 1],
  );
});

test('the shard manifest names the plan, the shard and its outputs', (t) => {
  const { manifest, plan: shardPlan } = selectShard(plan(1, 1, 3), { index: 2, count: 2 });
  t.is(manifest.schema, SHARD_SCHEMA);
  t.deepEqual(manifest.shard, { index: 2, count: 2 });
  t.deepEqual(manifest.outputs, ['tool0_linux_arm64', 'tool0_linux_386']);
  t.deepEqual(manifest.planOutputs, ['tool0_linux_amd64', 'tool0_linux_arm64', 'tool0_linux_386']);
  t.is(shardPlan.layout, 'flat');
  t.regex(manifest.planDigest, /^sha256:[0-9a-f]{64}$/);
});

test('the plan digest ignores image tags and verification state but not flags, targets or toolchain digests', (t) => {
  const base = plan(1, 1, 2);
  const digest = planDigest(base);
  t.is(planDigest({ ...base, toolchains: base.toolchains.map((tc) => ({ ...tc, image: 'airlock-sandbox:other', verification: 'trust-on-first-use' })) }), digest);
  t.not(planDigest({ ...base, flags: { ldflags: ['-s'], tags: [] } }), digest);
  t.not(planDigest({ ...base, jobs: base.jobs.slice(1) }), digest);
  t.not(planDigest({ ...base, toolchains: base.toolchains.map((tc) => ({ ...tc, digest: 'h1:other' })) }), digest);
});

test('shard specs: I/N with 1 <= I <= N', (t) => {
  t.deepEqual(parseShardSpec('1/1'), { index: 1, count: 1 });
  t.deepEqual(parseShardSpec(' 3/4 '), { index: 3, count: 4 });
  for (const bad of ['0/4', '5/4', '1/0', '1', '1/', '/4', 'a/b', '-1/4', '1/4/2', `1/${MAX_SHARDS + 1}`, '1.5/4']) {
    const error = t.throws(() => parseShardSpec(bad), { instanceOf: InputError });
    t.is(error?.exitCode, ExitCode.badInput);
    t.true(error?.message.startsWith(`--shard ${bad} `));
  }
});

test('more shards than builds is refused, saying how many builds there are', (t) => {
  const error = t.throws(() => splitPlan(plan(1, 1, 2), 3), { instanceOf: InputError });
  t.is(error?.message, '3 shards are more than the 2 builds of the plan');
  t.throws(() => splitPlan(plan(1, 1, 2), 0), { instanceOf: InputError });
  t.throws(() => splitPlan(plan(1, 1, 2), 1.5), { instanceOf: InputError });
});

// GitHub documents `strategy.matrix.include` as a list of objects whose values are strings/numbers, and a
// matrix of at most 256 jobs; GitLab documents parallel:matrix as a list of hashes of variable name to a
// string (or list of strings), at most 200 jobs, names of at most 255 characters.
test('the GitHub matrix is an include list, one object of scalars per shard', (t) => {
  const matrix = githubMatrix(plan(2, 1, 6), 4);
  t.deepEqual(Object.keys(matrix), ['include']);
  t.is(matrix.include.length, 4);
  for (const entry of matrix.include) {
    for (const value of Object.values(entry)) t.true(typeof value === 'string' || typeof value === 'number');
  }
  t.snapshot(JSON.stringify(matrix));
});

test('the GitLab matrix is a child-pipeline job with parallel:matrix of string variables', (t) => {
  const document = gitlabMatrix(plan(2, 1, 6), 3) as { 'airlock-build': { extends: string; parallel: { matrix: Array<Record<string, unknown>> } } };
  const job = document['airlock-build'];
  t.is(job.extends, '.airlock-build');
  t.is(job.parallel.matrix.length, 3);
  for (const entry of job.parallel.matrix) {
    for (const [name, value] of Object.entries(entry)) {
      t.regex(name, /^[A-Z_][A-Z0-9_]*$/);
      t.is(typeof value, 'string');
    }
  }
  t.deepEqual(
    job.parallel.matrix.map((entry) => entry.AIRLOCK_SHARD),
    ['1/3', '2/3', '3/3'],
  );
  t.snapshot(JSON.stringify(document));
});

test('the GitLab matrix variables, which become the environment of each shard job, are none that airlock reads', async (t) => {
  // Every .ts file of airlock but the one that writes the matrix: a variable named there is one airlock reads.
  const sources: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(file);
      else if (entry.name.endsWith('.ts') && entry.name !== 'ci-matrix.ts') sources.push(await fs.readFile(file, 'utf8'));
    }
  };
  // ava runs in the project directory.
  await walk(path.resolve('src'));
  const readByAirlock = (name: string) => sources.some((text) => new RegExp(`\\b${name}\\b`).test(text));
  t.true(readByAirlock('AIRLOCK_TOOLCHAINS'), 'the scan finds a variable airlock reads (it named the toolchain matrix file in a shard job)');
  const document = gitlabMatrix(plan(2, 1, 6), 3) as { 'airlock-build': { parallel: { matrix: Array<Record<string, unknown>> } } };
  for (const name of Object.keys(document['airlock-build'].parallel.matrix[0]!)) t.false(readByAirlock(name), `${name} is also read by airlock`);
});
