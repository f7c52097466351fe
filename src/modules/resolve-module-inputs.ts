import fs from 'fs-extra';
import path from 'node:path';
import { InputError, VerificationError } from '../errors.js';
import { type GoSumEntry, GoSumSyntaxError, lookupSum, parseGoSum } from './go-sum.js';
import type { ModuleZip } from './module-zip.js';
import { type ModuleSetChecksumDatabase, type OpenedModuleSet, openModuleSet, readChecksumDatabaseEvidence } from './module-set.js';
import { type ModulesTxt, ModulesTxtSyntaxError, parseModulesTxt } from './modules-txt.js';
import type { GoModule } from './read-module.js';
import { checkVendorConsistency, describeVendorProblems } from './vendor-consistency.js';
import { type ModuleCheck, verifyModules } from './verify-modules.js';
import { countOf } from '../report/wording.js';

export type ModuleSource = 'none' | 'vendor' | 'module-set';

/** One dependency as it enters the build, for the record (and later the provenance). */
export interface ResolvedModule {
  path: string;
  version: string;
  /** go.sum's h1: for the module's zip, when go.sum has one. */
  sum?: string;
  origin: 'vendor' | 'module-set';
}

export interface ModuleInputs {
  source: ModuleSource;
  /** Proven file by file against go.sum (true only with a module set). */
  verified: boolean;
  modules: ResolvedModule[];
  checks: ModuleCheck[];
  summary: string;
  /** Open while the build runs when the sandbox takes its modules from the set. */
  set?: OpenedModuleSet;
  /** With a module set: what the checksum database proof needs (the proof itself is pure, in resolving). */
  evidence?: ModuleSetEvidence;
  zips?: Map<string, ModuleZip>;
}

/** A module set's checksum database evidence, with the go.sum and module list it is to prove. */
export interface ModuleSetEvidence {
  /** The evidence files of the database asked for, by protocol path; empty when the set has none. */
  files: ReadonlyMap<string, Uint8Array>;
  /** What the set's manifest says it was packed against (for messages only: the proof trusts its own key). */
  packed?: ModuleSetChecksumDatabase;
  goSum: readonly GoSumEntry[];
  setModules: ReadonlyArray<{ path: string; version: string }>;
}

const CONNECTED_HINT =
  'on a connected machine, run `go mod vendor` in the module and commit vendor/, or run `airlock modules pack DIR --out modules.tar.gz` and pass --modules modules.tar.gz';

export async function readGoSum(moduleDir: string): Promise<GoSumEntry[]> {
  const file = path.join(moduleDir, 'go.sum');
  const text = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return [];
  try {
    return parseGoSum(text);
  } catch (error) {
    if (error instanceof GoSumSyntaxError) throw new InputError(`${file}: ${error.message}`, { hint: 'restore go.sum (`go mod tidy` on a connected machine rewrites it)' });
    throw error;
  }
}

export async function readModulesTxt(moduleDir: string): Promise<ModulesTxt> {
  const file = path.join(moduleDir, 'vendor', 'modules.txt');
  const text = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) {
    throw new InputError(`${path.join(moduleDir, 'vendor')} has no modules.txt`, { hint: 'run `go mod vendor` on a connected machine to rebuild vendor/' });
  }
  try {
    return parseModulesTxt(text);
  } catch (error) {
    if (error instanceof ModulesTxtSyntaxError) throw new InputError(`${file}: ${error.message}`, { hint: 'run `go mod vendor` on a connected machine to rebuild vendor/' });
    throw error;
  }
}

function isLocalPath(target: string): boolean {
  return target.startsWith('./') || target.startsWith('../') || target.startsWith('/') || target === '.' || target === '..';
}

/**
 * Decides where the build's dependencies come from and proves what can be proven before any container starts:
 * vendor/ must be consistent with go.mod as the go command requires, and with a module set every module is
 * checked against go.sum (and every vendored file against its verified zip). Anything wrong stops the build.
 */
export async function resolveModuleInputs(module: GoModule, options: { modulesFile?: string; checksumDatabaseName?: string }): Promise<ModuleInputs> {
  const goSum = await readGoSum(module.dir);
  const modulesTxt = module.hasVendor ? await readModulesTxt(module.dir) : undefined;
  if (modulesTxt) {
    const problems = checkVendorConsistency(module.goMod, modulesTxt);
    if (problems.length > 0) {
      throw new InputError(`vendor/ is inconsistent with go.mod: ${describeVendorProblems(problems)}`, {
        hint: 'run `go mod vendor` on a connected machine and commit the result',
      });
    }
    for (const vendored of modulesTxt.modules) {
      for (const pkg of vendored.packages) {
        const isDir = await fs.stat(path.join(module.dir, 'vendor', ...pkg.split('/'))).then((s) => s.isDirectory()).catch(() => false);
        if (!isDir) {
          throw new InputError(`vendor/${pkg} is missing, though vendor/modules.txt lists it (module ${vendored.path} ${vendored.version})`, {
            hint: 'run `go mod vendor` on a connected machine and commit the result',
          });
        }
      }
    }
  } else {
    for (const replace of module.goMod.replace) {
      if (replace.newVersion !== undefined || !isLocalPath(replace.newPath)) continue;
      const target = path.resolve(module.dir, replace.newPath);
      if (target !== module.dir && !target.startsWith(`${module.dir}${path.sep}`)) {
        throw new InputError(`go.mod replaces ${replace.oldPath} with ${replace.newPath}, a directory outside the module that the sandbox never sees`, {
          hint: 'vendor it (`go mod vendor` copies it into vendor/) or move it inside the module; a module set only carries published modules',
        });
      }
    }
    if (module.goMod.require.length > 0 && options.modulesFile === undefined) {
      throw new InputError(`${module.goMod.module} requires ${countOf(module.goMod.require.length, 'module')} but has no vendor/ and no module set was given`, {
        hint: CONNECTED_HINT,
      });
    }
  }
  const vendored = (modulesTxt?.modules ?? []).filter((m) => m.packages.length > 0);
  const vendoredRecords: ResolvedModule[] = vendored.map((m) => {
    const p = m.replace?.path ?? m.path;
    const v = m.replace?.version ?? m.version;
    const sum = lookupSum(goSum, p, v, false);
    return { path: p, version: v, ...(sum !== undefined ? { sum } : {}), origin: 'vendor' };
  });
  if (options.modulesFile === undefined) {
    return {
      source: modulesTxt ? 'vendor' : 'none',
      verified: false,
      modules: vendoredRecords,
      checks: [],
      summary: modulesTxt
        ? `${vendoredRecords.length} modules from vendor/, consistent with go.mod (not proven against go.sum: no module set given)`
        : 'no module dependencies',
    };
  }
  const set = await openModuleSet(options.modulesFile);
  try {
    const checks = await verifyModules({
      moduleDir: module.dir,
      goSum,
      ...(modulesTxt ? { modulesTxt } : {}),
      setDir: set.dir,
      setModules: set.manifest.modules,
    });
    const bad = checks.filter((check) => check.status !== 'OK');
    if (bad.length > 0) {
      const first = bad[0]!;
      if (set.manifest.module !== module.goMod.module) {
        throw new InputError(
          `the module set ${options.modulesFile} was packed for ${set.manifest.module}, not ${module.goMod.module}, and does not match this module's go.sum (${countOf(bad.length, 'module')} missing, extra or different; first: ${first.status} ${first.path}@${first.version})`,
          { hint: `pack a set from this module with \`airlock modules pack ${module.dir}\`, or pass the one packed from it` },
        );
      }
      throw new VerificationError(
        `${countOf(bad.length, 'module')} failed verification against go.sum; first: ${first.status} ${first.path}@${first.version}: ${first.detail}`,
        { hint: '`airlock modules verify` lists every module; restore the changed files (or pack the set again) from a trusted source' },
      );
    }
    const modules: ResolvedModule[] = modulesTxt
      ? vendoredRecords
      : set.manifest.modules
          .filter((m) => m.zip)
          .map((m) => {
            const sum = lookupSum(goSum, m.path, m.version, false);
            return { path: m.path, version: m.version, ...(sum !== undefined ? { sum } : {}), origin: 'module-set' as const };
          });
    const result: ModuleInputs = {
      source: modulesTxt ? 'vendor' : 'module-set',
      verified: true,
      modules,
      checks,
      summary: `${modules.length} modules from ${modulesTxt ? 'vendor/' : 'the module set'}, verified against go.sum`,
      evidence: {
        files: await readChecksumDatabaseEvidence(set, options.checksumDatabaseName ?? 'sum.golang.org'),
        ...(set.manifest.checksumDatabase ? { packed: set.manifest.checksumDatabase } : {}),
        goSum,
        setModules: set.manifest.modules.map((m) => ({ path: m.path, version: m.version })),
      },
    };
    if (modulesTxt) {
      await set.close();
    } else {
      result.set = set;
    }
    return result;
  } catch (error) {
    await set.close();
    throw error;
  }
}
