/** The scratch guard's decisions, and its polling against a scripted engine that reports volume sizes. */
import test from 'ava';

import { ScratchGuard, findOverruns, nextPollDelay } from '../../../src/sandbox/scratch-guard.js';

test('findOverruns: the first watched volume over its limit, per watch; unknown volumes are never an overrun', (t) => {
  const sizes = new Map([
    ['a', 10],
    ['b', 101],
    ['c', 50],
  ]);
  t.deepEqual(findOverruns(sizes, [{ volumes: ['a', 'b'], limitBytes: 100 }, { volumes: ['c'], limitBytes: 100 }, { volumes: ['missing'], limitBytes: 1 }]), [
    { volume: 'b', bytes: 101, limitBytes: 100 },
    undefined,
    undefined,
  ]);
  t.deepEqual(findOverruns(sizes, [{ volumes: ['b'], limitBytes: 101 }]), [undefined], 'at the limit is not over it');
});

test('nextPollDelay: at least the interval; a slow measurement spaces the looks out (at most a tenth of the time), up to 60 s', (t) => {
  t.is(nextPollDelay(5000, 50), 5000);
  t.is(nextPollDelay(5000, 1000), 10_000);
  t.is(nextPollDelay(5000, 60_000), 60_000);
});

test('the guard calls back once when a watched volume grows past the limit, and stops asking when unwatched', async (t) => {
  let size = 0;
  let asked = 0;
  const guard = new ScratchGuard(
    {
      volumeSizes: async () => {
        asked++;
        size += 40;
        return new Map([['w0-scratch', size]]);
      },
    },
    10,
  );
  const overruns: unknown[] = [];
  const unwatch = guard.watch(['w0-scratch'], 100, (overrun) => overruns.push(overrun));
  await new Promise((resolve) => setTimeout(resolve, 150));
  t.deepEqual(overruns, [{ volume: 'w0-scratch', bytes: 120, limitBytes: 100 }], 'once, at the first look over the limit');
  unwatch();
  const before = asked;
  await new Promise((resolve) => setTimeout(resolve, 60));
  t.is(asked, before, 'no more requests once nothing is watched');
});

test('an engine that cannot measure this time is asked again, not taken for an overrun', async (t) => {
  let calls = 0;
  const guard = new ScratchGuard(
    {
      volumeSizes: async () => {
        calls++;
        if (calls === 1) throw new Error('a disk usage operation is already running');
        return new Map([['v', 500]]);
      },
    },
    10,
  );
  const overruns: unknown[] = [];
  const unwatch = guard.watch(['v'], 100, (overrun) => overruns.push(overrun));
  await new Promise((resolve) => setTimeout(resolve, 100));
  unwatch();
  t.true(calls >= 2);
  t.is(overruns.length, 1);
});
