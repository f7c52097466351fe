import { execa } from 'execa';
import fs from 'fs-extra';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tarStream from 'tar-stream';
import { BuildError, InputError, oneLine } from '../errors.js';
import { MODULE_SET_MANIFEST, MODULE_SET_SCHEMA, type ModuleSetEntry, type ModuleSetManifest, isAllowedModuleSetEntry } from './module-set.js';
import { unescapeModulePath } from './module-path.js';
import { readGoModule } from './read-module.js';
import { listFiles } from './list-files.js';
import { onInterrupt } from '../cleanup.js';
import { createScratchDir } from '../util/scratch-dir.js';

export interface PackResult {
  file: string;
  manifest: ModuleSetManifest;
  bytes: number;
}

/**
 * Packs, on a connected machine, every module a build of DIR needs, in the module cache's download layout,
 * with a manifest. The go command does the fetching (and checks everything against go.sum and the Go
 * checksum database as it does); the set is then proven complete by listing the build offline from it.
 */
export async function packModuleSet(moduleDir: string, outFile: string): Promise<PackResult> {
  const module = await readGoModule(moduleDir);
  const scratch = await createScratchDir('airlock-pack');
  const modcache = path.join(scratch.path, 'modcache');
  // A module without dependencies downloads nothing, and go never creates the cache.
  await fs.mkdirp(modcache);
  const env = { GOMODCACHE: modcache, GOFLAGS: '-mod=readonly -modcacherw', GOTOOLCHAIN: 'local', GOWORK: 'off', CGO_ENABLED: '0' };
  // On an interrupt the go command is stopped before the scratch directory goes (tasks run newest first), or
  // it could still be writing into the module cache while that is removed.
  const running = new Set<ReturnType<typeof execa>>();
  const stopGo = onInterrupt(async () => {
    for (const child of running) child.kill('SIGKILL');
    await Promise.allSettled([...running]);
  });
  const go = async (args: string[], extraEnv: Record<string, string> = {}) => {
    const child = execa('go', args, { cwd: module.dir, env: { ...env, ...extraEnv }, reject: false, all: true });
    running.add(child);
    try {
      return await child;
    } finally {
      running.delete(child);
    }
  };
  try {
    const version = await go(['env', 'GOVERSION']);
    if (version.exitCode !== 0) {
      throw new InputError('modules pack needs the go command on this machine', { hint: 'install Go, or run it where Go is installed' });
    }
    const download = await go(['mod', 'download']);
    if (download.exitCode !== 0) {
      throw new BuildError(`go mod download failed in ${module.dir}`, { hint: 'run it on a machine that reaches a module proxy', details: String(download.all) });
    }
    // Prove the set is complete: every package of the module must load with the network off.
    const offline = { GOPROXY: 'off', GOSUMDB: 'off' };
    let check = await go(['list', '-deps', './...'], offline);
    if (check.exitCode !== 0) {
      await go(['mod', 'download', 'all']);
      check = await go(['list', '-deps', './...'], offline);
    }
    if (check.exitCode !== 0) {
      throw new BuildError('the module set is incomplete: the module does not load offline from it', {
        hint: 'run `go mod tidy` in the module and pack again',
        details: String(check.all),
      });
    }
    const files = (await listFiles(modcache)).filter((file) => isAllowedModuleSetEntry(file));
    const modules: ModuleSetEntry[] = [];
    for (const file of files) {
      const match = /^cache\/download\/(.+)\/@v\/(.+)\.mod$/.exec(file);
      if (!match) continue;
      modules.push({
        path: unescapeModulePath(match[1]!),
        version: unescapeModulePath(match[2]!),
        zip: files.includes(file.replace(/\.mod$/, '.zip')),
      });
    }
    const manifest: ModuleSetManifest = { schema: MODULE_SET_SCHEMA, module: module.goMod.module, goVersion: version.stdout.trim(), modules };
    const target = path.resolve(outFile);
    const partial = `${target}.${process.pid}.partial`;
    const forgetPartial = onInterrupt(() => fs.remove(partial));
    try {
      await writeModuleSet(partial, manifest, modcache, files);
      await fs.rename(partial, target);
    } catch (error) {
      await fs.remove(partial);
      throw new InputError(`cannot write ${target}: ${(error as NodeJS.ErrnoException).code ?? oneLine((error as Error).message)}`, {
        hint: 'pass --out a file in a writable directory with room for the module set',
        cause: error,
      });
    } finally {
      forgetPartial();
    }
    return { file: target, manifest, bytes: (await fs.stat(target)).size };
  } finally {
    stopGo();
    await scratch.remove();
  }
}

/** The module set archive: the manifest first, then the cache files in order, every header fixed. */
async function writeModuleSet(file: string, manifest: ModuleSetManifest, modcache: string, files: readonly string[]): Promise<void> {
  const pack = tarStream.pack();
  const written = pipeline(pack, createGzip({ level: 9 }), createWriteStream(file));
  const header = (name: string, size: number) => ({ name, size, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0, uname: '', gname: '' });
  const filled = (async () => {
    const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    pack.entry(header(MODULE_SET_MANIFEST, manifestBytes.length), manifestBytes);
    for (const name of files) {
      const bytes = await fs.readFile(path.join(modcache, name));
      pack.entry(header(name, bytes.length), bytes);
    }
    pack.finalize();
  })().catch((error: unknown) => {
    pack.destroy(error as Error);
    throw error;
  });
  // Both awaited together: a write failure (a full disk) rejects `written` while entries are still being added.
  await Promise.all([written, filled]);
}
