import fs from 'fs-extra';
import path from 'node:path';
import { type GoSumEntry, lookupSum } from './go-sum.js';
import { goModHash, readModuleZip, type ModuleZip } from './module-zip.js';
import { downloadCachePath } from './module-path.js';
import type { ModulesTxt, VendoredModule } from './modules-txt.js';
import { isIgnoredFile } from './go-source.js';

export type ModuleCheckStatus = 'OK' | 'MISMATCH' | 'MISSING';

export interface ModuleCheck {
  path: string;
  version: string;
  status: ModuleCheckStatus;
  /** What was proven, or the first thing that differs. */
  detail: string;
}

export interface ModuleVerificationInput {
  moduleDir: string;
  goSum: readonly GoSumEntry[];
  /** Present when the module vendors its dependencies. */
  modulesTxt?: ModulesTxt;
  /** A module set's directory (holding cache/download/...), when one is given. */
  setDir?: string;
  /** Modules the set holds: path, version and whether its zip is there. */
  setModules?: ReadonlyArray<{ path: string; version: string; zip: boolean }>;
}

/** The files `go mod vendor` copies from a package directory: everything but tests, go.mod/go.sum and ignored Go files. */
export function isVendoredPackageFile(name: string, bytes: Uint8Array): boolean {
  if (name.endsWith('_test.go')) return false;
  if (name === 'go.mod' || name === 'go.sum') return false;
  if (name.endsWith('.go') && isIgnoredFile(Buffer.from(bytes).toString('utf8'))) return false;
  return true;
}

async function listVendorFiles(root: string, relative: string, skip: (rel: string) => boolean): Promise<string[]> {
  const entries = await fs.readdir(path.join(root, relative), { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    const rel = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!skip(rel)) files.push(...(await listVendorFiles(root, rel, skip)));
    } else {
      files.push(rel);
    }
  }
  return files.sort();
}

/**
 * Compares a vendored module with its verified zip: every vendored file must be byte-identical to the zip's
 * file of the same name, and every file `go mod vendor` would copy into a vendored package must be there.
 * Returns the first difference, or undefined.
 */
export async function compareVendoredModule(
  vendorDir: string,
  vendored: VendoredModule,
  allVendored: readonly VendoredModule[],
  zip: ModuleZip,
): Promise<string | undefined> {
  const moduleRoot = vendored.path;
  const nested = allVendored.map((other) => other.path).filter((other) => other !== moduleRoot && other.startsWith(`${moduleRoot}/`));
  const skip = (rel: string) => nested.some((other) => `${moduleRoot}/${rel}` === other);
  const moduleVendorDir = path.join(vendorDir, ...moduleRoot.split('/'));
  const present = await listVendorFiles(moduleVendorDir, '', skip);
  for (const rel of present) {
    const inZip = zip.files.get(rel);
    const shown = `vendor/${moduleRoot}/${rel}`;
    if (!inZip) return `${shown} is not in the verified module zip`;
    const bytes = await fs.readFile(path.join(moduleVendorDir, ...rel.split('/')));
    if (!bytes.equals(inZip.bytes)) return `${shown} differs from the verified module zip`;
  }
  const presentSet = new Set(present);
  for (const pkg of vendored.packages) {
    const pkgRel = pkg === moduleRoot ? '' : pkg.slice(moduleRoot.length + 1);
    for (const file of zip.files.values()) {
      const dir = file.path.includes('/') ? file.path.slice(0, file.path.lastIndexOf('/')) : '';
      if (dir !== pkgRel) continue;
      const name = file.path.slice(file.path.lastIndexOf('/') + 1);
      if (isVendoredPackageFile(name, file.bytes) && !presentSet.has(file.path)) {
        return `vendor/${moduleRoot}/${file.path} is missing (the verified module zip has it)`;
      }
    }
  }
  return undefined;
}

/**
 * Proves modules against go.sum: each zip and go.mod of the set is hashed as the go command hashes them and
 * compared with go.sum; with vendor/, each vendored module is compared file by file with its verified zip.
 */
export async function verifyModules(input: ModuleVerificationInput): Promise<ModuleCheck[]> {
  const checks: ModuleCheck[] = [];
  const vendorDir = path.join(input.moduleDir, 'vendor');
  const vendoredModules = (input.modulesTxt?.modules ?? []).filter((m) => m.packages.length > 0 && !(m.replace && m.replace.version === undefined));
  const zipCache = new Map<string, ModuleZip>();
  const setHasZip = (p: string, v: string) => input.setModules?.some((m) => m.path === p && m.version === v && m.zip) ?? false;

  const verifyZip = async (modulePath: string, version: string): Promise<{ zip?: ModuleZip; problem?: ModuleCheck }> => {
    const key = `${modulePath}@${version}`;
    const cached = zipCache.get(key);
    if (cached) return { zip: cached };
    const sum = lookupSum(input.goSum, modulePath, version, false);
    if (sum === undefined) return { problem: { path: modulePath, version, status: 'MISSING', detail: `go.sum has no line for ${modulePath} ${version}` } };
    const file = path.join(input.setDir!, ...downloadCachePath(modulePath, version, 'zip').split('/'));
    const zip = await readModuleZip(file, modulePath, version);
    if (zip.h1 !== sum) {
      return { problem: { path: modulePath, version, status: 'MISMATCH', detail: `the zip hashes to ${zip.h1}, go.sum says ${sum}` } };
    }
    const ziphashFile = file.replace(/\.zip$/, '.ziphash');
    const recorded = (await fs.readFile(ziphashFile, 'utf8').catch(() => '')).trim();
    if (recorded !== zip.h1) {
      return { problem: { path: modulePath, version, status: 'MISMATCH', detail: `the set's .ziphash says ${recorded || 'nothing'}, the zip hashes to ${zip.h1}` } };
    }
    zipCache.set(key, zip);
    return { zip };
  };

  if (input.setDir && input.setModules) {
    for (const module of input.setModules) {
      const modSum = lookupSum(input.goSum, module.path, module.version, true);
      const modFile = path.join(input.setDir, ...downloadCachePath(module.path, module.version, 'mod').split('/'));
      const modBytes = await fs.readFile(modFile).catch(() => undefined);
      if (modBytes === undefined) {
        checks.push({ path: module.path, version: module.version, status: 'MISSING', detail: 'the set has no go.mod for it' });
        continue;
      }
      if (modSum === undefined) {
        checks.push({ path: module.path, version: module.version, status: 'MISSING', detail: `go.sum has no line for ${module.path} ${module.version}/go.mod` });
        continue;
      }
      if (goModHash(modBytes) !== modSum) {
        checks.push({ path: module.path, version: module.version, status: 'MISMATCH', detail: `its go.mod hashes to ${goModHash(modBytes)}, go.sum says ${modSum}` });
        continue;
      }
      if (!module.zip) {
        checks.push({ path: module.path, version: module.version, status: 'OK', detail: `go.mod matches go.sum (${modSum})` });
        continue;
      }
      const { zip, problem } = await verifyZip(module.path, module.version);
      if (problem) {
        checks.push(problem);
        continue;
      }
      const vendored = vendoredModules.find((m) => (m.replace?.path ?? m.path) === module.path && (m.replace?.version ?? m.version) === module.version);
      const difference = vendored ? await compareVendoredModule(vendorDir, vendored, vendoredModules, zip!) : undefined;
      checks.push(
        difference
          ? { path: module.path, version: module.version, status: 'MISMATCH', detail: difference }
          : {
              path: module.path,
              version: module.version,
              status: 'OK',
              detail: `zip and go.mod match go.sum (${zip!.h1})${vendored ? '; vendored files identical to the zip' : ''}`,
            },
      );
    }
  }
  for (const vendored of vendoredModules) {
    const version = vendored.replace?.version ?? vendored.version;
    const modulePath = vendored.replace?.path ?? vendored.path;
    if (input.setDir && setHasZip(modulePath, version)) continue;
    checks.push(
      input.setDir
        ? { path: modulePath, version, status: 'MISSING', detail: 'vendored, but the module set has no zip to prove it against' }
        : { path: modulePath, version, status: 'MISSING', detail: 'vendored; no module set given to prove it against go.sum' },
    );
  }
  return checks.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.version < b.version ? -1 : 1));
}
