import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';
import { buildCacheVolume, sourceExcludes } from '../../../src/workflows/build/index.js';
import { ExitCode, InputError } from '../../../src/errors.js';
import { compareReproduction, describeSourceChanges, readRecordedBuild } from '../../../src/workflows/reproduce.js';
import { tempDir } from '../../helpers/host-tools.js';

test('describeSourceChanges names changed, new and missing files, sorted', (t) => {
  const recorded = { 'main.go': 'a'.repeat(64), 'go.mod': 'b'.repeat(64), 'old.go': 'c'.repeat(64) };
  const current = { 'main.go': 'd'.repeat(64), 'go.mod': 'b'.repeat(64), 'new.go': 'e'.repeat(64) };
  t.deepEqual(describeSourceChanges(recorded, current), [
    `main.go changed (sha256 ${'a'.repeat(12)}… recorded, ${'d'.repeat(12)}… now)`,
    'new.go is new',
    'old.go is missing',
  ]);
  t.deepEqual(describeSourceChanges(recorded, { ...recorded }), []);
});

test('sourceExcludes names the output directory only when it lies inside the module', (t) => {
  t.deepEqual(sourceExcludes('/src/mod', '/src/mod/dist'), ['dist']);
  t.deepEqual(sourceExcludes('/src/mod', '/src/mod/out/release'), ['out/release']);
  t.deepEqual(sourceExcludes('/src/mod', '/tmp/release'), []);
  t.deepEqual(sourceExcludes('/src/mod', '/src/module-sibling'), []);
});

test('a build cache volume is per toolchain and module, and stable', (t) => {
  const a = buildCacheVolume('h1:AAA', 'example.com/hello');
  t.regex(a, /^airlock-gocache-[0-9a-f]{20}$/);
  t.is(buildCacheVolume('h1:AAA', 'example.com/hello'), a);
  t.not(buildCacheVolume('h1:BBB', 'example.com/hello'), a);
  t.not(buildCacheVolume('h1:AAA', 'example.com/other'), a);
});

const R = 'a'.repeat(64);
const X = 'b'.repeat(64);
const B = 'c'.repeat(64);

test('compareReproduction: REPRODUCED only when the rebuild and the binary beside the envelope both are what it records', (t) => {
  t.deepEqual(compareReproduction({ recorded: R, rebuilt: R }), { status: 'REPRODUCED', differences: [], compareBytes: false });
  t.deepEqual(compareReproduction({ recorded: R, rebuilt: R, beside: R }), { status: 'REPRODUCED', differences: [], compareBytes: false });
  t.deepEqual(compareReproduction({ recorded: R, rebuilt: R, beside: B }), {
    status: 'DIFFERENT',
    differences: [`the rebuild matches the envelope (sha256 ${R}), but the binary beside it (sha256 ${B}) does not`],
    compareBytes: false,
  });
});

test('compareReproduction: a rebuild that differs shows both digests, and compares bytes only with the recorded binary', (t) => {
  t.deepEqual(compareReproduction({ recorded: R, rebuilt: X }), {
    status: 'DIFFERENT',
    differences: [`the envelope records sha256 ${R}, the rebuild is sha256 ${X}`, 'the recorded binary is not beside its envelope, so only the digests can be compared'],
    compareBytes: false,
  });
  t.deepEqual(compareReproduction({ recorded: R, rebuilt: X, beside: R }), {
    status: 'DIFFERENT',
    differences: [`the envelope records sha256 ${R}, the rebuild is sha256 ${X}`],
    compareBytes: true,
  });
  t.deepEqual(compareReproduction({ recorded: R, rebuilt: X, beside: B }), {
    status: 'DIFFERENT',
    differences: [`the envelope records sha256 ${R}, the rebuild is sha256 ${X}, the binary beside it is sha256 ${B}`],
    compareBytes: false,
  });
});

test('readRecordedBuild: a missing path, a directory or a file that is no envelope is bad input, in one clean line', async (t) => {
  const dir = await tempDir(t);
  const binary = path.join(dir, 'hello_linux_amd64');
  await fs.writeFile(binary, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0x1b, 0x5b, 0x32, 0x4a, 0x0a, 0x22, 0xff, 0xfe]));
  const text = path.join(dir, 'notes.txt');
  await fs.writeFile(text, 'hello\n');
  const cases = [
    [path.join(dir, 'nope.intoto.jsonl'), /^\/.*nope\.intoto\.jsonl does not exist$/],
    [dir, /is not a file$/],
    [binary, /^\/.*hello_linux_amd64 is not a provenance envelope \(\.intoto\.jsonl\): it holds binary data, not JSON \(is it the binary itself\?\)$/],
    [text, /notes\.txt is not a provenance envelope \(\.intoto\.jsonl\): notes\.txt:1 is not a DSSE envelope: it is not valid JSON$/],
  ] as const;
  for (const [file, message] of cases) {
    const error = await t.throwsAsync(readRecordedBuild(file, undefined), { instanceOf: InputError, message }, file);
    t.is(error?.exitCode, ExitCode.badInput);
    t.is(error?.details, undefined, 'no parser output (the bytes of a binary) is shown');
    t.regex(error?.hint ?? '', /\.intoto\.jsonl/);
    t.notRegex(`${error?.message}${error?.hint}`, /[\u0000-\u001f\u007f-\u009f]/, 'no control characters');
  }
});
