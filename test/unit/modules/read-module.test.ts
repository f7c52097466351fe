import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';

import { ExitCode, InputError } from '../../../src/errors.js';
import { checkMainPackage, findMainPackages, readGoModule } from '../../../src/modules/read-module.js';
import { tempDir } from '../../helpers/host-tools.js';

/** A module on disk: file path → contents. */
async function goModule(t: Parameters<typeof tempDir>[0], files: Record<string, string>): Promise<string> {
  const dir = await tempDir(t, 'airlock-mainpkg-');
  await fs.writeFile(path.join(dir, 'go.mod'), 'module example.com/m\n\ngo 1.26\n');
  for (const [name, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await fs.writeFile(path.join(dir, name), text);
  }
  return dir;
}

const MAIN = 'package main\n\nfunc main() {}\n';

test('a directory whose files say package main is a main package', async (t) => {
  const dir = await goModule(t, {
    'cmd/tool/main.go': `// Command tool does things.\n${MAIN}`,
    'cmd/tool/main_test.go': 'package main_test\n',
    'cmd/tool/gen.go': '//go:build ignore\n\npackage generator\n',
    'main.go': MAIN,
  });
  await t.notThrowsAsync(checkMainPackage(dir, './cmd/tool'));
  await t.notThrowsAsync(checkMainPackage(dir, '.'));
});

test('a library package named as --main is refused, naming its package', async (t) => {
  const dir = await goModule(t, {
    'internal/store/store.go': 'package store\n',
    'internal/store/store_test.go': 'package main\n',
    'pkg/two/a.go': 'package two\n',
    'pkg/two/b.go': '/* a block comment */\npackage two\n',
  });
  for (const [main, says] of [
    ['./internal/store', 'its files say package store'],
    ['./pkg/two', 'its files say package two'],
  ] as const) {
    const error = await t.throwsAsync(checkMainPackage(dir, main), { instanceOf: InputError });
    t.is(error?.message, `${main} is not a main package (${says})`);
    t.is(error?.hint, 'name a directory whose package is main, like ./cmd/tool');
    t.is(error?.exitCode, ExitCode.badInput);
  }
});

test('a directory without Go files, a missing directory and a file are refused', async (t) => {
  const dir = await goModule(t, { 'docs/README.md': '# docs\n', 'only-tests/x_test.go': 'package main\n', 'ignored/gen.go': '//go:build ignore\n\npackage main\n' });
  for (const main of ['./docs', './only-tests', './ignored']) {
    await t.throwsAsync(checkMainPackage(dir, main), { instanceOf: InputError, message: `${main} is not a main package (it holds no Go files)` });
  }
  for (const main of ['./nope', './go.mod']) {
    await t.throwsAsync(checkMainPackage(dir, main), { instanceOf: InputError, message: `the main package ${main} does not exist in ${dir}` });
  }
});

test('the default main packages are the ones checkMainPackage accepts', async (t) => {
  const dir = await goModule(t, { 'cmd/a/main.go': MAIN, 'cmd/lib/lib.go': 'package lib\n', 'lib.go': 'package m\n' });
  const mains = await findMainPackages(await readGoModule(dir));
  t.deepEqual(mains, ['./cmd/a']);
  for (const main of mains) await t.notThrowsAsync(checkMainPackage(dir, main));
  await t.throwsAsync(checkMainPackage(dir, '.'), { message: '. is not a main package (its files say package m)' });
});
