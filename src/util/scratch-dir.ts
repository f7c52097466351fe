import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { onInterrupt } from '../cleanup.js';

export interface ScratchDir {
  path: string;
  remove(): Promise<void>;
}

/**
 * A private temporary directory, removed by `remove()` or, when the run is interrupted before that, by the
 * interrupt clean-up: Ctrl-C must not leave an unpacked module set or a rebuild behind in the temp dir.
 *
 * The removal is registered before the directory exists. A signal can land while mkdtemp is still in the
 * thread pool, after the directory is on disk but before its continuation runs; the task then waits for
 * mkdtemp to settle and removes what it made (CI saw an `airlock-pack-*` left behind without this).
 */
export async function createScratchDir(prefix: string): Promise<ScratchDir> {
  const made = fs.mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
  const forget = onInterrupt(async () => {
    const dir = await made.catch(() => undefined);
    if (dir) await fs.remove(dir);
  });
  let dir: string;
  try {
    dir = await made;
  } catch (error) {
    forget();
    throw error;
  }
  return {
    path: dir,
    async remove() {
      forget();
      await fs.remove(dir);
    },
  };
}
