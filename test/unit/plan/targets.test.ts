import test from 'ava';

import { ExitCode, InputError } from '../../../src/errors.js';
import { dedupeTargets, formatTarget, parseTarget, validateTargets } from '../../../src/plan/targets.js';
import { parsePortList } from '../../../src/toolchain/ports.js';
import { go, hostZosarch } from '../../helpers/host-tools.js';

const VERSION = 'go1.26.8';

// The real port list of the host toolchain, and `go tool dist list` as an independent view of it.
const portsPromise = hostZosarch().then(parsePortList);
const distListPromise = go(['tool', 'dist', 'list']).then((out) => out.split('\n').filter((line) => line !== ''));

test('parseTarget splits GOOS/GOARCH', (t) => {
  t.deepEqual(parseTarget('linux/amd64'), { goos: 'linux', goarch: 'amd64' });
  t.deepEqual(parseTarget('windows/arm64'), { goos: 'windows', goarch: 'arm64' });
  t.deepEqual(parseTarget('wasip1/wasm'), { goos: 'wasip1', goarch: 'wasm' });
  t.deepEqual(parseTarget('linux/386'), { goos: 'linux', goarch: '386' });
});

test('parseTarget ignores surrounding whitespace', (t) => {
  t.deepEqual(parseTarget('  darwin/arm64\n'), { goos: 'darwin', goarch: 'arm64' });
  t.deepEqual(parseTarget('\tplan9/386 '), { goos: 'plan9', goarch: '386' });
});

test('parseTarget accepts every port of the host toolchain and formatTarget gives it back', async (t) => {
  const distList = await distListPromise;
  t.true(distList.length > 10);
  for (const port of distList) t.is(formatTarget(parseTarget(port)), port);
});

test('parseTarget rejects what is not GOOS/GOARCH with an InputError and a hint', (t) => {
  const bad = [
    '',
    '   ',
    'linux',
    'linux/',
    '/amd64',
    'linux/amd64/v3',
    'linux//amd64',
    'Linux/amd64',
    'linux/AMD64',
    'linux amd64',
    'linux-amd64',
    'linux_amd64',
    'linux/amd64,darwin/arm64',
    'linux/amd 64',
    'linux\\amd64',
    'GOOS=linux/amd64',
  ];
  for (const text of bad) {
    const error = t.throws(() => parseTarget(text), { instanceOf: InputError }, JSON.stringify(text));
    t.is(error?.message, `invalid target ${JSON.stringify(text)}: a target is GOOS/GOARCH`);
    t.is(error?.exitCode, ExitCode.badInput);
    t.regex(error?.hint ?? '', /linux\/amd64/);
    t.regex(error?.hint ?? '', /go tool dist list/);
  }
});

test('validateTargets accepts every real port, alone and together', async (t) => {
  const ports = await portsPromise;
  t.notThrows(() => validateTargets(ports.map(parseTarget), ports, VERSION));
  t.notThrows(() => validateTargets([], ports, VERSION));
});

test('validateTargets: linux/amd65 names the linux ports of the toolchain', async (t) => {
  const ports = await portsPromise;
  const distList = await distListPromise;
  const error = t.throws(() => validateTargets([parseTarget('linux/amd65')], ports, VERSION), { instanceOf: InputError });
  t.is(error?.message, 'unknown target linux/amd65: go1.26.8 has no port linux/amd65');
  t.is(error?.exitCode, ExitCode.badInput);
  const prefix = 'linux targets of go1.26.8: ';
  t.true(error?.hint?.startsWith(prefix), error?.hint);
  const listed = error!.hint!.slice(prefix.length).split(', ');
  // Exactly the linux lines of `go tool dist list`, in its order (known-broken ports such as linux/sparc64 are not offered).
  t.deepEqual(
    listed,
    distList.filter((port) => port.startsWith('linux/')),
  );
  t.true(listed.includes('linux/amd64'));
  t.true(listed.includes('linux/arm64'));
  t.false(listed.includes('linux/sparc64'));
});

test('validateTargets: windows/mips names the windows ports', async (t) => {
  const ports = await portsPromise;
  const distList = await distListPromise;
  const error = t.throws(() => validateTargets([parseTarget('windows/mips')], ports, VERSION), { instanceOf: InputError });
  t.is(error?.message, 'unknown target windows/mips: go1.26.8 has no port windows/mips');
  const windows = distList.filter((port) => port.startsWith('windows/'));
  t.true(windows.includes('windows/amd64'));
  t.is(error?.hint, `windows targets of go1.26.8: ${windows.join(', ')}`);
  t.notRegex(error?.hint ?? '', /mips/);
});

test('validateTargets: foo/bar lists the GOOS values, each once, in port-list order', async (t) => {
  const ports = await portsPromise;
  const distList = await distListPromise;
  const error = t.throws(() => validateTargets([parseTarget('foo/bar')], ports, VERSION), { instanceOf: InputError });
  t.is(error?.message, 'unknown target foo/bar: go1.26.8 has no port foo/bar');
  const prefix = 'GOOS values of go1.26.8: ';
  t.true(error?.hint?.startsWith(prefix), error?.hint);
  const listed = error!.hint!.slice(prefix.length).split(', ');
  const expected: string[] = [];
  for (const port of distList) {
    const goos = port.slice(0, port.indexOf('/'));
    if (!expected.includes(goos)) expected.push(goos);
  }
  t.deepEqual(listed, expected);
  for (const goos of ['linux', 'windows', 'darwin', 'freebsd', 'js', 'wasip1']) t.true(listed.includes(goos), goos);
});

test('validateTargets: an unknown GOOS with a known GOARCH names the ports of that GOARCH', async (t) => {
  const ports = await portsPromise;
  const error = t.throws(() => validateTargets([parseTarget('beos/wasm')], ports, VERSION), { instanceOf: InputError });
  t.is(error?.hint, 'wasm targets of go1.26.8: js/wasm, wasip1/wasm');
});

test('validateTargets reports the first unknown target of several', async (t) => {
  const ports = await portsPromise;
  const targets = ['linux/amd64', 'darwin/sparc', 'windows/mips'].map(parseTarget);
  const error = t.throws(() => validateTargets(targets, ports, VERSION), { instanceOf: InputError });
  t.is(error?.message, 'unknown target darwin/sparc: go1.26.8 has no port darwin/sparc');
});

test('validateTargets refuses a known-broken port that zosarch.go still lists', async (t) => {
  const ports = await portsPromise;
  const zosarch = await hostZosarch();
  // linux/sparc64 is in var List but marked Broken: true; go tool dist list leaves it out and so does airlock.
  t.regex(zosarch, /\{"linux", "sparc64"\}:\s*\{[^}]*Broken: true/);
  t.throws(() => validateTargets([parseTarget('linux/sparc64')], ports, VERSION), {
    instanceOf: InputError,
    message: 'unknown target linux/sparc64: go1.26.8 has no port linux/sparc64',
  });
});

test('dedupeTargets keeps the first of each target, in order', (t) => {
  const input = ['linux/amd64', 'darwin/arm64', 'linux/amd64', 'windows/amd64', 'darwin/arm64', 'linux/arm64'].map(parseTarget);
  const copy = structuredClone(input);
  const result = dedupeTargets(input);
  t.deepEqual(result.map(formatTarget), ['linux/amd64', 'darwin/arm64', 'windows/amd64', 'linux/arm64']);
  t.is(result[0], input[0]);
  t.is(result[1], input[1]);
  t.deepEqual(input, copy, 'the input is not modified');
  t.not(result, input);
});

test('dedupeTargets: same OS with different arch, and same arch with different OS, are distinct', (t) => {
  const input = ['linux/amd64', 'linux/arm64', 'windows/amd64'].map(parseTarget);
  t.deepEqual(dedupeTargets(input).map(formatTarget), ['linux/amd64', 'linux/arm64', 'windows/amd64']);
  t.deepEqual(dedupeTargets([]), []);
  t.deepEqual(dedupeTargets([{ goos: 'js', goarch: 'wasm' }, { goos: 'js', goarch: 'wasm' }]), [{ goos: 'js', goarch: 'wasm' }]);
});
