/**
 * npm test runs the integration files in two groups: most two at a time, and those that act on the whole engine
 * (prune, killed engines and workers, limits measured by timing, the large corpus) one at a time after them.
 * Every file must be in exactly one group, or it would silently not run.
 */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/airlock-run.js';

test('every integration test file is in exactly one group of npm test', (t) => {
  const scripts = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const groups = [...scripts.test!.matchAll(/'build\/test\/integration\/\{([^}]+)\}\.test\.js'/g)].map((match) => match[1]!.split(','));
  t.is(groups.length, 2);
  const files = fs.readdirSync(path.join(repoRoot, 'test', 'integration')).filter((name) => name.endsWith('.test.ts')).map((name) => name.replace(/\.test\.ts$/, '')).sort();
  t.deepEqual([...groups.flat()].sort(), files);
  t.is(new Set(groups.flat()).size, groups.flat().length, 'no file in both groups');
  t.true(scripts['test:integration']!.endsWith(scripts.test!.slice(scripts.test!.indexOf("ava --concurrency 2"))), 'test:integration runs the same groups');
});
