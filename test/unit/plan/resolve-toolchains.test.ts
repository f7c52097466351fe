import test from 'ava';

import { ExitCode, InputError } from '../../../src/errors.js';
import { resolveBuildToolchains, resolveToolchainSpecs } from '../../../src/plan/resolve-toolchains.js';
import type { ToolchainCandidate } from '../../../src/plan/select-toolchain.js';
import { loadToolchainMatrix, matrixVersions } from '../../../src/toolchain/matrix.js';

// The versions of the shipped toolchains/go.json: go1.26.0 … go1.26.8 and go1.27.0 … go1.27.3.
const MATRIX = matrixVersions(loadToolchainMatrix());

// A small list with release candidates, in no particular order.
const WITH_RC = ['go1.27rc2', 'go1.26.8', 'go1.26.7', 'go1.27rc1', 'go1.25.9'];

const resolve = (specs: string[], known: readonly string[] = MATRIX): string[] => resolveToolchainSpecs(specs, known);

test('the real matrix holds the releases these tests rely on', (t) => {
  for (const version of ['go1.26.0', 'go1.26.3', 'go1.26.8', 'go1.27.0', 'go1.27.3']) t.true(MATRIX.includes(version), version);
  t.false(MATRIX.includes('go1.26.9'));
  t.false(MATRIX.includes('go1.27.4'));
  t.false(MATRIX.some((version) => version.startsWith('go1.28')));
});

test('an exact version selects itself, with or without the go prefix and surrounding blanks', (t) => {
  t.deepEqual(resolve(['1.26.8']), ['go1.26.8']);
  t.deepEqual(resolve(['go1.26.8']), ['go1.26.8']);
  t.deepEqual(resolve([' 1.26.3 ']), ['go1.26.3']);
  t.deepEqual(resolve(['1.27.0']), ['go1.27.0'], 'an exact older patch is not replaced by the newest one');
});

test('an exact release candidate selects itself', (t) => {
  t.deepEqual(resolve(['1.27rc1'], WITH_RC), ['go1.27rc1']);
  t.deepEqual(resolve(['go1.27rc2'], WITH_RC), ['go1.27rc2']);
});

test('an exact version that is neither in the matrix nor stored is an InputError', (t) => {
  const error = t.throws(() => resolve(['1.26.9']), { instanceOf: InputError });
  t.is(error?.message, 'toolchains: go1.26.9 is neither in the toolchain matrix nor stored');
  t.is(error?.exitCode, ExitCode.badInput);
  t.regex(error?.hint ?? '', /airlock toolchain pin/);
  t.regex(error?.hint ?? '', /airlock toolchain import/);
  t.throws(() => resolve(['go1.27rc3'], WITH_RC), { instanceOf: InputError, message: /go1\.27rc3 is neither/ });
});

test('"latest" is the newest stable release, never a release candidate', (t) => {
  t.deepEqual(resolve(['latest']), ['go1.27.3']);
  t.deepEqual(resolve(['latest'], WITH_RC), ['go1.26.8']);
  t.deepEqual(resolve([' latest ']), ['go1.27.3']);
  // Compared as versions, not as strings.
  t.deepEqual(resolve(['latest'], ['go1.26.10', 'go1.26.9', 'go1.9.7']), ['go1.26.10']);
});

test('"latest" with no stable release known is an InputError', (t) => {
  const error = t.throws(() => resolve(['latest'], ['go1.27rc1', 'go1.27rc2']), { instanceOf: InputError });
  t.is(error?.message, 'toolchains: "latest" matches nothing: no Go release is known');
  t.throws(() => resolve(['latest'], []), { instanceOf: InputError });
});

test('">=1.26" over the real matrix is the newest patch of each minor release: go1.26.8 and go1.27.3', (t) => {
  t.deepEqual(resolve(['>=1.26']), ['go1.26.8', 'go1.27.3']);
  t.deepEqual(resolve(['>=go1.26']), ['go1.26.8', 'go1.27.3'], 'a go prefix inside a range is accepted');
  t.deepEqual(resolve(['>=1.26.0']), ['go1.26.8', 'go1.27.3']);
});

test('bounded ranges, x-ranges and tilde ranges', (t) => {
  t.deepEqual(resolve(['>=1.26 <1.27']), ['go1.26.8']);
  t.deepEqual(resolve(['1.27.x']), ['go1.27.3']);
  t.deepEqual(resolve(['1.26.x']), ['go1.26.8']);
  t.deepEqual(resolve(['~1.26.3']), ['go1.26.8']);
  t.deepEqual(resolve(['>=1.26.0 <1.26.4']), ['go1.26.3'], 'the newest patch inside the range, not of the whole minor line');
  t.deepEqual(resolve(['1.26 || 1.27']), ['go1.26.8', 'go1.27.3']);
  t.deepEqual(resolve(['1.27']), ['go1.27.3'], 'a language version is the newest patch of that minor release');
});

test('the newest patch per minor is found by version order, not string order', (t) => {
  t.deepEqual(resolve(['>=1.26'], ['go1.26.9', 'go1.26.10', 'go1.27.0', 'go1.26.2']), ['go1.26.10', 'go1.27.0']);
});

test('a range that matches nothing is an InputError listing the known versions in order', (t) => {
  const error = t.throws(() => resolve(['>=1.28']), { instanceOf: InputError });
  t.is(
    error?.message,
    `toolchains: ">=1.28" matches no Go release airlock knows (known: ${[
      'go1.26.0', 'go1.26.1', 'go1.26.2', 'go1.26.3', 'go1.26.4', 'go1.26.5', 'go1.26.6', 'go1.26.7', 'go1.26.8',
      'go1.27.0', 'go1.27.1', 'go1.27.2', 'go1.27.3',
    ].join(', ')})`,
  );
  t.regex(error?.hint ?? '', /widen the range/);
  const small = t.throws(() => resolve(['<1.20'], WITH_RC), { instanceOf: InputError });
  t.is(small?.message, 'toolchains: "<1.20" matches no Go release airlock knows (known: go1.25.9, go1.26.7, go1.26.8, go1.27rc1, go1.27rc2)');
});

test('plain ranges leave release candidates out', (t) => {
  t.deepEqual(resolve(['>=1.26'], WITH_RC), ['go1.26.8']);
  t.deepEqual(resolve(['*'], WITH_RC), ['go1.25.9', 'go1.26.8']);
  // A range that only release candidates would satisfy matches nothing.
  const error = t.throws(() => resolve(['>=1.27'], WITH_RC), { instanceOf: InputError });
  t.regex(error?.message ?? '', /matches no Go release/);
  t.regex(error?.message ?? '', /go1\.27rc1, go1\.27rc2/, 'the known list shows the candidates that were left out');
});

test('a range with a prerelease comparator admits the release candidates of that release', (t) => {
  t.deepEqual(resolve(['>=1.27.0-rc.1'], WITH_RC), ['go1.27rc2']);
  // Once the release exists it is newer than its candidates.
  t.deepEqual(resolve(['>=1.27.0-rc.1'], [...WITH_RC, 'go1.27.0']), ['go1.27.0']);
});

test('a spec that is no version, range or "latest" is an InputError', (t) => {
  for (const spec of ['banana', '1.26.8.1', 'go', 'LATEST', '>=1.26 <']) {
    const error = t.throws(() => resolve([spec]), { instanceOf: InputError }, spec);
    t.is(error?.message, `toolchains: ${JSON.stringify(spec.trim())} is not a Go version, a semver range or "latest"`, spec);
    t.regex(error?.hint ?? '', /"latest"/, spec);
  }
});

// Regression test for a fixed bug: a blank spec (possible from airlock.json, whose schema only asks for minLength 1, e.g. "toolchains": " ")
// trims to "", which semver reads as the range "*", so it silently selects the newest patch of every known minor
// release instead of being rejected like any other spec that is not a version.
test('a blank spec is an InputError, not every known release', (t) => {
  t.throws(() => resolve([' ']), { instanceOf: InputError });
  t.throws(() => resolve(['']), { instanceOf: InputError });
});

test('several specs are resolved together, deduplicated and sorted by version', (t) => {
  t.deepEqual(resolve(['latest', '1.26.8', '>=1.26', 'go1.27.3', '1.26.0']), ['go1.26.0', 'go1.26.8', 'go1.27.3']);
  t.deepEqual(resolve(['1.27.x', '1.26.x']), ['go1.26.8', 'go1.27.3']);
  t.deepEqual(resolve(['go1.27rc1', '1.26.7', 'latest'], WITH_RC), ['go1.26.7', 'go1.26.8', 'go1.27rc1']);
  t.deepEqual(resolve([]), []);
});

test('one bad spec among good ones fails the whole resolution', (t) => {
  t.throws(() => resolve(['>=1.26', '1.26.9']), { instanceOf: InputError, message: /go1\.26\.9/ });
});

// resolveBuildToolchains

interface Stored extends ToolchainCandidate {
  id: string;
}

const tc = (version: string, platform = 'linux/amd64'): Stored => {
  const [goos, goarch] = platform.split('/') as [string, string];
  return { id: `${version}-${goos}-${goarch}`, version, goos, goarch };
};

const ENGINE = 'linux/amd64';
const STORED = [tc('go1.26.8'), tc('go1.27.3'), tc('go1.27.3', 'linux/arm64')];

test('resolveBuildToolchains returns the stored toolchains of the resolved versions for the engine platform', (t) => {
  const resolution = resolveBuildToolchains(STORED, { specs: ['>=1.26'], matrixVersions: MATRIX, enginePlatform: ENGINE });
  t.deepEqual(
    resolution.toolchains.map((toolchain) => toolchain.id),
    ['go1.26.8-linux-amd64', 'go1.27.3-linux-amd64'],
  );
  t.is(resolution.toolchains[0], STORED[0], 'the stored objects themselves');
  t.deepEqual(resolution.notes, []);
  const arm = resolveBuildToolchains(STORED, { specs: ['1.27.3'], matrixVersions: MATRIX, enginePlatform: 'linux/arm64' });
  t.deepEqual(
    arm.toolchains.map((toolchain) => toolchain.id),
    ['go1.27.3-linux-arm64'],
  );
});

test('resolveBuildToolchains: a go line of 1.27 leaves go1.26.8 out with a note and keeps go1.27.3', (t) => {
  const resolution = resolveBuildToolchains(STORED, { specs: ['>=1.26'], matrixVersions: MATRIX, goLine: '1.27', enginePlatform: ENGINE });
  t.deepEqual(
    resolution.toolchains.map((toolchain) => toolchain.version),
    ['go1.27.3'],
  );
  t.deepEqual(resolution.notes, ['go1.26.8 is not used: go.mod requires go 1.27 or later']);
});

test('resolveBuildToolchains: a version left out by the go line need not be stored', (t) => {
  // ">=1.26" resolves to go1.26.8 from the matrix, which is not stored here; it is dropped before the store is consulted.
  const resolution = resolveBuildToolchains([tc('go1.27.3')], {
    specs: ['>=1.26'],
    matrixVersions: MATRIX,
    goLine: '1.27.1',
    enginePlatform: ENGINE,
  });
  t.deepEqual(
    resolution.toolchains.map((toolchain) => toolchain.version),
    ['go1.27.3'],
  );
  t.is(resolution.notes.length, 1);
});

test('resolveBuildToolchains: every selected toolchain older than the go line is an InputError', (t) => {
  const error = t.throws(
    () => resolveBuildToolchains(STORED, { specs: ['>=1.26'], matrixVersions: MATRIX, goLine: '1.28', enginePlatform: ENGINE }),
    { instanceOf: InputError },
  );
  t.is(error?.message, 'the module requires go 1.28 or later, and the selected toolchains (go1.26.8, go1.27.3) are all older');
  t.regex(error?.hint ?? '', /Go 1\.28 or later/);
  t.throws(() => resolveBuildToolchains(STORED, { specs: ['1.26.8'], matrixVersions: MATRIX, goLine: '1.26.9', enginePlatform: ENGINE }), {
    instanceOf: InputError,
    message: /selected toolchains \(go1\.26\.8\) are all older/,
  });
});

test('resolveBuildToolchains: a selected version that is not stored is an InputError naming it and the platform', (t) => {
  const error = t.throws(() => resolveBuildToolchains(STORED, { specs: ['1.27.2'], matrixVersions: MATRIX, enginePlatform: ENGINE }), {
    instanceOf: InputError,
  });
  t.is(error?.message, 'go1.27.2 for linux/amd64 is selected but not stored');
  t.regex(error?.hint ?? '', /airlock toolchain import/);
  // A range picking a matrix release that was never imported fails the same way.
  t.throws(() => resolveBuildToolchains([tc('go1.27.3')], { specs: ['>=1.26'], matrixVersions: MATRIX, enginePlatform: ENGINE }), {
    instanceOf: InputError,
    message: 'go1.26.8 for linux/amd64 is selected but not stored',
  });
});

test('resolveBuildToolchains: a version stored only for another platform cannot run on the engine', (t) => {
  const stored = [tc('go1.26.8', 'linux/arm64'), tc('go1.27.3', 'darwin/arm64')];
  t.throws(() => resolveBuildToolchains(stored, { specs: ['1.26.8'], matrixVersions: MATRIX, enginePlatform: ENGINE }), {
    instanceOf: InputError,
    message: 'go1.26.8 for linux/amd64 is selected but not stored',
  });
  t.throws(() => resolveBuildToolchains(stored, { specs: [], matrixVersions: MATRIX, enginePlatform: ENGINE }), {
    instanceOf: InputError,
    message: /^no stored Go toolchain runs on the engine's platform linux\/amd64/,
  });
});

test('resolveBuildToolchains: stored versions outside the matrix (trusted on first use) can be selected', (t) => {
  const stored = [...STORED, tc('go1.28rc1'), tc('go1.28.0')];
  t.deepEqual(
    resolveBuildToolchains(stored, { specs: ['1.28rc1'], matrixVersions: MATRIX, enginePlatform: ENGINE }).toolchains.map((x) => x.version),
    ['go1.28rc1'],
  );
  t.deepEqual(
    resolveBuildToolchains(stored, { specs: ['latest'], matrixVersions: MATRIX, enginePlatform: ENGINE }).toolchains.map((x) => x.version),
    ['go1.28.0'],
  );
  t.deepEqual(
    resolveBuildToolchains(stored, { specs: ['>=1.27'], matrixVersions: MATRIX, enginePlatform: ENGINE }).toolchains.map((x) => x.version),
    ['go1.27.3', 'go1.28.0'],
  );
});

test('resolveBuildToolchains without specs picks the newest stored toolchain the go line allows', (t) => {
  const stored = [tc('go1.26.8'), tc('go1.27.3'), tc('go1.28.0', 'linux/arm64')];
  const plain = resolveBuildToolchains(stored, { specs: [], matrixVersions: MATRIX, enginePlatform: ENGINE });
  t.deepEqual(
    plain.toolchains.map((toolchain) => toolchain.id),
    ['go1.27.3-linux-amd64'],
  );
  t.deepEqual(plain.notes, []);
  const withLine = resolveBuildToolchains(stored, { specs: [], matrixVersions: MATRIX, goLine: '1.27', enginePlatform: ENGINE });
  t.deepEqual(
    withLine.toolchains.map((toolchain) => toolchain.id),
    ['go1.27.3-linux-amd64'],
  );
  t.deepEqual(withLine.notes, ['go1.26.8 is not used: go.mod requires go 1.27 or later']);
  // Without specs the matrix does not matter: only what is stored.
  t.deepEqual(
    resolveBuildToolchains([tc('go1.26.8')], { specs: [], matrixVersions: [], goLine: '1.26', enginePlatform: ENGINE }).toolchains.map((x) => x.version),
    ['go1.26.8'],
  );
  t.throws(() => resolveBuildToolchains([tc('go1.26.8')], { specs: [], matrixVersions: MATRIX, goLine: '1.27', enginePlatform: ENGINE }), {
    instanceOf: InputError,
    message: /requires go 1\.27 or later/,
  });
});
