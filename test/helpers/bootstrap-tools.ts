/**
 * Test tools the bootstrap builds from the Go module proxy in the background (.ci/bootstrap.sh): cosign. Each
 * lands in a per-user cache as NAME-VERSION beside its .log and .pid; a test that needs one waits for that build rather than starting its own, and builds it itself only when no
 * bootstrap ever started one.
 */
import { execa } from 'execa';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';

export const toolsCache = process.env.AIRLOCK_TOOLS_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'airlock-test-tools');

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** How long a cold build may take on a busy two-core machine; a pid that outlives it is not that build any more. */
export const BOOTSTRAP_BUILD_WAIT_MS = 40 * 60_000;

/**
 * The cached binary NAME-VERSION, waited for while the bootstrap's background build runs. Throws the build's
 * log when that build failed; builds MODULE@VERSION itself when no build was ever started.
 */
export async function bootstrapTool(name: string, module: string, version: string): Promise<string> {
  const cached = path.join(toolsCache, `${name}-${version}`);
  const pid = Number((await fs.readFile(`${cached}.pid`, 'utf8').catch(() => '')).trim());
  const deadline = Date.now() + BOOTSTRAP_BUILD_WAIT_MS;
  while (!(await fs.pathExists(cached)) && pid > 0 && processAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2000));
  if (await fs.pathExists(cached)) return cached;
  if (pid > 0) {
    const log = await fs.readFile(`${cached}.log`, 'utf8').catch(() => '(no log)');
    throw new Error(`the bootstrap's background build of ${name} ${version} failed:\n${log.split('\n').slice(-20).join('\n')}`);
  }
  const bin = await fs.mkdtemp(path.join(os.tmpdir(), `airlock-${name}-`));
  try {
    await execa('go', ['install', `${module}@${version}`], { env: { GOBIN: bin, GOTOOLCHAIN: 'local', GOFLAGS: '-modcacherw', CGO_ENABLED: '0' } });
    await fs.mkdirp(toolsCache);
    await fs.move(path.join(bin, path.basename(module)), cached, { overwrite: true });
  } finally {
    await fs.remove(bin);
  }
  return cached;
}
