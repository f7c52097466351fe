import { execa } from 'execa';

export interface GitFacts {
  commit: string;
  dirty: boolean;
  /** The commit's committer time, seconds since the epoch. */
  commitTime: number;
  /** The `origin` remote's URL, credentials removed; absent when the checkout has no origin. */
  remote?: string;
  /** The tags pointing at the commit, sorted. */
  tags: string[];
}

/** The commit of a git checkout holding the module, and whether the module's files differ from it. */
export async function readGitFacts(moduleDir: string): Promise<GitFacts | undefined> {
  // The questions are independent: asked at once, they cost one subprocess's wait, not five.
  const git = (args: string[]) => execa('git', ['-C', moduleDir, ...args], { reject: false });
  const [head, status, time, remote, tags] = await Promise.all([
    git(['rev-parse', 'HEAD']),
    git(['status', '--porcelain', '--', '.']),
    git(['log', '-1', '--format=%ct', 'HEAD']),
    git(['config', '--get', 'remote.origin.url']),
    git(['tag', '--points-at', 'HEAD']),
  ]);
  if (head.exitCode !== 0 || !/^[0-9a-f]{40,64}$/.test(String(head.stdout).trim())) return undefined;
  const origin = remote.exitCode === 0 ? withoutCredentials(String(remote.stdout).trim()) : '';
  return {
    commit: String(head.stdout).trim(),
    dirty: status.exitCode !== 0 || String(status.stdout).trim() !== '',
    commitTime: Number.parseInt(String(time.stdout).trim(), 10) || 0,
    ...(origin !== '' ? { remote: origin } : {}),
    tags: tags.exitCode === 0 ? String(tags.stdout).split('\n').map((tag) => tag.trim()).filter((tag) => tag !== '').sort() : [],
  };
}

/**
 * A remote URL as it may be published: a CI checkout's origin often carries a token
 * (`https://gitlab-ci-token:SECRET@host/group/repo.git`), which must never reach a provenance file.
 */
export function withoutCredentials(url: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    try {
      const parsed = new URL(url);
      parsed.username = '';
      parsed.password = '';
      return parsed.href;
    } catch {
      return url.replace(/\/\/[^/@]*@/, '//');
    }
  }
  // scp-like `user@host:path` names an ssh user, not a secret.
  return url;
}
