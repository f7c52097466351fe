import fs from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors.js';
import { type GoMod, GoModSyntaxError, parseGoMod } from './go-mod.js';
import { isIgnoredFile, packageName } from './go-source.js';

export interface GoModule {
  dir: string;
  goMod: GoMod;
  hasVendor: boolean;
}

export async function readGoModule(dir: string): Promise<GoModule> {
  const moduleDir = path.resolve(dir);
  let stat;
  try {
    stat = await fs.stat(moduleDir);
  } catch {
    throw new InputError(`${dir} does not exist`, { hint: 'pass the directory of a Go module (the one holding go.mod)' });
  }
  if (!stat.isDirectory()) {
    throw new InputError(`${dir} is not a directory`, { hint: 'pass the directory of a Go module (the one holding go.mod)' });
  }
  let source: string;
  try {
    source = await fs.readFile(path.join(moduleDir, 'go.mod'), 'utf8');
  } catch {
    throw new InputError(`${dir} has no go.mod`, {
      hint: 'pass the root directory of a Go module, or create one with `go mod init`',
    });
  }
  let goMod: GoMod;
  try {
    goMod = parseGoMod(source);
  } catch (error) {
    if (error instanceof GoModSyntaxError) {
      throw new InputError(`${path.join(dir, 'go.mod')}: ${error.message}`, { hint: 'fix go.mod (`go mod tidy` checks it)' });
    }
    throw error;
  }
  const hasVendor = await fs
    .stat(path.join(moduleDir, 'vendor'))
    .then((s) => s.isDirectory())
    .catch(() => false);
  return { dir: moduleDir, goMod, hasVendor };
}

/** The package names the non-test .go files of a directory declare (files excluded from every build skipped); undefined if it is no directory. */
async function packageNamesIn(dir: string): Promise<string[] | undefined> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return undefined;
  }
  const packages = new Set<string>();
  for (const name of names.sort()) {
    if (!name.endsWith('.go') || name.endsWith('_test.go')) continue;
    const source = await fs.readFile(path.join(dir, name), 'utf8').catch(() => '');
    if (isIgnoredFile(source)) continue;
    const pkg = packageName(source);
    if (pkg !== undefined) packages.add(pkg);
  }
  return [...packages];
}

async function isMainPackageDir(dir: string): Promise<boolean> {
  return (await packageNamesIn(dir))?.includes('main') ?? false;
}

/**
 * Refuses a main package (`./cmd/tool`, relative to the module root) that is no directory of the module or
 * whose files are not package main: go build would then build a library and write no binary.
 */
export async function checkMainPackage(moduleDir: string, main: string): Promise<void> {
  const dir = path.join(moduleDir, main);
  const isDir = await fs.stat(dir).then((stat) => stat.isDirectory()).catch(() => false);
  if (!isDir) {
    throw new InputError(`the main package ${main} does not exist in ${moduleDir}`, { hint: 'pass --main with a directory of the module, like ./cmd/tool' });
  }
  const packages = (await packageNamesIn(dir)) ?? [];
  if (packages.includes('main')) return;
  const says = packages.length === 0 ? 'it holds no Go files' : `its files say package ${packages.join(', ')}`;
  throw new InputError(`${main} is not a main package (${says})`, { hint: 'name a directory whose package is main, like ./cmd/tool' });
}

/** The module root if it is a main package, else every cmd/* that is one: the packages a build defaults to. */
export async function findMainPackages(module: GoModule): Promise<string[]> {
  if (await isMainPackageDir(module.dir)) return ['.'];
  const cmdDir = path.join(module.dir, 'cmd');
  const entries = await fs.readdir(cmdDir, { withFileTypes: true }).catch(() => []);
  const mains: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.isDirectory() && (await isMainPackageDir(path.join(cmdDir, entry.name)))) mains.push(`./cmd/${entry.name}`);
  }
  return mains;
}
