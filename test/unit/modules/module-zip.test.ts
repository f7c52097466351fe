/**
 * readModuleZip and goModHash against the real module zips of examples/cli: their h1: must be what go.sum and
 * the go command's .ziphash files say. Damaged or hostile zips are built with the `zip` command.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

import test, { type ExecutionContext } from 'ava';

import { InputError } from '../../../src/errors.js';
import { goModHash, readModuleZip } from '../../../src/modules/module-zip.js';
import { CLI_GO_SUM, CLI_ZIP_MODULES, extractCliModuleSet } from '../../helpers/cli-module-set.js';
import { goDownloadFromFileProxy } from '../../helpers/go-module-proxy.js';
import { execFileAsync, run, tempDir } from '../../helpers/host-tools.js';

/** The download-cache name of a module file, spelled out for the modules of examples/cli (all lower-case). */
const cacheFile = (root: string, modulePath: string, version: string, ext: string) => path.join(root, 'cache/download', modulePath, '@v', `${version}.${ext}`);

/** Every module of the set, zip or not, as listed by the fixture's file names. */
const ALL_MODULES = [...CLI_GO_SUM.keys()].filter((key) => key.endsWith('/go.mod')).map((key) => {
  const [modulePath, versionField] = key.split(' ');
  return { path: modulePath!, version: versionField!.slice(0, -'/go.mod'.length) };
});

test('the fixture holds a go.mod for every go.sum /go.mod line and a zip for each vendored module', async (t) => {
  const root = await extractCliModuleSet(t);
  t.is(ALL_MODULES.length, 9);
  for (const module of ALL_MODULES) await t.notThrowsAsync(fs.access(cacheFile(root, module.path, module.version, 'mod')), module.path);
  for (const module of CLI_ZIP_MODULES) await t.notThrowsAsync(fs.access(cacheFile(root, module.path, module.version, 'zip')), module.path);
});

test("each module zip's h1 equals its go.sum line and the go command's .ziphash", async (t) => {
  const root = await extractCliModuleSet(t);
  for (const module of CLI_ZIP_MODULES) {
    const zip = await readModuleZip(cacheFile(root, module.path, module.version, 'zip'), module.path, module.version);
    const goSum = CLI_GO_SUM.get(`${module.path} ${module.version}`) ?? 'absent from go.sum';
    const ziphash = (await fs.readFile(cacheFile(root, module.path, module.version, 'ziphash'), 'utf8')).trim();
    t.is(zip.h1, goSum, `${module.path} against go.sum`);
    t.is(zip.h1, ziphash, `${module.path} against .ziphash`);
  }
});

test('the files map holds every file of the zip without the <module>@<version>/ prefix, with its bytes', async (t) => {
  const root = await extractCliModuleSet(t);
  const module = CLI_ZIP_MODULES.find((m) => m.path === 'github.com/google/uuid')!;
  const file = cacheFile(root, module.path, module.version, 'zip');
  const zip = await readModuleZip(file, module.path, module.version);
  // unzip's own listing, minus directory entries.
  const listed = (await execFileAsync('unzip', ['-Z1', file])).stdout
    .split('\n')
    .filter((name) => name !== '' && !name.endsWith('/'))
    .map((name) => name.slice(`${module.path}@${module.version}/`.length))
    .sort();
  t.deepEqual([...zip.files.keys()].sort(), listed);
  t.true(zip.files.has('uuid.go'));
  t.true(zip.files.has('LICENSE'));
  const extracted = await tempDir(t);
  await execFileAsync('unzip', ['-q', file, '-d', extracted]);
  const uuidGo = await fs.readFile(path.join(extracted, `${module.path}@${module.version}`, 'uuid.go'));
  const entry = zip.files.get('uuid.go');
  t.is(entry?.path, 'uuid.go');
  t.true(entry?.bytes.equals(uuidGo));
  t.is(entry?.sha256, (await execFileAsync('sha256sum', [path.join(extracted, `${module.path}@${module.version}`, 'uuid.go')])).stdout.split(' ')[0]);
});

test("goModHash of each .mod equals the go.sum /go.mod line", async (t) => {
  const root = await extractCliModuleSet(t);
  for (const module of ALL_MODULES) {
    const bytes = await fs.readFile(cacheFile(root, module.path, module.version, 'mod'));
    t.is(goModHash(bytes), CLI_GO_SUM.get(`${module.path} ${module.version}/go.mod`) ?? 'absent from go.sum', module.path);
  }
  // A single changed byte changes the hash.
  const bytes = await fs.readFile(cacheFile(root, 'github.com/google/uuid', 'v1.6.0', 'mod'));
  t.not(goModHash(Buffer.concat([bytes, Buffer.from('\n')])), CLI_GO_SUM.get('github.com/google/uuid v1.6.0/go.mod'));
});

/**
 * Writes the given files under a temporary directory and runs the `zip` command there (or in its subdirectory
 * `cwd`) on the given names, which it stores exactly as given, ".." included. Returns the zip file.
 */
async function makeZip(
  t: ExecutionContext,
  files: Record<string, string>,
  names: string[] = Object.keys(files),
  cwd = '.',
): Promise<string> {
  const dir = await tempDir(t, 'airlock-zip-');
  for (const [name, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await fs.writeFile(path.join(dir, name), content);
  }
  const zip = path.join(dir, 'made.zip');
  const result = await run('zip', ['-q', '-X', zip, ...names], { cwd: path.join(dir, cwd) });
  if (result.code !== 0) throw new Error(`zip failed: ${result.stderr}`);
  t.deepEqual((await execFileAsync('unzip', ['-Z1', zip])).stdout.trim().split('\n'), names, 'the zip holds the names as given');
  return zip;
}

test('a well-formed hand-made zip is read and hashed as Go does', async (t) => {
  const zip = await makeZip(t, { 'example.com/m@v1.0.0/go.mod': 'module example.com/m\n', 'example.com/m@v1.0.0/m.go': 'package m\n' });
  const read = await readModuleZip(zip, 'example.com/m', 'v1.0.0');
  t.deepEqual([...read.files.keys()].sort(), ['go.mod', 'm.go']);
  // Hash1 by hand: sha256 over sorted "<sha256 hex>  <name with prefix>\n" lines, base64.
  const line = (name: string, content: string) => `${createHash('sha256').update(content).digest('hex')}  ${name}\n`;
  const summary = line('example.com/m@v1.0.0/go.mod', 'module example.com/m\n') + line('example.com/m@v1.0.0/m.go', 'package m\n');
  t.is(read.h1, `h1:${createHash('sha256').update(summary).digest('base64')}`);
});

test('a module with an upper-case path: h1 and go.mod hash equal what the go command computes on download', async (t) => {
  const download = await goDownloadFromFileProxy(t, {
    path: 'example.com/UpperCase',
    version: 'v1.0.0-RC1',
    escapedPath: 'example.com/!upper!case',
    escapedVersion: 'v1.0.0-!r!c1',
    files: { 'go.mod': 'module example.com/UpperCase\n', 'u.go': 'package uppercase\n', 'sub/LICENSE': 'MIT\n' },
  });
  // The zip's entries carry the real (unescaped) path; readModuleZip is given the real path too.
  const zip = await readModuleZip(download.Zip, 'example.com/UpperCase', 'v1.0.0-RC1');
  t.is(zip.h1, download.Sum);
  t.is(zip.h1, (await fs.readFile(download.Zip.replace(/\.zip$/, '.ziphash'), 'utf8')).trim());
  t.deepEqual([...zip.files.keys()].sort(), ['go.mod', 'sub/LICENSE', 'u.go']);
  t.is(goModHash(await fs.readFile(download.GoMod)), download.GoModSum);
});

test('a zip with an entry outside the <module>@<version>/ prefix raises InputError', async (t) => {
  const zip = await makeZip(t, { 'example.com/m@v1.0.0/m.go': 'package m\n', 'other/x.go': 'package x\n' });
  const error = await t.throwsAsync(readModuleZip(zip, 'example.com/m', 'v1.0.0'), { instanceOf: InputError });
  t.regex(error?.message ?? '', /entry outside example\.com\/m@v1\.0\.0\/: other\/x\.go/);
  t.true(error?.message.includes(zip));
  t.truthy((error as InputError | undefined)?.hint);
});

test('a zip of another version of the module is outside the prefix too', async (t) => {
  const zip = await makeZip(t, { 'example.com/m@v1.0.1/m.go': 'package m\n' });
  await t.throwsAsync(readModuleZip(zip, 'example.com/m', 'v1.0.0'), { instanceOf: InputError, message: /entry outside/ });
});

test('a zip with an entry name holding ".." raises InputError', async (t) => {
  const files = {
    'work/example.com/m@v1.0.0/m.go': 'package m\n',
    'work/example.com/m@v1.0.0/sub/x.go': 'package sub\n',
    'work/example.com/evil.go': 'package evil\n',
  };
  for (const [name, cwd] of [
    ['example.com/m@v1.0.0/../evil.go', 'work'], // climbs out of the prefix
    ['example.com/m@v1.0.0/sub/../m.go', 'work'], // stays inside the prefix, still not a clean name
    ['../work/example.com/m@v1.0.0/m.go', 'work'], // a leading ../
  ] as const) {
    const zip = await makeZip(t, files, [name], cwd);
    await t.throwsAsync(readModuleZip(zip, 'example.com/m', 'v1.0.0'), { instanceOf: InputError, message: /not a readable module zip of example\.com\/m@v1\.0\.0: .*(\.\.|outside)/ }, name);
  }
});

test('a zip with two entries of the same name raises InputError', async (t) => {
  const zip = await makeZip(t, { 'example.com/m@v1.0.0/m.go': 'package m\n', 'example.com/m@v1.0.0/n.go': 'package m\n' });
  // The zip command will not store a name twice, so rename the second entry in place (same length).
  const bytes = await fs.readFile(zip);
  await fs.writeFile(zip, Buffer.from(bytes.toString('latin1').replaceAll('example.com/m@v1.0.0/n.go', 'example.com/m@v1.0.0/m.go'), 'latin1'));
  t.deepEqual((await execFileAsync('unzip', ['-Z1', zip])).stdout.trim().split('\n'), ['example.com/m@v1.0.0/m.go', 'example.com/m@v1.0.0/m.go']);
  await t.throwsAsync(readModuleZip(zip, 'example.com/m', 'v1.0.0'), { instanceOf: InputError, message: /duplicate entry/ });
});

test('a truncated module zip raises InputError', async (t) => {
  const root = await extractCliModuleSet(t);
  const original = await fs.readFile(cacheFile(root, 'github.com/spf13/pflag', 'v1.0.9', 'zip'));
  const dir = await tempDir(t);
  // Cut in the middle of the data, and just before the end of the central directory.
  for (const length of [Math.floor(original.length / 2), original.length - 10, 0]) {
    const file = path.join(dir, `truncated-${length}.zip`);
    await fs.writeFile(file, original.subarray(0, length));
    await t.throwsAsync(readModuleZip(file, 'github.com/spf13/pflag', 'v1.0.9'), { instanceOf: InputError }, `${length} bytes`);
  }
});

test('a file that is not a zip, or is missing, raises InputError', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'not.zip');
  await fs.writeFile(file, 'this is not a zip file, just text\n'.repeat(10));
  await t.throwsAsync(readModuleZip(file, 'example.com/m', 'v1.0.0'), { instanceOf: InputError });
  await t.throwsAsync(readModuleZip(path.join(dir, 'absent.zip'), 'example.com/m', 'v1.0.0'), { instanceOf: InputError });
});
