/**
 * The test corpus: real third-party Go programs (test/corpus/corpus.json), for integration tests and the bench.
 * Nothing of them is in the repository: .ci/fetch-corpus.sh (run by .ci/bootstrap.sh) fetches each pinned
 * module and every module its build needs into a per-user cache, whose module cache doubles as a file proxy.
 * Everything here works offline from that cache: copies of a program's source, `go mod vendor`, `airlock
 * modules pack`, and native `go build`s with airlock's flags for byte-for-byte comparisons.
 * test/helpers/corpus-integration.ts registers integration tests on them (skipped, or failed under CI, without the cache).
 */
import { execa } from 'execa';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { binaryName } from '../../src/modules/go-source.js';
import { extractedModuleDir } from '../../src/modules/module-path.js';
import { type CliResult, repoRoot, runAirlock } from './airlock-run.js';

export interface CorpusProgram {
  name: string;
  module: string;
  version: string;
  /** The main package, relative to the module root. */
  main: string;
  tags: string[];
  /** What makes this program worth building (large, main package not at the root, embedded files, tags). */
  shape: string;
  /** The targets CI builds it for. */
  ciTargets: string[];
  /** As measured with go1.26.8 (see the $comment in corpus.json). */
  facts: { buildListModules: number; neededModules: number; vendoredModules: number; binaryBytes: number };
}

export const CORPUS_FILE = path.join(repoRoot, 'test', 'corpus', 'corpus.json');
export const CORPUS: readonly CorpusProgram[] = (JSON.parse(await fs.readFile(CORPUS_FILE, 'utf8')) as { programs: CorpusProgram[] }).programs;

/** The directory .ci/fetch-corpus.sh fills. */
export const corpusCacheDir = path.join(
  process.env.AIRLOCK_TOOLS_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'airlock-test-tools'),
  'corpus',
);
/** A module cache holding every program and every module its build needs. */
export const corpusModCache = path.join(corpusCacheDir, 'gomodcache');
/** The module cache's download directory as a GOPROXY: the go command fetches from it without a network. */
export const corpusProxy = `file://${corpusModCache}/cache/download`;

export function corpusEntry(name: string): CorpusProgram {
  const program = CORPUS.find((entry) => entry.name === name);
  if (!program) throw new Error(`${name} is not in ${path.relative(repoRoot, CORPUS_FILE)}`);
  return program;
}

/** Where the cache holds the program's unpacked module. */
export function corpusSourceDir(program: CorpusProgram): string {
  return path.join(corpusModCache, extractedModuleDir(program.module, program.version));
}

/** The file airlock writes for the program's main package and a target, e.g. golangci-lint_windows_amd64.exe. */
export function corpusBinaryName(program: CorpusProgram, target: string): string {
  const [goos, goarch] = target.split('/') as [string, string];
  return `${binaryName(program.module, program.main)}_${goos}_${goarch}${goos === 'windows' ? '.exe' : ''}`;
}

async function missingFromCache(program: CorpusProgram): Promise<boolean> {
  // fetch-corpus.sh writes the stamp only after proving the program's cache complete offline.
  const stamp = path.join(corpusCacheDir, 'stamps', `${program.name}@${program.version}`);
  return !(await fs.pathExists(stamp)) || !(await fs.pathExists(path.join(corpusSourceDir(program), 'go.mod')));
}

// Settled at load, before a test file registers its tests (registration is synchronous).
const missingPrograms = new Set((await Promise.all(CORPUS.map(async (program) => ((await missingFromCache(program)) ? program.name : '')))).filter(Boolean));

/** Why the named programs cannot be used here, or undefined when their cache is complete. */
export function corpusMissing(names: readonly string[]): string | undefined {
  const missing = names.map(corpusEntry).filter((program) => missingPrograms.has(program.name));
  if (missing.length === 0) return undefined;
  const list = missing.map((program) => `${program.module}@${program.version}`).join(', ');
  return `the corpus cache ${corpusCacheDir} lacks ${list}; run .ci/bootstrap.sh (or .ci/fetch-corpus.sh) on a machine that reaches the Go module proxy`;
}

/** Throws the reason when the named programs are not cached (for the bench, which has no skip). */
export function requireCorpus(names: readonly string[]): void {
  const missing = corpusMissing(names);
  if (missing !== undefined) throw new Error(missing);
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A fresh temporary directory, removed when the test ends (or, without a test, by the caller). */
async function scratchDir(t: Teardown | undefined, prefix: string): Promise<string> {
  const dir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), prefix)));
  t?.teardown(() => fs.remove(dir));
  return dir;
}

/** The go command offline against the corpus cache, with the toolchain pinned and the user's go env ignored. */
const OFFLINE_GO_ENV = {
  GOMODCACHE: corpusModCache,
  GOPROXY: corpusProxy,
  GOSUMDB: 'off',
  GOTOOLCHAIN: 'local',
  GOWORK: 'off',
  GOENV: 'off',
  // -modcacherw: whatever the go command unpacks into the shared cache stays removable.
  GOFLAGS: '-mod=mod -modcacherw',
};

export interface CorpusCopy {
  program: CorpusProgram;
  /** The module root of the writable copy (the directory is named after the program). */
  dir: string;
}

/**
 * A writable copy of the program's module in a fresh temporary directory, removed at the test's teardown
 * (without `t`, the caller removes path.dirname(dir)). With `vendor`, `go mod vendor` runs in it, offline.
 */
export async function corpusProgram(t: Teardown | undefined, name: string, options: { vendor: boolean }): Promise<CorpusCopy> {
  const program = corpusEntry(name);
  requireCorpus([name]);
  const dir = path.join(await scratchDir(t, `airlock-corpus-${name}-`), name);
  await fs.copy(corpusSourceDir(program), dir);
  // Module cache files are read-only unless they were unpacked with -modcacherw.
  await execa('chmod', ['-R', 'u+w', dir]);
  if (options.vendor) await execa('go', ['mod', 'vendor'], { cwd: dir, env: OFFLINE_GO_ENV });
  return { program, dir };
}

/**
 * `airlock modules pack` of a copy of the program, offline: the go command airlock runs inherits airlock's
 * environment, so it fetches from the cache's file proxy (GOPROXY=file://...) and checks against go.sum only
 * (GOSUMDB=off). Returns the module set's path, in a temporary directory removed at the test's teardown.
 */
export async function corpusModuleSet(t: Teardown | undefined, name: string): Promise<string> {
  const { dir } = await corpusProgram(t, name, { vendor: false });
  const set = path.join(path.dirname(dir), `${name}-modules.tar.gz`);
  const result = await runAirlock(['modules', 'pack', dir, '--out', set], { env: { GOPROXY: corpusProxy, GOSUMDB: 'off', GOFLAGS: '' } });
  if (result.exitCode !== 0) throw new Error(`airlock modules pack of ${name} failed (exit ${result.exitCode}): ${result.stderr}`);
  return set;
}

/**
 * `airlock modules pack` of a corpus program as a connected machine packs it: the module files from the corpus
 * cache (first in GOPROXY, so no module is downloaded again), the checksum database evidence through the host's
 * own module proxy (the cache does not serve /sumdb/<name>/supported, so the go command's rule moves on to it).
 */
export async function corpusModuleSetWithEvidence(t: Teardown | undefined, name: string, home: string): Promise<{ dir: string; set: string; pack: CliResult }> {
  const { dir } = await corpusProgram(t, name, { vendor: false });
  const set = path.join(path.dirname(dir), `${name}-modules-with-evidence.tar.gz`);
  const hostProxy = (await execa('go', ['env', 'GOPROXY'], { env: { GOTOOLCHAIN: 'local' } })).stdout.trim();
  const pack = await runAirlock(['modules', 'pack', dir, '--out', set], { env: { GOPROXY: `${corpusProxy},${hostProxy}`, GOSUMDB: 'sum.golang.org', GOFLAGS: '', AIRLOCK_HOME: home } });
  return { dir, set, pack };
}

/** The goroot of each toolchain in airlock's test store, by version (e.g. "go1.26.8"). */
export async function storedGoroots(): Promise<Map<string, string>> {
  const result = await runAirlock(['toolchain', 'list', '--json']);
  if (result.exitCode !== 0) throw new Error(`airlock toolchain list failed: ${result.stderr}`);
  const list = JSON.parse(result.stdout) as Array<{ version: string; goroot: string }>;
  return new Map(list.map((entry) => [entry.version, entry.goroot]));
}

export interface NativeBuildOptions {
  /** The toolchain tree to build with: the very one airlock's sandbox image is made of. */
  goroot: string;
  target: string;
  main: string;
  tags: readonly string[];
  /** 'vendor': from the module's vendor/; 'mod': module mode from the corpus cache, read-only. */
  mode: 'vendor' | 'mod';
  gocache: string;
  /** The binary to write. */
  out: string;
  /** For 'mod': the module cache to read (default: the corpus cache). */
  modcache?: string;
}

/**
 * `go build` on the host with exactly the flags and environment airlock's sandbox uses (src/sandbox/policy.ts),
 * so the bytes must be the same as airlock's. Returns the seconds it took.
 */
export async function nativeBuild(dir: string, options: NativeBuildOptions): Promise<number> {
  const [goos, goarch] = options.target.split('/') as [string, string];
  const args = ['build', '-trimpath', '-buildvcs=false', '-ldflags=-buildid='];
  if (options.tags.length > 0) args.push(`-tags=${options.tags.join(',')}`);
  args.push('-o', options.out, options.main);
  const env: Record<string, string> = {
    GOROOT: options.goroot,
    GOCACHE: options.gocache,
    GOENV: 'off',
    GOPROXY: 'off',
    GOSUMDB: 'off',
    GOTOOLCHAIN: 'local',
    GOWORK: 'off',
    CGO_ENABLED: '0',
    GOOS: goos,
    GOARCH: goarch,
    GOFLAGS: options.mode === 'vendor' ? '-mod=vendor' : '-mod=readonly',
  };
  if (options.mode === 'mod') env.GOMODCACHE = options.modcache ?? corpusModCache;
  const started = performance.now();
  const result = await execa(path.join(options.goroot, 'bin', 'go'), args, { cwd: dir, env, reject: false, all: true });
  if (result.exitCode !== 0) throw new Error(`native go build of ${options.main} for ${options.target} (${options.mode}) failed: ${String(result.all)}`);
  return (performance.now() - started) / 1000;
}
