import { execa } from 'execa';
import fs from 'fs-extra';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tarStream from 'tar-stream';
import { BuildError, InputError, InterruptedError, VerificationError, oneLine } from '../errors.js';
import semver from 'semver';
import type { Reporter } from '../report/reporter.js';
import { countOf } from '../report/wording.js';
import {
  MODULE_SET_MANIFEST,
  MODULE_SET_SCHEMA,
  type ModuleSetChecksumDatabase,
  type ModuleSetEntry,
  type ModuleSetManifest,
  checksumDatabaseDir,
  isAllowedModuleSetEntry,
} from '../modules/module-set.js';
import { downloadCachePath, escapeModulePath, unescapeModulePath } from '../modules/module-path.js';
import { readGoSum } from '../modules/resolve-module-inputs.js';
import { fetchEvidence, httpFetch, resolveChecksumDatabase } from '../sumdb/fetch-evidence.js';
import { GoAuthCredentials } from '../sumdb/go-auth.js';
import { parseGoAuthSetting } from '../sumdb/go-auth-setting.js';
import { matchesPrivatePatterns } from '../sumdb/private-patterns.js';
import { checkRememberedHead, readRememberedHead, rememberHead } from '../sumdb/remembered-head.js';
import { tileReaderOf } from '../sumdb/evidence.js';
import { readGoModule } from '../modules/read-module.js';
import { listFiles } from '../modules/list-files.js';
import { interruptCleanupBegun, onInterrupt } from '../cleanup.js';
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
type PackReporter = Pick<Reporter, 'info' | 'warn'>;

export interface PackOptions {
  /** Tree sizes a site has accepted: the set also carries the tiles that prove each a prefix of its head. */
  consistentWith: readonly number[];
  /** The packer's own store: its accepted head is proven a prefix too, and the new head remembered. */
  airlockHome: string;
}

export async function packModuleSet(moduleDir: string, outFile: string, reporter: PackReporter, options: PackOptions): Promise<PackResult> {
  const module = await readGoModule(moduleDir);
  const scratch = await createScratchDir('airlock-pack');
  const modcache = path.join(scratch.path, 'modcache');
  // A module without dependencies downloads nothing, and go never creates the cache. Not mkdirp: after an
  // interrupt has removed the scratch directory, this must fail rather than make it again.
  await fs.mkdir(modcache);
  const env = { GOMODCACHE: modcache, GOFLAGS: '-mod=readonly -modcacherw', GOTOOLCHAIN: 'local', GOWORK: 'off', CGO_ENABLED: '0' };
  // On an interrupt the go command is stopped before the scratch directory goes (tasks run newest first), or
  // it could still be writing into the module cache while that is removed.
  const running = new Set<ReturnType<typeof execa>>();
  const stopGo = onInterrupt(async () => {
    for (const child of running) child.kill('SIGKILL');
    await Promise.allSettled([...running]);
  });
  const go = async (args: string[], extraEnv: Record<string, string> = {}) => {
    // The clean-up has already stopped the go commands it knew of; one started now would write into a
    // scratch directory that is being removed.
    if (interruptCleanupBegun()) throw new InterruptedError('the run is being cleaned up; the go command was not started');
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
    const modules = setEntries(await listFiles(modcache));
    await completeProxyTree(modcache, modules, go, reporter);
    const goSum = await readGoSum(module.dir);
    const checksumDatabase = await packEvidence(modcache, [...modules, ...goSum], go, reporter, options);
    const files = (await listFiles(modcache)).filter((file) => isAllowedModuleSetEntry(file));
    const manifest: ModuleSetManifest = {
      schema: MODULE_SET_SCHEMA,
      module: module.goMod.module,
      goVersion: version.stdout.trim(),
      modules,
      ...(checksumDatabase ? { checksumDatabase } : {}),
    };
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

type GoRunner = (args: string[], extraEnv?: Record<string, string>) => Promise<{ exitCode?: number | undefined; stdout: string; all?: string | undefined }>;

/** The module versions in the download cache: each with a go.mod, some with their zip. */
function setEntries(files: readonly string[]): ModuleSetEntry[] {
  const all = new Set(files);
  const modules: ModuleSetEntry[] = [];
  for (const file of files) {
    const match = /^cache\/download\/(.+)\/@v\/(.+)\.mod$/.exec(file);
    if (!match) continue;
    modules.push({ path: unescapeModulePath(match[1]!), version: unescapeModulePath(match[2]!), zip: all.has(file.replace(/\.mod$/, '.zip')) });
  }
  return modules;
}

/**
 * Makes the download cache a complete GOPROXY tree: the go command leaves out the .info of versions it fetched
 * as build dependencies (a proxy must serve one for every version), and each module gets a list of its versions.
 */
async function completeProxyTree(modcache: string, modules: readonly ModuleSetEntry[], go: GoRunner, reporter: PackReporter): Promise<void> {
  const missingInfo = [];
  for (const m of modules) {
    if (!(await fs.pathExists(path.join(modcache, ...downloadCachePath(m.path, m.version, 'info').split('/'))))) missingInfo.push(`${m.path}@${m.version}`);
  }
  if (missingInfo.length > 0) {
    // `go list -m` resolves each version's .info through GOPROXY (and GOPRIVATE's direct route) into the cache,
    // without the zip; -e reports a version it cannot resolve instead of stopping.
    await go(['list', '-m', '-e', '-json', ...missingInfo]);
    const stillMissing = [];
    for (const m of modules) {
      if (!(await fs.pathExists(path.join(modcache, ...downloadCachePath(m.path, m.version, 'info').split('/'))))) stillMissing.push(`${m.path}@${m.version}`);
    }
    if (stillMissing.length > 0) {
      reporter.warn(
        `${countOf(stillMissing.length, 'module version')} without .info (the proxy did not serve it; first: ${stillMissing[0]}): the set builds, but it is not a complete GOPROXY tree and \`airlock modules mirror\` refuses it`,
      );
    }
  }
  const byPath = new Map<string, string[]>();
  for (const m of modules) byPath.set(m.path, [...(byPath.get(m.path) ?? []), m.version]);
  for (const [modulePath, versions] of byPath) {
    const list = path.join(modcache, 'cache', 'download', ...escapeModulePath(modulePath).split('/'), '@v', 'list');
    const sorted = [...new Set(versions)].sort((a, b) => semver.compare(a, b, { loose: true }) || (a < b ? -1 : 1));
    await fs.writeFile(list, `${sorted.join('\n')}\n`);
  }
}

/**
 * Fetches the checksum database evidence for every module version (the set's and go.sum's) that GONOSUMDB
 * does not name private, proven before it is written, into the cache's sumdb directory in the database's
 * protocol layout, replacing what the go command cached there (lookups with many differing tree heads).
 */
async function packEvidence(
  modcache: string,
  versions: ReadonlyArray<{ path: string; version: string }>,
  go: GoRunner,
  reporter: PackReporter,
  options: PackOptions,
): Promise<ModuleSetChecksumDatabase | undefined> {
  const settings = await go(['env', '-json', 'GOSUMDB', 'GOPROXY', 'GONOSUMDB', 'GOPRIVATE', 'GOAUTH']);
  const env = JSON.parse(settings.stdout) as Record<'GOSUMDB' | 'GOPROXY' | 'GONOSUMDB' | 'GOPRIVATE' | 'GOAUTH', string>;
  await fs.remove(path.join(modcache, 'cache', 'download', 'sumdb'));
  const credentials = goAuthCredentials(env.GOAUTH ?? 'netrc', reporter);
  const get = httpFetch(credentials);
  const source = await resolveChecksumDatabase(env.GOSUMDB, env.GOPROXY, get);
  if (source === undefined) {
    reporter.warn('GOSUMDB=off: the set carries no checksum database evidence, and its modules will be trusted by go.sum only where --allow-unproven is given');
    return undefined;
  }
  const privatePatterns = env.GONOSUMDB || env.GOPRIVATE || '';
  const unique = new Map(versions.map((v) => [`${v.path}@${v.version}`, { path: v.path, version: v.version }]));
  const publicOnes = [...unique.values()].filter((v) => !matchesPrivatePatterns(privatePatterns, v.path));
  const accepted = await readRememberedHead(options.airlockHome, source.key.name);
  const evidence = await fetchEvidence(source, publicOnes, [...options.consistentWith, ...(accepted ? [accepted.size] : [])], get).catch((error: unknown) => {
    // A request that stayed refused: say which GOAUTH method gave nothing, as the go command does with -x.
    for (const failure of new Set(credentials?.failures ?? [])) reporter.warn(failure);
    throw error;
  });
  // The packer's own store checks the head too: a database that shows this machine a fork is caught here.
  const verdict = checkRememberedHead(accepted, evidence.tree, tileReaderOf(evidence.files, source.base), source.base);
  if (!verdict.ok) throw new VerificationError(verdict.reason, { hint: verdict.hint });
  const root = path.join(modcache, ...checksumDatabaseDir(source.key.name).split('/'));
  for (const [name, bytes] of evidence.files) {
    await fs.outputFile(path.join(root, ...name.split('/')), bytes);
  }
  reporter.info(
    `checksum database ${source.key.name}: ${publicOnes.length} module versions proven in the signed tree of ${evidence.tree.size} records` +
      (unique.size > publicOnes.length ? `; ${unique.size - publicOnes.length} private (GONOSUMDB), not looked up` : ''),
  );
  const tree = { size: evidence.tree.size, hash: evidence.tree.hash.toString('base64') };
  await rememberHead(options.airlockHome, source.key.name, tree, 'modules pack');
  return { key: source.key.text, tree, privatePatterns };
}

/**
 * The credentials the go command itself would send (GOAUTH: netrc by default, git, commands), so that a site's
 * own proxy that asks for them serves the checksum database evidence too.
 */
function goAuthCredentials(goauth: string, reporter: PackReporter): GoAuthCredentials | undefined {
  const methods = parseGoAuthSetting(goauth);
  if (methods.length === 0) return undefined;
  const credentials = new GoAuthCredentials(methods);
  if (methods.some((method) => method.kind === 'git')) reporter.info(`GOAUTH=${oneLine(goauth)}: git credentials are asked for without a terminal prompt`);
  return credentials;
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
