/**
 * Executables never crash airlock: `airlock verify` and `airlock reproduce` read the Go build info, the
 * linkage and the sections of binaries that may be damaged or hostile. On random bytes and on mutations of
 * real Go binaries (ELF 64/32-bit, little and big endian, PE32+/PE32, Mach-O) and a dynamically linked
 * /bin/ls, every reader returns or throws a one-line VerificationError.
 */
import fs from 'node:fs';

import test from 'ava';
import * as fc from 'fast-check';

import { describeBinaryDifference } from '../../../src/binary/binary-difference.js';
import { inspectElfLinkage } from '../../../src/binary/elf-linkage.js';
import { detectExecutableFormat, parseExecutable } from '../../../src/binary/executable-format.js';
import { parseModInfo, readGoBuildInfo } from '../../../src/binary/go-buildinfo.js';
import { checkStaticExecutable } from '../../../src/binary/static-check.js';
import { VerificationError } from '../../../src/errors.js';
import { type GoFixtureName, goBinary } from '../../helpers/go-binaries.js';
import { assertProperty } from '../../helpers/properties.js';
import { arbitraryText, byteMutationArbitrary, mutateBytes, offsetsOf, parsesOrFailsCleanly } from '../../helpers/robustness.js';

interface Sample {
  name: string;
  bytes: Buffer;
  hotspots: number[];
}

/** Offsets worth aiming at: the headers, the tables they point to, the build info and the section names. */
function hotspots(bytes: Buffer): number[] {
  const spots = [0, 0x3c, 0x40];
  const format = detectExecutableFormat(bytes);
  if (format === 'elf') {
    const little = bytes[5] === 1;
    const shoff = bytes[4] === 2 ? Number(little ? bytes.readBigUInt64LE(0x28) : bytes.readBigUInt64BE(0x28)) : little ? bytes.readUInt32LE(0x20) : bytes.readUInt32BE(0x20);
    spots.push(shoff);
  } else if (format === 'pe') {
    spots.push(bytes.readUInt32LE(0x3c), bytes.readUInt32LE(0x3c) + 24);
  } else if (format === 'macho') {
    spots.push(28, 32);
  }
  spots.push(...offsetsOf(bytes, '\xff Go buildinf:'), ...offsetsOf(bytes, '.go.buildinfo'), ...offsetsOf(bytes, '__go_buildinfo'), ...offsetsOf(bytes, 'CGO_ENABLED'));
  spots.push(...offsetsOf(bytes, '.dynamic'), ...offsetsOf(bytes, '.interp'));
  return spots.filter((spot) => spot >= 0 && spot < bytes.length);
}

const FIXTURES: GoFixtureName[] = ['linux-amd64', 'linux-386', 'linux-s390x', 'windows-amd64', 'windows-386', 'darwin-arm64'];
const SAMPLES: Sample[] = [];
for (const name of FIXTURES) {
  const { bytes } = await goBinary(name);
  SAMPLES.push({ name, bytes, hotspots: hotspots(bytes) });
}
if (fs.existsSync('/bin/ls')) {
  const bytes = fs.readFileSync('/bin/ls');
  SAMPLES.push({ name: '/bin/ls', bytes, hotspots: hotspots(bytes) });
}

/** Everything airlock reads from an executable, as verify and reproduce call it. */
function readEverything(original: Uint8Array, bytes: Uint8Array): void {
  for (const read of [parseExecutable, readGoBuildInfo, checkStaticExecutable]) parsesOrFailsCleanly(() => read(bytes));
  if (detectExecutableFormat(bytes) === 'elf') parsesOrFailsCleanly(() => inspectElfLinkage(bytes));
  parsesOrFailsCleanly(() => describeBinaryDifference(original, bytes));
}

test('the real binaries are read (the mutations below start from real inputs)', (t) => {
  for (const sample of SAMPLES) {
    if (sample.name !== '/bin/ls') t.truthy(readGoBuildInfo(sample.bytes), sample.name);
    t.notThrows(() => checkStaticExecutable(sample.bytes), sample.name);
  }
});

for (const sample of SAMPLES) {
  test(`property: mutations of ${sample.name} are read, or fail with a one-line VerificationError`, (t) => {
    assertProperty(
      t,
      fc.property(fc.array(byteMutationArbitrary(sample.bytes.length, sample.hotspots), { minLength: 1, maxLength: 6 }), (mutations) => {
        readEverything(sample.bytes, mutateBytes(sample.bytes, mutations));
      }),
      { numRuns: 250 },
    );
  });
}

test('property: random bytes behind each magic number are read, or fail with a one-line VerificationError', (t) => {
  const magics = [
    [],
    [0x7f, 0x45, 0x4c, 0x46, 2, 1],
    [0x7f, 0x45, 0x4c, 0x46, 1, 2],
    [0xcf, 0xfa, 0xed, 0xfe],
    [0xfe, 0xed, 0xfa, 0xce],
    [0x4d, 0x5a],
  ];
  assertProperty(
    t,
    fc.property(fc.constantFrom(...magics), fc.uint8Array({ maxLength: 2048 }), (magic, rest) => {
      const bytes = Buffer.concat([Buffer.from(magic), rest]);
      readEverything(SAMPLES[0]!.bytes, bytes);
    }),
    { numRuns: 500 },
  );
});

test('property: the first kilobytes of each real binary, damaged, are read or fail with a one-line VerificationError', (t) => {
  assertProperty(
    t,
    // Samples are drawn by index, so that a failure report names one instead of printing its bytes.
    fc.property(fc.nat(SAMPLES.length - 1), fc.nat(8192), fc.array(byteMutationArbitrary(8192, [0, 0x40, 0x80, 0x178]), { maxLength: 4 }), (index, length, mutations) => {
      const sample = SAMPLES[index]!;
      readEverything(sample.bytes, mutateBytes(sample.bytes.subarray(0, length), mutations));
    }),
    { numRuns: 500 },
  );
});

test('property: parseModInfo of random and damaged module info text fails only with a one-line VerificationError', (t) => {
  const REAL = 'path\texample.com/m\nmod\texample.com/m\t(devel)\t\ndep\texample.com/greet\tv0.0.0\t\n=>\t./greet\t\t\nbuild\t-compiler=gc\nbuild\t-gcflags="-N -l"\nbuild\tCGO_ENABLED=0\nbuild\tGOOS=linux\n';
  const tokens = ['path\t', 'mod\t', 'dep\t', '=>\t', 'build\t', '\t', '\n', '=', '"', '`', '\\', '\\x', '\\u', '\\U0010ffff', '\\377', 'k', 'v'];
  assertProperty(
    t,
    fc.property(fc.oneof(arbitraryText(tokens), fc.constant(REAL)), (text) => {
      parsesOrFailsCleanly(() => parseModInfo(text));
    }),
    { numRuns: 500 },
  );
});

test('a section name holding a line break is quoted on one line when the section is cut off', (t) => {
  const bytes = Buffer.from(SAMPLES.find((sample) => sample.name === 'windows-amd64')!.bytes);
  const coff = bytes.readUInt32LE(0x3c) + 4;
  const table = coff + 20 + bytes.readUInt16LE(coff + 16);
  let data = -1;
  for (let i = 0; i < bytes.readUInt16LE(coff + 2); i++) if (bytes.toString('latin1', table + i * 40, table + i * 40 + 5) === '.data') data = table + i * 40;
  t.true(data > 0, 'the fixture has a .data section');
  bytes.write('\n.data', data, 'latin1');
  const cut = bytes.subarray(0, table + 40 * bytes.readUInt16LE(coff + 2));
  const error = t.throws(() => readGoBuildInfo(cut), { instanceOf: VerificationError });
  t.regex(error?.message ?? '', /^malformed Go build info: section \\n\.data maps \d+ bytes at file offset \d+, past the end of the file \(\d+ bytes\)$/);
});
