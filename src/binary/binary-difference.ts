import { type GoBuildInfo, readGoBuildInfo } from './go-buildinfo.js';
import { parseExecutable } from './executable-format.js';

interface Region {
  name: string;
  offset: number;
  size: number;
}

function regions(bytes: Uint8Array): Region[] {
  let parsed: ReturnType<typeof parseExecutable>;
  try {
    parsed = parseExecutable(bytes);
  } catch {
    return [];
  }
  if (!parsed) return [];
  if (parsed.format === 'elf') return parsed.sections.filter((s) => s.type !== 8 && s.size > 0).map((s) => ({ name: s.name, offset: s.offset, size: s.size }));
  if (parsed.format === 'pe') return parsed.sections.map((s) => ({ name: s.name, offset: s.pointerToRawData, size: s.sizeOfRawData }));
  return parsed.segments.flatMap((segment) => segment.sections.map((s) => ({ name: `${s.segmentName},${s.name}`, offset: s.offset, size: s.size })));
}

function readInfo(bytes: Uint8Array): GoBuildInfo | null {
  try {
    return readGoBuildInfo(bytes);
  } catch {
    return null;
  }
}

function infoLines(info: GoBuildInfo): Map<string, string> {
  const lines = new Map<string, string>();
  lines.set('go', info.goVersion);
  lines.set('path', info.path);
  if (info.main) lines.set('mod', `${info.main.version} ${info.main.sum ?? ''}`.trim());
  for (const dep of info.deps) lines.set(`dep ${dep.path}`, `${dep.version} ${dep.sum ?? ''}${dep.replace ? ` => ${dep.replace.path} ${dep.replace.version}` : ''}`.trim());
  for (const setting of info.settings) lines.set(`build ${setting.key}`, setting.value);
  return lines;
}

/**
 * Says, as far as can be told, where two builds of the same artifact differ: size, the Go build information
 * (toolchain, settings, module versions) and which sections of the executable hold differing bytes.
 */
export function describeBinaryDifference(expected: Uint8Array, actual: Uint8Array): string[] {
  const findings: string[] = [];
  if (expected.length !== actual.length) findings.push(`size: ${expected.length} bytes recorded, ${actual.length} rebuilt`);
  const a = readInfo(expected);
  const b = readInfo(actual);
  if (a && b) {
    const left = infoLines(a);
    const right = infoLines(b);
    for (const key of new Set([...left.keys(), ...right.keys()])) {
      if (left.get(key) !== right.get(key)) findings.push(`build info ${key}: ${left.get(key) ?? '(absent)'} recorded, ${right.get(key) ?? '(absent)'} rebuilt`);
    }
  } else if (a || b) {
    findings.push(`build info: readable only in the ${a ? 'recorded' : 'rebuilt'} binary`);
  }
  const left = regions(expected);
  const right = new Map(regions(actual).map((region) => [region.name, region]));
  const differing: string[] = [];
  for (const region of left) {
    const other = right.get(region.name);
    if (!other) {
      differing.push(`${region.name} (missing in the rebuild)`);
      continue;
    }
    const x = expected.subarray(region.offset, region.offset + region.size);
    const y = actual.subarray(other.offset, other.offset + other.size);
    if (x.length !== y.length || !Buffer.from(x).equals(Buffer.from(y))) differing.push(region.name);
  }
  if (differing.length > 0) findings.push(`sections with differing bytes: ${differing.join(', ')}`);
  if (findings.length === 0 && !Buffer.from(expected).equals(Buffer.from(actual))) {
    const limit = Math.min(expected.length, actual.length);
    let first = 0;
    while (first < limit && expected[first] === actual[first]) first++;
    findings.push(`first differing byte at offset ${first} (outside any section: headers or padding)`);
  }
  return findings;
}
