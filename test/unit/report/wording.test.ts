import test from 'ava';
import { countOf } from '../../../src/report/wording.js';

test('a count takes the singular only for one', (t) => {
  t.is(countOf(1, 'build'), '1 build');
  t.is(countOf(0, 'build'), '0 builds');
  t.is(countOf(12, 'build'), '12 builds');
  t.is(countOf(1, 'binary', 'binaries'), '1 binary');
  t.is(countOf(2, 'binary', 'binaries'), '2 binaries');
});
