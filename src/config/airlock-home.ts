import path from 'node:path';

/** Where airlock keeps its state: AIRLOCK_HOME, else $XDG_CACHE_HOME/airlock, else ~/.cache/airlock. */
export function resolveAirlockHome(env: NodeJS.ProcessEnv, homeDir: string): string {
  if (env.AIRLOCK_HOME) return path.resolve(env.AIRLOCK_HOME);
  if (env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)) return path.join(env.XDG_CACHE_HOME, 'airlock');
  return path.join(homeDir, '.cache', 'airlock');
}
