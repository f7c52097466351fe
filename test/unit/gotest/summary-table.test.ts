import test from 'ava';

import { testTableRows } from '../../../src/gotest/summary-table.js';
import { parseTestEvents } from '../../../src/gotest/test-events.js';
import { summarizeTestRun } from '../../../src/gotest/test-run.js';
import { summaryOf } from '../../helpers/go-test-fixtures.js';

test('a row per package, the run in the total row; unfinished tests count as failed', (t) => {
  t.deepEqual(testTableRows(summaryOf('skips', 'go1.26.8')), [
    ['PACKAGE', 'STATUS', 'PASSED', 'FAILED', 'SKIPPED', 'TIME'],
    ['example.com/skips/notests', 'no test files', '0', '0', '0', '0.00s'],
    ['example.com/skips/skipping', 'ok', '3', '0', '2', '0.01s'],
    ['total', 'WARNED', '3', '0', '2', '0.01s'],
  ]);
  t.deepEqual(testTableRows(summaryOf('timeout', 'go1.26.8')).slice(1), [
    ['example.com/timeout', 'FAIL (timeout)', '1', '2', '0', '2.02s'],
    ['total', 'FAILED', '1', '2', '0', '2.02s'],
  ]);
  t.deepEqual(testTableRows(summaryOf('panic', 'go1.26.8'))[1], ['example.com/panics/boom', 'FAIL (panic)', '1', '1', '0', '0.02s']);
  t.deepEqual(testTableRows(summaryOf('build-failed', 'go1.26.8'))[1], ['example.com/buildfail/broken', 'build failed', '0', '0', '0', '0.00s']);
});

test('a package name from a hostile stream cannot reach the terminal with its control characters', (t) => {
  const summary = summarizeTestRun(parseTestEvents('{"Action":"start","Package":"evil\\u001b[2J\\nname"}\n'));
  t.deepEqual(testTableRows(summary)[1], ['evil\\u001b[2J\\nname', 'unfinished', '0', '0', '0', '-']);
});
