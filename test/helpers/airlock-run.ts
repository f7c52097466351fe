/** Running the airlock CLI and preparing its environment, for the integration tests and the benchmark. */
import Docker from 'dockerode';
import { execa } from 'execa';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bootstrapTool } from './bootstrap-tools.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const cliPath = path.join(repoRoot, 'build', 'src', 'cli', 'bin.js');
/**
 * Every container and volume the CLIs this test process starts create is labelled as this process's
 * (AIRLOCK_OWNER, inherited by the children), so the checks for leftovers see their own and not those of a
 * test file running beside them.
 */
export const TEST_OWNER = `airlock-test/${os.hostname()}/${process.pid}`;
process.env.AIRLOCK_OWNER = TEST_OWNER;
const OWNED = `airlock.owner=${TEST_OWNER}`;

/** Integration tests keep their own toolchain store, shared by every test file. */
export const testHome = path.join(repoRoot, '.airlock-test-home');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function runAirlock(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  const result = await execa('node', [cliPath, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { AIRLOCK_HOME: testHome, ...options.env },
    reject: false,
    timeout: 10 * 60 * 1000,
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

export async function engineReachable(): Promise<boolean> {
  try {
    await Promise.race([
      new Docker().ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 5000)),
    ]);
    return true;
  } catch {
    return false;
  }
}

/** This test process's GOCACHE volumes (build --cache, test --cache). */
export async function ownGocacheVolumes(): Promise<string[]> {
  const listed = await new Docker().listVolumes({ filters: JSON.stringify({ label: ['airlock.purpose=gocache', OWNED] }) }).catch(() => ({ Volumes: [] }));
  return (listed.Volumes ?? []).map((volume) => volume.Name);
}

/** The two Go releases the tests build with. */
export const TEST_TOOLCHAINS = ['go1.26.8', 'go1.27.3'] as const;

/**
 * The golang.org/toolchain module zip of a release, from the Go module cache (the go command fetches it
 * through the Go module proxy and checks it against the checksum database when it is not there yet).
 */
export async function toolchainModuleZip(version: string): Promise<string> {
  const module = `golang.org/toolchain@v0.0.1-${version}.linux-amd64`;
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-gomod-'));
  try {
    const result = await execa('go', ['mod', 'download', '-json', module], {
      cwd: scratch,
      env: { GOTOOLCHAIN: 'local', GOFLAGS: '-modcacherw' },
    });
    return (JSON.parse(result.stdout) as { Zip: string }).Zip;
  } finally {
    await fs.remove(scratch);
  }
}

let toolchainsReady: Promise<void> | undefined;

/** Imports the pinned test toolchains into the test store once (import is idempotent across processes). */
export function ensureToolchains(): Promise<void> {
  toolchainsReady ??= (async () => {
    // Every test file runs in a process of its own; importing both toolchains again in each (about 16 s of
    // hashing) cost minutes of a CI run. A toolchain the shared test store already holds (imported and verified
    // by the first file that needed it) is not imported again; the import itself is tested on private stores
    // (toolchain.test.ts).
    const listed = await runAirlock(['toolchain', 'list', '--json']);
    const stored = new Set(listed.exitCode === 0 ? (JSON.parse(listed.stdout) as Array<{ version: string }>).map((record) => record.version) : []);
    for (const version of TEST_TOOLCHAINS) {
      if (stored.has(version)) continue;
      const result = await runAirlock(['toolchain', 'import', await toolchainModuleZip(version)]);
      if (result.exitCode !== 0) throw new Error(`toolchain import of ${version} failed: ${result.stderr}`);
    }
  })();
  return toolchainsReady;
}

/** A store (AIRLOCK_HOME) of its own, for tests that change or inspect the store. */
export async function privateHome(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'airlock-home-'));
}

/** Everything in a store's toolchain directory, staging directories included. */
export async function storeEntries(home: string): Promise<string[]> {
  const dir = path.join(home, 'toolchains');
  return (await fs.pathExists(dir)) ? (await fs.readdir(dir)).sort() : [];
}

export async function hostGoroot(): Promise<string> {
  return (await execa('go', ['env', 'GOROOT'], { env: { GOTOOLCHAIN: 'local' } })).stdout.trim();
}

export async function hostGoVersion(): Promise<string> {
  return (await execa('go', ['env', 'GOVERSION'], { env: { GOTOOLCHAIN: 'local' } })).stdout.trim();
}

/** A private copy of a module from the repository, so builds never write into the checkout. */
export async function copyModule(relative: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-test-'));
  const target = path.join(dir, path.basename(relative));
  await fs.copy(path.join(repoRoot, relative), target, { filter: (src) => !src.includes(`${path.sep}dist`) });
  return target;
}

/** "airlock in the checkout's node_modules", as the CI templates say: what `npx --no airlock` then runs in a job. */
export async function linkAirlockInto(workspace: string): Promise<void> {
  await fs.mkdirp(path.join(workspace, 'node_modules', '.bin'));
  await fs.symlink(cliPath, path.join(workspace, 'node_modules', '.bin', 'airlock'));
}

export async function managedContainers(): Promise<string[]> {
  const containers = await new Docker().listContainers({ all: true, filters: JSON.stringify({ label: ['airlock.managed=true', OWNED] }) });
  return containers.map((container) => container.Id);
}

/** Managed containers still running, e.g. sandbox workers of a run whose airlock process is gone. */
export async function runningManagedContainers(): Promise<string[]> {
  const containers = await new Docker().listContainers({ filters: JSON.stringify({ label: ['airlock.managed=true', OWNED], status: ['running'] }) });
  return containers.map((container) => container.Id);
}

/** Waits up to `seconds` for no managed container to be running; returns those still running. */
export async function waitForNoRunningWorkers(seconds: number): Promise<string[]> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const running = await runningManagedContainers();
    if (running.length === 0 || Date.now() > deadline) return running;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Volumes a run leaves behind; the persistent build caches of --cache are meant to stay and are not counted. */
export async function managedVolumes(): Promise<string[]> {
  const result = await new Docker().listVolumes({ filters: JSON.stringify({ label: ['airlock.managed=true', OWNED] }) });
  // Build caches and source volumes (--cache) and unpacked module sets are kept across runs by design (prune
  // removes them): a run that happened to create one first, an interrupted one too, leaves it for the next.
  const kept = new Set(['gocache', 'module-cache', 'source-cache']);
  return (result.Volumes ?? []).filter((volume) => !kept.has(volume.Labels?.['airlock.purpose'] ?? '')).map((volume) => volume.Name);
}


/** cosign, pinned, built from source with the go command (the bootstrap installs it into .tools/bin). */
export const COSIGN_MODULE = 'github.com/sigstore/cosign/v3/cmd/cosign@v3.1.3';

let cosignReady: Promise<string> | undefined;

const [COSIGN_PACKAGE, COSIGN_VERSION] = COSIGN_MODULE.split('@') as [string, string];

/**
 * cosign in .tools/bin: copied from the bootstrap's cache, waited for while the bootstrap is still building it
 * in the background (it does not wait itself, so the tests start meanwhile), or built here as a last resort.
 */
export function ensureCosign(): Promise<string> {
  cosignReady ??= (async () => {
    const bin = path.join(repoRoot, '.tools', 'bin');
    const cosign = path.join(bin, 'cosign');
    if (await fs.pathExists(cosign)) return cosign;
    const cached = await bootstrapTool('cosign', COSIGN_PACKAGE, COSIGN_VERSION);
    await fs.mkdirp(bin);
    await fs.copy(cached, cosign);
    return cosign;
  })();
  return cosignReady;
}
