/**
 * Work to undo if the process is interrupted: removing containers and volumes, discarding staged outputs.
 * The CLI runs these on SIGINT/SIGTERM; stages register and unregister as they go.
 */
type CleanupTask = () => Promise<void>;

const tasks = new Set<CleanupTask>();

export function onInterrupt(task: CleanupTask): () => void {
  tasks.add(task);
  return () => {
    tasks.delete(task);
  };
}

export async function runInterruptCleanup(): Promise<void> {
  const pending = [...tasks].reverse();
  tasks.clear();
  for (const task of pending) await task().catch(() => undefined);
}
