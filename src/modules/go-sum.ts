/**
 * A parser for go.sum: one `<module path> <version>[/go.mod] <hash>` entry a line. The go command itself only
 * counts fields; this parser also checks that each field has the shape the go command writes, so that a
 * damaged file is reported with its line instead of being trusted.
 */
import { LineSyntaxError } from './line-syntax-error.js';
import { countOf } from '../report/wording.js';

export interface GoSumEntry {
  path: string;
  version: string;
  /** True for the hash of the module's go.mod file alone (`<version>/go.mod`), false for the module zip. */
  goMod: boolean;
  hash: string;
}

export class GoSumSyntaxError extends LineSyntaxError {}

const GO_MOD_SUFFIX = '/go.mod';

// An h1: hash is standard base64 of a SHA-256 digest: 32 bytes always encode to 43 characters and one '='.
const H1_HASH = /^h1:[A-Za-z0-9+/]{43}=$/;
// Later hash algorithms are named h2:, h3:...; their encoding is unknown, so only the prefix is checked.
const ANY_HASH = /^h\d+:/;

// Module paths are ASCII letters, digits and -._~ (and + in import paths), in slash-separated elements.
const MODULE_PATH = /^[A-Za-z0-9._~+-]+(\/[A-Za-z0-9._~+-]+)*$/;

const NUMBER = '(0|[1-9]\\d*)';
const IDENTIFIER = '[0-9A-Za-z-]+';
// Canonical semantic versions, the only form the go command writes to go.sum.
const VERSION = new RegExp(`^v${NUMBER}\\.${NUMBER}\\.${NUMBER}(-${IDENTIFIER}(\\.${IDENTIFIER})*)?(\\+${IDENTIFIER}(\\.${IDENTIFIER})*)?$`);

// The hash of an empty go.mod, which an old go command wrote for non-modules; the go command drops these
// lines when it reads go.sum, and so does airlock, so that they are never mistaken for a real checksum.
const EMPTY_GO_MOD_HASH = 'h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY=';

function isVersion(version: string): boolean {
  if (!VERSION.test(version)) return false;
  // Semantic versioning forbids leading zeros in numeric pre-release identifiers; so does the go command.
  const prerelease = /^[^-+]*-([^+]*)/.exec(version)?.[1];
  return prerelease === undefined || prerelease.split('.').every((part) => !/^0\d+$/.test(part));
}

export function parseGoSum(text: string): GoSumEntry[] {
  const entries: GoSumEntry[] = [];
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    const number = index + 1;
    const fields = line.split(/[ \t\r\v\f]+/).filter((field) => field !== '');
    if (fields.length === 0) continue;
    if (fields.length !== 3) {
      throw new GoSumSyntaxError(number, `expected "<module> <version> <hash>", found ${countOf(fields.length, 'field')}`);
    }
    const [path, versionField, hash] = fields as [string, string, string];
    if (!MODULE_PATH.test(path)) throw new GoSumSyntaxError(number, `invalid module path ${JSON.stringify(path)}`);
    const goMod = versionField.endsWith(GO_MOD_SUFFIX);
    const version = goMod ? versionField.slice(0, -GO_MOD_SUFFIX.length) : versionField;
    if (!isVersion(version)) throw new GoSumSyntaxError(number, `invalid version ${JSON.stringify(versionField)} for ${path}`);
    if (!ANY_HASH.test(hash)) throw new GoSumSyntaxError(number, `invalid hash ${JSON.stringify(hash)} for ${path} ${versionField}: must start with h<N>:`);
    if (hash.startsWith('h1:') && !H1_HASH.test(hash)) {
      throw new GoSumSyntaxError(number, `invalid h1 hash ${JSON.stringify(hash)} for ${path} ${versionField}: must be base64 of 32 bytes`);
    }
    if (hash === EMPTY_GO_MOD_HASH) continue;
    entries.push({ path, version, goMod, hash });
  }
  return entries;
}

/**
 * The checksum go.sum records for a module zip (goMod false) or its go.mod file (goMod true). When a line for
 * h1: and one for a later algorithm both exist, the h1: hash wins: it is the one the go command computes.
 */
export function lookupSum(entries: readonly GoSumEntry[], path: string, version: string, goMod: boolean): string | undefined {
  let found: string | undefined;
  for (const entry of entries) {
    if (entry.path !== path || entry.version !== version || entry.goMod !== goMod) continue;
    if (entry.hash.startsWith('h1:')) return entry.hash;
    found ??= entry.hash;
  }
  return found;
}
