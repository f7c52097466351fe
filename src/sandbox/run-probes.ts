import { randomBytes } from 'node:crypto';
import fs from 'fs-extra';
import type { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import type { ContainerEngine, SeccompSetting } from '../engine/engine.js';
import { VerificationError } from '../errors.js';
import { LABEL_MANAGED, LABEL_RUN, type SandboxPolicy, SandboxPaths, sandboxContainerSpec } from './policy.js';
import type { ResourceTracker } from './resource-tracker.js';

export interface ProbeResult {
  probe: string;
  category: string;
  expected: string;
  outcome: 'denied' | 'allowed' | 'skipped';
  detail: string;
}

/** Reads the probe program's JSON lines; anything else it prints is ignored. */
export function parseProbeOutput(stdout: string): ProbeResult[] {
  const results: ProbeResult[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const value = JSON.parse(line) as Partial<ProbeResult> & { summary?: boolean };
      if (value.summary || typeof value.probe !== 'string') continue;
      results.push({
        probe: value.probe,
        category: String(value.category ?? ''),
        expected: String(value.expected ?? 'denied'),
        outcome: value.outcome === 'allowed' || value.outcome === 'skipped' ? value.outcome : 'denied',
        detail: String(value.detail ?? ''),
      });
    } catch {
      // a partial line from a probe killed mid-write
    }
  }
  return results;
}

function probeArchive(binary: Buffer): Readable {
  const pack = tarStream.pack();
  pack.entry({ name: 'probe', mode: 0o755, size: binary.length, mtime: new Date(0), uid: 0, gid: 0 }, binary);
  pack.finalize();
  return pack as unknown as Readable;
}

/** A probe whose outcome is not what the policy should make of it: allowed where denied is expected (an escape), or the reverse. */
export function unexpectedOutcome(result: ProbeResult): 'escaped' | 'blocked' | undefined {
  if (result.outcome === 'skipped' || result.outcome === result.expected) return undefined;
  return result.outcome === 'allowed' ? 'escaped' : 'blocked';
}

/**
 * Runs the escape-probe program inside a container with exactly the build (or test) sandbox's policy and returns one
 * result per probe. The probes that can hang or kill run in child processes; the container still gets a
 * bounded wall-clock time.
 */
export async function runProbesInSandbox(
  engine: ContainerEngine,
  tracker: ResourceTracker,
  policy: SandboxPolicy,
  options: { image: string; probeBinary: string; seccomp?: SeccompSetting; timeoutSeconds?: number; purpose?: 'build' | 'test' },
): Promise<ProbeResult[]> {
  const runId = randomBytes(6).toString('hex');
  const name = `airlock-probe-${runId}`;
  const labels = { [LABEL_MANAGED]: 'true', [LABEL_RUN]: runId, 'airlock.purpose': 'probe' };
  await tracker.createVolume(name, labels);
  let id: string | undefined;
  try {
    id = await tracker.createContainer(
      sandboxContainerSpec(policy, {
        name,
        image: options.image,
        volume: name,
        command: [`${SandboxPaths.work}/probe`],
        // AIRLOCK_PROBE_POLICY tells the probes what the policy allows by design (the test policy: loopback).
        env: { AIRLOCK_PROBE_IN_SANDBOX: '1', AIRLOCK_PROBE_POLICY: options.purpose ?? 'build', GODEBUG: 'netdns=go', HOME: `${SandboxPaths.tmp}`, TMPDIR: SandboxPaths.tmp },
        labels,
        ...(options.seccomp ? { seccomp: options.seccomp } : {}),
      }),
    );
    await engine.putArchive(id, SandboxPaths.work, probeArchive(await fs.readFile(options.probeBinary)));
    await engine.start(id);
    const exit = await engine.wait(id, (options.timeoutSeconds ?? 600) * 1000);
    const logs = await engine.logs(id);
    const results = parseProbeOutput(logs.stdout);
    if (results.length === 0) {
      throw new VerificationError(`the probe program printed no results (exit ${exit.exitCode}${exit.timedOut ? ', timed out' : ''})`, {
        hint: 'run with --debug to see its output',
        details: `${logs.stdout}\n${logs.stderr}`.trim(),
      });
    }
    return results;
  } finally {
    if (id !== undefined) await tracker.removeContainer(name);
    await tracker.removeVolume(name);
  }
}
