import fs from 'node:fs/promises';

import test from 'ava';

import { cliPath } from '../../helpers/airlock-run.js';

test('the compiled CLI is executable, as `npx airlock` in the README quick start needs', async (t) => {
  const { mode } = await fs.stat(cliPath);
  t.is(mode & 0o111, 0o111, `mode ${(mode & 0o777).toString(8)}`);
  t.true((await fs.readFile(cliPath, 'utf8')).startsWith('#!/usr/bin/env node\n'));
});
