/**
 * Module zips never crash airlock: the zips of a module set are read (and hashed) before anything trusts
 * them. Random bytes, damaged real zips of examples/cli's module set and hand-made zips with hostile entry
 * names are read, with only safe file names, or fail with a one-line InputError.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';
import * as fc from 'fast-check';

import { readModuleZip } from '../../../src/modules/module-zip.js';
import { makeZip } from '../../helpers/archives.js';
import { extractCliModuleSet } from '../../helpers/cli-module-set.js';
import { tempDir } from '../../helpers/host-tools.js';
import { assertAsyncProperty } from '../../helpers/properties.js';
import { AWKWARD_TEXT, byteMutationArbitrary, mutateBytes, offsetsOf, parsesOrFailsCleanlyAsync } from '../../helpers/robustness.js';

const MODULE = 'github.com/inconshreveable/mousetrap';
const VERSION = 'v1.1.0';
const PREFIX = `${MODULE}@${VERSION}/`;

/** What a module zip may hand on: a relative path with no empty, "." or ".." part and no control character. */
function isSafeName(name: string): boolean {
  return name !== '' && !name.startsWith('/') && !/[\u0000-\u001f\u007f]/.test(name) && !name.split('/').some((part) => part === '' || part === '.' || part === '..');
}

async function readsSafelyOrFailsCleanly(file: string): Promise<void> {
  await parsesOrFailsCleanlyAsync(async () => {
    const zip = await readModuleZip(file, MODULE, VERSION);
    for (const name of zip.files.keys()) if (!isSafeName(name)) throw new Error(`unsafe name accepted: ${JSON.stringify(name)}`);
  });
}

test('property: random bytes, with or without a zip signature, fail with a one-line InputError', async (t) => {
  const file = path.join(await tempDir(t), 'random.zip');
  const signatures = [[], [0x50, 0x4b, 0x03, 0x04], [0x50, 0x4b, 0x05, 0x06]];
  await assertAsyncProperty(
    t,
    fc.asyncProperty(fc.constantFrom(...signatures), fc.uint8Array({ maxLength: 512 }), async (signature, rest) => {
      await fs.writeFile(file, Buffer.concat([Buffer.from(signature), rest]));
      await readsSafelyOrFailsCleanly(file);
    }),
    { numRuns: 200 },
  );
});

test('property: damaged real module zips are read with safe names, or fail with a one-line InputError', async (t) => {
  const dir = await tempDir(t);
  const real = await fs.readFile(path.join(await extractCliModuleSet(t), 'cache/download', MODULE, '@v', `${VERSION}.zip`));
  // The central directory, the end record and the local headers hold every length and offset.
  const hotspots = [...offsetsOf(real, Buffer.from([0x50, 0x4b, 0x01, 0x02]), 8), ...offsetsOf(real, Buffer.from([0x50, 0x4b, 0x05, 0x06])), ...offsetsOf(real, Buffer.from([0x50, 0x4b, 0x03, 0x04]), 8)];
  const file = path.join(dir, 'damaged.zip');
  await assertAsyncProperty(
    t,
    fc.asyncProperty(fc.array(byteMutationArbitrary(real.length, hotspots), { minLength: 1, maxLength: 4 }), async (mutations) => {
      await fs.writeFile(file, mutateBytes(real, mutations));
      await readsSafelyOrFailsCleanly(file);
    }),
    { numRuns: 300, timeout: 5000 },
  );
});

/** Entry names: good ones, and every kind of hostile one a zip can carry. */
const entryName = fc.oneof(
  fc.constantFrom('go.mod', 'mousetrap.go', 'sub/file.go', 'LICENSE').map((name) => PREFIX + name),
  fc.constantFrom('../evil', '/etc/passwd', 'a/../../b', './x', 'x/', '', '.', 'a//b', 'a\\b', 'C:/x').map((name) => PREFIX + name),
  fc.constantFrom('../x', '/abs', 'other.example/m@v1.0.0/x', `${MODULE}@v1.0.0/x`, MODULE, PREFIX),
  fc.tuple(fc.constantFrom(...AWKWARD_TEXT), fc.string({ maxLength: 8 })).map(([odd, rest]) => `${PREFIX}a${odd}${rest}`),
  fc.string({ maxLength: 20, unit: 'binary' }).map((name) => PREFIX + name),
  fc.uint8Array({ minLength: 1, maxLength: 12 }).map((bytes) => Buffer.concat([Buffer.from(PREFIX), Buffer.from(bytes)])),
);
const entry = fc.record({
  name: entryName,
  data: fc.oneof(fc.string({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes))),
  method: fc.constantFrom(0 as const, 8 as const),
});

test('property: hand-made zips with hostile entry names are read with safe names, or fail with a one-line InputError', async (t) => {
  const file = path.join(await tempDir(t), 'made.zip');
  await assertAsyncProperty(
    t,
    fc.asyncProperty(fc.array(entry, { maxLength: 6 }), fc.array(byteMutationArbitrary(512), { maxLength: 2 }), async (entries, mutations) => {
      await fs.writeFile(file, mutateBytes(makeZip(entries), mutations));
      await readsSafelyOrFailsCleanly(file);
    }),
    { numRuns: 300, timeout: 5000 },
  );
});

test('an entry name holding a line break is refused with a one-line InputError', async (t) => {
  const file = path.join(await tempDir(t), 'newline.zip');
  await fs.writeFile(file, makeZip([{ name: `${PREFIX}a\nb.go`, data: 'package a' }]));
  const error = await t.throwsAsync(readModuleZip(file, MODULE, VERSION));
  t.is(error?.name, 'InputError');
  t.is(error?.message, `${file} is not a readable module zip of ${MODULE}@${VERSION}: unsafe entry name: ${JSON.stringify(`${PREFIX}a\nb.go`)}`);
});
