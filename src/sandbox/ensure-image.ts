import fs from 'fs-extra';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import type { ContainerEngine } from '../engine/engine.js';
import { EngineError } from '../errors.js';
import { createImageContext } from './image-context.js';
import type { SandboxImageSpec } from './image-spec.js';

export interface EnsuredImage {
  tag: string;
  built: boolean;
}

/** How long a process waits for another one building the same image; longer than any image build takes. */
const LOCK_WAIT_MS = 10 * 60 * 1000;

/**
 * Makes sure the sandbox image exists, building it at most once per tag: within this process even when many
 * targets ask for it at the same moment, and across processes on this machine through a lock file in
 * AIRLOCK_HOME (proper-lockfile: atomic mkdir, kept fresh while held, taken over when its holder died).
 */
export class SandboxImages {
  private readonly pending = new Map<string, Promise<EnsuredImage>>();

  constructor(
    private readonly engine: ContainerEngine,
    private readonly lockDir: string,
  ) {}

  ensure(spec: SandboxImageSpec, goroot: string, onBuild?: () => void, onWait?: () => void): Promise<EnsuredImage> {
    let result = this.pending.get(spec.tag);
    if (!result) {
      result = (async () => {
        if (await this.engine.imageExists(spec.tag)) return { tag: spec.tag, built: false };
        const release = await this.lock(spec.tag, onWait);
        try {
          // Another process may have built it while this one waited for the lock.
          if (await this.engine.imageExists(spec.tag)) return { tag: spec.tag, built: false };
          onBuild?.();
          await this.engine.buildImage(createImageContext(spec, goroot), { tag: spec.tag, labels: spec.labels });
          return { tag: spec.tag, built: true };
        } finally {
          await release().catch(() => undefined);
        }
      })();
      this.pending.set(spec.tag, result);
      result.catch(() => this.pending.delete(spec.tag));
    }
    return result;
  }

  private async lock(tag: string, onWait?: () => void): Promise<() => Promise<void>> {
    await fs.mkdirp(this.lockDir);
    const file = path.join(this.lockDir, `image-${tag.replace(/[^A-Za-z0-9_.-]/g, '_')}`);
    await fs.ensureFile(file);
    const options = { realpath: false, stale: 30_000, update: 5_000 };
    try {
      return await lockfile.lock(file, options);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    }
    onWait?.();
    try {
      // The library's own retries (with back-off, up to a second apart) wait for the other process.
      return await lockfile.lock(file, { ...options, retries: { retries: LOCK_WAIT_MS / 1000, minTimeout: 200, maxTimeout: 1000, factor: 1.2 } });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      throw new EngineError(`another airlock process has been building the image ${tag} for over ${LOCK_WAIT_MS / 60000} minutes`, {
        hint: `check that process; if none is running, remove ${file}.lock`,
      });
    }
  }
}
