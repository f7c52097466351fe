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
 */
export async function createScratchDir(prefix: string): Promise<ScratchDir> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
  const forget = onInterrupt(() => fs.remove(dir));
  return {
    path: dir,
    async remove() {
      forget();
      await fs.remove(dir);
    },
  };
}
