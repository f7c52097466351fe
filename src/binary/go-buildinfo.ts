/**
 * Reads the build information the Go linker embeds in every executable (what `go version -m` prints),
 * following the layout of Go's debug/buildinfo and the text format of runtime/debug.BuildInfo.
 */
import {
  type ParsedExecutable,
  IMAGE_SCN_ALIGN_MASK,
  IMAGE_SCN_CNT_INITIALIZED_DATA,
  IMAGE_SCN_MEM_READ,
  IMAGE_SCN_MEM_WRITE,
  PF_W,
  PF_X,
  PT_LOAD,
  loadedRanges,
  malformed,
  parseExecutable,
  readAtAddress,
  utf8,
} from './executable-format.js';

export interface GoModule {
  path: string;
  version: string;
  sum?: string;
  replace?: GoModule;
}

export interface GoBuildInfo {
  goVersion: string;
  path: string;
  main?: GoModule;
  deps: GoModule[];
  settings: Array<{ key: string; value: string }>;
}

const WHAT = 'Go build info';
const MAGIC = [0xff, 0x20, 0x47, 0x6f, 0x20, 0x62, 0x75, 0x69, 0x6c, 0x64, 0x69, 0x6e, 0x66, 0x3a]; // "\xff Go buildinf:"
const ALIGN = 16;
const HEADER_SIZE = 32;
const SCAN_LIMIT = 64 * 1024;
const FLAG_INLINE_STRINGS = 0x2;

/**
 * The build info of a Go executable; null when the file is not an executable, carries no Go build info,
 * or uses the pre-Go 1.18 pointer layout. Throws VerificationError for malformed files.
 */
export function readGoBuildInfo(bytes: Uint8Array): GoBuildInfo | null {
  const exe = parseExecutable(bytes);
  if (exe === null) return null;
  const start = dataStart(exe);
  if (start === null || start.size <= 0) return null;
  const region = readAtAddress(bytes, loadedRanges(exe), start.addr, start.size, WHAT);
  if (region === null) return null;

  const header = findHeader(region);
  if (header < 0) return null;
  const flags = region[header + 15] ?? 0;
  if ((flags & FLAG_INLINE_STRINGS) === 0) return null;

  let at = header + HEADER_SIZE;
  const version = readVarintString(region, at, 'Go version');
  at = version.next;
  const modinfo = readVarintString(region, at, 'module info');
  const goVersion = utf8(version.bytes);
  if (goVersion === '') throw malformed(WHAT, 'empty Go version');
  return { goVersion, ...parseModInfo(utf8(stripModInfoFraming(modinfo.bytes))) };
}

export function buildSetting(info: GoBuildInfo, key: string): string | undefined {
  return info.settings.find((s) => s.key === key)?.value;
}

function dataStart(exe: ParsedExecutable): { addr: bigint; size: number } | null {
  switch (exe.format) {
    case 'elf': {
      const section = exe.sections.find((s) => s.name === '.go.buildinfo');
      if (section !== undefined) return { addr: section.addr, size: section.size };
      const writable = exe.programHeaders.find((p) => p.type === PT_LOAD && (p.flags & (PF_X | PF_W)) === PF_W);
      return writable === undefined ? null : { addr: writable.vaddr, size: writable.memsz };
    }
    case 'macho': {
      for (const segment of exe.segments) {
        const section = segment.sections.find((s) => s.name === '__go_buildinfo');
        if (section !== undefined) return { addr: section.addr, size: section.size };
      }
      const readWrite = 3;
      const segment = exe.segments.find(
        (s) =>
          s.name !== '__PAGEZERO' &&
          s.vmaddr !== 0n &&
          s.filesize !== 0 &&
          s.initprot === readWrite &&
          s.maxprot === readWrite,
      );
      return segment === undefined ? null : { addr: segment.vmaddr, size: segment.filesize };
    }
    case 'pe': {
      const wanted = IMAGE_SCN_CNT_INITIALIZED_DATA | IMAGE_SCN_MEM_READ | IMAGE_SCN_MEM_WRITE;
      const section = exe.sections.find(
        (s) =>
          s.virtualAddress !== 0 &&
          s.sizeOfRawData !== 0 &&
          (s.characteristics & ~IMAGE_SCN_ALIGN_MASK) >>> 0 === wanted >>> 0,
      );
      return section === undefined
        ? null
        : { addr: exe.imageBase + BigInt(section.virtualAddress), size: section.virtualSize };
    }
  }
}

function findHeader(region: Uint8Array): number {
  const limit = Math.min(region.byteLength, SCAN_LIMIT);
  for (let at = 0; at < limit && at + HEADER_SIZE <= region.byteLength; at += ALIGN) {
    if (MAGIC.every((b, i) => region[at + i] === b)) return at;
  }
  return -1;
}

function readVarintString(data: Uint8Array, at: number, field: string): { bytes: Uint8Array; next: number } {
  let length = 0;
  let scale = 1;
  let pos = at;
  for (let i = 0; ; i++) {
    const b = data[pos];
    if (b === undefined) throw malformed(WHAT, `length of the ${field} runs past the end of the data`);
    if (i >= 10) throw malformed(WHAT, `length of the ${field} is not a valid varint`);
    pos++;
    length += (b & 0x7f) * scale;
    if (b < 0x80) break;
    scale *= 128;
  }
  if (length > data.byteLength - pos) {
    throw malformed(WHAT, `${field} (${length} bytes) runs past the end of the data`);
  }
  return { bytes: data.subarray(pos, pos + length), next: pos + length };
}

/**
 * cmd/go wraps the module info in two 16-byte sentinels; without them Go's debug/buildinfo treats the
 * module info as absent, and so does this.
 */
function stripModInfoFraming(modinfo: Uint8Array): Uint8Array {
  const n = modinfo.byteLength;
  if (n >= 33 && modinfo[n - 17] === 0x0a) return modinfo.subarray(16, n - 16);
  return new Uint8Array(0);
}

/** Parses the text of runtime/debug.BuildInfo.String(), minus the leading "go" line; mirrors debug.ParseBuildInfo. */
export function parseModInfo(text: string): Omit<GoBuildInfo, 'goVersion'> {
  const result: Omit<GoBuildInfo, 'goVersion'> = { path: '', deps: [], settings: [] };
  let last: GoModule | null = null;
  const lines = text.split('\n');
  // Like Go, a final line without a newline is ignored.
  lines.pop();
  lines.forEach((line, index) => {
    const fail = (detail: string) => malformed(WHAT, `line ${index + 1} ${JSON.stringify(line)}: ${detail}`);
    if (line.startsWith('path\t')) {
      result.path = line.slice('path\t'.length);
    } else if (line.startsWith('mod\t')) {
      const main = moduleLine(line.slice('mod\t'.length), fail);
      result.main = main;
      last = main;
    } else if (line.startsWith('dep\t')) {
      const dep = moduleLine(line.slice('dep\t'.length), fail);
      result.deps.push(dep);
      last = dep;
    } else if (line.startsWith('=>\t')) {
      const elem = line.slice('=>\t'.length).split('\t');
      if (elem.length !== 3) throw fail(`expected 3 columns for a replacement, got ${elem.length}`);
      if (last === null) throw fail('replacement with no module on the previous line');
      last.replace = moduleFromColumns(elem);
      last = null;
    } else if (line.startsWith('build\t')) {
      result.settings.push(buildLine(line.slice('build\t'.length), fail));
    }
  });
  return result;
}

function moduleLine(rest: string, fail: (detail: string) => Error): GoModule {
  const elem = rest.split('\t');
  if (elem.length !== 2 && elem.length !== 3) throw fail(`expected 2 or 3 columns, got ${elem.length}`);
  return moduleFromColumns(elem);
}

function moduleFromColumns(elem: string[]): GoModule {
  const module: GoModule = { path: elem[0] ?? '', version: elem[1] ?? '' };
  const sum = elem[2] ?? '';
  if (sum !== '') module.sum = sum;
  return module;
}

const mustQuoteKey = (key: string) => key === '' || /[= \t\r\n"`]/.test(key);
const mustQuoteValue = (value: string) => /[ \t\r\n"`]/.test(value);

function buildLine(kv: string, fail: (detail: string) => Error): { key: string; value: string } {
  if (kv === '') throw fail("missing '='");
  let key: string;
  let rawValue: string;
  const first = kv[0];
  if (first === '=') throw fail('missing key');
  if (first === '"' || first === '`') {
    const rawKey = quotedPrefix(kv);
    const unquoted = rawKey === null ? null : unquoteGoString(rawKey);
    if (rawKey === null || unquoted === null) throw fail('invalid quoted key');
    if (kv[rawKey.length] !== '=') throw fail("missing '=' after the quoted key");
    key = unquoted;
    rawValue = kv.slice(rawKey.length + 1);
  } else {
    const eq = kv.indexOf('=');
    if (eq < 0) throw fail("missing '=' after the key");
    key = kv.slice(0, eq);
    rawValue = kv.slice(eq + 1);
    if (mustQuoteKey(key)) throw fail('key must be quoted');
  }
  let value = rawValue;
  if (rawValue.startsWith('"') || rawValue.startsWith('`')) {
    const unquoted = unquoteGoString(rawValue);
    if (unquoted === null) throw fail('invalid quoted value');
    value = unquoted;
  } else if (mustQuoteValue(rawValue)) {
    throw fail('value must be quoted');
  }
  return { key, value };
}

/** The leading Go string literal of `s` ("..." or `...`), or null if `s` does not start with a complete one. */
function quotedPrefix(s: string): string | null {
  if (s.startsWith('`')) {
    const end = s.indexOf('`', 1);
    return end < 0 ? null : s.slice(0, end + 1);
  }
  if (!s.startsWith('"')) return null;
  for (let i = 1; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === '\n') return null;
    else if (c === '"') return s.slice(0, i + 1);
  }
  return null;
}

const SIMPLE_ESCAPES: Record<string, number> = {
  a: 0x07,
  b: 0x08,
  f: 0x0c,
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
  v: 0x0b,
  '\\': 0x5c,
  '"': 0x22,
};

const encoder = new TextEncoder();

/**
 * Inverse of Go's strconv.Quote (and of backquoted raw strings), like strconv.Unquote for strings;
 * null for anything strconv.Unquote would reject. \x and octal escapes denote bytes, so the result is
 * assembled as UTF-8 bytes and decoded at the end.
 */
export function unquoteGoString(quoted: string): string | null {
  if (quoted.length < 2) return null;
  const quote = quoted[0];
  if (quoted[quoted.length - 1] !== quote) return null;
  const body = quoted.slice(1, -1);
  if (quote === '`') {
    if (body.includes('`')) return null;
    return body.replaceAll('\r', '');
  }
  if (quote !== '"') return null;

  const out: number[] = [];
  const pushCodePoint = (cp: number) => out.push(...encoder.encode(String.fromCodePoint(cp)));
  const hex = (digits: string) => (/^[0-9a-fA-F]+$/.test(digits) ? parseInt(digits, 16) : null);
  let i = 0;
  while (i < body.length) {
    const cp = body.codePointAt(i) ?? 0;
    const ch = String.fromCodePoint(cp);
    if (ch === '"' || ch === '\n') return null;
    if (ch !== '\\') {
      pushCodePoint(cp);
      i += ch.length;
      continue;
    }
    const esc = body[i + 1];
    if (esc === undefined) return null;
    const simple = SIMPLE_ESCAPES[esc];
    if (simple !== undefined) {
      out.push(simple);
      i += 2;
    } else if (esc === 'x' || esc === 'u' || esc === 'U') {
      const width = esc === 'x' ? 2 : esc === 'u' ? 4 : 8;
      const value = hex(body.slice(i + 2, i + 2 + width));
      if (value === null || body.length < i + 2 + width) return null;
      if (esc === 'x') {
        out.push(value);
      } else {
        if (value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) return null;
        pushCodePoint(value);
      }
      i += 2 + width;
    } else if (esc >= '0' && esc <= '7') {
      const digits = body.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(digits)) return null;
      const value = parseInt(digits, 8);
      if (value > 255) return null;
      out.push(value);
      i += 4;
    } else {
      return null;
    }
  }
  return utf8(Uint8Array.from(out));
}
