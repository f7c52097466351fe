/**
 * Module sets never crash airlock: `--modules FILE` is unpacked and its manifest read before anything in it
 * is trusted. Random bytes, damaged copies of examples/cli's real set (the tar and the gzip around it) and
 * hand-made sets with hostile entries or manifests open, or fail with a one-line InputError; either way
 * nothing is left in the temporary directory once the set is closed, and an opened set names only modules
 * whose download-cache files lie inside it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

import test from 'ava';
import * as fc from 'fast-check';

import { InputError } from '../../../src/errors.js';
import { MODULE_SET_MANIFEST, MODULE_SET_SCHEMA, openModuleSet } from '../../../src/modules/module-set.js';
import { downloadCachePath } from '../../../src/modules/module-path.js';
import { type TarEntryInput, type TarEntryType, makeTar } from '../../helpers/archives.js';
import { CLI_MODULE_SET } from '../../helpers/cli-module-set.js';
import { usePrivateTmp } from '../../helpers/private-tmp.js';
import { assertAsyncProperty } from '../../helpers/properties.js';
import { AWKWARD_TEXT, byteMutationArbitrary, jsonMutationArbitrary, mutateBytes, mutateJsonText, offsetsOf, parsesOrFailsCleanlyAsync } from '../../helpers/robustness.js';

// openModuleSet unpacks under os.tmpdir(), pointed at a private directory to see what is left. The tests run
// serially, so that one test's open set is never taken for another's leftover.
const tmp = await usePrivateTmp();
const WORK = tmp.work;
const SCRATCH = tmp.scratch;

const REAL_GZ = await fs.readFile(CLI_MODULE_SET);
const REAL_TAR = gunzipSync(REAL_GZ);

/** Opens FILE; when it opens, checks the modules it names, and closes it. Then nothing may be left behind. */
async function opensSafelyOrFailsCleanly(file: string): Promise<void> {
  await parsesOrFailsCleanlyAsync(async () => {
    const set = await openModuleSet(file);
    try {
      for (const module of set.manifest.modules) {
        const zip = path.resolve(set.dir, ...downloadCachePath(module.path, module.version, 'zip').split('/'));
        if (!zip.startsWith(`${set.dir}${path.sep}`) || /[\u0000-\u001f\u007f]/.test(`${module.path}${module.version}`)) {
          throw new Error(`the manifest names a module outside the set: ${JSON.stringify(module)}`);
        }
      }
    } finally {
      await set.close();
    }
  });
  await tmp.scratchIsEmpty();
}

test.after.always(() => tmp.remove());

test.serial('the real set opens (the mutations below start from a real input)', async (t) => {
  await opensSafelyOrFailsCleanly(CLI_MODULE_SET);
  const set = await openModuleSet(CLI_MODULE_SET);
  t.is(set.manifest.modules.length, 9);
  await set.close();
});

test.serial('property: damaged copies of the real set (its tar, or its gzip) open, or fail with a one-line InputError', async (t) => {
  const file = path.join(WORK, 'damaged.tar.gz');
  // Tar headers sit on 512-byte boundaries: aim at the first ones and at the manifest's.
  const headers = [0, 512, 1024, 1536, 2048, ...offsetsOf(REAL_TAR, MODULE_SET_MANIFEST, 2)];
  await assertAsyncProperty(
    t,
    fc.asyncProperty(fc.boolean(), fc.array(byteMutationArbitrary(REAL_TAR.length, headers), { minLength: 1, maxLength: 4 }), async (damageGzip, mutations) => {
      await fs.writeFile(file, damageGzip ? mutateBytes(REAL_GZ, mutations) : gzipSync(mutateBytes(REAL_TAR, mutations)));
      await opensSafelyOrFailsCleanly(file);
    }),
    { numRuns: 80, timeout: 10000 },
  );
});

test.serial('property: random bytes, with or without a gzip header, fail with a one-line InputError', async (t) => {
  const file = path.join(WORK, 'random.tar.gz');
  await assertAsyncProperty(
    t,
    fc.asyncProperty(fc.constantFrom([], [0x1f, 0x8b, 8, 0]), fc.uint8Array({ maxLength: 1024 }), fc.boolean(), async (magic, rest, gzip) => {
      const bytes = Buffer.concat([Buffer.from(magic), rest]);
      await fs.writeFile(file, gzip ? gzipSync(bytes) : bytes);
      await opensSafelyOrFailsCleanly(file);
    }),
    { numRuns: 150, timeout: 5000 },
  );
});

const MANIFEST = JSON.stringify({
  schema: MODULE_SET_SCHEMA,
  module: 'example.com/m',
  goVersion: 'go1.26.8',
  modules: [{ path: 'github.com/x/y', version: 'v1.0.0', zip: false }],
});

const manifestText = fc.oneof(
  fc.constant(MANIFEST),
  fc.array(jsonMutationArbitrary(), { minLength: 1, maxLength: 3 }).map((mutations) => mutateJsonText(MANIFEST, mutations)),
  fc
    .record({ path: fc.constantFrom('../../../evil', '/abs', 'a/../../b', 'a\nb', 'x\u0000', '', '.', 'github.com/x/y'), version: fc.constantFrom('v1.0.0', '../../v1', 'v1\n', '', '/v1') })
    .map((module) => JSON.stringify({ schema: MODULE_SET_SCHEMA, module: 'example.com/m', goVersion: 'go1.26.8', modules: [{ ...module, zip: true }] })),
  fc.string({ maxLength: 40 }),
);

const entryName = fc.oneof(
  fc.constantFrom(MODULE_SET_MANIFEST, 'cache/download/github.com/x/y/@v/v1.0.0.mod', 'cache/download/github.com/x/y/@v/v1.0.0.zip', 'cache/', 'cache/download/', './cache/download/a/@v/v1.info'),
  fc.constantFrom('../evil', '/etc/evil', 'cache/download/../../evil', 'cache/download/x/@v/../../../evil.zip', 'cache/download/x/@v/v1.lock', `${MODULE_SET_MANIFEST}/x`),
  fc.tuple(fc.constantFrom(...AWKWARD_TEXT, '\n'), fc.string({ maxLength: 6 })).map(([odd, rest]) => `cache/download/a${odd}${rest}/@v/v1.0.0.mod`),
  fc.string({ maxLength: 24 }).map((rest) => `cache/download/${rest}`),
);
const entry: fc.Arbitrary<TarEntryInput> = fc.record({
  name: entryName,
  type: fc.constantFrom<TarEntryType>('file', 'file', 'file', 'directory', 'symlink', 'link', 'fifo', 'character-device'),
  data: fc.string({ maxLength: 32 }),
  linkname: fc.constantFrom('/etc/passwd', '../../evil', MODULE_SET_MANIFEST),
  mode: fc.constantFrom(0o644, 0o755, 0o000, 0o4755),
});

test.serial('property: hand-made sets with hostile entries or manifests open, or fail with a one-line InputError', async (t) => {
  const file = path.join(WORK, 'made.tar.gz');
  await fc.assert(
    fc.asyncProperty(manifestText, fc.array(entry, { maxLength: 4 }), fc.boolean(), async (manifest, hostile, manifestFirst) => {
      const entries: TarEntryInput[] = [{ name: 'cache/download/github.com/x/y/@v/v1.0.0.mod', data: 'module github.com/x/y\n' }, ...hostile];
      entries.splice(manifestFirst ? 0 : entries.length, 0, { name: MODULE_SET_MANIFEST, data: manifest });
      await fs.writeFile(file, gzipSync(await makeTar(entries)));
      await opensSafelyOrFailsCleanly(file);
    }),
    { numRuns: 120, timeout: 5000 },
  );
  t.deepEqual((await fs.readdir(WORK)).filter((name) => name === 'evil'), []);
});

test.serial('a manifest naming a module outside the set is refused with a one-line InputError', async (t) => {
  const file = path.join(WORK, 'outside.tar.gz');
  const manifest = JSON.stringify({ schema: MODULE_SET_SCHEMA, module: 'example.com/m', goVersion: 'go1.26.8', modules: [{ path: '../../../etc', version: 'v1.0.0', zip: true }] });
  await fs.writeFile(file, gzipSync(await makeTar([{ name: MODULE_SET_MANIFEST, data: manifest }])));
  const error = await t.throwsAsync(openModuleSet(file));
  t.is(error?.name, 'InputError');
  t.is(error?.message, `the module set ${file} has a malformed ${MODULE_SET_MANIFEST}: module path "../../../etc" is not a module path`);
});

test.serial('a set cut short in the middle of a refused entry fails with an InputError, not an uncaught zlib error (tar-fs drains skipped entries without an error listener)', async (t) => {
  const file = path.join(WORK, 'cut.tar.gz');
  const gzipped = gzipSync(await makeTar([{ name: 'cache/download/x/@v/v1.0.0.lock', data: Buffer.alloc(256 * 1024, 7) }, { name: MODULE_SET_MANIFEST, data: MANIFEST }]));
  await fs.writeFile(file, gzipped.subarray(0, Math.floor(gzipped.length / 2)));
  const error = await t.throwsAsync(openModuleSet(file));
  t.is(error?.name, 'InputError');
  t.is(error?.message, `the module set ${file} is not a readable .tar.gz (unexpected end of file)`);
  // An error thrown from nowhere would surface after the rejection and end this test process.
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.deepEqual(await fs.readdir(SCRATCH), []);
});

test.serial('a set cut short at any point fails with an InputError and leaves nothing behind (tar-fs carries on writing after a failure)', async (t) => {
  const file = path.join(WORK, 'cut-anywhere.tar.gz');
  const entries: TarEntryInput[] = Array.from({ length: 12 }, (_, i) => ({ name: `cache/download/example.com/m${i}/@v/v1.0.0.zip`, data: Buffer.alloc(20_000, i) }));
  const gzipped = gzipSync(await makeTar([...entries, { name: MODULE_SET_MANIFEST, data: MANIFEST }]));
  for (let cut = 64; cut < gzipped.length; cut += Math.ceil(gzipped.length / 40)) {
    await fs.writeFile(file, gzipped.subarray(0, cut));
    await t.throwsAsync(openModuleSet(file), { instanceOf: InputError }, `cut at ${cut}`);
    // A write still under way would land after the removal.
    await new Promise((resolve) => setTimeout(resolve, 20));
    t.deepEqual(await fs.readdir(SCRATCH), [], `cut at ${cut}`);
  }
});
