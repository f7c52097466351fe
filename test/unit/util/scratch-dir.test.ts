import test from 'ava';
import fs from 'fs-extra';
import { runInterruptCleanup } from '../../../src/cleanup.js';
import { createScratchDir } from '../../../src/util/scratch-dir.js';

test('a scratch directory is removed by remove(), and then no longer by the interrupt clean-up', async (t) => {
  const scratch = await createScratchDir('airlock-test-scratch');
  await fs.writeFile(`${scratch.path}/file`, 'x');
  await scratch.remove();
  t.false(await fs.pathExists(scratch.path));
  await fs.mkdir(scratch.path);
  t.teardown(() => fs.remove(scratch.path));
  await runInterruptCleanup();
  t.true(await fs.pathExists(scratch.path), 'a removed scratch directory is forgotten by the clean-up');
});

test('an interrupt removes a scratch directory still in use, with its contents', async (t) => {
  const scratch = await createScratchDir('airlock-test-scratch');
  await fs.outputFile(`${scratch.path}/cache/download/x.zip`, 'x');
  await runInterruptCleanup();
  t.false(await fs.pathExists(scratch.path));
});
