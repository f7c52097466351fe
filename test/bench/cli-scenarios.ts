/**
 * The examples/cli scenarios: airlock against a native `go build` loop doing the same work with the same
 * toolchains (the very trees in airlock's store), flags and parallelism, measured in the same run.
 *
 *   cold  airlock: no sandbox image and no build cache (after `airlock prune`); each build starts with
 *         an empty GOCACHE. native: every build with an empty GOCACHE of its own.
 *   image a toolchain's sandbox image built on its own (after `airlock prune`), and as the cold run builds
 *         it, beside the other toolchain's.
 *   warm  airlock: images present, `--cache` volumes warmed by a first run. native: GOCACHE per toolchain and
 *         target warmed by a first run.
 *
 * The matrix is examples/cli (cobra, uuid, go-humanize, vendored) for 2 toolchains x 6 targets, and the
 * strict seccomp profile against the engine's default on examples/hello.
 */
import { execa } from 'execa';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import pLimit from 'p-limit';
import { TEST_TOOLCHAINS, copyModule } from '../helpers/airlock-run.js';
import { storedGoroots } from '../helpers/corpus.js';
import { airlock, median, time } from './measure.js';

const TARGETS = ['linux/amd64', 'linux/arm64', 'darwin/amd64', 'darwin/arm64', 'windows/amd64', 'freebsd/amd64'];
const JOBS = os.availableParallelism();
const GOALS = { warm: 1.15, cold: 1.1, imageSeconds: 15 };

/** The native loop: the same 12 builds, `JOBS` at a time, each with the cache `cacheFor` gives it. */
async function nativeBuilds(module: string, goroots: Map<string, string>, out: string, cacheFor: (version: string, target: string) => string): Promise<void> {
  const limit = pLimit(JOBS);
  await Promise.all(
    [...goroots].flatMap(([version, goroot]) =>
      TARGETS.map((target) =>
        limit(async () => {
          const [goos, goarch] = target.split('/') as [string, string];
          await execa(path.join(goroot, 'bin', 'go'), ['build', '-mod=vendor', '-trimpath', '-buildvcs=false', '-ldflags=-buildid=', '-o', path.join(out, `${version}-${goos}-${goarch}`), './cmd/cli'], {
            cwd: module,
            env: { GOROOT: goroot, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOOS: goos, GOARCH: goarch, GOCACHE: cacheFor(version, target), GOFLAGS: '', GOPROXY: 'off' },
          });
        }),
      ),
    ),
  );
}

function airlockBuildArgs(module: string, out: string, extra: string[] = []): string[] {
  return ['build', module, '--out', out, '--jobs', String(JOBS), ...TEST_TOOLCHAINS.flatMap((version) => ['--go', version.replace(/^go/, '')]), ...TARGETS.flatMap((target) => ['--target', target]), ...extra];
}

/** Seconds each toolchain's image took, from the JSON events: preparing-image to building of its first job. */
function imageSeconds(events: string): Record<string, number> {
  const parsed = events
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; id?: string; state?: string; time: string });
  const seconds: Record<string, number> = {};
  for (const version of TEST_TOOLCHAINS) {
    const jobs = parsed.filter((event) => event.type === 'job' && event.id?.startsWith(`${version}-`));
    const first = jobs.find((event) => event.state === 'preparing-image');
    const building = jobs.find((event) => event.state === 'building');
    if (first && building) seconds[version] = (Date.parse(building.time) - Date.parse(first.time)) / 1000;
  }
  return seconds;
}

/** Runs the examples/cli scenarios `runs` times; returns what goes into the results file. */
export async function cliScenarios(runs: number): Promise<Record<string, unknown>> {
  const stored = await storedGoroots();
  const goroots = new Map(TEST_TOOLCHAINS.map((version) => [version, stored.get(version)!] as const));
  const module = await copyModule('examples/cli');
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-bench-'));
  const figures = { cold: { native: [] as number[], airlock: [] as number[] }, warm: { native: [] as number[], airlock: [] as number[] } };
  const images: Array<Record<string, number>> = [];
  const concurrentImages: Array<Record<string, number>> = [];
  console.log(`airlock benchmark: examples/cli, ${TEST_TOOLCHAINS.join(' + ')} x ${TARGETS.length} targets, ${JOBS} at a time, median of ${runs} run(s)`);
  for (let run = 0; run < runs; run++) {
    // Cold.
    figures.cold.native.push(
      await time(async () => {
        let n = 0;
        await nativeBuilds(module, goroots, path.join(scratch, `native-cold-${run}`), () => path.join(scratch, `gocache-cold-${run}-${n++}`));
      }),
    );
    // A toolchain's image on its own (the cold run builds both at once, which makes each look slower).
    const alone: Record<string, number> = {};
    for (const version of TEST_TOOLCHAINS) {
      await airlock(['prune']);
      const events = await airlock(['build', module, '--out', path.join(scratch, `image-${version}-${run}`), '--go', version.replace(/^go/, ''), '--target', 'linux/amd64', '--json']);
      alone[version] = imageSeconds(events)[version] ?? NaN;
    }
    images.push(alone);
    await airlock(['prune']);
    let events = '';
    figures.cold.airlock.push(
      await time(async () => {
        events = await airlock(airlockBuildArgs(module, path.join(scratch, `airlock-cold-${run}`), ['--json']));
      }),
    );
    concurrentImages.push(imageSeconds(events));
    // Warm: a first run fills the caches, the second is measured.
    const nativeCache = (version: string, target: string) => path.join(scratch, `gocache-warm-${version}-${target.replace('/', '-')}`);
    await nativeBuilds(module, goroots, path.join(scratch, `native-warmup-${run}`), nativeCache);
    figures.warm.native.push(await time(() => nativeBuilds(module, goroots, path.join(scratch, `native-warm-${run}`), nativeCache)));
    await airlock(airlockBuildArgs(module, path.join(scratch, `airlock-warmup-${run}`), ['--cache', '--quiet']));
    figures.warm.airlock.push(await time(async () => void (await airlock(airlockBuildArgs(module, path.join(scratch, `airlock-warm-${run}`), ['--cache', '--quiet'])))));
    // The same bytes either way, or the comparison means nothing.
    for (const version of TEST_TOOLCHAINS) {
      const sums = await fs.readFile(path.join(scratch, `airlock-cold-${run}`, version, 'SHA256SUMS'), 'utf8');
      if (sums !== (await fs.readFile(path.join(scratch, `airlock-warm-${run}`, version, 'SHA256SUMS'), 'utf8'))) throw new Error('cold and warm outputs differ');
      for (const target of TARGETS) {
        const [goos, goarch] = target.split('/') as [string, string];
        const native = await fs.readFile(path.join(scratch, `native-cold-${run}`, `${version}-${goos}-${goarch}`));
        const name = `cli_${goos}_${goarch}${goos === 'windows' ? '.exe' : ''}`;
        if (!native.equals(await fs.readFile(path.join(scratch, `airlock-cold-${run}`, version, name)))) throw new Error(`${version} ${target}: airlock and native differ`);
      }
    }
  }
  const rows = (['cold', 'warm'] as const).map((kind) => {
    const native = median(figures[kind].native);
    const built = median(figures[kind].airlock);
    return { kind, native, airlock: built, ratio: built / native, goal: GOALS[kind] };
  });
  console.log('scenario  native go build  airlock build  ratio   goal');
  for (const row of rows) {
    console.log(`${row.kind.padEnd(10)}${`${row.native.toFixed(2)} s`.padEnd(17)}${`${row.airlock.toFixed(2)} s`.padEnd(15)}${`${row.ratio.toFixed(2)}x`.padEnd(8)}<= ${row.goal}x`);
  }
  for (const version of TEST_TOOLCHAINS) {
    const seconds = median(images.map((image) => image[version] ?? NaN));
    const concurrent = median(concurrentImages.map((image) => image[version] ?? NaN));
    console.log(`sandbox image for ${version}: ${seconds.toFixed(1)} s alone (goal < ${GOALS.imageSeconds} s); ${concurrent.toFixed(1)} s in the cold run, built beside the other toolchain's`);
  }
  // The strict seccomp profile against the engine's default: examples/hello, one target, same run.
  const hello = await copyModule('examples/hello');
  const profiles: Record<string, number[]> = { strict: [], 'engine-default': [] };
  for (let run = 0; run < Math.max(runs, 3); run++) {
    for (const profile of Object.keys(profiles)) {
      const out = path.join(scratch, `seccomp-${profile}-${run}`);
      profiles[profile]!.push(await time(async () => void (await airlock(['build', hello, '--go', '1.26.8', '--out', out, '--quiet', ...(profile === 'strict' ? [] : ['--seccomp', 'engine-default'])]))));
    }
  }
  const seccomp = { strict: median(profiles.strict!), engineDefault: median(profiles['engine-default']!) };
  console.log(`seccomp: strict ${seccomp.strict.toFixed(2)} s, engine default ${seccomp.engineDefault.toFixed(2)} s, ratio ${(seccomp.strict / seccomp.engineDefault).toFixed(3)} (goal <= 1.03)`);
  await fs.remove(path.dirname(hello));
  await fs.remove(scratch);
  await fs.remove(path.dirname(module));
  return {
    matrix: { module: 'examples/cli', toolchains: TEST_TOOLCHAINS, targets: TARGETS, jobs: JOBS },
    runs,
    scenarios: rows,
    samples: figures,
    imageSeconds: images,
    imageSecondsInColdRun: concurrentImages,
    seccomp,
  };
}
