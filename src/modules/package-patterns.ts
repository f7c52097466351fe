/**
 * The package patterns `airlock test` takes, checked on the host before any container starts: a pattern
 * that matches none of the module's packages is bad input (go test would only warn, and attest nothing).
 * The module's own packages only: `.`, `./dir`, `./...`, `./dir/...`, or the same under the module's path.
 */
import fs from 'fs-extra';
import path from 'node:path';
import { InputError } from '../errors.js';

/** Directories go list never walks into for `...`: vendor/, testdata/, and names starting with . or _. */
function walkedInto(name: string): boolean {
  return name !== 'vendor' && name !== 'testdata' && !name.startsWith('.') && !name.startsWith('_');
}

async function hasGoFiles(dir: string): Promise<boolean> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  return names.some((name) => name.endsWith('.go'));
}

/** Whether dir or a directory below it (as `...` walks, stopping at nested modules) holds Go files. */
async function anyPackageBelow(dir: string, root: boolean): Promise<boolean> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  if (!root && entries.some((entry) => entry.isFile() && entry.name === 'go.mod')) return false;
  if (entries.some((entry) => entry.isFile() && entry.name.endsWith('.go'))) return true;
  for (const entry of entries) {
    if (entry.isDirectory() && walkedInto(entry.name) && (await anyPackageBelow(path.join(dir, entry.name), false))) return true;
  }
  return false;
}

/**
 * Normalises each pattern to the `./`-relative form the go command takes in the sandbox's module root, and
 * refuses one that is outside the module or matches no package.
 */
export async function checkPackagePatterns(moduleDir: string, modulePath: string, patterns: readonly string[]): Promise<string[]> {
  const checked: string[] = [];
  for (const pattern of patterns) {
    let relative = pattern.trim();
    if (relative === modulePath || relative.startsWith(`${modulePath}/`)) relative = `.${relative.slice(modulePath.length)}`;
    if (relative !== '.' && !relative.startsWith('./')) {
      throw new InputError(`--packages ${pattern} is not a package of the module ${modulePath}`, {
        hint: 'name the module\'s own packages, relative to its root (./..., ./internal/...) or by import path',
      });
    }
    const recursive = relative === './...' || relative.endsWith('/...');
    const base = recursive ? relative.slice(0, -'/...'.length) || '.' : relative;
    if (base.split('/').includes('..') || base.includes('...')) {
      throw new InputError(`--packages ${pattern} must stay inside the module`, { hint: 'write it relative to the module root, like ./internal/...' });
    }
    const dir = path.join(moduleDir, base);
    const matches = recursive ? await anyPackageBelow(dir, true) : await hasGoFiles(dir);
    if (!matches) {
      throw new InputError(`--packages ${pattern} matches no package of the module ${modulePath}`, {
        hint: 'check the path; list the module\'s packages with `go list ./...`',
      });
    }
    checked.push(relative === '.' ? '.' : relative);
  }
  return checked;
}
