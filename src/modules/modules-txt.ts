/**
 * A parser for vendor/modules.txt, the manifest `go mod vendor` writes next to the vendored source:
 *
 *   ## workspace                               (only from `go work vendor`, first line)
 *   # <path> <version> [=> <newpath> [<newversion>]]
 *   ## explicit; go 1.21                       (annotations: explicit requirement, the module's go version)
 *   <package import path>                      (one line per vendored package)
 *   ...
 *   # <path> [<version>] => <newpath> [<newversion>]   (trailing: wildcard or unused replacements)
 *
 * The go command's reader skips lines it cannot interpret; this parser rejects them instead (naming the line),
 * because a line airlock would silently skip is one whose meaning it cannot vouch for. Annotation tokens other
 * than `explicit` and `go X` are ignored, as the go command reserves them for future use.
 */
import type { GoModReplace } from './go-mod.js';
import { LineSyntaxError } from './line-syntax-error.js';

export interface VendoredModule {
  path: string;
  version: string;
  replace?: { path: string; version?: string };
  /** `## explicit`: the main go.mod requires this module directly. */
  explicit: boolean;
  /** `## go 1.21`: the go directive of the module's own go.mod (written when the main module says go >= 1.17). */
  goVersion?: string;
  packages: string[];
}

export interface ModulesTxt {
  /** Written by `go work vendor` for a workspace rather than a single module. */
  workspace: boolean;
  modules: VendoredModule[];
  /** Replacements recorded without a vendored module: wildcard (`# a => b`) and unused (`# a v1 => b`) ones. */
  replacements: GoModReplace[];
}

export class ModulesTxtSyntaxError extends LineSyntaxError {}

const NUMBER = '(0|[1-9]\\d*)';
const IDENTIFIER = '[0-9A-Za-z-]+';
const VERSION = new RegExp(`^v${NUMBER}\\.${NUMBER}\\.${NUMBER}(-${IDENTIFIER}(\\.${IDENTIFIER})*)?(\\+${IDENTIFIER}(\\.${IDENTIFIER})*)?$`);
const IMPORT_PATH = /^[A-Za-z0-9._~+-]+(\/[A-Za-z0-9._~+-]+)*$/;
// The forms the go command's gover package accepts: 1, 1.21, 1.21.0, 1.21rc1.
const GO_VERSION = /^(0|[1-9]\d*)(\.(0|[1-9]\d*)(\.(0|[1-9]\d*)|[a-z]+((0|[1-9]\d*))?)?)?$/;

interface SemVer {
  numbers: [bigint, bigint, bigint];
  prerelease: string[];
}

function parseSemVer(version: string): SemVer | undefined {
  if (!VERSION.test(version)) return undefined;
  const withoutBuild = version.slice(1).split('+', 1)[0]!;
  const dash = withoutBuild.indexOf('-');
  const core = dash < 0 ? withoutBuild : withoutBuild.slice(0, dash);
  const prerelease = dash < 0 ? [] : withoutBuild.slice(dash + 1).split('.');
  if (prerelease.some((part) => /^0\d+$/.test(part))) return undefined;
  const [major, minor, patch] = core.split('.').map((part) => BigInt(part));
  return { numbers: [major!, minor!, patch!], prerelease };
}

export function isModuleVersion(version: string): boolean {
  return parseSemVer(version) !== undefined;
}

/** Semantic version precedence (build metadata ignored); an invalid version sorts before every valid one. */
export function compareModuleVersions(a: string, b: string): number {
  const x = parseSemVer(a);
  const y = parseSemVer(b);
  if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? -1 : 1;
  for (let i = 0; i < 3; i++) {
    if (x.numbers[i]! !== y.numbers[i]!) return x.numbers[i]! < y.numbers[i]! ? -1 : 1;
  }
  // A release outranks any of its pre-releases.
  const xRelease = x.prerelease.length === 0;
  const yRelease = y.prerelease.length === 0;
  if (xRelease || yRelease) return xRelease === yRelease ? 0 : xRelease ? 1 : -1;
  for (let i = 0; i < Math.min(x.prerelease.length, y.prerelease.length); i++) {
    const p = x.prerelease[i]!;
    const q = y.prerelease[i]!;
    if (p === q) continue;
    const pNumeric = /^\d+$/.test(p);
    const qNumeric = /^\d+$/.test(q);
    if (pNumeric && qNumeric) return BigInt(p) < BigInt(q) ? -1 : 1;
    if (pNumeric !== qNumeric) return pNumeric ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return Math.sign(x.prerelease.length - y.prerelease.length);
}

function fieldsOf(line: string): string[] {
  return line.split(/[ \t\r\v\f]+/).filter((field) => field !== '');
}

/** A module line's entry while its annotation and package lines are still being read. */
interface Pending {
  path: string;
  version?: string;
  replace?: { path: string; version?: string };
  annotated: boolean;
  explicit: boolean;
  goVersion?: string;
  packages: string[];
}

function finishEntry(entry: Pending, result: ModulesTxt): void {
  // A module line with nothing under it that only records a replacement is how the go command writes
  // wildcard and unused replacements; any annotation or package makes it a vendored module.
  if (entry.replace !== undefined && (entry.version === undefined || (!entry.annotated && entry.packages.length === 0))) {
    const replacement: GoModReplace = { oldPath: entry.path, newPath: entry.replace.path };
    if (entry.version !== undefined) replacement.oldVersion = entry.version;
    if (entry.replace.version !== undefined) replacement.newVersion = entry.replace.version;
    result.replacements.push(replacement);
    return;
  }
  if (entry.version === undefined) return; // unreachable: the reader only leaves out a version before "=>"
  const module: VendoredModule = { path: entry.path, version: entry.version, explicit: entry.explicit, packages: entry.packages };
  if (entry.replace !== undefined) module.replace = entry.replace;
  if (entry.goVersion !== undefined) module.goVersion = entry.goVersion;
  result.modules.push(module);
}

function parseModuleLine(fields: string[], error: (message: string) => ModulesTxtSyntaxError): Pending {
  const [, path, second, ...rest] = fields;
  if (path === undefined || second === undefined) throw error('expected "# <module> <version>" or "# <module> => <replacement>"');
  if (!IMPORT_PATH.test(path)) throw error(`invalid module path ${JSON.stringify(path)}`);
  const entry: Pending = { path, annotated: false, explicit: false, packages: [] };
  let arrow = rest;
  if (second === '=>') {
    arrow = [second, ...rest];
  } else if (isModuleVersion(second)) {
    entry.version = second;
  } else {
    throw error(`invalid version ${JSON.stringify(second)} for ${path}`);
  }
  if (arrow.length === 0) return entry;
  const [marker, newPath, newVersion, ...extra] = arrow;
  if (marker !== '=>') throw error(`unexpected ${JSON.stringify(marker)} after ${path} ${second}`);
  if (newPath === undefined || extra.length > 0) throw error('a replacement must be "=> <directory>" or "=> <module> <version>"');
  if (newVersion === undefined) {
    entry.replace = { path: newPath };
  } else {
    if (!IMPORT_PATH.test(newPath)) throw error(`invalid replacement module path ${JSON.stringify(newPath)}`);
    if (!isModuleVersion(newVersion)) throw error(`invalid replacement version ${JSON.stringify(newVersion)} for ${newPath}`);
    entry.replace = { path: newPath, version: newVersion };
  }
  return entry;
}

export function parseModulesTxt(text: string): ModulesTxt {
  const result: ModulesTxt = { workspace: false, modules: [], replacements: [] };
  const firstLine = new Map<string, number>();
  let current: Pending | undefined;
  let sawContent = false;

  for (const [index, line] of text.split('\n').entries()) {
    const number = index + 1;
    const error = (message: string): ModulesTxtSyntaxError => new ModulesTxtSyntaxError(number, message);
    const fields = fieldsOf(line);
    if (fields.length === 0) continue;

    if (line.startsWith('# ')) {
      if (current !== undefined) finishEntry(current, result);
      sawContent = true;
      current = parseModuleLine(fields, error);
      const key = `${current.path} ${current.version ?? ''}`;
      const first = firstLine.get(key);
      if (first !== undefined) {
        throw error(`${current.path}${current.version === undefined ? '' : ` ${current.version}`} is listed twice (first on line ${first})`);
      }
      firstLine.set(key, number);
      continue;
    }

    if (line.startsWith('## ')) {
      const annotations = line.slice(3).split(';').map((token) => token.trim());
      if (current === undefined) {
        if (!sawContent && annotations.length === 1 && annotations[0] === 'workspace') {
          result.workspace = true;
          sawContent = true;
          continue;
        }
        throw error('annotation before the first module line');
      }
      if (current.version === undefined) throw error(`annotation under a replacement of every version of ${current.path}`);
      current.annotated = true;
      for (const token of annotations) {
        if (token === 'explicit') {
          current.explicit = true;
        } else if (token.startsWith('go ')) {
          const goVersion = token.slice(3);
          if (!GO_VERSION.test(goVersion)) throw error(`invalid go version ${JSON.stringify(goVersion)} for ${current.path}`);
          current.goVersion = goVersion;
        }
      }
      continue;
    }

    const [pkg] = fields;
    if (pkg === undefined || fields.length !== 1 || !IMPORT_PATH.test(pkg)) throw error(`expected a package import path, found ${JSON.stringify(line.trim())}`);
    if (current === undefined) throw error(`package ${pkg} before the first module line`);
    if (current.version === undefined) throw error(`package ${pkg} under a replacement of every version of ${current.path}`);
    sawContent = true;
    current.packages.push(pkg);
  }
  if (current !== undefined) finishEntry(current, result);
  return result;
}
