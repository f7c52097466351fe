/**
 * Benchmark: airlock against a native `go build` loop doing the same work with the same toolchains (the very
 * trees in airlock's store), flags and parallelism, measured in the same run and reported as ratios.
 *
 *   cli     examples/cli, 2 toolchains x 6 targets, cold and warm, the sandbox images, and the seccomp
 *           profile against the engine's default (cli-scenarios.ts)
 *   peer    examples/cli, 1 toolchain x 6 targets, warm: native, airlock and GoReleaser in the same run, plus
 *           `airlock --version` and the time to the first container (peer-scenarios.ts)
 *   corpus  golangci-lint, a large real program from the corpus cache: cold from vendor/ and from a module
 *           set, no-op and incremental with --cache (corpus-scenarios.ts; needs .ci/bootstrap.sh's corpus)
 *
 * Results are printed and written to test/bench/results/<time>-<commit>.json to compare versions.
 *   npm run bench [-- --runs N] [-- --only cli|peer|corpus]
 * --warm-only: leave out the corpus's cold scenarios; --cold cold-vendor|cold-modset: only that one of them. --runs N: runs of the cli scenarios and of the corpus's cold ones (default 1); the corpus's no-op and
 * incremental scenarios, which take seconds, run max(N, 3) times.
 */
import { execa } from 'execa';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { ensureToolchains, repoRoot } from '../helpers/airlock-run.js';
import { cliScenarios } from './cli-scenarios.js';
import { corpusScenarios } from './corpus-scenarios.js';
import { peerScenarios } from './peer-scenarios.js';

const SUITES = ['cli', 'peer', 'corpus'] as const;
type Suite = (typeof SUITES)[number];

function flag(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : undefined;
}

const runs = Number(flag('--runs') ?? 1);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs takes a whole number of at least 1, not ${flag('--runs')}`);
const only = flag('--only');
if (only !== undefined && !(SUITES as readonly string[]).includes(only)) throw new Error(`--only takes one of ${SUITES.join(', ')}, not ${only}`);
const suites: readonly Suite[] = only === undefined ? SUITES : [only as Suite];
// --warm-only: the corpus's no-op and incremental scenarios without its cold ones (minutes each on 2 cores).
const warmOnly = process.argv.includes('--warm-only');
// --cold cold-vendor|cold-modset: only that cold scenario of the corpus (each takes about 25 minutes here).
const coldOnly = flag('--cold');
if (coldOnly !== undefined && !['cold-vendor', 'cold-modset'].includes(coldOnly)) throw new Error(`--cold takes cold-vendor or cold-modset, not ${coldOnly}`);

async function main(): Promise<void> {
  await ensureToolchains();
  const results: Record<string, unknown> = {};
  if (suites.includes('cli')) Object.assign(results, await cliScenarios(runs));
  if (suites.includes('peer')) results.peer = await peerScenarios(Math.max(runs, 3));
  if (suites.includes('corpus')) results.corpus = await corpusScenarios({ coldRuns: warmOnly ? 0 : runs, warmRuns: Math.max(runs, 3), ...(coldOnly ? { coldKinds: [coldOnly] } : {}) });
  const commit = (await execa('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, reject: false })).stdout || 'unknown';
  const resultsDir = path.join(repoRoot, 'test', 'bench', 'results');
  await fs.mkdirp(resultsDir);
  const file = path.join(resultsDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${commit}.json`);
  const machine = { cpus: os.availableParallelism(), memoryBytes: os.totalmem(), platform: `${os.platform()}/${os.arch()}`, node: process.version };
  await fs.writeFile(file, `${JSON.stringify({ commit, date: new Date().toISOString(), machine, suites, ...results }, null, 2)}\n`);
  console.log(`results written to ${path.relative(repoRoot, file)}`);
}

await main();
