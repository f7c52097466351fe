import test from 'ava';

import { ExitCode, InputError } from '../../../src/errors.js';
import { type ToolchainCandidate, selectToolchain } from '../../../src/plan/select-toolchain.js';

interface Stored extends ToolchainCandidate {
  id: string;
}

const tc = (version: string, platform = 'linux/amd64'): Stored => {
  const [goos, goarch] = platform.split('/') as [string, string];
  return { id: `${version}-${goos}-${goarch}`, version, goos, goarch };
};

const ENGINE = 'linux/amd64';

test('an empty store is an InputError that says how to import a toolchain', (t) => {
  const error = t.throws(() => selectToolchain([], { enginePlatform: ENGINE }), { instanceOf: InputError });
  t.is(error?.message, 'no Go toolchain is stored');
  t.is(error?.exitCode, ExitCode.badInput);
  t.regex(error?.hint ?? '', /airlock toolchain import --goroot/);
});

test('toolchains for another platform cannot run on the engine, and the error lists what is stored', (t) => {
  const stored = [tc('go1.26.8', 'darwin/arm64'), tc('go1.27.3', 'linux/arm64')];
  const error = t.throws(() => selectToolchain(stored, { enginePlatform: ENGINE }), { instanceOf: InputError });
  t.is(
    error?.message,
    "no stored Go toolchain runs on the engine's platform linux/amd64 (stored: go1.26.8 darwin/arm64, go1.27.3 linux/arm64)",
  );
  t.regex(error?.hint ?? '', /airlock toolchain import/);
});

test('without constraints the newest runnable toolchain is chosen, compared as versions', (t) => {
  const stored = [tc('go1.26.8'), tc('go1.26.10'), tc('go1.9.7'), tc('go1.28.0', 'darwin/arm64'), tc('go1.25.3')];
  const selection = selectToolchain(stored, { enginePlatform: ENGINE });
  t.is(selection.toolchain, stored[1]!);
  t.deepEqual(selection.notes, []);
  t.is(selectToolchain(stored, { enginePlatform: 'darwin/arm64' }).toolchain, stored[3]!);
});

test('a release is newer than its release candidate', (t) => {
  const stored = [tc('go1.27.0'), tc('go1.27rc2'), tc('go1.26.8')];
  t.is(selectToolchain(stored, { enginePlatform: ENGINE }).toolchain.version, 'go1.27.0');
  t.is(selectToolchain([tc('go1.27rc2'), tc('go1.26.8')], { enginePlatform: ENGINE }).toolchain.version, 'go1.27rc2');
});

test('the stored array is not reordered', (t) => {
  const stored = [tc('go1.25.3'), tc('go1.27.3'), tc('go1.26.8')];
  const before = [...stored];
  selectToolchain(stored, { enginePlatform: ENGINE });
  t.deepEqual(stored, before);
});

test('a requested version present in the store is chosen even when newer ones exist, with or without the go prefix', (t) => {
  const stored = [tc('go1.25.3'), tc('go1.26.8'), tc('go1.27.3')];
  t.is(selectToolchain(stored, { requested: '1.26.8', enginePlatform: ENGINE }).toolchain, stored[1]!);
  t.is(selectToolchain(stored, { requested: 'go1.26.8', enginePlatform: ENGINE }).toolchain, stored[1]!);
  t.is(selectToolchain(stored, { requested: 'go1.25.3', enginePlatform: ENGINE }).toolchain, stored[0]!);
});

test('a requested version that is not stored (for the engine platform) is an InputError listing the runnable ones', (t) => {
  const stored = [tc('go1.25.3'), tc('go1.26.8'), tc('go1.26.9', 'darwin/arm64')];
  const error = t.throws(() => selectToolchain(stored, { requested: '1.26.9', enginePlatform: ENGINE }), { instanceOf: InputError });
  t.is(error?.message, 'Go go1.26.9 is not stored (stored: go1.25.3, go1.26.8)');
  t.regex(error?.hint ?? '', /airlock toolchain import/);
});

test('a requested version that is not a Go version is an InputError', (t) => {
  const stored = [tc('go1.26.8')];
  for (const requested of ['latest', '1.26.x', 'v1.26.8', '']) {
    const error = t.throws(() => selectToolchain(stored, { requested, enginePlatform: ENGINE }), { instanceOf: InputError }, requested);
    t.is(error?.message, `--go ${requested} is not a Go version`);
    t.is(error?.hint, 'write it like 1.26.8 or go1.26.8');
  }
});

test('the go line of go.mod excludes older toolchains, with a note for each', (t) => {
  const stored = [tc('go1.25.3'), tc('go1.27.3'), tc('go1.26.8'), tc('go1.24.0')];
  const selection = selectToolchain(stored, { goLine: '1.26', enginePlatform: ENGINE });
  t.is(selection.toolchain, stored[1]!);
  t.deepEqual(selection.notes, [
    'go1.25.3 is not used: go.mod requires go 1.26 or later',
    'go1.24.0 is not used: go.mod requires go 1.26 or later',
  ]);
});

test('a go line that every runnable toolchain satisfies adds no notes', (t) => {
  const selection = selectToolchain([tc('go1.26.8'), tc('go1.27.3')], { goLine: '1.21', enginePlatform: ENGINE });
  t.is(selection.toolchain.version, 'go1.27.3');
  t.deepEqual(selection.notes, []);
});

test('a go line with a patch version excludes the older patch releases', (t) => {
  const stored = [tc('go1.26.7'), tc('go1.26.8')];
  const selection = selectToolchain(stored, { goLine: '1.26.8', enginePlatform: ENGINE });
  t.is(selection.toolchain.version, 'go1.26.8');
  t.deepEqual(selection.notes, ['go1.26.7 is not used: go.mod requires go 1.26.8 or later']);
});

test('when the go line excludes every stored toolchain the error says so', (t) => {
  const stored = [tc('go1.25.3'), tc('go1.26.8')];
  const error = t.throws(() => selectToolchain(stored, { goLine: '1.27', enginePlatform: ENGINE }), { instanceOf: InputError });
  t.is(error?.message, 'the module requires go 1.27 or later, and no such toolchain is stored');
  t.true(error?.hint?.startsWith('import Go 1.27 or later into the store; '), error?.hint);
});

test('a requested version older than the go line is refused', (t) => {
  const stored = [tc('go1.25.3'), tc('go1.27.3')];
  const error = t.throws(() => selectToolchain(stored, { requested: '1.25.3', goLine: '1.26', enginePlatform: ENGINE }), {
    instanceOf: InputError,
  });
  t.is(error?.message, 'the module requires go 1.26 or later, and no such toolchain is selected');
});

test('a requested version that satisfies the go line is chosen over a newer one', (t) => {
  const stored = [tc('go1.26.8'), tc('go1.27.3')];
  const selection = selectToolchain(stored, { requested: '1.26.8', goLine: '1.26', enginePlatform: ENGINE });
  t.is(selection.toolchain.version, 'go1.26.8');
  t.deepEqual(selection.notes, []);
});
