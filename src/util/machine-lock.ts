import fs from 'fs-extra';
import path from 'node:path';
import lockfile from 'proper-lockfile';

/** How long a process waits for another one holding the same lock; longer than any image build or volume fill takes. */
export const MACHINE_LOCK_WAIT_MS = 10 * 60 * 1000;

export class MachineLockTimeout extends Error {
  constructor(readonly file: string) {
    super(`${file} has been held for over ${MACHINE_LOCK_WAIT_MS / 60000} minutes`);
  }
}

function lockFile(lockDir: string, key: string): string {
  return path.join(lockDir, key.replace(/[^A-Za-z0-9_.-]/g, '_'));
}

const LOCK_OPTIONS = { realpath: false, stale: 30_000, update: 5_000 };

/** Takes the lock only if no other process holds it; resolves with its release, or undefined when it is held. */
export async function tryMachineLock(lockDir: string, key: string): Promise<(() => Promise<void>) | undefined> {
  await fs.mkdirp(lockDir);
  const file = lockFile(lockDir, key);
  await fs.ensureFile(file);
  try {
    return await lockfile.lock(file, LOCK_OPTIONS);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') return undefined;
    throw error;
  }
}

/**
 * Takes a lock shared by every airlock process on this machine (proper-lockfile: atomic mkdir, kept fresh while
 * held, taken over when its holder died), waiting for another holder; resolves with its release.
 */
export async function acquireMachineLock(lockDir: string, key: string, onWait?: () => void): Promise<() => Promise<void>> {
  await fs.mkdirp(lockDir);
  const file = lockFile(lockDir, key);
  await fs.ensureFile(file);
  const options = LOCK_OPTIONS;
  try {
    return await lockfile.lock(file, options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
  }
  onWait?.();
  try {
    // The library's own retries (with back-off, up to a second apart) wait for the other process.
    return await lockfile.lock(file, { ...options, retries: { retries: MACHINE_LOCK_WAIT_MS / 1000, minTimeout: 200, maxTimeout: 1000, factor: 1.2 } });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    throw new MachineLockTimeout(file);
  }
}
