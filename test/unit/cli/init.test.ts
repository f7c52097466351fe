/**
 * `airlock init` on copies of the examples in temporary directories: what it writes and where, and that it
 * writes nothing at all when any file it would write is already there (unless --force).
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';
import { parse } from 'yaml';

import { findRepositoryRoot, initModule, writeNewFiles } from '../../../src/cli/commands/init.js';
import { readAirlockConfig } from '../../../src/config/airlock-config.js';
import { ExitCode, InputError } from '../../../src/errors.js';
import { packageRoot } from '../../../src/util/package-root.js';
import { tempDir } from '../../helpers/host-tools.js';

const MATRIX = path.join(packageRoot(), 'toolchains', 'go.json');

/** A copy of examples/NAME at DIR (go.mod and the Go sources; vendor/ is not needed to plan a config). */
async function copyExample(name: string, dir: string): Promise<string> {
  await fs.cp(path.join(packageRoot(), 'examples', name), dir, {
    recursive: true,
    filter: (source) => !/[/\\](vendor|dist)$/.test(source),
  });
  return dir;
}

/** Every file under DIR, relative, sorted. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

test('init writes a valid airlock.json with the detected main packages', async (t) => {
  const module = await copyExample('cli', path.join(await tempDir(t), 'cli'));
  const result = await initModule({ dir: module, force: false, matrixFile: MATRIX });
  t.deepEqual(result.written, [path.join(module, 'airlock.json')]);
  const config = readAirlockConfig(module);
  t.deepEqual(config.main, ['./cmd/cli']);
  t.deepEqual(config.targets, ['linux/amd64', 'linux/arm64', 'darwin/arm64', 'windows/amd64']);
  t.is(config.toolchains, '1.27.3');
  t.false('$schema' in config, 'the schema is outside this module: no path that would break elsewhere');
});

test('init --ci github in a git repository: the workflow at the repository root, pointed at the module', async (t) => {
  const root = await tempDir(t);
  await fs.mkdir(path.join(root, '.git'));
  const module = await copyExample('hello', path.join(root, 'go', 'hello'));
  const result = await initModule({ dir: module, ci: 'github', force: false, matrixFile: MATRIX });
  t.true(result.repositoryFound);
  t.is(result.ciRoot, root);
  t.deepEqual(result.written, [path.join(module, 'airlock.json'), path.join(root, '.github', 'workflows', 'airlock-release.yml')]);
  const workflow = parse(await fs.readFile(result.written[1]!, 'utf8')) as { env: Record<string, string> };
  t.is(workflow.env.AIRLOCK_MODULE, 'go/hello');
  t.deepEqual(readAirlockConfig(module).main, ['.']);
});

test('init --ci gitlab writes the parent pipeline and the child file', async (t) => {
  const module = await copyExample('cli', path.join(await tempDir(t), 'cli'));
  const result = await initModule({ dir: module, ci: 'gitlab', force: false, matrixFile: MATRIX });
  t.false(result.repositoryFound);
  t.deepEqual(
    result.written.map((file) => path.relative(module, file)),
    ['airlock.json', '.gitlab-ci.yml', path.join('.gitlab', 'airlock-build.yml')],
  );
  const parent = parse(await fs.readFile(path.join(module, '.gitlab-ci.yml'), 'utf8')) as { variables: Record<string, string> };
  t.is(parent.variables.AIRLOCK_MODULE, '.');
});

test('init --ci gitlab-kubernetes writes the pipeline and the RBAC manifest beside it', async (t) => {
  const module = await copyExample('cli', path.join(await tempDir(t), 'cli'));
  const result = await initModule({ dir: module, ci: 'gitlab-kubernetes', force: false, matrixFile: MATRIX });
  t.deepEqual(
    result.written.map((file) => path.relative(module, file)),
    ['airlock.json', '.gitlab-ci.yml', path.join('.gitlab', 'airlock-kubernetes-rbac.yml')],
  );
  const pipeline = parse(await fs.readFile(path.join(module, '.gitlab-ci.yml'), 'utf8')) as { variables: Record<string, string> };
  t.deepEqual(pipeline.variables, { AIRLOCK_MODULE: '.', AIRLOCK_K8S_NAMESPACE: 'airlock' });
  t.regex(await fs.readFile(path.join(module, '.gitlab', 'airlock-kubernetes-rbac.yml'), 'utf8'), /^kind: Role$/m);
});

test('an existing file stops init before anything is written; the error names it, on one line, and hints at --force', async (t) => {
  const module = await copyExample('cli', path.join(await tempDir(t), 'cli'));
  const workflow = path.join(module, '.github', 'workflows', 'airlock-release.yml');
  await fs.mkdir(path.dirname(workflow), { recursive: true });
  await fs.writeFile(workflow, 'mine\n');
  const before = await listFiles(module);

  const error = await t.throwsAsync(initModule({ dir: module, ci: 'github', force: false, matrixFile: MATRIX }), { instanceOf: InputError });
  t.is(error?.exitCode, ExitCode.badInput);
  t.true(error?.message.includes(workflow), error?.message);
  t.regex(error?.message ?? '', /already exists$/);
  t.false(error?.message.includes('\n'));
  t.regex(error?.hint ?? '', /--force/);
  t.deepEqual(await listFiles(module), before, 'airlock.json was not written either');
  t.is(await fs.readFile(workflow, 'utf8'), 'mine\n');

  await initModule({ dir: module, ci: 'github', force: true, matrixFile: MATRIX });
  t.not(await fs.readFile(workflow, 'utf8'), 'mine\n');
  t.deepEqual(readAirlockConfig(module).main, ['./cmd/cli']);
});

test('every existing file is named, and a second init without --force changes nothing', async (t) => {
  const module = await copyExample('hello', path.join(await tempDir(t), 'hello'));
  await initModule({ dir: module, ci: 'gitlab', force: false, matrixFile: MATRIX });
  const config = await fs.readFile(path.join(module, 'airlock.json'), 'utf8');
  await fs.writeFile(path.join(module, 'airlock.json'), '{"targets": ["linux/riscv64"]}\n');
  const error = await t.throwsAsync(initModule({ dir: module, ci: 'gitlab', force: false, matrixFile: MATRIX }), { instanceOf: InputError });
  t.regex(error?.message ?? '', /airlock\.json already exists \(and .*\.gitlab-ci\.yml, .*airlock-build\.yml\)$/);
  t.regex(error?.hint ?? '', /pass --force to overwrite them/);
  t.is(await fs.readFile(path.join(module, 'airlock.json'), 'utf8'), '{"targets": ["linux/riscv64"]}\n');
  await initModule({ dir: module, ci: 'gitlab', force: true, matrixFile: MATRIX });
  t.is(await fs.readFile(path.join(module, 'airlock.json'), 'utf8'), config);
});

test('a module without a main package, or a directory without go.mod, is refused and nothing is written', async (t) => {
  const dir = await tempDir(t);
  await fs.writeFile(path.join(dir, 'go.mod'), 'module example.com/lib\n\ngo 1.26\n');
  await fs.writeFile(path.join(dir, 'lib.go'), 'package lib\n');
  const noMain = await t.throwsAsync(initModule({ dir, force: false, matrixFile: MATRIX }), { instanceOf: InputError });
  t.regex(noMain?.message ?? '', /has no main package/);
  const empty = await tempDir(t);
  const noModule = await t.throwsAsync(initModule({ dir: empty, force: false, matrixFile: MATRIX }), { instanceOf: InputError });
  t.regex(noModule?.message ?? '', /has no go\.mod/);
  t.deepEqual(await listFiles(dir), ['go.mod', 'lib.go']);
  t.deepEqual(await listFiles(empty), []);
});

test('writeNewFiles: --force replaces a symbolic link instead of writing through it; a directory in the way is refused', async (t) => {
  const dir = await tempDir(t);
  const outside = path.join(dir, 'outside.txt');
  await fs.writeFile(outside, 'keep\n');
  const link = path.join(dir, 'airlock.json');
  await fs.symlink(outside, link);
  await t.throwsAsync(writeNewFiles([{ path: link, content: '{}\n' }], { force: false }), { instanceOf: InputError, message: /already exists/ });
  await writeNewFiles([{ path: link, content: '{}\n' }], { force: true });
  t.false((await fs.lstat(link)).isSymbolicLink());
  t.is(await fs.readFile(link, 'utf8'), '{}\n');
  t.is(await fs.readFile(outside, 'utf8'), 'keep\n');

  const blocked = path.join(dir, 'blocked.yml');
  await fs.mkdir(blocked);
  await t.throwsAsync(writeNewFiles([{ path: path.join(dir, 'first.json'), content: '{}' }, { path: blocked, content: 'x' }], { force: true }), {
    instanceOf: InputError,
    message: /blocked\.yml is a directory$/,
  });
  await t.throwsAsync(fs.access(path.join(dir, 'first.json')), undefined, 'nothing was written');
});

test('findRepositoryRoot finds the nearest .git, a directory or a worktree file', async (t) => {
  const root = await tempDir(t);
  const deep = path.join(root, 'a', 'b');
  await fs.mkdir(deep, { recursive: true });
  t.is(await findRepositoryRoot(deep), undefined);
  await fs.writeFile(path.join(root, 'a', '.git'), 'gitdir: elsewhere\n');
  t.is(await findRepositoryRoot(deep), path.join(root, 'a'));
});
