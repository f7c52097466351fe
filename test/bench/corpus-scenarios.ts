/**
 * The corpus scenarios: golangci-lint (a large real program, test/corpus/corpus.json) built by airlock and by a
 * native `go build` loop with the same toolchain tree (go1.26.8 from airlock's store), flags and parallelism
 * (2 builds at a time), in the same run, every output compared byte for byte.
 *
 *   cold-vendor   4 targets from vendor/. airlock: after `airlock prune` (no image, no cache volumes), each build
 *                 with an empty GOCACHE. native: each build with an empty GOCACHE of its own.
 *   cold-modset   the same from a module set (`--modules`, no vendor/); native: module mode from the corpus cache.
 *   no-op         2 targets, `--cache` volumes warm, nothing changed. native: the warm GOCACHE of each target.
 *   incremental   2 targets, `--cache` warm, one file of a leaf package changed (a new unexported function
 *                 appended, a different one each run). native: warm GOCACHE per target, the same change.
 *
 * Cold scenarios run `coldRuns` times, the others `warmRuns` times (medians are reported).
 */
import { execa } from 'execa';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import pLimit from 'p-limit';
import {
  corpusBinaryName,
  corpusEntry,
  corpusModuleSet,
  corpusProgram,
  nativeBuild,
  requireCorpus,
  storedGoroots,
} from '../helpers/corpus.js';
import { type ScenarioResult, airlock, printScenarios, scenarioResult, time } from './measure.js';

const PROGRAM = 'golangci-lint';
const TOOLCHAIN = 'go1.26.8';
const JOBS = 2;
const COLD_TARGETS = ['linux/amd64', 'linux/arm64', 'darwin/arm64', 'windows/amd64'];
const WARM_TARGETS = ['linux/amd64', 'darwin/arm64'];
/** A leaf package: only pkg/lint/lintersdb imports it, and an unexported function leaves its export data alone. */
const LEAF_FILE = 'pkg/golinters/whitespace/whitespace.go';

const program = corpusEntry(PROGRAM);
type Mode = 'vendor' | 'mod';

interface Copy {
  dir: string;
  mode: Mode;
  /** Extra `airlock build` flags for this copy (the module set). */
  extra: string[];
}

/** The native loop: one build per target, JOBS at a time, each with the GOCACHE `cacheFor` gives it. */
async function nativeBuilds(copy: Copy, goroot: string, targets: readonly string[], out: string, cacheFor: (target: string) => string): Promise<void> {
  await fs.mkdirp(out);
  const limit = pLimit(JOBS);
  // Every build is let finish before a failure is reported, so that none is still writing when the scratch
  // directory is removed.
  const settled = await Promise.allSettled(
    targets.map((target) =>
      limit(() => nativeBuild(copy.dir, { goroot, target, main: program.main, tags: program.tags, mode: copy.mode, gocache: cacheFor(target), out: path.join(out, corpusBinaryName(program, target)) })),
    ),
  );
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
}

async function airlockBuild(copy: Copy, targets: readonly string[], out: string, extra: string[] = []): Promise<void> {
  const targetArgs = targets.flatMap((target) => ['--target', target]);
  await airlock(['build', copy.dir, '--go', TOOLCHAIN.replace(/^go/, ''), '--jobs', String(JOBS), ...targetArgs, '--out', out, '--quiet', ...copy.extra, ...extra]);
}

/** Both sides must have written the same bytes, or the comparison means nothing. */
async function assertSameBytes(targets: readonly string[], native: string, built: string, scenario: string): Promise<void> {
  for (const target of targets) {
    const name = corpusBinaryName(program, target);
    const [a, b] = await Promise.all([fs.readFile(path.join(native, name)), fs.readFile(path.join(built, name))]);
    if (!a.equals(b)) throw new Error(`${scenario}: ${name} from airlock differs from the native go build`);
  }
}

/** Runs the corpus scenarios; returns what goes into the results file. */
export async function corpusScenarios(options: { coldRuns: number; warmRuns: number; coldKinds?: readonly string[] }): Promise<Record<string, unknown>> {
  requireCorpus([PROGRAM]);
  const goroot = (await storedGoroots()).get(TOOLCHAIN);
  if (goroot === undefined) throw new Error(`${TOOLCHAIN} is not in the test store`);
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-bench-corpus-'));
  const removals: string[] = [scratch];
  try {
    console.log(`airlock benchmark: ${program.module}@${program.version} (${program.main}), ${TOOLCHAIN}, ${JOBS} builds at a time`);
    const vendored = await corpusProgram(undefined, PROGRAM, { vendor: true });
    removals.push(path.dirname(vendored.dir));
    const packSeconds = await time(async () => {
      const set = await corpusModuleSet(undefined, PROGRAM);
      removals.push(path.dirname(set));
      await fs.move(set, path.join(scratch, 'modules.tar.gz'));
    });
    const unvendored = await corpusProgram(undefined, PROGRAM, { vendor: false });
    removals.push(path.dirname(unvendored.dir));
    const copies: Record<Mode, Copy> = {
      vendor: { dir: vendored.dir, mode: 'vendor', extra: [] },
      mod: { dir: unvendored.dir, mode: 'mod', extra: ['--modules', path.join(scratch, 'modules.tar.gz'), '--allow-unproven'] },
    };

    const rows: ScenarioResult[] = [];
    const cold = async (kind: string, copy: Copy) => {
      const samples = { native: [] as number[], airlock: [] as number[] };
      for (let run = 0; run < options.coldRuns; run++) {
        const native = path.join(scratch, `${kind}-${run}-native`);
        samples.native.push(await time(() => nativeBuilds(copy, goroot, COLD_TARGETS, native, (target) => path.join(scratch, `gocache-${kind}-${run}-${target.replace('/', '-')}`))));
        await airlock(['prune']);
        const built = path.join(scratch, `${kind}-${run}-airlock`);
        samples.airlock.push(await time(() => airlockBuild(copy, COLD_TARGETS, built)));
        await assertSameBytes(COLD_TARGETS, native, built, kind);
        console.log(`${kind} run ${run + 1}: native ${samples.native.at(-1)!.toFixed(1)} s, airlock ${samples.airlock.at(-1)!.toFixed(1)} s`);
      }
      rows.push(scenarioResult(kind, samples));
    };
    const coldKinds = options.coldKinds ?? ['cold-vendor', 'cold-modset'];
    if (options.coldRuns > 0) {
      if (coldKinds.includes('cold-vendor')) await cold('cold-vendor', copies.vendor);
      if (coldKinds.includes('cold-modset')) await cold('cold-modset', copies.mod);
    }

    // Warm caches for the vendored copy: native, the cold run's GOCACHE of each target (already holding this
    // very build), or a first native build when the cold scenarios were left out; airlock, a first --cache
    // run, not measured.
    const warmCache = (target: string) => path.join(scratch, `gocache-cold-vendor-0-${target.replace('/', '-')}`);
    if (options.coldRuns === 0 || !coldKinds.includes('cold-vendor')) await nativeBuilds(copies.vendor, goroot, WARM_TARGETS, path.join(scratch, 'warmup-native'), warmCache);
    await airlockBuild(copies.vendor, WARM_TARGETS, path.join(scratch, 'warmup-airlock'), ['--cache']);
    const warm = async (kind: string, change: (run: number) => Promise<void>) => {
      const samples = { native: [] as number[], airlock: [] as number[] };
      for (let run = 0; run < options.warmRuns; run++) {
        await change(run);
        const native = path.join(scratch, `${kind}-${run}-native`);
        samples.native.push(await time(() => nativeBuilds(copies.vendor, goroot, WARM_TARGETS, native, warmCache)));
        const built = path.join(scratch, `${kind}-${run}-airlock`);
        samples.airlock.push(await time(() => airlockBuild(copies.vendor, WARM_TARGETS, built, ['--cache'])));
        await assertSameBytes(WARM_TARGETS, native, built, kind);
        console.log(`${kind} run ${run + 1}: native ${samples.native.at(-1)!.toFixed(2)} s, airlock ${samples.airlock.at(-1)!.toFixed(2)} s`);
      }
      rows.push(scenarioResult(kind, samples));
    };
    await warm('no-op', async () => undefined);
    const leaf = path.join(copies.vendor.dir, LEAF_FILE);
    await warm('incremental', (run) => fs.appendFile(leaf, `\n// Changed by the bench (run ${run + 1}).\nfunc airlockBenchChange${run + 1}() int { return ${run + 1} }\n`));

    printScenarios(rows);
    console.log(`airlock modules pack of ${PROGRAM}, offline from the corpus cache: ${packSeconds.toFixed(1)} s (not in the ratios)`);
    return {
      program: { name: program.name, module: program.module, version: program.version, main: program.main },
      toolchain: TOOLCHAIN,
      jobs: JOBS,
      targets: { cold: COLD_TARGETS, warm: WARM_TARGETS },
      leafFile: LEAF_FILE,
      coldRuns: options.coldRuns,
      coldScenarios: options.coldRuns > 0 ? coldKinds : [],
      warmRuns: options.warmRuns,
      modulePackSeconds: packSeconds,
      scenarios: rows,
    };
  } finally {
    for (const dir of removals) {
      await execa('chmod', ['-R', 'u+w', dir], { reject: false });
      // A failure to clean up is reported but never hides the error that got us here.
      await fs.remove(dir).catch((error: unknown) => console.error(`could not remove ${dir}: ${String(error)}`));
    }
  }
}
