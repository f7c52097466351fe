/**
 * Official-style toolchain archives (goX.Y.Z.<goos>-<goarch>.tar.gz) never crash airlock: `airlock toolchain
 * import` and `toolchain pin` unpack archives that may be damaged or hostile. Random bytes, damaged copies of
 * a small well-formed toolchain and archives with hostile entries are unpacked and hashed, or fail with a
 * one-line InputError; either way the scratch directory is removed completely.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

import test from 'ava';
import * as fc from 'fast-check';

import { InputError } from '../../../src/errors.js';
import { computePins } from '../../../src/toolchain/import-toolchain.js';
import { type TarEntryInput, type TarEntryType, makeTar } from '../../helpers/archives.js';
import { usePrivateTmp } from '../../helpers/private-tmp.js';
import { assertAsyncProperty } from '../../helpers/properties.js';
import { AWKWARD_TEXT, byteMutationArbitrary, mutateBytes, parsesOrFailsCleanlyAsync } from '../../helpers/robustness.js';
import { toolchainTar, toolchainTarEntries } from '../../helpers/toolchain-fixture.js';

// computePins unpacks into a scratch directory under os.tmpdir(); the tests run serially, so that one test's
// scratch directory is never taken for another's leftover.
const tmp = await usePrivateTmp();
const TAR = await toolchainTar();

test.after.always(() => tmp.remove());

const pins = (file: string) => computePins({ kind: 'archive', path: file });

test.serial('the small toolchain is pinned from its archive (the real input of the mutations below)', async (t) => {
  const file = path.join(await tmp.workDir('files'), 'go.tar.gz');
  await fs.writeFile(file, gzipSync(TAR));
  t.is((await pins(file)).version, 'go1.26.8');
  await tmp.scratchIsEmpty();
});

test.serial('property: damaged archives (the tar, or the gzip around it) are pinned or fail with a one-line InputError, leaving nothing behind', async (t) => {
  const file = path.join(await tmp.workDir('files'), 'go.tar.gz');
  const gzipped = gzipSync(TAR);
  await assertAsyncProperty(
    t,
    fc.asyncProperty(
      fc.boolean(),
      // Tar headers: the name, mode, size and checksum fields of the first ones.
      fc.array(byteMutationArbitrary(TAR.length, [0, 100, 124, 148, 156, 257, 512, 1024, 1536]), { minLength: 1, maxLength: 4 }),
      async (damageGzip, mutations) => {
        await fs.writeFile(file, damageGzip ? mutateBytes(gzipped, mutations) : gzipSync(mutateBytes(TAR, mutations)));
        await parsesOrFailsCleanlyAsync(() => pins(file));
        await tmp.scratchIsEmpty();
      },
    ),
    { numRuns: 150, timeout: 5000 },
  );
});

const hostileName = fc.oneof(
  fc.constantFrom('go/../evil', '../evil', '/etc/evil', 'go/a/../../evil', 'evil', 'go', 'go/', './go/x', 'go//x', 'go/./x', 'go/api/x', 'go/VERSION/x'),
  fc.tuple(fc.constantFrom(...AWKWARD_TEXT, '\n'), fc.string({ maxLength: 6 })).map(([odd, rest]) => `go/a${odd}${rest}`),
  fc.string({ maxLength: 16 }).map((rest) => `go/${rest}`),
);
const hostileEntry: fc.Arbitrary<TarEntryInput> = fc.record({
  name: hostileName,
  type: fc.constantFrom<TarEntryType>('file', 'file', 'file', 'directory', 'symlink', 'link', 'fifo', 'character-device'),
  data: fc.string({ maxLength: 32 }),
  linkname: fc.constantFrom('/etc/passwd', '../../evil', 'go/VERSION'),
  mode: fc.constantFrom(0o644, 0o755, 0o000, 0o4755, 0o777),
});

test.serial('property: archives with hostile entries are pinned or refused with a one-line InputError, leaving nothing behind', async (t) => {
  const file = path.join(await tmp.workDir('files'), 'go.tar.gz');
  await fc.assert(
    fc.asyncProperty(fc.array(hostileEntry, { minLength: 1, maxLength: 4 }), fc.nat(6), async (hostile, at) => {
      const entries = toolchainTarEntries();
      entries.splice(Math.min(at, entries.length), 0, ...hostile);
      await fs.writeFile(file, gzipSync(await makeTar(entries)));
      await parsesOrFailsCleanlyAsync(() => pins(file));
      // The GOROOT lies two levels below the scratch directory: "../../evil" would land in it.
      await tmp.scratchIsEmpty();
    }),
    { numRuns: 120, timeout: 5000 },
  );
  t.deepEqual((await fs.readdir(tmp.work)).filter((name) => name === 'evil'), []);
});

test.serial('property: random bytes, with or without a gzip header, fail with a one-line InputError', async (t) => {
  const file = path.join(await tmp.workDir('files'), 'random.tar.gz');
  await assertAsyncProperty(
    t,
    fc.asyncProperty(fc.constantFrom([], [0x1f, 0x8b, 8, 0]), fc.uint8Array({ maxLength: 512 }), fc.boolean(), async (magic, rest, gzip) => {
      const bytes = Buffer.concat([Buffer.from(magic), rest]);
      await fs.writeFile(file, gzip ? gzipSync(bytes) : bytes);
      await parsesOrFailsCleanlyAsync(() => pins(file));
      await tmp.scratchIsEmpty();
    }),
    { numRuns: 150, timeout: 5000 },
  );
});

test.serial('an archive cut short in the middle of a skipped entry fails with an InputError, not an uncaught zlib error (tar-fs drains skipped entries without an error listener)', async (t) => {
  const file = path.join(await tmp.workDir('files'), 'cut.tar.gz');
  // api/ is left out of the toolchain tree, so its files are skipped while the archive is unpacked.
  const gzipped = gzipSync(await makeTar([{ name: 'go/api/big.txt', data: Buffer.alloc(256 * 1024, 7) }, ...toolchainTarEntries()]));
  await fs.writeFile(file, gzipped.subarray(0, Math.floor(gzipped.length / 2)));
  const error = await t.throwsAsync(pins(file), { instanceOf: InputError });
  t.is(error?.message, `${file} is not a readable .tar.gz archive (unexpected end of file)`);
  // An error thrown from nowhere would surface after the rejection and end this test process.
  await new Promise((resolve) => setTimeout(resolve, 100));
  await t.notThrowsAsync(tmp.scratchIsEmpty());
});

test.serial('an archive cut short at any point fails with an InputError and leaves nothing behind (tar-fs carries on writing after a failure)', async (t) => {
  const file = path.join(await tmp.workDir('files'), 'cut-anywhere.tar.gz');
  const files: TarEntryInput[] = Array.from({ length: 12 }, (_, i) => ({ name: `go/src/d${i}/e/f${i}.go`, data: Buffer.alloc(20_000, i) }));
  const gzipped = gzipSync(await makeTar([...files, ...toolchainTarEntries()]));
  for (let cut = 64; cut < gzipped.length; cut += Math.ceil(gzipped.length / 40)) {
    await fs.writeFile(file, gzipped.subarray(0, cut));
    await t.throwsAsync(pins(file), { instanceOf: InputError }, `cut at ${cut}`);
    // A write still under way would land after the removal.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await t.notThrowsAsync(tmp.scratchIsEmpty(), `cut at ${cut}`);
  }
});
