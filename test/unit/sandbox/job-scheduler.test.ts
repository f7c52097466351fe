import test from 'ava';
import fc from 'fast-check';

import { pickNextJob, runScheduled } from '../../../src/sandbox/job-scheduler.js';
import { WorkerPool } from '../../../src/sandbox/worker-pool.js';

const job = (toolchain: string, name: string) => ({ toolchain, name });
const matrix = (toolchains: string[], targets: number) => toolchains.flatMap((toolchain) => Array.from({ length: targets }, (_, i) => job(toolchain, `${toolchain}-${i}`)));

test('pickNextJob keeps a slot on its toolchain while that toolchain has queued work', (t) => {
  const queue = [job('a', 'a1'), job('b', 'b1'), job('b', 'b2')];
  t.is(pickNextJob(queue, 'b', new Map([['a', 0], ['b', 1]])), 1);
  t.is(pickNextJob(queue, 'a', new Map([['a', 1], ['b', 1]])), 0);
});

test('pickNextJob sends a fresh slot to the toolchain fewest slots work on, plan order on a tie', (t) => {
  const queue = [job('a', 'a2'), job('a', 'a3'), job('b', 'b1')];
  t.is(pickNextJob(queue, undefined, new Map([['a', 1]])), 2);
  t.is(pickNextJob(queue, undefined, new Map()), 0);
  t.is(pickNextJob(queue, 'c', new Map([['a', 1], ['b', 1]])), 0);
  t.is(pickNextJob([], 'a', new Map()), undefined);
});

/** Runs a matrix through the scheduler and a real WorkerPool with fake workers; counts what was opened. */
async function simulate(jobs: Array<{ toolchain: string; name: string }>, slots: number, durations: (name: string) => number) {
  const opened: string[] = [];
  let live = 0;
  let mostLive = 0;
  let running = 0;
  let mostRunning = 0;
  const pool = new WorkerPool(
    async (key: string) => {
      opened.push(key);
      mostLive = Math.max(mostLive, ++live);
      return { usable: true, close: async () => void live-- };
    },
    { reuse: true },
  );
  const ran: string[] = [];
  await runScheduled(jobs, slots, async (next, index) => {
    if (jobs[index] !== next) throw new Error('runScheduled passed a job with the wrong index');
    mostRunning = Math.max(mostRunning, ++running);
    await pool.run(next.toolchain, () => new Promise((resolve) => setTimeout(resolve, durations(next.name))));
    running--;
    ran.push(next.name);
  });
  await pool.closeAll();
  return { opened, ran, mostLive, mostRunning, liveAfter: live };
}

test('2 slots and 2 toolchains open one worker each, not two each', async (t) => {
  const result = await simulate(matrix(['go1.26.8', 'go1.27.3'], 6), 2, () => 5);
  t.deepEqual([...result.opened].sort(), ['go1.26.8', 'go1.27.3']);
  t.is(result.ran.length, 12);
  t.is(result.mostRunning, 2);
  t.is(result.liveAfter, 0);
});

test('one toolchain keeps plan order', async (t) => {
  const jobs = matrix(['go1.26.8'], 5);
  const result = await simulate(jobs, 1, () => 1);
  t.deepEqual(result.ran, jobs.map((entry) => entry.name));
  t.deepEqual(result.opened, ['go1.26.8']);
});

test('property: every job runs exactly once, at most `slots` at a time, with at most `slots` workers alive', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 0, maxLength: 14 }),
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 14, maxLength: 14 }),
      async (toolchains, slots, delays) => {
        const jobs = toolchains.map((toolchain, i) => job(toolchain, `j${i}`));
        const result = await simulate(jobs, slots, (name) => delays[Number(name.slice(1))]!);
        t.deepEqual([...result.ran].sort(), jobs.map((entry) => entry.name).sort());
        t.true(result.mostRunning <= slots);
        t.true(result.mostLive <= slots);
        t.is(result.liveAfter, 0);
      },
    ),
    { numRuns: 60 },
  );
});

test('a job that releases its slot lets the next one start, and the run ends only when both have', async (t) => {
  const log: string[] = [];
  let finishFirst!: () => void;
  const firstMayEnd = new Promise<void>((resolve) => (finishFirst = resolve));
  let ended = false;
  const run = runScheduled([job('a', 'one'), job('a', 'two')], 1, async (next, _index, release) => {
    log.push(`start ${next.name}`);
    if (next.name === 'one') {
      release();
      await firstMayEnd;
    }
    log.push(`end ${next.name}`);
  }).then(() => (ended = true));
  await new Promise((resolve) => setTimeout(resolve, 10));
  t.deepEqual(log, ['start one', 'start two', 'end two']);
  t.false(ended, 'the run waits for the released job');
  finishFirst();
  await run;
  t.deepEqual(log, ['start one', 'start two', 'end two', 'end one']);
});

test('after a job rejects no further job starts, and the run rejects with that error', async (t) => {
  const started: string[] = [];
  const error = await t.throwsAsync(
    runScheduled(matrix(['a'], 4), 1, async (next) => {
      started.push(next.name);
      if (next.name === 'a-1') throw new Error('internal failure');
    }),
  );
  t.is(error?.message, 'internal failure');
  t.deepEqual(started, ['a-0', 'a-1']);
});
