import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';

import { checkOutputFile, writeFileAtomically } from '../../../src/cli/output-file.js';
import { ExitCode, InputError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/host-tools.js';

test('a new file in an existing directory may be written; the path comes back absolute', async (t) => {
  const dir = await tempDir(t, 'airlock-out-');
  t.is(await checkOutputFile(path.join(dir, 'set.tar.gz'), false), path.join(dir, 'set.tar.gz'));
  t.deepEqual(await fs.readdir(dir), [], 'checking writes nothing');
});

test('a file in a directory that does not exist, or a directory, is refused', async (t) => {
  const dir = await tempDir(t, 'airlock-out-');
  for (const [out, pattern] of [
    [path.join(dir, 'no', 'such', 'set.tar.gz'), /^--out .*set\.tar\.gz: the directory .*such does not exist$/],
    [dir, /^--out .* is a directory$/],
  ] as const) {
    for (const force of [false, true]) {
      const error = await t.throwsAsync(checkOutputFile(out, force), { instanceOf: InputError });
      t.regex(error?.message ?? '', pattern);
      t.is(error?.exitCode, ExitCode.badInput);
    }
  }
});

test('an existing file, or a dangling link, is overwritten only with --force', async (t) => {
  const dir = await tempDir(t, 'airlock-out-');
  const file = path.join(dir, 'notes.txt');
  await fs.writeFile(file, 'keep me');
  const link = path.join(dir, 'dangling');
  await fs.symlink(path.join(dir, 'nowhere'), link);
  for (const out of [file, link]) {
    const error = await t.throwsAsync(checkOutputFile(out, false), { instanceOf: InputError });
    t.regex(error?.message ?? '', /already exists$/);
    t.regex(error?.hint ?? '', /--force/);
    t.is(await checkOutputFile(out, true), out);
  }
  t.is(await fs.readFile(file, 'utf8'), 'keep me');
});

test('writeFileAtomically leaves the whole file, or on failure nothing at all', async (t) => {
  const dir = await tempDir(t, 'airlock-out-');
  const file = path.join(dir, 'profile.json');
  await writeFileAtomically(file, '{}\n');
  t.is(await fs.readFile(file, 'utf8'), '{}\n');
  await fs.mkdir(path.join(dir, 'taken'));
  await t.throwsAsync(writeFileAtomically(path.join(dir, 'taken'), 'x'), { instanceOf: InputError, message: /^cannot write .*taken: EISDIR$/ });
  t.deepEqual((await fs.readdir(dir)).sort(), ['profile.json', 'taken']);
});
