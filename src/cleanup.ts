/**
 * Work to undo if the process is interrupted: removing containers and volumes, discarding staged outputs.
 * The CLI runs these on SIGINT/SIGTERM; stages register and unregister as they go.
 */
type CleanupTask = () => Promise<void>;

const tasks = new Set<CleanupTask>();
const firstTasks = new Set<CleanupTask>();

/**
 * Registers work for an interrupt; tasks run newest first. `first` tasks (ending the progress display) run
 * before all others, so nothing keeps claiming progress while containers are being removed.
 */
export function onInterrupt(task: CleanupTask, options: { first?: boolean } = {}): () => void {
  const set = options.first ? firstTasks : tasks;
  set.add(task);
  return () => {
    set.delete(task);
  };
}

export async function runInterruptCleanup(): Promise<void> {
  const pending = [...firstTasks, ...[...tasks].reverse()];
  tasks.clear();
  firstTasks.clear();
  for (const task of pending) await task().catch(() => undefined);
}
