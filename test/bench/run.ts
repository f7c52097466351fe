/**
 * Benchmark: airlock against a native `go build` of the same module with the same toolchain version and
 * flags, measured in the same run, reported as ratios. Both build from a cold build cache (airlock's
 * containers always start with an empty GOCACHE) and one target at a time (airlock with --jobs 1), so the
 * ratio is the sandbox's cost.
 *   npm run bench [-- --runs N]
 */
import { execa } from 'execa';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { cliPath, copyModule, ensureToolchains, hostGoVersion, runAirlock, testHome } from '../helpers/airlock-run.js';

const runsFlag = process.argv.indexOf('--runs');
const RUNS = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function time(run: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await run();
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  await ensureToolchains();
  const version = await hostGoVersion();
  const module = await copyModule('examples/hello');
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-bench-'));
  // Build the sandbox image outside the measurement: it is made once per toolchain.
  await runAirlock(['build', module, '--go', version, '--out', path.join(scratch, 'warmup')]);
  const scenarios: Array<{ name: string; targets: string[] }> = [
    { name: 'hello, 1 target', targets: ['linux/amd64'] },
    { name: 'hello, 4 targets', targets: ['linux/amd64', 'linux/arm64', 'darwin/arm64', 'windows/amd64'] },
  ];
  console.log(`airlock benchmark: ${version}, ${os.availableParallelism()} CPUs, median of ${RUNS} runs, cold build cache`);
  console.log('scenario            native go build   airlock build   ratio');
  for (const scenario of scenarios) {
    const native: number[] = [];
    const airlock: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      native.push(
        await time(async () => {
          for (const target of scenario.targets) {
            const [goos, goarch] = target.split('/') as [string, string];
            const cache = path.join(scratch, `gocache-${run}-${goos}-${goarch}`);
            await execa('go', ['build', '-trimpath', '-buildvcs=false', '-ldflags=-buildid=', '-o', path.join(scratch, `native-${goos}-${goarch}`), '.'], {
              cwd: module,
              env: { GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOOS: goos, GOARCH: goarch, GOCACHE: cache, GOFLAGS: '', GOPROXY: 'off' },
            });
            await fs.remove(cache);
          }
        }),
      );
      airlock.push(
        await time(async () => {
          const out = path.join(scratch, `airlock-${run}`);
          const result = await execa('node', [cliPath, 'build', module, '--go', version, '--out', out, '--quiet', '--jobs', '1', ...scenario.targets.flatMap((t) => ['--target', t])], {
            reject: false,
            env: { AIRLOCK_HOME: testHome },
          });
          if (result.exitCode !== 0) throw new Error(`airlock build failed: ${result.stderr}`);
        }),
      );
    }
    const n = median(native);
    const a = median(airlock);
    console.log(`${scenario.name.padEnd(20)}${`${n.toFixed(2)} s`.padEnd(18)}${`${a.toFixed(2)} s`.padEnd(16)}${(a / n).toFixed(2)}x`);
  }
  // The strict seccomp profile against the engine's default, same build, same run.
  const profiles: Record<string, number[]> = { strict: [], 'engine-default': [] };
  for (let run = 0; run < RUNS; run++) {
    for (const profile of Object.keys(profiles)) {
      profiles[profile]!.push(
        await time(async () => {
          const out = path.join(scratch, `seccomp-${profile}-${run}`);
          const result = await execa('node', [cliPath, 'build', module, '--go', version, '--out', out, '--quiet', ...(profile === 'strict' ? [] : ['--seccomp', 'engine-default'])], {
            reject: false,
            env: { AIRLOCK_HOME: testHome },
          });
          if (result.exitCode !== 0) throw new Error(`airlock build failed: ${result.stderr}`);
        }),
      );
    }
  }
  const strict = median(profiles.strict!);
  const engineDefault = median(profiles['engine-default']!);
  console.log(`seccomp: strict ${strict.toFixed(2)} s, engine default ${engineDefault.toFixed(2)} s, ratio ${(strict / engineDefault).toFixed(3)} (target <= 1.03)`);
  await fs.remove(scratch);
  await fs.remove(path.dirname(module));
}

await main();
