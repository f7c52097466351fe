/** What the scheduler needs of a job: the worker (toolchain) it runs in. */
export interface SchedulableJob {
  toolchain: string;
}

/**
 * The next job for a build slot, chosen so that as few sandbox workers as possible are opened: a slot keeps
 * to the toolchain it last built with while that toolchain has work queued; otherwise it takes the toolchain
 * the fewest slots are working on, in plan order on a tie. With 2 slots and 2 toolchains, each slot then keeps
 * one worker for the whole run instead of both opening a worker for one toolchain and then both again for the
 * other. Returns the index in `queue`, or undefined when it is empty.
 */
export function pickNextJob(queue: readonly SchedulableJob[], previous: string | undefined, slotsByToolchain: ReadonlyMap<string, number>): number | undefined {
  if (queue.length === 0) return undefined;
  if (previous !== undefined) {
    const same = queue.findIndex((job) => job.toolchain === previous);
    if (same >= 0) return same;
  }
  let best = 0;
  for (let index = 1; index < queue.length; index++) {
    const busy = slotsByToolchain.get(queue[index]!.toolchain) ?? 0;
    if (busy < (slotsByToolchain.get(queue[best]!.toolchain) ?? 0)) best = index;
  }
  return best;
}

/**
 * Runs every job in `slots` concurrent loops, each taking its next job with pickNextJob. `run` gets the job,
 * its index in `jobs` and `release`: a job holds its slot until it ends or calls `release`, after which the
 * rest of it (copying a binary out, checking it) goes on while the slot's next job builds. Resolves when
 * every job has ended; rejects with the first job that rejected (the build pipeline catches its own errors).
 */
export async function runScheduled<J extends SchedulableJob>(
  jobs: readonly J[],
  slots: number,
  run: (job: J, index: number, release: () => void) => Promise<void>,
): Promise<void> {
  const queue = jobs.map((job, index) => ({ job, index, toolchain: job.toolchain }));
  const working = new Map<string, number>();
  const runs: Array<Promise<void>> = [];
  // After a job rejects, no further job starts; those already running end on their own.
  let rejected = false;
  const loop = async (): Promise<void> => {
    let previous: string | undefined;
    for (;;) {
      const picked = rejected ? undefined : pickNextJob(queue, previous, working);
      if (picked === undefined) return;
      const [{ job, index }] = queue.splice(picked, 1) as [(typeof queue)[number]];
      working.set(job.toolchain, (working.get(job.toolchain) ?? 0) + 1);
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const running = run(job, index, release);
      runs.push(running);
      running.catch(() => (rejected = true));
      await Promise.race([released, running.catch(() => undefined)]);
      working.set(job.toolchain, working.get(job.toolchain)! - 1);
      previous = job.toolchain;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(slots, jobs.length)) }, loop));
  await Promise.all(runs);
}
