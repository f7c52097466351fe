/**
 * The check `go build -mod=vendor` makes before it reads vendor/, done ahead of time so that airlock can name
 * every inconsistency instead of failing inside the sandbox. The rules mirror the go command's
 * (cmd/go/internal/modload/vendor.go, checkVendorConsistency) for a single main module, including where it
 * is lenient: each rule was confirmed by breaking a real vendored module and running the go command.
 *
 * - Every requirement in go.mod must be listed in modules.txt at the same version and marked `## explicit`.
 *   When go.mod says go < 1.14 (or has no go line), modules.txt carried no such marks: only a vendored
 *   version that differs from the required one is an error.
 * - Every replacement in go.mod must be recorded in modules.txt with the same target. Before go 1.14 the
 *   go command did not record wildcard replacements or those of modules without vendored packages.
 * - Every module marked `## explicit` that provides packages must be required in go.mod at that version.
 * - Every replacement recorded in modules.txt must exist in go.mod, either for that version or for all.
 *
 * A missing `## ... go 1.N` annotation is not an inconsistency for the go command (it compiles the module
 * with the go 1.16 language instead), so it is not reported here.
 */
import type { GoMod, GoModReplace } from './go-mod.js';
import { compareModuleVersions, type ModulesTxt, type VendoredModule } from './modules-txt.js';
import { countOf } from '../report/wording.js';

export interface VendorProblem {
  /** The module path the problem is about. */
  module: string;
  /** One line naming what differs, starting with the module path. */
  message: string;
}

interface Target {
  path: string;
  version?: string;
}

/** The parts of a go version the go command compares (internal/gover); missing parts are "". */
function parseGoVersion(version: string): [string, string, string, string, string] {
  const match = /^(0|[1-9]\d*)(?:\.(0|[1-9]\d*)(?:\.(0|[1-9]\d*)|([a-z]+)(0|[1-9]\d*)?)?)?$/.exec(version);
  if (match === null) return ['', '', '', '', ''];
  const [, major = '', minor, patch, kind = '', pre = ''] = match;
  if (minor === undefined) return [major, '0', '0', '', ''];
  // "1.20" means 1.20.0, but from go 1.21 on a bare language version sorts before its first release.
  if (patch === undefined && kind === '' && compareDecimal(minor, '21') < 0) return [major, minor, '0', '', ''];
  return [major, minor, patch ?? '', kind, pre];
}

function compareDecimal(x: string, y: string): number {
  if (x === y) return 0;
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : 1;
}

function compareGoVersions(a: string, b: string): number {
  const x = parseGoVersion(a);
  const y = parseGoVersion(b);
  for (let i = 0; i < 5; i++) {
    const c = i === 3 ? (x[i]! === y[i]! ? 0 : x[i]! < y[i]! ? -1 : 1) : compareDecimal(x[i]!, y[i]!);
    if (c !== 0) return c;
  }
  return 0;
}

function key(path: string, version: string | undefined): string {
  return `${path}@${version ?? ''}`;
}

function describeTarget(target: Target): string {
  return target.version === undefined ? target.path : `${target.path}@${target.version}`;
}

function sameTarget(a: Target, b: Target): boolean {
  return a.path === b.path && (a.version ?? '') === (b.version ?? '');
}

function replacedVersions(version: string | undefined): string {
  return version ?? 'every version';
}

export function checkVendorConsistency(goMod: GoMod, modulesTxt: ModulesTxt): VendorProblem[] {
  const problems: VendorProblem[] = [];
  const report = (module: string, detail: string): void => {
    problems.push({ module, message: `${module}: ${detail}` });
  };
  const pre114 = compareGoVersions(goMod.go ?? '', '1.14') < 0;

  const listed = new Map<string, VendoredModule>();
  for (const module of modulesTxt.modules) listed.set(key(module.path, module.version), module);

  const vendorReplacements: Array<{ path: string; version?: string; target: Target }> = [];
  for (const module of modulesTxt.modules) {
    if (module.replace !== undefined) vendorReplacements.push({ path: module.path, version: module.version, target: module.replace });
  }
  for (const r of modulesTxt.replacements) {
    const target: Target = r.newVersion === undefined ? { path: r.newPath } : { path: r.newPath, version: r.newVersion };
    vendorReplacements.push(r.oldVersion === undefined ? { path: r.oldPath, target } : { path: r.oldPath, version: r.oldVersion, target });
  }
  const vendorReplacement = new Map<string, Target>();
  for (const r of vendorReplacements) vendorReplacement.set(key(r.path, r.version), r.target);

  // The go command takes a module that provides packages as selected, and the highest such version of a
  // path as the one in the build; only these are held to their `## explicit` marks.
  const inBuild: VendoredModule[] = [];
  const buildVersion = new Map<string, string>();
  for (const module of modulesTxt.modules) {
    if (module.packages.length === 0) continue;
    const seen = buildVersion.get(module.path);
    if (seen === undefined || compareModuleVersions(seen, module.version) < 0) {
      inBuild.push(module);
      buildVersion.set(module.path, module.version);
    }
  }

  // A version mismatch shows up twice to the go command (the required version is not explicit, the vendored
  // one is explicit but not required); it is reported once here, as what it is.
  const mismatched = new Set<string>();
  const versionDiffers = (path: string, required: string, vendored: string): void => {
    report(path, `go.mod requires ${required}, vendor/modules.txt has ${vendored}`);
    mismatched.add(key(path, vendored));
  };
  for (const requirement of goMod.require) {
    const entry = listed.get(key(requirement.path, requirement.version));
    if (entry?.explicit === true) continue;
    if (pre114) {
      const vendored = buildVersion.get(requirement.path);
      if (vendored !== undefined && vendored !== requirement.version) versionDiffers(requirement.path, requirement.version, vendored);
      continue;
    }
    if (entry !== undefined) {
      report(requirement.path, `go.mod requires ${requirement.version}, vendor/modules.txt lists it without "## explicit"`);
      continue;
    }
    const other = buildVersion.get(requirement.path) ?? modulesTxt.modules.find((module) => module.path === requirement.path)?.version;
    if (other !== undefined) {
      versionDiffers(requirement.path, requirement.version, other);
    } else {
      report(requirement.path, `go.mod requires ${requirement.version}, vendor/modules.txt does not list it`);
    }
  }

  // Later replace lines for the same module and version win, as in the go command's index of go.mod.
  const goReplacement = new Map<string, GoModReplace>();
  for (const r of goMod.replace) goReplacement.set(key(r.oldPath, r.oldVersion), r);
  const replacementOf = (path: string, version: string | undefined): Target | undefined => {
    // The main module itself is never replaced, except at a specific version.
    if (path === goMod.module && version === undefined) return undefined;
    const r = goReplacement.get(key(path, version)) ?? goReplacement.get(key(path, undefined));
    if (r === undefined) return undefined;
    return r.newVersion === undefined ? { path: r.newPath } : { path: r.newPath, version: r.newVersion };
  };

  const checkedReplace = new Set<string>();
  for (const r of goMod.replace) {
    const k = key(r.oldPath, r.oldVersion);
    if (checkedReplace.has(k)) continue;
    checkedReplace.add(k);
    const wanted = replacementOf(r.oldPath, r.oldVersion);
    // Not a replacement at all (the main module): any record of it is reported below as one go.mod lacks.
    if (wanted === undefined) continue;
    const recorded = vendorReplacement.get(k);
    if (recorded === undefined) {
      if (pre114 && (r.oldVersion === undefined || buildVersion.get(r.oldPath) !== r.oldVersion)) continue;
      report(r.oldPath, `go.mod replaces ${replacedVersions(r.oldVersion)} with ${describeTarget(wanted)}, vendor/modules.txt does not`);
    } else if (!sameTarget(recorded, wanted)) {
      report(
        r.oldPath,
        `go.mod replaces ${replacedVersions(r.oldVersion)} with ${describeTarget(wanted)}, vendor/modules.txt with ${describeTarget(recorded)}`,
      );
    }
  }

  const required = new Set(goMod.require.map((requirement) => key(requirement.path, requirement.version)));
  for (const module of inBuild) {
    const k = key(module.path, module.version);
    if (!module.explicit || required.has(k) || mismatched.has(k)) continue;
    report(module.path, `vendor/modules.txt marks ${module.version} "## explicit", go.mod does not require it`);
  }

  const checkedRecord = new Set<string>();
  for (const r of vendorReplacements) {
    const k = key(r.path, r.version);
    if (checkedRecord.has(k)) continue;
    checkedRecord.add(k);
    if (replacementOf(r.path, r.version) === undefined) {
      report(r.path, `vendor/modules.txt replaces ${replacedVersions(r.version)} with ${describeTarget(r.target)}, go.mod does not`);
    }
  }
  return problems;
}

const SHOWN = 3;

/** One line for an error message: how many problems, then the first few. */
export function describeVendorProblems(problems: readonly VendorProblem[]): string {
  if (problems.length === 0) return 'vendor/modules.txt is consistent with go.mod';
  const shown = problems.slice(0, SHOWN).map((problem) => problem.message);
  if (problems.length > SHOWN) shown.push(`and ${problems.length - SHOWN} more`);
  return `${countOf(problems.length, 'problem')} in vendor/modules.txt: ${shown.join('; ')}`;
}
