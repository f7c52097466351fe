/**
 * What an ELF executable asks the dynamic loader for: its program interpreter (PT_INTERP) and the shared
 * libraries named by DT_NEEDED. Both empty means the kernel runs the file without any loader.
 */
import {
  ByteReader,
  type ElfFile,
  PT_DYNAMIC,
  PT_INTERP,
  cStringAt,
  detectExecutableFormat,
  loadedRanges,
  malformed,
  parseElf,
  readAtAddress,
  utf8,
} from './executable-format.js';

export interface ElfLinkage {
  interpreter: string | null;
  needed: string[];
}

const DT_NULL = 0n;
const DT_NEEDED = 1n;
const DT_STRTAB = 5n;
const DT_STRSZ = 10n;

const WHAT = 'ELF file';

export function inspectElfLinkage(bytes: Uint8Array): ElfLinkage {
  if (detectExecutableFormat(bytes) !== 'elf') throw malformed(WHAT, 'not an ELF file');
  return inspectParsedElfLinkage(parseElf(bytes), bytes);
}

export function inspectParsedElfLinkage(elf: ElfFile, bytes: Uint8Array): ElfLinkage {
  const r = new ByteReader(bytes, elf.littleEndian, WHAT);

  let interpreter: string | null = null;
  const interp = elf.programHeaders.find((p) => p.type === PT_INTERP);
  if (interp !== undefined) {
    const raw = r.slice(interp.offset, interp.filesz, 'PT_INTERP segment');
    const end = raw.indexOf(0);
    interpreter = utf8(end < 0 ? raw : raw.subarray(0, end));
    if (interpreter === '') throw malformed(WHAT, 'PT_INTERP segment names no interpreter');
  }

  const dynamic = elf.programHeaders.find((p) => p.type === PT_DYNAMIC);
  if (dynamic === undefined) return { interpreter, needed: [] };

  const entrySize = elf.bits === 64 ? 16 : 8;
  const wordSize: 4 | 8 = elf.bits === 64 ? 8 : 4;
  r.check(dynamic.offset, dynamic.filesz, 'PT_DYNAMIC segment');
  const neededOffsets: bigint[] = [];
  let strtab: bigint | undefined;
  let strsz: bigint | undefined;
  const count = Math.floor(dynamic.filesz / entrySize);
  for (let i = 0; i < count; i++) {
    const at = dynamic.offset + i * entrySize;
    const tag = r.word(at, wordSize);
    const value = r.word(at + wordSize, wordSize);
    if (tag === DT_NULL) break;
    if (tag === DT_NEEDED) neededOffsets.push(value);
    else if (tag === DT_STRTAB) strtab = value;
    else if (tag === DT_STRSZ) strsz = value;
  }
  if (neededOffsets.length === 0) return { interpreter, needed: [] };
  if (strtab === undefined) throw malformed(WHAT, 'DT_NEEDED entries without a DT_STRTAB string table');

  const maxLength = strsz === undefined || strsz > BigInt(bytes.byteLength) ? bytes.byteLength : Number(strsz);
  const strings = readAtAddress(bytes, loadedRanges(elf), strtab, maxLength, WHAT);
  if (strings === null) {
    throw malformed(WHAT, `DT_STRTAB address 0x${strtab.toString(16)} is not inside any PT_LOAD segment`);
  }
  const needed = neededOffsets.map((offset) => {
    const name = offset < BigInt(strings.byteLength) ? cStringAt(strings, Number(offset)) : null;
    if (name === null) throw malformed(WHAT, `DT_NEEDED string offset ${offset} lies outside the dynamic string table`);
    return name;
  });
  return { interpreter, needed };
}
