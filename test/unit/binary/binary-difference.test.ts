import test from 'ava';
import { describeBinaryDifference } from '../../../src/binary/binary-difference.js';
import { parseExecutable } from '../../../src/binary/executable-format.js';
import { goBinary } from '../../helpers/go-binaries.js';

function flipInSection(bytes: Buffer, section: string): Buffer {
  const parsed = parseExecutable(bytes);
  if (!parsed || parsed.format !== 'elf') throw new Error('expected an ELF fixture');
  const found = parsed.sections.find((s) => s.name === section)!;
  const copy = Buffer.from(bytes);
  copy[found.offset + Math.floor(found.size / 2)]! ^= 0xff;
  return copy;
}

test('identical binaries have no differences', async (t) => {
  const { bytes } = await goBinary('linux-amd64');
  t.deepEqual(describeBinaryDifference(bytes, Buffer.from(bytes)), []);
});

test('a changed byte is located in its ELF section', async (t) => {
  const { bytes } = await goBinary('linux-amd64');
  const findings = describeBinaryDifference(bytes, flipInSection(Buffer.from(bytes), '.rodata'));
  t.deepEqual(findings, ['sections with differing bytes: .rodata']);
  const text = describeBinaryDifference(bytes, flipInSection(Buffer.from(bytes), '.text'));
  t.deepEqual(text, ['sections with differing bytes: .text']);
});

test('two different builds report size, build info and sections', async (t) => {
  const amd64 = await goBinary('linux-amd64');
  const arm64 = await goBinary('linux-arm64');
  const findings = describeBinaryDifference(amd64.bytes, arm64.bytes);
  t.true(findings.some((line) => /^size: \d+ bytes recorded, \d+ rebuilt$/.test(line)), findings.join('\n'));
  t.true(findings.includes('build info build GOARCH: amd64 recorded, arm64 rebuilt'), findings.join('\n'));
  t.true(findings.some((line) => line.startsWith('sections with differing bytes: ') && line.includes('.text')), findings.join('\n'));
});

test('a difference outside every section (a header byte) is still located', async (t) => {
  const { bytes } = await goBinary('linux-amd64');
  const copy = Buffer.from(bytes);
  copy[9]! ^= 0x01; // e_ident padding: part of no section and no build info
  t.deepEqual(describeBinaryDifference(bytes, copy), ['first differing byte at offset 9 (outside any section: headers or padding)']);
});

test('garbage on either side never throws', (t) => {
  const garbage = Buffer.from('not an executable at all');
  t.notThrows(() => describeBinaryDifference(garbage, Buffer.from('also not one')));
  t.deepEqual(describeBinaryDifference(garbage, Buffer.from(garbage)), []);
});
