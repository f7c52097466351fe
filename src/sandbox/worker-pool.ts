/** What the pool needs of a worker. */
export interface PooledWorker {
  readonly usable: boolean;
  close(): Promise<void>;
}

export interface WorkerPoolOptions {
  /** Whether a worker takes another build after one; false gives every build a fresh worker. */
  reuse: boolean;
}

/**
 * Hands out sandbox workers by key (the toolchain: a worker runs one image). A build takes an idle worker of
 * its key or gets a new one; afterwards the worker waits for the next build of that key, unless it is no
 * longer usable. The caller bounds how many builds run at once, and so how many workers are busy; idle
 * workers of other toolchains are closed before a new one is opened, so at most that many containers live.
 */
export class WorkerPool<W extends PooledWorker> {
  private readonly idle = new Map<string, W[]>();
  private closing = false;
  private closed: Promise<void> | undefined;

  constructor(
    private readonly open: (key: string) => Promise<W>,
    private readonly options: WorkerPoolOptions,
  ) {}

  async run<T>(key: string, task: (worker: W) => Promise<T>): Promise<T> {
    const worker = this.idle.get(key)?.pop() ?? (await this.openFresh(key));
    try {
      return await task(worker);
    } finally {
      if (this.options.reuse && worker.usable && !this.closing) this.idleList(key).push(worker);
      else await worker.close();
    }
  }

  /**
   * Closes every idle worker; workers still busy are closed when their build ends. Calling it again waits for
   * the first call: the build closes its workers as soon as the last target is built, so that removing their
   * containers and volumes overlaps attesting and publishing, and the run's clean-up then only waits for that.
   */
  closeAll(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true;
      const workers = [...this.idle.values()].flat();
      this.idle.clear();
      await Promise.all(workers.map((worker) => worker.close()));
    })();
    return this.closed;
  }

  /** How many workers wait, by key (for tests and debug output). */
  idleCounts(): Record<string, number> {
    return Object.fromEntries([...this.idle].filter(([, list]) => list.length > 0).map(([key, list]) => [key, list.length]));
  }

  private async openFresh(key: string): Promise<W> {
    const others = [...this.idle].filter(([other]) => other !== key).flatMap(([other, list]) => {
      this.idle.delete(other);
      return list;
    });
    await Promise.all(others.map((worker) => worker.close()));
    return this.open(key);
  }

  private idleList(key: string): W[] {
    let list = this.idle.get(key);
    if (!list) this.idle.set(key, (list = []));
    return list;
  }
}
