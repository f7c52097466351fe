/**
 * The real single-node cluster the Kubernetes tests run on (.ci/kubernetes.sh). A test file asks for it once, at
 * load time, to decide whether its tests run or are skipped with a reason:
 *
 * - a cluster that is up is used as it is;
 * - with AIRLOCK_TEST_KUBERNETES=1 (what .ci/run sets), the bootstrap's background build of Kubernetes is waited
 *   for and the cluster is started; whoever set the variable stops it (.ci/run does, when it exits);
 * - otherwise the tests are skipped, and their titles say how to start one.
 */
import { spawnSync } from 'node:child_process';
import { execa } from 'execa';
import path from 'node:path';
import { repoRoot } from './airlock-cli.js';

export const clusterScript = path.join(repoRoot, '.ci', 'kubernetes.sh');

export interface TestCluster {
  /** Whether the file's tests run: a cluster is up, or is to be started for them. */
  up: boolean;
  /** Said after a skipped test's title. */
  skipReason: string;
}

let cluster: TestCluster | undefined;

/** Decided when a test file loads, without waiting: the waiting is done in the first test (ensureClusterUp). */
export function testCluster(): TestCluster {
  if (cluster) return cluster;
  const up = spawnSync('bash', [clusterScript, 'status'], { stdio: 'ignore' }).status === 0;
  if (up || process.env.AIRLOCK_TEST_KUBERNETES === '1') return (cluster = { up: true, skipReason: '' });
  return (cluster = {
    up: false,
    skipReason: ' (skipped: no Kubernetes cluster is up; AIRLOCK_BOOTSTRAP_KUBERNETES=1 bash .ci/bootstrap.sh, then bash .ci/kubernetes.sh wait-install && bash .ci/kubernetes.sh up, or run with AIRLOCK_TEST_KUBERNETES=1)',
  });
}

let started: Promise<void> | undefined;

/**
 * Waits, in a test, for the cluster: with AIRLOCK_TEST_KUBERNETES=1 for the bootstrap's background build of
 * Kubernetes (minutes on a cold machine) and then for `up`. A cluster that cannot be built or started fails the
 * test instead of skipping it quietly.
 */
export async function ensureClusterUp(t: { timeout(ms: number, message?: string): void }): Promise<void> {
  t.timeout(45 * 60_000, 'waiting for the Kubernetes build and the cluster');
  started ??= (async () => {
    if ((await execa('bash', [clusterScript, 'status'], { reject: false })).exitCode === 0) return;
    for (const step of ['wait-install', 'up']) {
      const result = await execa('bash', [clusterScript, step], { reject: false, all: true });
      if (result.exitCode !== 0) throw new Error(`bash .ci/kubernetes.sh ${step} failed:\n${(result.all ?? '').split('\n').slice(-30).join('\n')}`);
    }
  })();
  await started;
}
