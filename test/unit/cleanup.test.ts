import test from 'ava';
import { onInterrupt, runInterruptCleanup } from '../../src/cleanup.js';

test('interrupt tasks: the `first` ones, then the rest newest first; each runs once, and a failure stops none', async (t) => {
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
