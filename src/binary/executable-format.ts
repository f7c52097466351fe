/**
 * Minimal, bounds-checked parsers for the three executable formats Go produces (ELF, PE, Mach-O).
 * They read only headers and tables; callers fetch the data they need through `readAtAddress` or
 * `ByteReader`. Every malformed or truncated input ends in a VerificationError, never a RangeError.
 */
import { VerificationError, oneLine } from '../errors.js';

export type ExecutableFormat = 'elf' | 'pe' | 'macho' | 'unknown';

const MALFORMED_HINT =
  'The file is truncated, corrupted or not an executable; rebuild it, or check that it was copied completely.';

export function malformed(what: string, detail: string): VerificationError {
  // Details may quote names read from the file (section names, build info lines), which may hold line breaks.
  return new VerificationError(`malformed ${what}: ${oneLine(detail)}`, { hint: MALFORMED_HINT });
}

/** Reads fixed-size integers and byte ranges, throwing a VerificationError instead of reading out of bounds. */
export class ByteReader {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly littleEndian: boolean,
    readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.byteLength;
  }

  has(offset: number, size: number): boolean {
    return (
      Number.isSafeInteger(offset) &&
      Number.isSafeInteger(size) &&
      offset >= 0 &&
      size >= 0 &&
      offset + size <= this.bytes.byteLength
    );
  }

  check(offset: number, size: number, field: string): void {
    if (!this.has(offset, size)) {
      throw malformed(
        this.what,
        `${field} needs ${size} bytes at offset ${offset}, but the file has only ${this.bytes.byteLength} bytes`,
      );
    }
  }

  u8(offset: number, field = 'field'): number {
    this.check(offset, 1, field);
    return this.view.getUint8(offset);
  }

  u16(offset: number, field = 'field'): number {
    this.check(offset, 2, field);
    return this.view.getUint16(offset, this.littleEndian);
  }

  u32(offset: number, field = 'field'): number {
    this.check(offset, 4, field);
    return this.view.getUint32(offset, this.littleEndian);
  }

  u64(offset: number, field = 'field'): bigint {
    this.check(offset, 8, field);
    return this.view.getBigUint64(offset, this.littleEndian);
  }

  /** An unsigned word of the file's natural size (4 or 8 bytes), as a bigint. */
  word(offset: number, size: 4 | 8, field = 'field'): bigint {
    return size === 8 ? this.u64(offset, field) : BigInt(this.u32(offset, field));
  }

  slice(offset: number, size: number, field = 'data'): Uint8Array {
    this.check(offset, size, field);
    return this.bytes.subarray(offset, offset + size);
  }

  /** A fixed-width, NUL-padded name field (Mach-O segment and section names, PE section names). */
  fixedString(offset: number, size: number, field = 'name'): string {
    const raw = this.slice(offset, size, field);
    const end = raw.indexOf(0);
    return latin1(end < 0 ? raw : raw.subarray(0, end));
  }
}

// ignoreBOM keeps a leading U+FEFF: these are Go strings, where it is content, not a byte-order mark.
const utf8Decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

export function utf8(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** The NUL-terminated string starting at `offset` inside `bytes`, or null when no NUL ends it there. */
export function cStringAt(bytes: Uint8Array, offset: number): string | null {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset >= bytes.byteLength) return null;
  const end = bytes.indexOf(0, offset);
  if (end < 0) return null;
  return utf8(bytes.subarray(offset, end));
}

/** 64-bit header fields used as offsets or sizes must fit a JS number; anything larger cannot describe a real file. */
function toNumber(value: bigint, what: string, field: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw malformed(what, `${field} is implausibly large (0x${value.toString(16)})`);
  }
  return Number(value);
}

function startsWith(bytes: Uint8Array, prefix: readonly number[], at = 0): boolean {
  if (bytes.byteLength < at + prefix.length) return false;
  return prefix.every((b, i) => bytes[at + i] === b);
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const MACHO_MAGICS = new Set([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe]);

function readU32LE(bytes: Uint8Array, at: number): number | null {
  if (bytes.byteLength < at + 4) return null;
  const b = (i: number) => bytes[at + i] ?? 0;
  return (b(0) | (b(1) << 8) | (b(2) << 16) | (b(3) << 24)) >>> 0;
}

/**
 * Decides by magic numbers only; structural problems are reported by the parsers. An "MZ" file whose
 * PE signature cannot be read (because the file ends first) still counts as PE so the parser can say
 * it is truncated; one whose e_lfanew points at something other than "PE\0\0" is a DOS program.
 */
export function detectExecutableFormat(bytes: Uint8Array): ExecutableFormat {
  if (startsWith(bytes, ELF_MAGIC)) return 'elf';
  const magic = readU32LE(bytes, 0);
  if (magic !== null && MACHO_MAGICS.has(magic)) return 'macho';
  if (startsWith(bytes, [0x4d, 0x5a])) {
    const peOffset = readU32LE(bytes, 0x3c);
    if (peOffset === null || peOffset + 4 > bytes.byteLength) return 'pe';
    if (startsWith(bytes, [0x50, 0x45, 0, 0], peOffset)) return 'pe';
  }
  return 'unknown';
}

// ---------------------------------------------------------------------------------------------------------
// ELF

export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;
export const SHT_NOBITS = 8;

export interface ElfProgramHeader {
  type: number;
  flags: number;
  offset: number;
  vaddr: bigint;
  filesz: number;
  memsz: number;
}

export interface ElfSection {
  name: string;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
}

export interface ElfFile {
  format: 'elf';
  bits: 32 | 64;
  littleEndian: boolean;
  /** e_type: 2 = executable, 3 = shared object (also PIE executables). */
  type: number;
  machine: number;
  entry: bigint;
  programHeaders: ElfProgramHeader[];
  sections: ElfSection[];
}

const SHN_XINDEX = 0xffff;
const PN_XNUM = 0xffff;

export function parseElf(bytes: Uint8Array): ElfFile {
  const what = 'ELF file';
  if (!startsWith(bytes, ELF_MAGIC)) throw malformed(what, 'missing the \\x7fELF magic');
  if (bytes.byteLength < 16) throw malformed(what, `only ${bytes.byteLength} bytes, shorter than the ELF identification`);
  const elfClass = bytes[4];
  const elfData = bytes[5];
  if (elfClass !== 1 && elfClass !== 2) throw malformed(what, `unknown ELF class ${elfClass}`);
  if (elfData !== 1 && elfData !== 2) throw malformed(what, `unknown ELF data encoding ${elfData}`);
  const bits = elfClass === 2 ? 64 : 32;
  const w: 4 | 8 = bits === 64 ? 8 : 4;
  const r = new ByteReader(bytes, elfData === 1, what);
  const headerSize = bits === 64 ? 64 : 52;
  r.check(0, headerSize, 'ELF header');

  const type = r.u16(16);
  const machine = r.u16(18);
  const entry = r.word(24, w);
  const phoff = toNumber(r.word(24 + w, w), what, 'e_phoff');
  const shoff = toNumber(r.word(24 + 2 * w, w), what, 'e_shoff');
  const tail = 24 + 3 * w + 4; // after e_flags
  const phentsize = r.u16(tail + 2);
  let phnum = r.u16(tail + 4);
  const shentsize = r.u16(tail + 6);
  let shnum = r.u16(tail + 8);
  let shstrndx = r.u16(tail + 10);

  const shdrSize = bits === 64 ? 64 : 40;
  const phdrSize = bits === 64 ? 56 : 32;

  // Counts too large for the header live in section 0 (the ELF "extended numbering" convention).
  if (shoff !== 0 && (shnum === 0 || shstrndx === SHN_XINDEX || phnum === PN_XNUM)) {
    if (shentsize < shdrSize) throw malformed(what, `section header entry size ${shentsize} is too small`);
    r.check(shoff, shdrSize, 'section header 0');
    if (shnum === 0) shnum = toNumber(r.word(shoff + (bits === 64 ? 32 : 20), w), what, 'extended section count');
    if (shstrndx === SHN_XINDEX) shstrndx = r.u32(shoff + (bits === 64 ? 40 : 24));
    if (phnum === PN_XNUM) phnum = r.u32(shoff + (bits === 64 ? 44 : 28));
  }

  const programHeaders: ElfProgramHeader[] = [];
  if (phnum > 0) {
    if (phentsize < phdrSize) throw malformed(what, `program header entry size ${phentsize} is too small`);
    r.check(phoff, phnum * phentsize, `program header table (${phnum} entries)`);
    for (let i = 0; i < phnum; i++) {
      const at = phoff + i * phentsize;
      if (bits === 64) {
        programHeaders.push({
          type: r.u32(at),
          flags: r.u32(at + 4),
          offset: toNumber(r.u64(at + 8), what, `p_offset of program header ${i}`),
          vaddr: r.u64(at + 16),
          filesz: toNumber(r.u64(at + 32), what, `p_filesz of program header ${i}`),
          memsz: toNumber(r.u64(at + 40), what, `p_memsz of program header ${i}`),
        });
      } else {
        programHeaders.push({
          type: r.u32(at),
          offset: r.u32(at + 4),
          vaddr: BigInt(r.u32(at + 8)),
          filesz: r.u32(at + 16),
          memsz: r.u32(at + 20),
          flags: r.u32(at + 24),
        });
      }
    }
  }

  const sections: ElfSection[] = [];
  if (shoff !== 0 && shnum > 0) {
    if (shentsize < shdrSize) throw malformed(what, `section header entry size ${shentsize} is too small`);
    r.check(shoff, shnum * shentsize, `section header table (${shnum} entries)`);
    const nameOffsets: number[] = [];
    for (let i = 0; i < shnum; i++) {
      const at = shoff + i * shentsize;
      nameOffsets.push(r.u32(at));
      if (bits === 64) {
        sections.push({
          name: '',
          type: r.u32(at + 4),
          flags: r.u64(at + 8),
          addr: r.u64(at + 16),
          offset: toNumber(r.u64(at + 24), what, `sh_offset of section ${i}`),
          size: toNumber(r.u64(at + 32), what, `sh_size of section ${i}`),
          link: r.u32(at + 40),
          info: r.u32(at + 44),
        });
      } else {
        sections.push({
          name: '',
          type: r.u32(at + 4),
          flags: BigInt(r.u32(at + 8)),
          addr: BigInt(r.u32(at + 12)),
          offset: r.u32(at + 16),
          size: r.u32(at + 20),
          link: r.u32(at + 24),
          info: r.u32(at + 28),
        });
      }
    }
    if (shstrndx !== 0) {
      const strtab = sections[shstrndx];
      if (strtab === undefined) throw malformed(what, `section name table index ${shstrndx} is out of range (${shnum} sections)`);
      if (strtab.type === SHT_NOBITS) throw malformed(what, 'section name table has no file contents');
      const names = r.slice(strtab.offset, strtab.size, 'section name table');
      sections.forEach((section, i) => {
        const name = cStringAt(names, nameOffsets[i] ?? 0);
        if (name === null) throw malformed(what, `name of section ${i} lies outside the section name table`);
        section.name = name;
      });
    }
  }

  return { format: 'elf', bits, littleEndian: elfData === 1, type, machine, entry, programHeaders, sections };
}

// ---------------------------------------------------------------------------------------------------------
// PE

export const IMAGE_SCN_CNT_CODE = 0x00000020;
export const IMAGE_SCN_CNT_INITIALIZED_DATA = 0x00000040;
export const IMAGE_SCN_CNT_UNINITIALIZED_DATA = 0x00000080;
export const IMAGE_SCN_ALIGN_MASK = 0x00f00000;
export const IMAGE_SCN_MEM_EXECUTE = 0x20000000;
export const IMAGE_SCN_MEM_READ = 0x40000000;
export const IMAGE_SCN_MEM_WRITE = 0x80000000;

export interface PeSection {
  name: string;
  virtualSize: number;
  /** Relative to the image base. */
  virtualAddress: number;
  sizeOfRawData: number;
  pointerToRawData: number;
  characteristics: number;
}

export interface PeFile {
  format: 'pe';
  machine: number;
  characteristics: number;
  /** True for PE32+ (optional header magic 0x20b), false for PE32 (0x10b). */
  pe32Plus: boolean;
  imageBase: bigint;
  subsystem: number | undefined;
  sections: PeSection[];
}

export function parsePe(bytes: Uint8Array): PeFile {
  const what = 'PE file';
  const r = new ByteReader(bytes, true, what);
  if (!startsWith(bytes, [0x4d, 0x5a])) throw malformed(what, 'missing the MZ magic');
  const peOffset = r.u32(0x3c, 'e_lfanew (offset of the PE header)');
  r.check(peOffset, 24, 'PE signature and COFF header');
  if (!startsWith(bytes, [0x50, 0x45, 0, 0], peOffset)) throw malformed(what, `no PE signature at offset ${peOffset}`);
  const coff = peOffset + 4;
  const machine = r.u16(coff);
  const numberOfSections = r.u16(coff + 2);
  const pointerToSymbolTable = r.u32(coff + 8);
  const numberOfSymbols = r.u32(coff + 12);
  const sizeOfOptionalHeader = r.u16(coff + 16);
  const characteristics = r.u16(coff + 18);

  const opt = coff + 20;
  if (sizeOfOptionalHeader < 2) throw malformed(what, 'no optional header (an object file, not an image)');
  r.check(opt, sizeOfOptionalHeader, 'optional header');
  const magic = r.u16(opt);
  let pe32Plus: boolean;
  let imageBase: bigint;
  if (magic === 0x20b) {
    pe32Plus = true;
    if (sizeOfOptionalHeader < 32) throw malformed(what, 'optional header too short to hold ImageBase');
    imageBase = r.u64(opt + 24);
  } else if (magic === 0x10b) {
    pe32Plus = false;
    if (sizeOfOptionalHeader < 32) throw malformed(what, 'optional header too short to hold ImageBase');
    imageBase = BigInt(r.u32(opt + 28));
  } else {
    throw malformed(what, `unknown optional header magic 0x${magic.toString(16)}`);
  }
  const subsystem = sizeOfOptionalHeader >= 70 ? r.u16(opt + 68) : undefined;

  const table = opt + sizeOfOptionalHeader;
  r.check(table, numberOfSections * 40, `section table (${numberOfSections} entries)`);
  const sections: PeSection[] = [];
  for (let i = 0; i < numberOfSections; i++) {
    const at = table + i * 40;
    sections.push({
      name: peSectionName(r, r.fixedString(at, 8), pointerToSymbolTable, numberOfSymbols),
      virtualSize: r.u32(at + 8),
      virtualAddress: r.u32(at + 12),
      sizeOfRawData: r.u32(at + 16),
      pointerToRawData: r.u32(at + 20),
      characteristics: r.u32(at + 36),
    });
  }
  return { format: 'pe', machine, characteristics, pe32Plus, imageBase, subsystem, sections };
}

/** Names longer than 8 bytes are stored as "/<decimal offset>" into the COFF string table. */
function peSectionName(r: ByteReader, raw: string, symbolTable: number, symbols: number): string {
  const match = /^\/(\d+)$/.exec(raw);
  if (match === null || symbolTable === 0) return raw;
  const at = symbolTable + symbols * 18 + Number(match[1]);
  if (!r.has(at, 1)) return raw;
  return cStringAt(r.bytes, at) ?? raw;
}

// ---------------------------------------------------------------------------------------------------------
// Mach-O

export const LC_SEGMENT = 0x1;
export const LC_SEGMENT_64 = 0x19;

export interface MachOSection {
  name: string;
  segmentName: string;
  addr: bigint;
  size: number;
  offset: number;
  flags: number;
}

export interface MachOSegment {
  name: string;
  vmaddr: bigint;
  vmsize: bigint;
  fileoff: number;
  filesize: number;
  maxprot: number;
  initprot: number;
  sections: MachOSection[];
}

export interface MachOLoadCommand {
  cmd: number;
  /** File offset of the command, including its cmd/cmdsize header. */
  offset: number;
  size: number;
}

export interface MachOFile {
  format: 'macho';
  bits: 32 | 64;
  littleEndian: boolean;
  cpuType: number;
  cpuSubtype: number;
  fileType: number;
  flags: number;
  loadCommands: MachOLoadCommand[];
  segments: MachOSegment[];
}

export function parseMachO(bytes: Uint8Array): MachOFile {
  const what = 'Mach-O file';
  const magic = readU32LE(bytes, 0);
  if (magic === null || !MACHO_MAGICS.has(magic)) throw malformed(what, 'missing the Mach-O magic');
  const littleEndian = magic === 0xfeedface || magic === 0xfeedfacf;
  const bits = magic === 0xfeedfacf || magic === 0xcffaedfe ? 64 : 32;
  const r = new ByteReader(bytes, littleEndian, what);
  const headerSize = bits === 64 ? 32 : 28;
  r.check(0, headerSize, 'Mach-O header');
  const cpuType = r.u32(4);
  const cpuSubtype = r.u32(8);
  const fileType = r.u32(12);
  const ncmds = r.u32(16);
  const sizeofcmds = r.u32(20);
  const flags = r.u32(24);
  r.check(headerSize, sizeofcmds, 'load commands');
  const commandsEnd = headerSize + sizeofcmds;

  const loadCommands: MachOLoadCommand[] = [];
  const segments: MachOSegment[] = [];
  let at = headerSize;
  for (let i = 0; i < ncmds; i++) {
    if (at + 8 > commandsEnd) throw malformed(what, `load command ${i} starts past the end of the load commands`);
    const cmd = r.u32(at);
    const cmdsize = r.u32(at + 4);
    // A size below the 8-byte header would never advance, so it is rejected rather than looped on.
    if (cmdsize < 8 || at + cmdsize > commandsEnd) {
      throw malformed(what, `load command ${i} has an invalid size ${cmdsize}`);
    }
    loadCommands.push({ cmd, offset: at, size: cmdsize });
    if (cmd === LC_SEGMENT || cmd === LC_SEGMENT_64) {
      segments.push(parseSegment(r, at, cmdsize, cmd === LC_SEGMENT_64, i));
    }
    at += cmdsize;
  }
  return { format: 'macho', bits, littleEndian, cpuType, cpuSubtype, fileType, flags, loadCommands, segments };
}

function parseSegment(r: ByteReader, at: number, cmdsize: number, is64: boolean, index: number): MachOSegment {
  const what = r.what;
  const headerSize = is64 ? 72 : 56;
  const sectionSize = is64 ? 80 : 68;
  if (cmdsize < headerSize) throw malformed(what, `segment command ${index} is too short (${cmdsize} bytes)`);
  const w: 4 | 8 = is64 ? 8 : 4;
  const name = r.fixedString(at + 8, 16);
  const vmaddr = r.word(at + 24, w);
  const vmsize = r.word(at + 24 + w, w);
  const fileoff = toNumber(r.word(at + 24 + 2 * w, w), what, `fileoff of segment ${name}`);
  const filesize = toNumber(r.word(at + 24 + 3 * w, w), what, `filesize of segment ${name}`);
  const rest = at + 24 + 4 * w;
  const maxprot = r.u32(rest);
  const initprot = r.u32(rest + 4);
  const nsects = r.u32(rest + 8);
  if (headerSize + nsects * sectionSize > cmdsize) {
    throw malformed(what, `segment ${name} claims ${nsects} sections, more than its command holds`);
  }
  const sections: MachOSection[] = [];
  for (let s = 0; s < nsects; s++) {
    const sat = at + headerSize + s * sectionSize;
    const sectionName = r.fixedString(sat, 16);
    const size = r.word(sat + 32 + w, w);
    const after = sat + 32 + 2 * w;
    sections.push({
      name: sectionName,
      segmentName: r.fixedString(sat + 16, 16),
      addr: r.word(sat + 32, w),
      size: toNumber(size, what, `size of section ${sectionName}`),
      offset: r.u32(after),
      flags: r.u32(after + 16),
    });
  }
  return { name, vmaddr, vmsize, fileoff, filesize, maxprot, initprot, sections };
}

// ---------------------------------------------------------------------------------------------------------
// Shared

export type ParsedExecutable = ElfFile | PeFile | MachOFile;

/** Parses by detected format; null for files that are none of the three. */
export function parseExecutable(bytes: Uint8Array): ParsedExecutable | null {
  switch (detectExecutableFormat(bytes)) {
    case 'elf':
      return parseElf(bytes);
    case 'pe':
      return parsePe(bytes);
    case 'macho':
      return parseMachO(bytes);
    case 'unknown':
      return null;
  }
}

/** A piece of the file that the loader maps at `vaddr` (absolute, i.e. PE image base included). */
export interface LoadedRange {
  name: string;
  vaddr: bigint;
  fileOffset: number;
  fileSize: number;
}

export function loadedRanges(exe: ParsedExecutable): LoadedRange[] {
  switch (exe.format) {
    case 'elf':
      return exe.programHeaders
        .filter((p) => p.type === PT_LOAD)
        .map((p, i) => ({ name: `PT_LOAD segment ${i}`, vaddr: p.vaddr, fileOffset: p.offset, fileSize: p.filesz }));
    case 'pe':
      return exe.sections.map((s) => ({
        name: `section ${s.name}`,
        vaddr: exe.imageBase + BigInt(s.virtualAddress),
        fileOffset: s.pointerToRawData,
        fileSize: s.sizeOfRawData,
      }));
    case 'macho':
      return exe.segments
        .filter((s) => s.name !== '__PAGEZERO')
        .map((s) => ({ name: `segment ${s.name}`, vaddr: s.vmaddr, fileOffset: s.fileoff, fileSize: s.filesize }));
  }
}

/**
 * Up to `maxLength` file bytes that are mapped at virtual address `addr`, stopping at the end of the
 * range that contains it. Null when no range contains the address; a VerificationError when the range
 * promises bytes the file does not have.
 */
export function readAtAddress(
  bytes: Uint8Array,
  ranges: readonly LoadedRange[],
  addr: bigint,
  maxLength: number,
  what: string,
): Uint8Array | null {
  for (const range of ranges) {
    if (range.fileSize <= 0 || addr < range.vaddr || addr >= range.vaddr + BigInt(range.fileSize)) continue;
    const delta = Number(addr - range.vaddr);
    const length = Math.max(0, Math.min(maxLength, range.fileSize - delta));
    const start = range.fileOffset + delta;
    if (start + length > bytes.byteLength) {
      throw malformed(
        what,
        `${range.name} maps ${length} bytes at file offset ${start}, past the end of the file (${bytes.byteLength} bytes)`,
      );
    }
    return bytes.subarray(start, start + length);
  }
  return null;
}
