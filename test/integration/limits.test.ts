/**
 * Real builds stopped by each sandbox limit, lowered in airlock.json: the error line names the limit, its value
 * and its key, --report carries the failure reason, the hint never blames the code, and nothing is left behind.
 * Limits too small for anything to run are refused before any container starts.
 */
import type { ExecutionContext } from 'ava';
import fs from 'fs-extra';
import path from 'node:path';
import { assertCleanFailure, copyModule, ensureToolchains, integration, managedContainers, managedVolumes, runAirlock } from '../helpers/airlock-cli.js';
import { corpusIntegration, corpusProgram } from '../helpers/corpus-integration.js';

interface LimitCase {
  sandbox: Record<string, number>;
  reason: string;
  message: RegExp;
  module?: string;
  args?: string[];
}

async function buildUnderLimit(t: ExecutionContext, limit: LimitCase): Promise<void> {
  await ensureToolchains();
  const containersBefore = new Set(await managedContainers());
  const volumesBefore = new Set(await managedVolumes());
  const module = limit.module ?? (await copyModule('examples/cli'));
  await fs.writeJson(path.join(module, 'airlock.json'), { sandbox: limit.sandbox });
  const report = path.join(path.dirname(module), 'report.json');
  const result = await runAirlock(['build', module, '--go', '1.26.8', '--report', report, ...(limit.args ?? [])]);
  assertCleanFailure(t, result, 3, limit.message);
  t.notRegex(result.stderr.split('\n').find((line) => line.startsWith('airlock: error:')) ?? '', /fix the errors the go command reports/, 'a limit is never blamed on the code');
  const written = (await fs.readJson(report)) as { targets: Array<{ state: string; reason?: string }> };
  t.deepEqual(
    written.targets.map((target) => [target.state, target.reason]),
    written.targets.map(() => ['failed', limit.reason]),
  );
  t.false(await fs.pathExists(path.join(module, 'dist')), 'no output directory');
  t.deepEqual((await managedContainers()).filter((id) => !containersBefore.has(id)), [], 'no container left');
  t.deepEqual((await managedVolumes()).filter((name) => !volumesBefore.has(name)), [], 'no work or scratch volume left');
}

integration('a build that needs more threads than sandbox.pids allows fails as pids-limit, naming the limit and its key', async (t) => {
  await buildUnderLimit(t, { sandbox: { pids: 12 }, reason: 'pids-limit', message: /hit the sandbox's limit of 12 processes and threads \(sandbox\.pids\); raise sandbox\.pids in airlock\.json/ });
});

integration('a build that opens more files than sandbox.nofile allows fails as nofile-limit, naming the limit and its key', async (t) => {
  await buildUnderLimit(t, { sandbox: { nofile: 12 }, reason: 'nofile-limit', message: /hit the sandbox's limit of 12 open files \(sandbox\.nofile\); raise sandbox\.nofile in airlock\.json/ });
});

integration('a real build over sandbox.memoryMiB is killed and fails as out-of-memory, naming the limit and its key', async (t) => {
  await buildUnderLimit(t, { sandbox: { memoryMiB: 256 }, reason: 'out-of-memory', message: /ran out of memory: the sandbox's limit is 256 MiB \(sandbox\.memoryMiB\)/ });
});

// dasel (13 modules, a 13 MB binary) writes its first 64 MiB of scratch within seconds and needs about a minute
// in all here, so the scratch guard (which looks every 5 s) and the time limit stop it long before it finishes.
corpusIntegration('a real build writing more scratch than sandbox.scratchMiB is stopped by the guard as disk-full, naming the limit and its key', ['dasel'], async (t) => {
  const { dir } = await corpusProgram(t, 'dasel', { vendor: true });
  await buildUnderLimit(t, {
    module: dir,
    sandbox: { scratchMiB: 64 },
    reason: 'disk-full',
    message: /was stopped: it wrote \d+ MiB of scratch \(build cache and work files\), more than the sandbox's limit of 64 MiB \(sandbox\.scratchMiB\); raise sandbox\.scratchMiB/,
  });
});

corpusIntegration('a real build running past sandbox.timeoutSeconds is killed as timeout, naming the limit and its key', ['dasel'], async (t) => {
  const { dir } = await corpusProgram(t, 'dasel', { vendor: true });
  await buildUnderLimit(t, {
    module: dir,
    sandbox: { timeoutSeconds: 10 },
    reason: 'timeout',
    message: /timed out: it ran for the sandbox's limit of 10s \(sandbox\.timeoutSeconds\) and was killed; raise sandbox\.timeoutSeconds/,
  });
});

integration('limits that are not positive whole numbers, or too small for anything to run, are refused before any container starts', async (t) => {
  const before = new Set(await managedContainers());
  const module = await copyModule('examples/hello');
  for (const [sandbox, message] of [
    [{ pids: 4 }, /sandbox\.pids: too small: the smallest value accepted is 12/],
    [{ nofile: 8 }, /sandbox\.nofile: too small: the smallest value accepted is 12/],
    [{ scratchMiB: 10 }, /sandbox\.scratchMiB: too small: the smallest value accepted is 64/],
    [{ scratchMiB: 100.5 }, /sandbox\.scratchMiB: must be a whole number/],
    [{ memoryMiB: -1 }, /sandbox\.memoryMiB: too small: the smallest value accepted is 256/],
    [{ timeoutSeconds: '60' }, /sandbox\.timeoutSeconds: must be a whole number/],
  ] as const) {
    await fs.writeJson(path.join(module, 'airlock.json'), { sandbox });
    assertCleanFailure(t, await runAirlock(['build', module]), 2, message);
  }
  t.false(await fs.pathExists(path.join(module, 'dist')));
  t.deepEqual((await managedContainers()).filter((id) => !before.has(id)), []);
});
