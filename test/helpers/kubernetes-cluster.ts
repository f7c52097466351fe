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
import path from 'node:path';
import { repoRoot } from './airlock-cli.js';

export const clusterScript = path.join(repoRoot, '.ci', 'kubernetes.sh');

export interface TestCluster {
  up: boolean;
  /** Said after a skipped test's title. */
  skipReason: string;
}

function script(...args: string[]): { ok: boolean; output: string } {
  const result = spawnSync('bash', [clusterScript, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

let cluster: TestCluster | undefined;

export function testCluster(): TestCluster {
  if (cluster) return cluster;
  if (script('status').ok) return (cluster = { up: true, skipReason: '' });
  if (process.env.AIRLOCK_TEST_KUBERNETES === '1') {
    // Asked for: a cluster that cannot be built or started fails the run instead of skipping quietly.
    const installed = script('wait-install');
    if (!installed.ok) throw new Error(`AIRLOCK_TEST_KUBERNETES=1, but building Kubernetes failed:\n${installed.output.split('\n').slice(-30).join('\n')}`);
    const started = script('up');
    if (!started.ok) throw new Error(`AIRLOCK_TEST_KUBERNETES=1, but the cluster did not start:\n${started.output.split('\n').slice(-30).join('\n')}`);
    return (cluster = { up: true, skipReason: '' });
  }
  return (cluster = {
    up: false,
    skipReason: ' (skipped: no Kubernetes cluster is up; AIRLOCK_BOOTSTRAP_KUBERNETES=1 bash .ci/bootstrap.sh, then bash .ci/kubernetes.sh wait-install && bash .ci/kubernetes.sh up, or run with AIRLOCK_TEST_KUBERNETES=1)',
  });
}
