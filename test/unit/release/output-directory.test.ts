import fs from 'node:fs/promises';
import path from 'node:path';

import test, { type ExecutionContext } from 'ava';

import { OutputStaging, describeForeign, foreignInChecksumGroup, inspectOutputDirectory, isAirlockOutputDirectory } from '../../../src/release/output-directory.js';
import { CHECKSUMS_FILE } from '../../../src/release/layout.js';
import { ExitCode, InputError, InterruptedError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/host-tools.js';
import { writeAirlockGroup, writeAirlockMatrix, writeAirlockShard } from '../../helpers/output-layouts.js';

/** A parent directory holding a module directory, as `airlock build` sees them. */
async function workspace(t: ExecutionContext): Promise<{ root: string; module: string }> {
  const root = await tempDir(t, 'airlock-out-');
  const module = path.join(root, 'mod');
  await fs.mkdir(module);
  await fs.writeFile(path.join(module, 'go.mod'), 'module example.com/mod\n\ngo 1.26\n');
  await fs.writeFile(path.join(module, 'main.go'), 'package main\n\nfunc main() {}\n');
  return { root, module };
}

/** Every file under dir with its contents, for before/after comparisons. */
async function snapshotTree(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    const full = path.join(entry.parentPath, entry.name);
    const rel = path.relative(dir, full);
    result[rel] = entry.isDirectory() ? '<dir>' : await fs.readFile(full, 'utf8');
  }
  return result;
}

async function leftovers(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((name) => name.startsWith('.airlock-'));
}

test('create makes a hidden staging directory beside the output directory', async (t) => {
  const { module } = await workspace(t);
  const out = path.join(module, 'dist');
  const staging = await OutputStaging.create(out, module);
  t.is(staging.outDir, out);
  t.is(path.dirname(staging.stagingDir), module);
  t.regex(path.basename(staging.stagingDir), /^\.airlock-staging-dist-[0-9a-f]{8}$/);
  t.true((await fs.stat(staging.stagingDir)).isDirectory());
  t.is(staging.pathFor('tool_linux_amd64'), path.join(staging.stagingDir, 'tool_linux_amd64'));
  await t.throwsAsync(fs.stat(out), { code: 'ENOENT' }, 'the output directory itself is not created yet');
});

test.serial('create resolves a relative output directory', async (t) => {
  const { module } = await workspace(t);
  const cwd = process.cwd();
  process.chdir(module);
  t.teardown(() => process.chdir(cwd));
  const staging = await OutputStaging.create('dist', '.');
  t.is(staging.outDir, path.join(module, 'dist'));
  t.is(path.dirname(staging.stagingDir), module);
});

test('publish of a new output directory moves the staged files into place', async (t) => {
  const { module } = await workspace(t);
  const out = path.join(module, 'dist');
  const staging = await OutputStaging.create(out, module);
  await fs.writeFile(staging.pathFor('tool_linux_amd64'), 'new binary');
  await fs.writeFile(staging.pathFor(CHECKSUMS_FILE), 'sums');
  await staging.publish();
  t.deepEqual(await snapshotTree(out), { SHA256SUMS: 'sums', tool_linux_amd64: 'new binary' });
  t.deepEqual(await leftovers(module), []);
});

test('publish replaces a previous airlock output directory by renaming, leaving nothing behind', async (t) => {
  const { module } = await workspace(t);
  const out = path.join(module, 'dist');
  await writeAirlockGroup(out, ['tool_darwin_arm64', 'tool_linux_amd64'], { sbom: true, signed: true });

  const staging = await OutputStaging.create(out, module);
  await fs.writeFile(staging.pathFor(CHECKSUMS_FILE), 'new sums');
  await fs.writeFile(staging.pathFor('tool_linux_amd64'), 'new binary');
  const before = await snapshotTree(out);
  t.is(before['tool_darwin_arm64'], 'binary tool_darwin_arm64', 'until publish the previous result stays as it was');
  const stagedInode = (await fs.stat(staging.stagingDir)).ino;

  await staging.publish();
  t.deepEqual(await snapshotTree(out), { SHA256SUMS: 'new sums', tool_linux_amd64: 'new binary' });
  // The staged directory itself became the output directory (a rename, not a copy into the old one).
  t.is((await fs.stat(out)).ino, stagedInode);
  t.deepEqual(await leftovers(module), [], 'no staging or previous directory is left');
});

test('the outputs of several toolchains and of shards are airlock outputs, and are replaced', async (t) => {
  const { root, module } = await workspace(t);
  const layouts: Record<string, (dir: string) => Promise<void>> = {
    matrix: (dir) => writeAirlockMatrix(dir, ['go1.26.8', 'go1.27.3'], ['tool_linux_amd64', 'tool_windows_amd64.exe']),
    'shard-flat': (dir) => writeAirlockShard(dir, 'flat'),
    'shard-per-toolchain': (dir) => writeAirlockShard(dir, 'per-toolchain'),
    signed: (dir) => writeAirlockGroup(dir, ['tool_linux_amd64'], { sbom: true, signed: true }),
    'sm2-matrix': async (dir) => {
      await writeAirlockMatrix(dir, ['go1.26.8', 'go1.27.3'], ['tool_linux_amd64']);
      for (const name of ['go1.26.8/SM3SUMS', 'go1.26.8/SM3SUMS.sig', 'go1.27.3/SM3SUMS', 'go1.27.3/SM3SUMS.sig', 'RELEASE-MANIFEST', 'RELEASE-MANIFEST.sig']) {
        await fs.writeFile(path.join(dir, name), 'x\n');
      }
    },
  };
  for (const [name, write] of Object.entries(layouts)) {
    const out = path.join(root, name);
    await write(out);
    t.deepEqual(await inspectOutputDirectory(out), { kind: 'airlock' }, name);
    const staging = await OutputStaging.create(out, module);
    await fs.writeFile(staging.pathFor('x'), 'x');
    await staging.publish();
    t.deepEqual(await snapshotTree(out), { x: 'x' }, name);
  }
});

/** Asserts --out is refused naming `foreign`, and that nothing in it or beside it changed. */
async function assertRefused(t: ExecutionContext, root: string, module: string, out: string, foreign: string): Promise<void> {
  const before = await snapshotTree(out);
  const error = await t.throwsAsync(OutputStaging.create(out, module), { instanceOf: InputError });
  t.is(error?.message, `the output directory ${out} holds files airlock did not write: ${foreign}`);
  t.is(error?.exitCode, ExitCode.badInput);
  t.is(error?.hint, 'move them out of it, or choose an empty or new --out directory');
  t.deepEqual(await snapshotTree(out), before);
  t.deepEqual(await leftovers(root), [], 'no staging directory was created');
  t.false(await isAirlockOutputDirectory(out));
}

// Regression test: any directory holding a file named SHA256SUMS used to count as airlock's and was deleted.
test('a directory with a SHA256SUMS of its own but no envelopes is refused and left untouched', async (t) => {
  const { root, module } = await workspace(t);
  const out = path.join(root, 'rel');
  await fs.mkdir(out);
  await fs.writeFile(path.join(out, 'notes.txt'), 'my notes\n');
  await fs.writeFile(path.join(out, 'mytool'), 'bin\n');
  await fs.writeFile(path.join(out, CHECKSUMS_FILE), `${'0'.repeat(64)}  mytool\n`);
  await assertRefused(t, root, module, out, 'SHA256SUMS, mytool, notes.txt');
});

// Regression test: a file the user added to an airlock output directory was deleted with it.
test('an airlock output with a file the user added is refused, naming that file', async (t) => {
  const { root, module } = await workspace(t);
  const out = path.join(root, 'dist');
  await writeAirlockGroup(out, ['tool_linux_amd64'], { sbom: true });
  await fs.writeFile(path.join(out, 'NOTES.md'), 'notes');
  await assertRefused(t, root, module, out, 'NOTES.md');
  await fs.rm(path.join(out, 'NOTES.md'));
  await fs.mkdir(path.join(out, 'docs'));
  await assertRefused(t, root, module, out, 'docs/');
  await fs.rmdir(path.join(out, 'docs'));
  await fs.symlink('tool_linux_amd64', path.join(out, 'latest'));
  await assertRefused(t, root, module, out, 'latest');
});

test('per-toolchain and shard outputs with anything added are refused, naming it by its path', async (t) => {
  const { root, module } = await workspace(t);
  const matrix = path.join(root, 'matrix');
  await writeAirlockMatrix(matrix, ['go1.26.8', 'go1.27.3'], ['tool_linux_amd64']);
  await fs.writeFile(path.join(matrix, 'go1.27.3', 'CHANGELOG'), '');
  await assertRefused(t, root, module, matrix, 'go1.27.3/CHANGELOG');
  await fs.rm(path.join(matrix, 'go1.27.3', 'CHANGELOG'));
  await fs.writeFile(path.join(matrix, 'README'), '');
  await assertRefused(t, root, module, matrix, 'README');
  await fs.rm(path.join(matrix, 'README'));
  // A toolchain directory missing an envelope is not airlock's at all.
  await fs.rm(path.join(matrix, 'go1.26.8', 'tool_linux_amd64.intoto.jsonl'));
  await assertRefused(t, root, module, matrix, 'go1.26.8/SHA256SUMS, go1.26.8/tool_linux_amd64');

  const shard = path.join(root, 'shard');
  await writeAirlockShard(shard, 'per-toolchain');
  await fs.writeFile(path.join(shard, 'go1.26.8', 'airlock-shard.json'), '{}');
  await assertRefused(t, root, module, shard, 'go1.26.8/airlock-shard.json');
});

test('a directory holding only a shard manifest, or a toolchain-named directory of other files, is not an output', async (t) => {
  const { root, module } = await workspace(t);
  const manifestOnly = path.join(root, 'manifest-only');
  await fs.mkdir(manifestOnly);
  await fs.writeFile(path.join(manifestOnly, 'airlock-shard.json'), '{}');
  await assertRefused(t, root, module, manifestOnly, 'airlock-shard.json');
  const goDir = path.join(root, 'toolchains');
  await fs.mkdir(path.join(goDir, 'go1.22'), { recursive: true });
  await fs.writeFile(path.join(goDir, 'go1.22', 'VERSION'), 'go1.22');
  await assertRefused(t, root, module, goDir, 'go1.22/VERSION');
});

test('foreignInChecksumGroup: what a checksum group may hold, and when nothing in it is airlock\'s', (t) => {
  const sums = (...names: string[]) => names.map((name) => `${'f'.repeat(64)}  ${name}\n`).join('');
  const level = (...files: string[]) => ({ files, directories: [], others: [] });
  const release = level('SHA256SUMS', 'SHA256SUMS.sig', 'a', 'a.intoto.jsonl', 'a.cdx.json', 'b.exe', 'b.exe.intoto.jsonl');
  t.deepEqual(foreignInChecksumGroup(release, sums('a', 'a.cdx.json', 'b.exe'), false), []);
  t.deepEqual(foreignInChecksumGroup(level('SHA256SUMS', 'a', 'a.intoto.jsonl', 'airlock-shard.json'), sums('a'), true), []);
  t.deepEqual(foreignInChecksumGroup(level('SHA256SUMS', 'SHA256SUMS.sig', 'SHA256SUMS.asc', 'a', 'a.intoto.jsonl'), sums('a'), false), [], 'the GPG signature is airlock\'s');
  t.deepEqual(foreignInChecksumGroup(level('SHA256SUMS', 'a', 'a.intoto.jsonl', 'airlock-shard.json'), sums('a'), false), ['airlock-shard.json']);
  // An SM2 release: SM3SUMS and its signature in every group; the release manifest and its signatures at the top only.
  const sm2 = level('SHA256SUMS', 'SHA256SUMS.sig', 'SM3SUMS', 'SM3SUMS.sig', 'a', 'a.intoto.jsonl', 'RELEASE-MANIFEST', 'RELEASE-MANIFEST.sig');
  t.deepEqual(foreignInChecksumGroup(sm2, sums('a'), true), []);
  t.deepEqual(foreignInChecksumGroup(sm2, sums('a'), false), ['RELEASE-MANIFEST', 'RELEASE-MANIFEST.sig']);
  // A listed binary missing is no user file lost: the group is still airlock's.
  t.deepEqual(foreignInChecksumGroup(level('SHA256SUMS', 'a.intoto.jsonl'), sums('a'), false), []);
  t.deepEqual(foreignInChecksumGroup(level('SHA256SUMS', 'a', 'a.intoto.jsonl', 'b'), sums('a'), false), ['b']);
  t.deepEqual(foreignInChecksumGroup({ files: ['SHA256SUMS', 'a', 'a.intoto.jsonl'], directories: ['sub'], others: ['link'] }, sums('a'), false), ['link', 'sub/']);
  const everything = ['SHA256SUMS', 'a', 'a.intoto.jsonl'];
  for (const [why, text] of [
    ['unreadable', undefined],
    ['empty', ''],
    ['only SBOMs', sums('a.cdx.json')],
    ['a binary without envelope', sums('a', 'c')],
    ['a path, not a name', sums('sub/a')],
    ['not checksum lines', 'hello\n'],
  ] as const) {
    t.deepEqual(foreignInChecksumGroup(level(...everything), text, false), everything, why);
  }
});

test('describeForeign names three entries and counts the rest', (t) => {
  t.is(describeForeign(['a']), 'a');
  t.is(describeForeign(['a', 'b', 'c']), 'a, b, c');
  t.is(describeForeign(['a', 'b', 'c', 'd', 'e']), 'a, b, c and 2 more');
});

test('an empty existing output directory may be replaced', async (t) => {
  const { module } = await workspace(t);
  const out = path.join(module, 'dist');
  await fs.mkdir(out);
  const staging = await OutputStaging.create(out, module);
  await fs.writeFile(staging.pathFor('x'), 'x');
  await staging.publish();
  t.deepEqual(await snapshotTree(out), { x: 'x' });
});

test('a non-empty directory without SHA256SUMS is refused and left untouched', async (t) => {
  const { root, module } = await workspace(t);
  const out = path.join(root, 'important');
  await fs.mkdir(path.join(out, 'nested'), { recursive: true });
  await fs.writeFile(path.join(out, 'notes.txt'), 'do not delete');
  await fs.writeFile(path.join(out, 'nested', 'data'), 'precious');
  await assertRefused(t, root, module, out, 'nested/, notes.txt');
});

test('an empty directory may be replaced but is no airlock output; a missing one is neither', async (t) => {
  const { root } = await workspace(t);
  const empty = path.join(root, 'empty');
  await fs.mkdir(empty);
  t.deepEqual(await inspectOutputDirectory(empty), { kind: 'empty' });
  t.false(await isAirlockOutputDirectory(empty));
  t.deepEqual(await inspectOutputDirectory(path.join(root, 'missing')), { kind: 'absent' });
  t.false(await isAirlockOutputDirectory(path.join(root, 'missing')));
});

test('an output path that is a file is refused and left untouched', async (t) => {
  const { root, module } = await workspace(t);
  const out = path.join(root, 'file');
  await fs.writeFile(out, 'a file');
  await t.throwsAsync(OutputStaging.create(out, module), {
    instanceOf: InputError,
    message: `the output path ${out} exists and is not a directory`,
  });
  t.is(await fs.readFile(out, 'utf8'), 'a file');
  t.deepEqual(await leftovers(root), []);
});

test('publish checks again: files that appeared in the output directory after create stop it', async (t) => {
  const { module } = await workspace(t);
  const out = path.join(module, 'dist');
  const staging = await OutputStaging.create(out, module);
  await fs.writeFile(staging.pathFor('tool_linux_amd64'), 'new');
  await fs.mkdir(out);
  await fs.writeFile(path.join(out, 'someone-elses-file'), 'mine');

  await t.throwsAsync(staging.publish(), { instanceOf: InputError, message: `the output directory ${out} holds files airlock did not write: someone-elses-file` });
  t.deepEqual(await snapshotTree(out), { 'someone-elses-file': 'mine' });
  await staging.discard();
  t.deepEqual(await leftovers(module), []);
});

test('the module directory itself is refused as the output directory', async (t) => {
  const { module } = await workspace(t);
  const before = await snapshotTree(module);
  for (const out of [module, `${module}/`, `${module}/.`, path.join(module, 'cmd', '..')]) {
    const error = await t.throwsAsync(OutputStaging.create(out, module), { instanceOf: InputError }, out);
    t.is(error?.message, `--out ${out} would replace the module's own directory`);
    t.regex(error?.hint ?? '', /dist\//);
  }
  // Even with a SHA256SUMS in it (as if airlock had written there) it stays refused.
  await fs.writeFile(path.join(module, CHECKSUMS_FILE), '');
  await t.throwsAsync(OutputStaging.create(module, module), { instanceOf: InputError });
  await fs.rm(path.join(module, CHECKSUMS_FILE));
  t.deepEqual(await snapshotTree(module), before);
});

test('a parent of the module directory is refused as the output directory', async (t) => {
  const { root, module } = await workspace(t);
  await fs.writeFile(path.join(root, CHECKSUMS_FILE), '');
  for (const out of [root, path.dirname(root)]) {
    await t.throwsAsync(OutputStaging.create(out, module), {
      instanceOf: InputError,
      message: `--out ${out} would replace the module's own directory`,
    });
  }
  t.deepEqual(await leftovers(root), []);
  t.true((await fs.stat(path.join(module, 'go.mod'))).isFile());
});

test('a sibling whose name starts with the module name is not mistaken for a parent', async (t) => {
  const { root, module } = await workspace(t);
  const out = `${module}-out`;
  const staging = await OutputStaging.create(out, module);
  t.is(path.dirname(staging.stagingDir), root);
  await staging.discard();
});

test('an output directory inside the module is allowed', async (t) => {
  const { module } = await workspace(t);
  const staging = await OutputStaging.create(path.join(module, 'build', 'out'), module);
  t.is(path.dirname(staging.stagingDir), path.join(module, 'build'));
  await staging.discard();
});

test('discard removes the staging directory and everything in it, and leaves the output directory alone', async (t) => {
  const { module } = await workspace(t);
  const out = path.join(module, 'dist');
  await writeAirlockGroup(out, ['tool_linux_amd64']);
  const before = await snapshotTree(out);
  const staging = await OutputStaging.create(out, module);
  await fs.mkdir(staging.pathFor('sub'));
  await fs.writeFile(staging.pathFor('sub/partial'), 'half a binary');
  await staging.discard();
  await t.throwsAsync(fs.stat(staging.stagingDir), { code: 'ENOENT' });
  t.deepEqual(await leftovers(module), []);
  t.deepEqual(await snapshotTree(out), before);
  await t.notThrowsAsync(staging.discard(), 'discarding twice is harmless');
});

// Regression test for a fixed bug (src/release/output-directory.ts): the guard compares paths as written (path.resolve), not as they
// are on disk (realpath). When the module is reached through a symbolic link and --out names its real
// directory, the guard does not fire; if the module happens to hold a file named SHA256SUMS, publish then
// renames the module directory away and deletes it.
test('the module directory reached through a symbolic link is still refused as the output directory', async (t) => {
  const { root, module } = await workspace(t);
  await fs.writeFile(path.join(module, CHECKSUMS_FILE), 'checksums the project keeps in its repository\n');
  const link = path.join(root, 'link-to-mod');
  await fs.symlink(module, link);
  await t.throwsAsync(OutputStaging.create(module, link), { instanceOf: InputError });
  t.deepEqual(await leftovers(root), []);
});

test('directoryFor makes the staged file\'s directory; after discard it refuses, and the staging does not come back', async (t) => {
  const { module } = await workspace(t);
  const staging = await OutputStaging.create(path.join(module, 'dist'), module);
  const file = await staging.directoryFor('go1.26.8/tool_linux_amd64');
  t.is(file, path.join(staging.stagingDir, 'go1.26.8', 'tool_linux_amd64'));
  t.true((await fs.stat(path.dirname(file))).isDirectory());
  // A build still finishing while an interrupt discards the staging: its directory is made first or not at all.
  const late = staging.directoryFor('go1.27.3/tool_linux_amd64');
  await staging.discard();
  await late.catch(() => undefined);
  const error = await t.throwsAsync(staging.directoryFor('go1.27.3/tool_linux_arm64'), { instanceOf: InterruptedError });
  t.is(error?.exitCode, ExitCode.interrupted);
  t.deepEqual((await fs.readdir(module)).sort(), ['go.mod', 'main.go']);
});
