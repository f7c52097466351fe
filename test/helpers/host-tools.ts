/**
 * Access to real host tools (the Go toolchain, coreutils) for unit tests that check airlock's pure code
 * against an independent implementation. The go command always runs with the toolchain pinned and the
 * network off, so it never downloads anything.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export const execFileAsync = promisify(execFile);

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program and reports its exit code instead of rejecting when it fails. */
export async function run(file: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  try {
    const { stdout, stderr } = await execFileAsync(file, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      maxBuffer: 64 * 1024 * 1024,
      encoding: 'utf8',
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: unknown; stdout?: string; stderr?: string; message: string };
    if (typeof failure.code !== 'number') throw error;
    return { code: failure.code, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
  }
}

export const goEnv: NodeJS.ProcessEnv = {
  ...process.env,
  GOTOOLCHAIN: 'local',
  GOPROXY: 'off',
  GOSUMDB: 'off',
  GOFLAGS: '',
  GOWORK: 'off',
};

/** `go <args>` with the host toolchain; rejects when it exits non-zero. */
export async function go(args: readonly string[], cwd?: string): Promise<string> {
  const { stdout } = await execFileAsync('go', [...args], { env: goEnv, cwd, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' });
  return stdout;
}

let gorootPromise: Promise<string> | undefined;

/** `$(go env GOROOT)` of the host toolchain. */
export function hostGoroot(): Promise<string> {
  gorootPromise ??= go(['env', 'GOROOT']).then((out) => out.trim());
  return gorootPromise;
}

/** `$(go env GOVERSION)` of the host toolchain, e.g. "go1.26.8". */
export async function hostGoVersion(): Promise<string> {
  return (await go(['env', 'GOVERSION'])).trim();
}

/** The host toolchain's src/internal/platform/zosarch.go. */
export async function hostZosarch(): Promise<string> {
  return fs.readFile(path.join(await hostGoroot(), 'src/internal/platform/zosarch.go'), 'utf8');
}

/** A fresh temporary directory, removed when the test finishes. */
export async function tempDir(t: { teardown(fn: () => unknown): void }, prefix = 'airlock-unit-'): Promise<string> {
  const dir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), prefix)));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Maps over items with at most `limit` promises in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
