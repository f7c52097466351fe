import { execa } from 'execa';

export interface GitFacts {
  commit: string;
  dirty: boolean;
  /** The commit's committer time, seconds since the epoch. */
  commitTime: number;
}

/** The commit of a git checkout holding the module, and whether the module's files differ from it. */
export async function readGitFacts(moduleDir: string): Promise<GitFacts | undefined> {
  // The three questions are independent: asked at once, they cost one subprocess's wait, not three.
  const [head, status, time] = await Promise.all([
    execa('git', ['-C', moduleDir, 'rev-parse', 'HEAD'], { reject: false }),
    execa('git', ['-C', moduleDir, 'status', '--porcelain', '--', '.'], { reject: false }),
    execa('git', ['-C', moduleDir, 'log', '-1', '--format=%ct', 'HEAD'], { reject: false }),
  ]);
  if (head.exitCode !== 0 || !/^[0-9a-f]{40,64}$/.test(String(head.stdout).trim())) return undefined;
  return {
    commit: String(head.stdout).trim(),
    dirty: status.exitCode !== 0 || String(status.stdout).trim() !== '',
    commitTime: Number.parseInt(String(time.stdout).trim(), 10) || 0,
  };
}
