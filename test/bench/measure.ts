/** What every bench scenario shares: timing, medians, and running airlock against the test store. */
import { execa } from 'execa';
import { performance } from 'node:perf_hooks';
import { cliPath, testHome } from '../helpers/airlock-run.js';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Seconds `run` takes. */
export async function time(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return (performance.now() - started) / 1000;
}

/** Runs the airlock CLI on the test store; throws with its stderr when it fails. Returns stdout. */
export async function airlock(args: string[]): Promise<string> {
  const result = await execa('node', [cliPath, ...args], { reject: false, env: { AIRLOCK_HOME: testHome } });
  if (result.exitCode !== 0) throw new Error(`airlock ${args[0]} failed: ${String(result.stderr)}`);
  return String(result.stdout);
}

/** One scenario's figures: medians of the samples, and airlock's time as a multiple of native's. */
export interface ScenarioResult {
  kind: string;
  native: number;
  airlock: number;
  ratio: number;
  goal?: number;
  samples: { native: number[]; airlock: number[] };
}

export function scenarioResult(kind: string, samples: { native: number[]; airlock: number[] }, goal?: number): ScenarioResult {
  const native = median(samples.native);
  const built = median(samples.airlock);
  return { kind, native, airlock: built, ratio: built / native, ...(goal === undefined ? {} : { goal }), samples };
}

export function printScenarios(rows: readonly ScenarioResult[]): void {
  console.log('scenario          native go build  airlock build  ratio   goal');
  for (const row of rows) {
    const goal = row.goal === undefined ? '' : `<= ${row.goal}x`;
    console.log(`${row.kind.padEnd(18)}${`${row.native.toFixed(2)} s`.padEnd(17)}${`${row.airlock.toFixed(2)} s`.padEnd(15)}${`${row.ratio.toFixed(2)}x`.padEnd(8)}${goal}`);
  }
}
