import type { ContainerEngine } from '../engine/engine.js';

/**
 * Keeps every build's scratch on the engine's disk within the policy's limit (sandbox.scratchMiB).
 *
 * Why a guard and not a quota: neither Docker's nor Podman's API can put a size on a plain local volume
 * (only on XFS with project quotas, which ordinary runners do not have), and a RAM-backed tmpfs, the one mount
 * with a size, counts against the memory limit. So the scratch lives in a per-worker volume on the engine's
 * disk, and the guard asks the engine how much each watched volume holds (one request for all of them, the
 * same numbers `docker system df -v` shows), every five seconds while builds run (less often when measuring is
 * slow, so it never costs the engine more than a tenth of its time). A volume over its
 * limit has its worker removed at once, which is the only thing that stops a build; the build then fails as
 * `disk-full`. Between two looks a build can write what it writes in that time; no single file can outgrow
 * the limit at all (RLIMIT_FSIZE, set from the same number, is the kernel's).
 */
export interface ScratchOverrun {
  volume: string;
  bytes: number;
  limitBytes: number;
}

interface Watch {
  volumes: readonly string[];
  limitBytes: number;
  onOverrun: (overrun: ScratchOverrun) => void;
  fired: boolean;
}

/** Pure: the first watched volume of each watch that holds more than its limit. */
export function findOverruns(sizes: ReadonlyMap<string, number>, watches: ReadonlyArray<Pick<Watch, 'volumes' | 'limitBytes'>>): Array<ScratchOverrun | undefined> {
  return watches.map((watch) => {
    for (const volume of watch.volumes) {
      const bytes = sizes.get(volume);
      if (bytes !== undefined && bytes > watch.limitBytes) return { volume, bytes, limitBytes: watch.limitBytes };
    }
    return undefined;
  });
}

/** Pure: the pause before the next look; a slow engine (many large volumes to measure) is asked less often. */
export function nextPollDelay(baseMs: number, lastRequestMs: number): number {
  return Math.max(baseMs, Math.min(60_000, lastRequestMs * 10));
}

export class ScratchGuard {
  private readonly watches = new Set<Watch>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    private readonly engine: Pick<ContainerEngine, 'volumeSizes'>,
    private readonly intervalMs = 5000,
  ) {}

  /** Watches the volumes until the returned function is called; onOverrun is called at most once. */
  watch(volumes: readonly string[], limitBytes: number, onOverrun: (overrun: ScratchOverrun) => void): () => void {
    const watch: Watch = { volumes, limitBytes, onOverrun, fired: false };
    this.watches.add(watch);
    this.schedule(this.intervalMs);
    return () => {
      this.watches.delete(watch);
      if (this.watches.size === 0 && this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
    };
  }

  /** Looks once now (also used at the end of a build, so a short build that overran is still caught). */
  async check(): Promise<void> {
    if (this.polling || this.watches.size === 0) return;
    this.polling = true;
    const started = Date.now();
    try {
      const sizes = await this.engine.volumeSizes();
      const watches = [...this.watches];
      findOverruns(sizes, watches).forEach((overrun, index) => {
        const watch = watches[index]!;
        if (overrun && !watch.fired && this.watches.has(watch)) {
          watch.fired = true;
          watch.onOverrun(overrun);
        }
      });
    } catch {
      // An engine busy measuring for someone else (Docker runs one disk-usage request at a time) is asked again
      // at the next tick; an engine that stopped answering is noticed by the build's own requests.
    } finally {
      this.polling = false;
      this.schedule(nextPollDelay(this.intervalMs, Date.now() - started));
    }
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.watches.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.check();
    }, delayMs);
    // The guard never keeps airlock running by itself.
    this.timer.unref();
  }
}
