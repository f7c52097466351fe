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

async function isMainPackageDir(dir: string): Promise<boolean> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return false;
  }
  for (const name of names.sort()) {
    if (!name.endsWith('.go') || name.endsWith('_test.go')) continue;
    const source = await fs.readFile(path.join(dir, name), 'utf8').catch(() => '');
    if (isIgnoredFile(source)) continue;
    if (packageName(source) === 'main') return true;
  }
  return false;
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
