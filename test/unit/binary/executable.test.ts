import fs from 'node:fs/promises';

import test, { type ExecutionContext } from 'ava';

import { inspectElfLinkage } from '../../../src/binary/elf-linkage.js';
import {
  detectExecutableFormat,
  parseElf,
  parseExecutable,
  parseMachO,
  parsePe,
} from '../../../src/binary/executable-format.js';
import { buildSetting, readGoBuildInfo } from '../../../src/binary/go-buildinfo.js';
import { checkStaticExecutable } from '../../../src/binary/static-check.js';
import { VerificationError } from '../../../src/errors.js';
import {
  FIXTURE_DEPENDENCY,
  FIXTURE_GCFLAGS,
  FIXTURE_MODULE,
  GO_FIXTURES,
  type GoFixtureName,
  goBinary,
  hostGoVersion,
} from '../../helpers/go-binaries.js';

const fixtureNames = Object.keys(GO_FIXTURES) as GoFixtureName[];
const expectedFormat = (goos: string) => (goos === 'windows' ? 'pe' : goos === 'darwin' ? 'macho' : 'elf');

// Start every build at once; each test awaits only the ones it needs.
for (const name of fixtureNames) void goBinary(name).catch(() => undefined);

const systemBinary = fs.readFile('/bin/ls');

for (const name of fixtureNames) {
  const spec = GO_FIXTURES[name];

  test(`${name}: format is detected`, async (t) => {
    const { bytes } = await goBinary(name);
    t.is(detectExecutableFormat(bytes), expectedFormat(spec.goos));
  });

  test(`${name}: build info matches how it was built`, async (t) => {
    const [{ bytes }, goVersion] = await Promise.all([goBinary(name), hostGoVersion()]);
    const info = readGoBuildInfo(bytes);
    if (info === null) return t.fail('no build info found');
    t.is(info.goVersion, goVersion);
    t.is(info.path, FIXTURE_MODULE);
    t.deepEqual(info.main, { path: FIXTURE_MODULE, version: '(devel)' });
    t.deepEqual(info.deps, [
      { path: FIXTURE_DEPENDENCY, version: 'v0.0.0', replace: { path: './greet', version: '(devel)' } },
    ]);
    t.is(buildSetting(info, 'GOOS'), spec.goos);
    t.is(buildSetting(info, 'GOARCH'), spec.goarch);
    t.is(buildSetting(info, 'CGO_ENABLED'), spec.cgo ? '1' : '0');
    t.is(buildSetting(info, '-trimpath'), 'true');
    t.is(buildSetting(info, '-compiler'), 'gc');
    // Stored quoted ("-N -l") because of the space; must come back unquoted.
    t.is(buildSetting(info, '-gcflags'), FIXTURE_GCFLAGS);
    t.is(buildSetting(info, 'no-such-setting'), undefined);
  });

  test(`${name}: static check`, async (t) => {
    const { bytes } = await goBinary(name);
    const result = checkStaticExecutable(bytes);
    t.is(result.format, expectedFormat(spec.goos));
    if (spec.cgo) {
      t.false(result.static);
      t.regex(result.reason ?? '', /ld-linux|libc\.so/);
    } else {
      t.deepEqual(result, { format: expectedFormat(spec.goos), static: true });
    }
  });

  test(`${name}: truncated and corrupted copies fail only with VerificationError`, async (t) => {
    const { bytes } = await goBinary(name);
    assertOnlyVerificationErrors(t, bytes.subarray(0, 100), 'first 100 bytes');
    assertOnlyVerificationErrors(t, bytes.subarray(0, Math.floor(bytes.length / 2)), 'first half');
    for (const length of [0, 1, 2, 4, 16, 52, 64, 0x40, 0x84, 512, 4096]) {
      assertOnlyVerificationErrors(t, bytes.subarray(0, length), `first ${length} bytes`);
    }
    // Random byte changes in the headers and tables, where the parsers look: the start of the file, and
    // its end (where ELF keeps the section header table).
    const copy = Buffer.from(bytes);
    const random = prng(name.length * 7919);
    const window = Math.min(copy.length, 8192);
    for (let round = 0; round < 400; round++) {
      const changes: Array<[number, number]> = [];
      for (let k = 0; k < 1 + Math.floor(random() * 4); k++) {
        const offset = Math.floor(random() * window);
        const at = round % 2 === 0 ? offset : copy.length - 1 - offset;
        changes.push([at, copy[at] ?? 0]);
        copy[at] = Math.floor(random() * 256);
      }
      assertOnlyVerificationErrors(t, copy, `mutation round ${round}`);
      for (const [at, old] of changes.reverse()) copy[at] = old;
    }
  });
}

test('ELF headers: class, byte order and machine', async (t) => {
  const machines: Partial<Record<GoFixtureName, [number, boolean, number]>> = {
    'linux-amd64': [64, true, 62],
    'linux-arm64': [64, true, 183],
    'linux-386': [32, true, 3],
    'linux-s390x': [64, false, 22],
  };
  for (const [name, [bits, littleEndian, machine]] of Object.entries(machines)) {
    const elf = parseElf((await goBinary(name as GoFixtureName)).bytes);
    t.is(elf.bits as number, bits, name);
    t.is(elf.littleEndian, littleEndian, name);
    t.is(elf.machine, machine, name);
    t.true(elf.sections.some((s) => s.name === '.go.buildinfo'), name);
    t.true(elf.sections.some((s) => s.name === '.text'), name);
    t.true(elf.programHeaders.some((p) => p.type === 1), name);
  }
});

test('PE headers: PE32+ and PE32', async (t) => {
  const pe64 = parsePe((await goBinary('windows-amd64')).bytes);
  t.true(pe64.pe32Plus);
  t.is(pe64.machine, 0x8664);
  t.true(pe64.imageBase > 0n);
  t.true(pe64.sections.some((s) => s.name === '.data'));
  const pe32 = parsePe((await goBinary('windows-386')).bytes);
  t.false(pe32.pe32Plus);
  t.is(pe32.machine, 0x14c);
  t.true(pe32.imageBase > 0n);
});

test('Mach-O headers: segments and sections', async (t) => {
  const macho = parseMachO((await goBinary('darwin-arm64')).bytes);
  t.is(macho.bits, 64);
  t.true(macho.littleEndian);
  t.is(macho.cpuType, 0x0100000c);
  const names = macho.segments.map((s) => s.name);
  t.true(names.includes('__PAGEZERO'));
  t.true(names.includes('__TEXT'));
  t.true(macho.segments.flatMap((s) => s.sections).some((s) => s.name === '__text' && s.segmentName === '__TEXT'));
});

test('ELF linkage: static Go binaries need nothing, the cgo one needs the loader and libc', async (t) => {
  for (const name of ['linux-amd64', 'linux-arm64', 'linux-386', 'linux-s390x'] as const) {
    t.deepEqual(inspectElfLinkage((await goBinary(name)).bytes), { interpreter: null, needed: [] }, name);
  }
  const cgo = inspectElfLinkage((await goBinary('linux-amd64-cgo')).bytes);
  t.is(cgo.interpreter, '/lib64/ld-linux-x86-64.so.2');
  t.true(cgo.needed.includes('libc.so.6'), cgo.needed.join(', '));
});

test('/bin/ls is a dynamically linked ELF without Go build info', async (t) => {
  const bytes = await systemBinary;
  t.is(detectExecutableFormat(bytes), 'elf');
  const result = checkStaticExecutable(bytes);
  t.is(result.format, 'elf');
  t.false(result.static);
  t.regex(result.reason ?? '', /libc\.so\.6|ld-linux/);
  t.is(readGoBuildInfo(bytes), null);
  assertOnlyVerificationErrors(t, bytes.subarray(0, 100), '/bin/ls first 100 bytes');
  assertOnlyVerificationErrors(t, bytes.subarray(0, Math.floor(bytes.length / 2)), '/bin/ls first half');
});

for (const name of ['windows-amd64', 'darwin-arm64'] as const) {
  test(`${name}: a copy whose build info is rewritten to CGO_ENABLED=1 is not static`, async (t) => {
    const tampered = Buffer.from((await goBinary(name)).bytes);
    const from = Buffer.from('CGO_ENABLED=0');
    const to = Buffer.from('CGO_ENABLED=1');
    let rewritten = 0;
    for (let at = tampered.indexOf(from); at >= 0; at = tampered.indexOf(from, at + 1)) {
      to.copy(tampered, at);
      rewritten++;
    }
    t.true(rewritten > 0);
    const result = checkStaticExecutable(tampered);
    t.false(result.static);
    t.is(result.reason, 'build info says CGO_ENABLED=1');
    const info = readGoBuildInfo(tampered);
    t.is(info === null ? undefined : buildSetting(info, 'CGO_ENABLED'), '1');
  });
}

test('ELF without section headers: build info is found in the first writable PT_LOAD segment', async (t) => {
  const goVersion = await hostGoVersion();
  for (const name of ['linux-amd64', 'linux-386', 'linux-s390x'] as const) {
    const copy = Buffer.from((await goBinary(name)).bytes);
    // Zero e_shoff and e_shnum, as section-stripping tools do.
    if (parseElf(copy).bits === 64) {
      copy.fill(0, 40, 48);
      copy.fill(0, 60, 62);
    } else {
      copy.fill(0, 32, 36);
      copy.fill(0, 48, 50);
    }
    t.deepEqual(parseElf(copy).sections, [], name);
    const info = readGoBuildInfo(copy);
    t.is(info?.goVersion, goVersion, name);
    t.is(info === null ? undefined : buildSetting(info, 'GOARCH'), GO_FIXTURES[name].goarch, name);
  }
});

test('ELF staticness comes from the file structure, not from the build info', async (t) => {
  const tampered = Buffer.from((await goBinary('linux-amd64')).bytes);
  const at = tampered.indexOf(Buffer.from('CGO_ENABLED=0'));
  t.true(at >= 0);
  tampered.write('CGO_ENABLED=1', at);
  t.true(checkStaticExecutable(tampered).static);
});

test('random bytes are unknown, or rejected with VerificationError', (t) => {
  const random = prng(42);
  // No magic, then 64-bit LE ELF, 32-bit BE ELF, 64-bit LE Mach-O, 32-bit BE Mach-O, and MZ.
  const magics = [
    [],
    [0x7f, 0x45, 0x4c, 0x46, 2, 1],
    [0x7f, 0x45, 0x4c, 0x46, 1, 2],
    [0xcf, 0xfa, 0xed, 0xfe],
    [0xfe, 0xed, 0xfa, 0xce],
    [0x4d, 0x5a],
  ];
  for (let round = 0; round < 2000; round++) {
    const length = Math.floor(random() * (round % 10 === 0 ? 65536 : 512));
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
    const magic = magics[round % magics.length] ?? [];
    bytes.set(magic.slice(0, length));
    if (magic.length === 0 && length >= 2 && bytes[0] === 0x4d && bytes[1] === 0x5a) bytes[0] = 0;
    assertOnlyVerificationErrors(t, bytes, `random round ${round}`);
    if (magic.length === 0 && length >= 4) {
      t.is(detectExecutableFormat(bytes), 'unknown');
      t.is(readGoBuildInfo(bytes), null);
      t.deepEqual(checkStaticExecutable(bytes), {
        format: 'unknown',
        static: false,
        reason: 'not an ELF, PE or Mach-O executable',
      });
    }
  }
  t.is(detectExecutableFormat(new Uint8Array(0)), 'unknown');
});

test('malformed files produce clear messages', (t) => {
  const truncatedElf = Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  const error = t.throws(() => checkStaticExecutable(truncatedElf), { instanceOf: VerificationError });
  t.regex(error?.message ?? '', /malformed ELF file/);
  t.truthy(error?.hint);
  // A Mach-O load command of size 0 would never advance; it must be rejected, not looped on.
  const macho = new Uint8Array(64);
  const view = new DataView(macho.buffer);
  view.setUint32(0, 0xfeedfacf, true);
  view.setUint32(16, 1, true);
  view.setUint32(20, 16, true);
  view.setUint32(32, 0x19, true);
  view.setUint32(36, 0, true);
  t.throws(() => parseMachO(macho), { instanceOf: VerificationError, message: /invalid size 0/ });
  t.throws(() => inspectElfLinkage(Uint8Array.from([1, 2, 3, 4])), { instanceOf: VerificationError });
});

function assertOnlyVerificationErrors(t: ExecutionContext, bytes: Uint8Array, label: string): void {
  const checks: Array<[string, (b: Uint8Array) => unknown]> = [
    ['detectExecutableFormat', detectExecutableFormat],
    ['parseExecutable', parseExecutable],
    ['readGoBuildInfo', readGoBuildInfo],
    ['checkStaticExecutable', checkStaticExecutable],
  ];
  if (detectExecutableFormat(bytes) === 'elf') checks.push(['inspectElfLinkage', inspectElfLinkage]);
  const otherErrors: string[] = [];
  for (const [fn, check] of checks) {
    try {
      check(bytes);
    } catch (error) {
      if (!(error instanceof VerificationError)) otherErrors.push(`${fn} threw ${String(error)}`);
    }
  }
  t.deepEqual(otherErrors, [], `${label}: every reader returns or throws a VerificationError`);
}

/** Small seeded generator so a failing round can be reproduced. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
