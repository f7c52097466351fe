import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';

import { ExitCode, InputError } from '../../../src/errors.js';
import { packageRoot } from '../../../src/util/package-root.js';
import {
  type ToolchainMatrix,
  defaultMatrixPath,
  findPins,
  loadToolchainMatrix,
  matrixVersions,
  parseToolchainMatrix,
} from '../../../src/toolchain/matrix.js';
import { toolchainModuleVersion } from '../../../src/toolchain/toolchain-tree.js';
import { go, tempDir } from '../../helpers/host-tools.js';
import { readIfPresent, registerNeeding } from '../../helpers/needs-input.js';

const SHIPPED = path.join(packageRoot(), 'toolchains', 'go.json');
const H1_A = 'h1:ZOmGe1OnfREDMIdb1Qi4G9JSuDPBLGExZMQ4nis1RXM=';
const H1_B = 'h1:r0ub+FnqzZxoWm/dSUOI9DcIqYWn/mNYGFJcv7PyBzs=';

const shipped = (): ToolchainMatrix => loadToolchainMatrix(SHIPPED);

// What the go command recorded in the module cache for the pinned linux/amd64 toolchains (read before the
// first test is declared: ava refuses declarations once tests have started).
const MODCACHE = (await go(['env', 'GOMODCACHE'])).trim();
const ZIPHASHES = new Map<string, { file: string; ziphash: string | undefined }>();
for (const version of ['go1.26.8', 'go1.27.3']) {
  const file = path.join(MODCACHE, 'cache/download/golang.org/toolchain/@v', `v0.0.1-${version}.linux-amd64.ziphash`);
  ZIPHASHES.set(version, { file, ziphash: (await readIfPresent(file))?.toString('utf8').trim() });
}

test('the shipped toolchains/go.json parses and records where it came from', (t) => {
  const matrix = shipped();
  t.is(matrix.schema, 'airlock.dev/toolchains/v1');
  t.is(matrix.location, SHIPPED);
  t.true(matrix.releases.length > 0);
  t.is(defaultMatrixPath({}), SHIPPED, 'without AIRLOCK_TOOLCHAINS the shipped matrix is the default');
});

test('defaultMatrixPath follows AIRLOCK_TOOLCHAINS, resolved to an absolute path', (t) => {
  t.is(defaultMatrixPath({ AIRLOCK_TOOLCHAINS: '/etc/airlock/go.json' }), '/etc/airlock/go.json');
  t.is(defaultMatrixPath({ AIRLOCK_TOOLCHAINS: 'rel/go.json' }), path.resolve('rel/go.json'));
});

test('every shipped pin has a module whose h1 equals the tree digest, and whose version names the release and platform', (t) => {
  let entries = 0;
  for (const release of shipped().releases) {
    for (const pins of release.platforms) {
      const name = `${release.version} ${pins.platform}`;
      entries++;
      t.truthy(pins.module, name);
      t.is(pins.module?.h1, pins.treeDigest, `${name}: treeDigest == module.h1`);
      const [goos, goarch] = pins.platform.split('/') as [string, string];
      t.is(pins.module?.version, toolchainModuleVersion({ version: release.version, goos, goarch }), name);
      t.is(pins.module?.path, 'golang.org/toolchain', name);
      if (pins.archive) t.is(pins.archive.file, `${release.version}.${goos}-${goarch}.tar.gz`, name);
    }
  }
  t.true(entries >= 2);
});

test('the shipped digests are all different: no pin was copied from another', (t) => {
  const digests = shipped().releases.flatMap((release) => release.platforms.map((pins) => pins.treeDigest));
  t.is(new Set(digests).size, digests.length);
});

test('go1.26.8 and go1.27.3 for linux/amd64 are pinned and marked verified here', (t) => {
  const matrix = shipped();
  for (const version of ['go1.26.8', 'go1.27.3']) {
    const pins = findPins(matrix, version, 'linux/amd64');
    t.truthy(pins, version);
    t.is(typeof pins?.verifiedHere, 'string', version);
    t.not(pins?.verifiedHere?.trim(), '', version);
  }
  t.is(findPins(matrix, 'go1.26.8', 'linux/amd64')?.treeDigest, H1_A);
  t.is(findPins(matrix, 'go1.27.3', 'linux/amd64')?.treeDigest, H1_B);
});

// The go command writes <version>.ziphash next to every module zip it downloads: the h1 it computed itself and
// checked against the checksum database. It is an independent check of the pinned digests.
for (const [version, { file, ziphash }] of ZIPHASHES) {
  registerNeeding(
    ziphash === undefined ? `${file} is absent (go mod download golang.org/toolchain@v0.0.1-${version}.linux-amd64 writes it)` : undefined,
    `the linux/amd64 ${version} tree digest equals the go command's .ziphash in the module cache`,
    (title) =>
      test(title, (t) => {
        t.regex(ziphash ?? '', /^h1:/);
        t.is(findPins(shipped(), version, 'linux/amd64')?.treeDigest, ziphash);
      }),
  );
}

test('matrixVersions lists the releases in file order', (t) => {
  const versions = matrixVersions(shipped());
  t.is(versions[0], 'go1.26.0');
  t.is(versions.at(-1), 'go1.27.3');
  t.is(new Set(versions).size, versions.length, 'each release once');
});

test('findPins: by exact version and platform; anything else is undefined', (t) => {
  const matrix = shipped();
  const pins = findPins(matrix, 'go1.26.8', 'linux/arm64');
  t.is(pins?.platform, 'linux/arm64');
  t.is(pins?.module?.version, 'v0.0.1-go1.26.8.linux-arm64');
  t.is(findPins(matrix, 'go1.26.8', 'darwin/arm64'), undefined);
  t.is(findPins(matrix, 'go1.26.9', 'linux/amd64'), undefined);
  t.is(findPins(matrix, '1.26.8', 'linux/amd64'), undefined, 'versions are canonical, with the go prefix');
  t.is(findPins(matrix, 'go1.26.8', 'linux-amd64'), undefined);
});

// Malformed matrices

const entry = (platform: string, treeDigest = H1_A): Record<string, unknown> => ({ platform, treeDigest });
const matrixText = (releases: unknown[], extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ schema: 'airlock.dev/toolchains/v1', releases, ...extra });
const release = (version: string, ...platforms: Array<Record<string, unknown>>): Record<string, unknown> => ({ version, platforms });

const invalid = (t: import('ava').ExecutionContext, text: string): InputError => {
  const error = t.throws(() => parseToolchainMatrix(text, 'custom.json'), { instanceOf: InputError });
  t.is(error?.exitCode, ExitCode.badInput);
  return error as InputError;
};

test('a minimal matrix parses', (t) => {
  const matrix = parseToolchainMatrix(matrixText([release('go1.27rc1', entry('linux/amd64'))]), 'custom.json');
  t.deepEqual(matrix, {
    schema: 'airlock.dev/toolchains/v1',
    releases: [{ version: 'go1.27rc1', platforms: [{ platform: 'linux/amd64', treeDigest: H1_A }] }],
    location: 'custom.json',
  });
});

test('a matrix that is not JSON is an InputError naming the file', (t) => {
  const error = invalid(t, '{"schema": "airlock.dev/toolchains/v1",');
  t.regex(error.message, /^the toolchain matrix custom\.json is not valid JSON \(/);
  t.regex(error.hint ?? '', /AIRLOCK_TOOLCHAINS/);
});

test('an unknown field is an InputError naming it, at the top level and deep inside', (t) => {
  t.is(invalid(t, matrixText([release('go1.26.8', entry('linux/amd64'))], { colour: 'blue' })).message, 'the toolchain matrix custom.json is invalid: colour: unknown field');
  t.is(
    invalid(t, matrixText([release('go1.26.8', { ...entry('linux/amd64'), sha256: 'x' })])).message,
    'the toolchain matrix custom.json is invalid: releases[0].platforms[0].sha256: unknown field',
  );
  t.regex(invalid(t, matrixText([], { colour: 'blue' })).hint ?? '', /matrix\.schema\.json/);
});

test('an h1 that does not match the pattern is an InputError naming the field', (t) => {
  t.is(
    invalid(t, matrixText([release('go1.26.8', entry('linux/amd64'), entry('linux/arm64', 'h1:abc='))])).message,
    'the toolchain matrix custom.json is invalid: releases[0].platforms[1].treeDigest: must match pattern "^h1:[A-Za-z0-9+/]{43}=$"',
  );
  const withModule = {
    ...entry('linux/amd64'),
    module: { path: 'golang.org/toolchain', version: 'v0.0.1-go1.26.8.linux-amd64', h1: `sha256:${'0'.repeat(64)}` },
  };
  t.regex(invalid(t, matrixText([release('go1.26.8', withModule)])).message, /releases\[0\]\.platforms\[0\]\.module\.h1: must match pattern/);
});

test('other schema violations name their field', (t) => {
  t.regex(invalid(t, matrixText([release('1.26.8', entry('linux/amd64'))])).message, /releases\[0\]\.version: must match pattern/);
  t.is(
    invalid(t, matrixText([release('go1.26.8', { platform: 'linux/amd64' })])).message,
    'the toolchain matrix custom.json is invalid: releases[0].platforms[0].treeDigest: required field is missing',
  );
  t.regex(invalid(t, matrixText([release('go1.26.8')])).message, /releases\[0\]\.platforms: must NOT have fewer than 1 items/);
  t.regex(invalid(t, JSON.stringify({ schema: 'airlock.dev/toolchains/v2', releases: [] })).message, /invalid: schema: /);
  t.regex(
    invalid(t, matrixText([release('go1.26.8', { ...entry('linux/amd64'), archive: { file: 'x.tar.gz', sha256: 'ABC' } })])).message,
    /releases\[0\]\.platforms\[0\]\.archive\.sha256: must match pattern/,
  );
  t.is(invalid(t, '[]').message, 'the toolchain matrix custom.json is invalid: (top level): must be object');
});

test('the same release and platform listed twice is an InputError naming both', (t) => {
  const inOneRelease = invalid(t, matrixText([release('go1.26.8', entry('linux/amd64'), entry('linux/arm64'), entry('linux/amd64', H1_B))]));
  t.is(inOneRelease.message, 'the toolchain matrix custom.json lists go1.26.8 linux/amd64 twice');
  t.regex(inOneRelease.hint ?? '', /one entry per release and platform/);
  const inTwoReleases = invalid(t, matrixText([release('go1.26.8', entry('linux/amd64')), release('go1.26.8', entry('linux/amd64', H1_B))]));
  t.is(inTwoReleases.message, 'the toolchain matrix custom.json lists go1.26.8 in two releases');
  // The same platform under different releases is fine.
  t.notThrows(() => parseToolchainMatrix(matrixText([release('go1.26.8', entry('linux/amd64')), release('go1.27.3', entry('linux/amd64', H1_B))]), 'x'));
});

// Regression test for a fixed bug: a release listed in two entries with different platforms passes validation, but findPins only looks in the
// first entry with that version, so the second entry's pins are silently ignored (and matrixVersions lists the
// version twice). Either the parser should reject a repeated release or findPins should search every entry.
test('a release split over two entries does not lose the pins of the second', (t) => {
  let matrix: ToolchainMatrix;
  try {
    matrix = parseToolchainMatrix(matrixText([release('go1.26.8', entry('linux/amd64')), release('go1.26.8', entry('linux/arm64', H1_B))]), 'custom.json');
  } catch (error) {
    t.true(error instanceof InputError);
    t.regex((error as Error).message, /go1\.26\.8/);
    return;
  }
  t.is(findPins(matrix, 'go1.26.8', 'linux/arm64')?.treeDigest, H1_B);
});

test('loadToolchainMatrix: an unreadable file is an InputError naming it; a readable one is parsed with its path as location', async (t) => {
  const dir = await tempDir(t);
  const missing = path.join(dir, 'nope.json');
  const error = t.throws(() => loadToolchainMatrix(missing), { instanceOf: InputError });
  t.is(error?.message, `the toolchain matrix ${missing} cannot be read`);
  t.regex(error?.hint ?? '', /AIRLOCK_TOOLCHAINS/);
  const file = path.join(dir, 'go.json');
  await fs.writeFile(file, matrixText([release('go1.26.8', entry('linux/amd64'))]));
  t.is(loadToolchainMatrix(file).location, file);
  await fs.writeFile(file, '{');
  t.throws(() => loadToolchainMatrix(file), { instanceOf: InputError, message: new RegExp(`^the toolchain matrix ${file} is not valid JSON`) });
});
