import test from 'ava';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { interruptCleanupBegun, onInterrupt, runInterruptCleanup } from '../../src/cleanup.js';
import { createScratchDir } from '../../src/util/scratch-dir.js';

// Serial: the interrupt tasks are one process-wide list, as in the CLI.
test.serial('interrupt tasks: the `first` ones, then the rest newest first; each runs once, and a failure stops none', async (t) => {
  const ran: string[] = [];
  onInterrupt(async () => void ran.push('containers'));
  onInterrupt(async () => {
    ran.push('staging');
    throw new Error('disk gone');
  });
  const unregister = onInterrupt(async () => void ran.push('unregistered'));
  onInterrupt(async () => void ran.push('view'), { first: true });
  unregister();
  await runInterruptCleanup();
  t.deepEqual(ran, ['view', 'staging', 'containers']);
  await runInterruptCleanup();
  t.is(ran.length, 3);
});

test.serial('a removal registered while the clean-up runs (the signal came between a mkdtemp and its registration) runs, and is waited for', async (t) => {
  const ran: string[] = [];
  let lateDone = false;
  onInterrupt(async () => {
    ran.push('early');
    // What a continuation queued behind the signal does: it registers the removal of what it just made.
    setImmediate(() =>
      onInterrupt(async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        ran.push('late');
        lateDone = true;
      }),
    );
  });
  await runInterruptCleanup();
  t.true(lateDone, 'the clean-up waited for the late task');
  t.deepEqual(ran, ['early', 'late']);
  const after: string[] = [];
  onInterrupt(async () => void after.push('next run'));
  t.deepEqual(after, [], 'once the clean-up is over, tasks wait for the next interrupt again');
  await runInterruptCleanup();
  t.deepEqual(after, ['next run']);
});

test.serial('a scratch directory whose mkdtemp is still in flight when the clean-up starts is removed, not left behind', async (t) => {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-cleanup-test-'));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  t.teardown(async () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    await fs.remove(tmp);
  });
  // The signal lands here: the directory is being made, its continuation has not run.
  const creating = createScratchDir('airlock-pack');
  const cleanup = runInterruptCleanup();
  t.true(interruptCleanupBegun());
  const scratch = await creating;
  await cleanup;
  t.true(scratch.path.startsWith(tmp));
  t.deepEqual(await fs.readdir(tmp), [], 'the directory mkdtemp made was removed by the clean-up');
  t.false(interruptCleanupBegun(), 'the clean-up is over');
});
