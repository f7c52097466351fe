import test from 'ava';

import { WorkerPool } from '../../../src/sandbox/worker-pool.js';

class FakeWorker {
  usable = true;
  closed = false;
  builds: string[] = [];
  constructor(readonly key: string, readonly serial: number) {}
  async close(): Promise<void> {
    this.closed = true;
  }
}

function fakePool(reuse = true) {
  const opened: FakeWorker[] = [];
  const pool = new WorkerPool(async (key: string) => {
    const worker = new FakeWorker(key, opened.length);
    opened.push(worker);
    return worker;
  }, { reuse });
  const build = (key: string, name: string, during?: (worker: FakeWorker) => void | Promise<void>) =>
    pool.run(key, async (worker) => {
      worker.builds.push(name);
      await during?.(worker);
      return worker;
    });
  return { pool, opened, build };
}

test('builds of one toolchain one after another share one worker', async (t) => {
  const { pool, opened, build } = fakePool();
  for (const name of ['a', 'b', 'c']) await build('go1.26.8', name);
  t.is(opened.length, 1);
  t.deepEqual(opened[0]!.builds, ['a', 'b', 'c']);
  t.false(opened[0]!.closed);
  t.deepEqual(pool.idleCounts(), { 'go1.26.8': 1 });
  await pool.closeAll();
  t.true(opened[0]!.closed);
  t.deepEqual(pool.idleCounts(), {});
});

test('builds running at once get workers of their own, which are reused afterwards', async (t) => {
  const { opened, build } = fakePool();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const first = build('go1.26.8', 'a', () => gate);
  const second = build('go1.26.8', 'b', () => gate);
  await new Promise((resolve) => setImmediate(resolve));
  t.is(opened.length, 2);
  release();
  await Promise.all([first, second]);
  await build('go1.26.8', 'c');
  await build('go1.26.8', 'd');
  t.is(opened.length, 2);
  t.deepEqual(opened.flatMap((worker) => worker.builds).sort(), ['a', 'b', 'c', 'd']);
});

test('a worker is never handed to a build of another toolchain; idle ones of other toolchains are closed first', async (t) => {
  const { pool, opened, build } = fakePool();
  await build('go1.26.8', 'a');
  const other = await build('go1.27.3', 'b');
  t.is(opened.length, 2);
  t.is(other.key, 'go1.27.3');
  t.true(opened[0]!.closed, 'the idle go1.26.8 worker made way');
  t.deepEqual(pool.idleCounts(), { 'go1.27.3': 1 });
});

test('a worker no longer usable (timed out, out of memory, engine lost) is closed, and the next build gets a fresh one', async (t) => {
  const { opened, build } = fakePool();
  await t.throwsAsync(
    build('go1.26.8', 'a', (worker) => {
      worker.usable = false;
      throw new Error('timed out');
    }),
    { message: 'timed out' },
  );
  t.true(opened[0]!.closed);
  await build('go1.26.8', 'b');
  t.is(opened.length, 2);
  t.deepEqual(opened[1]!.builds, ['b']);
});

test('a build that fails on its own leaves a usable worker for the next build', async (t) => {
  const { opened, build } = fakePool();
  await t.throwsAsync(build('go1.26.8', 'a', () => {
    throw new Error('syntax error');
  }));
  await build('go1.26.8', 'b');
  t.is(opened.length, 1);
  t.deepEqual(opened[0]!.builds, ['a', 'b']);
});

test('without reuse (--check) every build has a fresh worker, closed afterwards', async (t) => {
  const { pool, opened, build } = fakePool(false);
  for (const name of ['a', 'b', 'c']) await build('go1.26.8', name);
  t.is(opened.length, 3);
  t.true(opened.every((worker) => worker.closed && worker.builds.length === 1));
  t.deepEqual(pool.idleCounts(), {});
});

test('closeAll closes idle workers now and busy ones when their build ends, and none goes back to the pool', async (t) => {
  const { pool, opened, build } = fakePool();
  await build('go1.26.8', 'a');
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const busy = build('go1.26.8', 'b', () => gate);
  await new Promise((resolve) => setImmediate(resolve));
  const idleOne = build('go1.26.8', 'c');
  await idleOne;
  await pool.closeAll();
  t.true(opened.filter((worker) => !worker.builds.includes('b')).every((worker) => worker.closed));
  const busyWorker = opened.find((worker) => worker.builds.includes('b'))!;
  t.false(busyWorker.closed);
  release();
  await busy;
  t.true(busyWorker.closed);
  t.deepEqual(pool.idleCounts(), {});
});

test('a second closeAll waits for the first one\'s removals instead of returning at once', async (t) => {
  const opened: Array<{ usable: boolean; closed: boolean; close(): Promise<void> }> = [];
  let finish!: () => void;
  const removal = new Promise<void>((resolve) => (finish = resolve));
  const pool = new WorkerPool(async () => {
    const worker = {
      usable: true,
      closed: false,
      async close() {
        await removal;
        worker.closed = true;
      },
    };
    opened.push(worker);
    return worker;
  }, { reuse: true });
  await pool.run('go1.26.8', async () => undefined);
  const first = pool.closeAll();
  let secondDone = false;
  const second = pool.closeAll().then(() => (secondDone = true));
  await new Promise((resolve) => setImmediate(resolve));
  t.false(secondDone, 'the second call is still waiting for the worker\'s removal');
  finish();
  await Promise.all([first, second]);
  t.true(secondDone);
  t.true(opened[0]!.closed);
});
