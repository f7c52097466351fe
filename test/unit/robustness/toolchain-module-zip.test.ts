/**
 * golang.org/toolchain module zips never crash airlock: `airlock toolchain import` and `toolchain pin` hash and
 * unpack zips that may be damaged or hostile. Random bytes, damaged copies of a small well-formed toolchain
 * zip and zips with hostile entry names are unpacked inside the GOROOT and hashed, or fail with a one-line
 * InputError. So does the port list read from an imported toolchain.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

import test from 'ava';
import * as fc from 'fast-check';

import { computePins } from '../../../src/toolchain/import-toolchain.js';
import { extractToolchainModuleZip } from '../../../src/toolchain/toolchain-module-zip.js';
import { parsePortList } from '../../../src/toolchain/ports.js';
import { makeZip } from '../../helpers/archives.js';
import { hostZosarch } from '../../helpers/host-tools.js';
import { usePrivateTmp } from '../../helpers/private-tmp.js';
import { assertAsyncProperty, assertProperty } from '../../helpers/properties.js';
import {
  AWKWARD_TEXT,
  applyTextMutations,
  arbitraryText,
  byteMutationArbitrary,
  mutateBytes,
  offsetsOf,
  parsesOrFailsCleanly,
  parsesOrFailsCleanlyAsync,
  textMutationArbitrary,
} from '../../helpers/robustness.js';
import { TOOLCHAIN_MODULE_PREFIX, toolchainModuleZip, toolchainTar, toolchainZipEntries } from '../../helpers/toolchain-fixture.js';

// computePins unpacks into a scratch directory under os.tmpdir(); the tests run serially, so that one test's
// scratch directory is never taken for another's leftover.
const tmp = await usePrivateTmp();
const ZIP = toolchainModuleZip();
const TAR = await toolchainTar();

test.after.always(() => tmp.remove());

const pins = (file: string) => computePins({ kind: 'module-zip', path: file });

/** Everything under ROOT but KEEP and the directories leading to it: what an extraction wrote where it must not. */
async function writtenOutside(root: string, keep: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fs.readdir(root, { withFileTypes: true, recursive: true })) {
    const full = path.join(entry.parentPath, entry.name);
    if (full !== keep && !full.startsWith(`${keep}${path.sep}`) && !keep.startsWith(`${full}${path.sep}`)) found.push(path.relative(root, full));
  }
  return found;
}

test.serial('the small toolchain is pinned from its module zip to the digest of its archive (the real input of the mutations below)', async (t) => {
  const dir = await tmp.workDir('files');
  await fs.writeFile(path.join(dir, 'toolchain.zip'), ZIP);
  await fs.writeFile(path.join(dir, 'go.tar.gz'), gzipSync(TAR));
  const fromZip = await pins(path.join(dir, 'toolchain.zip'));
  const fromArchive = await computePins({ kind: 'archive', path: path.join(dir, 'go.tar.gz') });
  t.is(fromZip.version, 'go1.26.8');
  t.is(fromZip.pins.treeDigest, fromArchive.pins.treeDigest);
  t.is(fromZip.pins.module?.h1, fromZip.pins.treeDigest);
  await tmp.scratchIsEmpty();
});

test.serial('property: damaged toolchain module zips are pinned or fail with a one-line InputError, leaving nothing behind', async (t) => {
  const file = path.join(await tmp.workDir('files'), 'toolchain.zip');
  const hotspots = [0, ...offsetsOf(ZIP, Buffer.from('PK\x01\x02')), ZIP.length - 22];
  await assertAsyncProperty(
    t,
    fc.asyncProperty(fc.array(byteMutationArbitrary(ZIP.length, hotspots), { minLength: 1, maxLength: 4 }), async (mutations) => {
      await fs.writeFile(file, mutateBytes(ZIP, mutations));
      await parsesOrFailsCleanlyAsync(() => pins(file));
      await tmp.scratchIsEmpty();
    }),
    { numRuns: 200, timeout: 5000 },
  );
});

const entryName = fc.oneof(
  fc.constantFrom('../evil', '/etc/evil', 'a/../../evil', 'x/', '', 'a//b', 'a\\b', 'VERSION/x', 'go.mod', '_go.mod', 'src/_go.mod', 'src/go.mod').map((name) => TOOLCHAIN_MODULE_PREFIX + name),
  fc.constantFrom('golang.org/toolchain@v0.0.1-go1.27.0.linux-amd64/x', 'golang.org/toolchain@v0.0.1-go1.26.8.linux-arm64/x', 'evil', '../evil'),
  fc.tuple(fc.constantFrom(...AWKWARD_TEXT, '\n'), fc.string({ maxLength: 6 })).map(([odd, rest]) => `${TOOLCHAIN_MODULE_PREFIX}a${odd}${rest}`),
  fc.string({ maxLength: 16, unit: 'binary' }).map((rest) => TOOLCHAIN_MODULE_PREFIX + rest),
);

test.serial('property: module zips with hostile entries unpack inside the GOROOT, or are refused with a one-line InputError', async (t) => {
  const dir = await tmp.workDir('rounds');
  const file = path.join(dir, 'toolchain.zip');
  let round = 0;
  await assertAsyncProperty(
    t,
    fc.asyncProperty(fc.array(fc.record({ name: entryName, data: fc.string({ maxLength: 16 }) }), { minLength: 1, maxLength: 4 }), async (hostile) => {
      const root = path.join(dir, `round-${round++}`);
      const goroot = path.join(root, 'a', 'goroot');
      await fs.mkdir(goroot, { recursive: true });
      await fs.writeFile(file, makeZip([...toolchainZipEntries(), ...hostile]));
      await parsesOrFailsCleanlyAsync(() => extractToolchainModuleZip(file, goroot));
      const outside = await writtenOutside(root, goroot);
      await fs.rm(root, { recursive: true, force: true });
      if (outside.length > 0) throw new Error(`written outside the GOROOT: ${outside.join(', ')}`);
    }),
    { numRuns: 150, timeout: 5000 },
  );
});

test.serial('property: random bytes, with or without a zip signature, fail with a one-line InputError', async (t) => {
  const file = path.join(await tmp.workDir('files'), 'random.zip');
  await assertAsyncProperty(
    t,
    fc.asyncProperty(fc.constantFrom([], [0x50, 0x4b, 3, 4], [0x50, 0x4b, 5, 6]), fc.uint8Array({ maxLength: 256 }), async (magic, rest) => {
      await fs.writeFile(file, Buffer.concat([Buffer.from(magic), rest]));
      await parsesOrFailsCleanlyAsync(() => pins(file));
      await tmp.scratchIsEmpty();
    }),
    { numRuns: 200, timeout: 5000 },
  );
});

test.serial('property: the port list (src/internal/platform/zosarch.go of an imported toolchain), random or damaged, parses or fails with a one-line InputError', async (t) => {
  const real = await hostZosarch();
  const text = fc.oneof(
    arbitraryText(['var List = []OSArch{', '\n}', '\t{"linux", "amd64"},', '{"aix", "ppc64"}: {Broken: true},', 'Broken: true', '{', '}', '"', '\n']),
    fc.array(textMutationArbitrary(), { minLength: 1, maxLength: 5 }).map((mutations) => applyTextMutations(real, mutations)),
  );
  assertProperty(
    t,
    fc.property(text, (source) => {
      parsesOrFailsCleanly(() => parsePortList(source));
    }),
    { numRuns: 300 },
  );
});
