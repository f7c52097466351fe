/**
 * Work to undo if the process is interrupted: removing containers and volumes, discarding staged outputs.
 * The CLI runs these on SIGINT/SIGTERM; stages register and unregister as they go.
 */
type CleanupTask = () => Promise<void>;

const tasks = new Set<CleanupTask>();
const firstTasks = new Set<CleanupTask>();

/**
 * Set once the interrupt clean-up has begun. A signal can be handled between an I/O call that made something
 * (a directory, a container) and the continuation that registers its removal; such late registrations run at
 * once and the clean-up waits for them, so nothing made in that window is left behind.
 */
let lateTasks: Set<Promise<void>> | undefined;

/**
 * Registers work for an interrupt; tasks run newest first. `first` tasks (ending the progress display) run
 * before all others, so nothing keeps claiming progress while containers are being removed.
 */
export function onInterrupt(task: CleanupTask, options: { first?: boolean } = {}): () => void {
  if (lateTasks) {
    const running = task().catch(() => undefined);
    lateTasks.add(running);
    return () => undefined;
  }
  const set = options.first ? firstTasks : tasks;
  set.add(task);
  return () => {
    set.delete(task);
  };
}

/** True once the interrupt clean-up has begun: work that would make something new must not start. */
export function interruptCleanupBegun(): boolean {
  return lateTasks !== undefined;
}

export async function runInterruptCleanup(): Promise<void> {
  const late = (lateTasks ??= new Set());
  const pending = [...firstTasks, ...[...tasks].reverse()];
  tasks.clear();
  firstTasks.clear();
  for (const task of pending) await task().catch(() => undefined);
  // Yield once so continuations already queued behind the signal can register (and so start) their removal.
  await new Promise((resolve) => setImmediate(resolve));
  while (late.size > 0) {
    const running = [...late];
    late.clear();
    await Promise.all(running);
  }
  // The CLI exits right after this; ending the late mode only matters to tests that interrupt twice.
  if (lateTasks === late) lateTasks = undefined;
}
