/**
 * The peer scenario: examples/cli for one toolchain x 6 targets, warm, built three ways in the same run and
 * compared byte for byte: a native `go build` loop, airlock with `--cache`, and GoReleaser (`build --snapshot`,
 * the tool a user would pick instead), all with the same toolchain tree, flags and parallelism.
 *
 * Also the CLI's own fixed costs: `airlock --version`, and how long after airlock starts the engine creates its
 * first container (a warm engine, the image present), from the engine's own event times.
 *
 * GoReleaser is built from the Go module proxy at a pinned version and cached per user like cosign (never
 * committed); AIRLOCK_GORELEASER names a binary to use instead.
 */
import { execa } from 'execa';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import pLimit from 'p-limit';
import { cliPath, copyModule, testHome } from '../helpers/airlock-run.js';
import { storedGoroots } from '../helpers/corpus.js';
import { airlock, median, time } from './measure.js';

const TOOLCHAIN = 'go1.26.8';
const TARGETS = ['linux/amd64', 'linux/arm64', 'darwin/amd64', 'darwin/arm64', 'windows/amd64', 'freebsd/amd64'];
const JOBS = 2;
/** The newest release the Go module proxy serves here that builds with go1.26; the older one if it is refused. */
const GORELEASER_VERSIONS = ['v2.17.0', 'v2.15.1'];
const GOALS = { native: 1.5, versionSeconds: 0.15, firstContainerSeconds: 0.3 };

const toolsCache = process.env.AIRLOCK_TOOLS_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'airlock-test-tools');

/** GoReleaser's binary: AIRLOCK_GORELEASER, the per-user cache, or built into it now (minutes, once). */
async function ensureGoreleaser(): Promise<{ binary: string; version: string }> {
  if (process.env.AIRLOCK_GORELEASER) return { binary: process.env.AIRLOCK_GORELEASER, version: 'AIRLOCK_GORELEASER' };
  for (const version of GORELEASER_VERSIONS) {
    const cached = path.join(toolsCache, `goreleaser-${version}`);
    if (await fs.pathExists(cached)) return { binary: cached, version };
  }
  for (const version of GORELEASER_VERSIONS) {
    const scratch = await fs.mkdtemp(path.join(toolsCache, 'goreleaser-build-'));
    console.log(`building GoReleaser ${version} from the Go module proxy (once; cached in ${toolsCache})`);
    const built = await execa('go', ['install', '-trimpath', '-ldflags=-s -w', `github.com/goreleaser/goreleaser/v2@${version}`], {
      env: { GOBIN: scratch, GOTOOLCHAIN: 'local', GOFLAGS: '-modcacherw' },
      reject: false,
    });
    if (built.exitCode === 0) {
      const cached = path.join(toolsCache, `goreleaser-${version}`);
      await fs.move(path.join(scratch, 'goreleaser'), cached);
      await fs.remove(scratch);
      return { binary: cached, version };
    }
    await fs.remove(scratch);
    console.log(`GoReleaser ${version} did not build: ${String(built.stderr).split('\n').slice(-3).join(' ')}`);
  }
  throw new Error(`no GoReleaser version of ${GORELEASER_VERSIONS.join(', ')} builds here`);
}

/** A GoReleaser configuration doing exactly the builds airlock and the native loop do. */
function goreleaserConfig(goroot: string): string {
  const targets = TARGETS.map((target) => `      - ${target.replace('/', '_')}`).join('\n');
  return `version: 2
project_name: cli
builds:
  - id: cli
    main: ./cmd/cli
    binary: cli
    gobinary: ${path.join(goroot, 'bin', 'go')}
    env: [CGO_ENABLED=0, GOTOOLCHAIN=local, GOPROXY=off, GOFLAGS=-mod=vendor]
    flags: [-trimpath, -buildvcs=false]
    ldflags: [-buildid=]
    targets:
${targets}
    no_unique_dist_dir: false
`;
}

function nativeName(target: string): string {
  const [goos, goarch] = target.split('/') as [string, string];
  return `cli_${goos}_${goarch}${goos === 'windows' ? '.exe' : ''}`;
}

async function nativeBuilds(module: string, goroot: string, out: string, gocache: (target: string) => string): Promise<void> {
  const limit = pLimit(JOBS);
  await Promise.all(
    TARGETS.map((target) =>
      limit(async () => {
        const [goos, goarch] = target.split('/') as [string, string];
        await execa(path.join(goroot, 'bin', 'go'), ['build', '-mod=vendor', '-trimpath', '-buildvcs=false', '-ldflags=-buildid=', '-o', path.join(out, nativeName(target)), './cmd/cli'], {
          cwd: module,
          env: { GOROOT: goroot, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOOS: goos, GOARCH: goarch, GOCACHE: gocache(target), GOFLAGS: '', GOPROXY: 'off' },
        });
      }),
    ),
  );
}

/** The binaries GoReleaser wrote, by target: dist/cli_<goos>_<goarch>[_<variant>]/cli[.exe]. */
async function goreleaserOutputs(module: string): Promise<Map<string, string>> {
  const dist = path.join(module, 'dist');
  const found = new Map<string, string>();
  for (const entry of await fs.readdir(dist)) {
    const match = /^cli_([a-z0-9]+)_([a-z0-9]+)(?:_.*)?$/.exec(entry);
    if (!match) continue;
    const target = `${match[1]}/${match[2]}`;
    found.set(target, path.join(dist, entry, match[1] === 'windows' ? 'cli.exe' : 'cli'));
  }
  return found;
}

async function sameBytes(a: string, b: string): Promise<boolean> {
  return (await fs.readFile(a)).equals(await fs.readFile(b));
}

/** Seconds from airlock's start to the engine's first container create, read from the engine's event stream. */
async function firstContainerSeconds(module: string, out: string): Promise<number> {
  const since = Math.floor(Date.now() / 1000) - 1;
  const started = Date.now();
  await execa('node', [cliPath, 'build', module, '--go', TOOLCHAIN.replace(/^go/, ''), '--target', 'linux/amd64', '--cache', '--quiet', '--out', out], { env: { AIRLOCK_HOME: testHome } });
  const until = Math.ceil(Date.now() / 1000) + 1;
  const events = await execa('docker', ['events', '--since', String(since), '--until', String(until), '--filter', 'type=container', '--filter', 'event=create', '--format', '{{.TimeNano}}']);
  const first = events.stdout.split('\n').map(Number).filter((nano) => nano / 1e6 >= started).sort((a, b) => a - b)[0];
  if (first === undefined) throw new Error('the engine reported no container created by the run');
  return (first / 1e6 - started) / 1000;
}

export async function peerScenarios(runs: number): Promise<Record<string, unknown>> {
  const goroot = (await storedGoroots()).get(TOOLCHAIN);
  if (goroot === undefined) throw new Error(`${TOOLCHAIN} is not in the test store`);
  const goreleaser = await ensureGoreleaser();
  const module = await copyModule('examples/cli');
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-bench-peer-'));
  // GoReleaser wants a git repository (it reads the commit even for a snapshot).
  await fs.writeFile(path.join(module, '.goreleaser.yaml'), goreleaserConfig(goroot));
  const git = (args: string[]) => execa('git', args, { cwd: module, env: { GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@example.invalid', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@example.invalid' } });
  await git(['init', '-q']);
  await git(['add', '-A']);
  await git(['commit', '-qm', 'bench']);
  const samples = { native: [] as number[], airlock: [] as number[], goreleaser: [] as number[] };
  const nativeCache = (target: string) => path.join(scratch, `gocache-${target.replace('/', '-')}`);
  const goreleaserCache = path.join(scratch, 'gocache-goreleaser');
  const runGoreleaser = () =>
    execa(goreleaser.binary, ['build', '--snapshot', '--clean', '--parallelism', String(JOBS)], {
      cwd: module,
      env: { GOCACHE: goreleaserCache, GOROOT: goroot, GOFLAGS: '-mod=vendor', GOTOOLCHAIN: 'local', GOPROXY: 'off' },
    });
  const targetArgs = TARGETS.flatMap((target) => ['--target', target]);
  const runAirlock = (out: string) => airlock(['build', module, '--go', TOOLCHAIN.replace(/^go/, ''), ...targetArgs, '--jobs', String(JOBS), '--cache', '--quiet', '--out', out]);
  console.log(`airlock peer benchmark: examples/cli, ${TOOLCHAIN} x ${TARGETS.length} targets, ${JOBS} at a time, warm; GoReleaser ${goreleaser.version}`);
  // Warm-up: each fills its own cache once (and airlock's image exists after it).
  await nativeBuilds(module, goroot, path.join(scratch, 'native-warmup'), nativeCache);
  await runGoreleaser();
  await runAirlock(path.join(scratch, 'airlock-warmup'));
  for (let run = 0; run < runs; run++) {
    const native = path.join(scratch, `native-${run}`);
    const built = path.join(scratch, `airlock-${run}`);
    samples.native.push(await time(() => nativeBuilds(module, goroot, native, nativeCache)));
    samples.airlock.push(await time(() => runAirlock(built)));
    samples.goreleaser.push(await time(runGoreleaser));
    const released = await goreleaserOutputs(module);
    for (const target of TARGETS) {
      const expected = path.join(native, nativeName(target));
      if (!(await sameBytes(expected, path.join(built, nativeName(target))))) throw new Error(`${target}: airlock and native differ`);
      const fromGoreleaser = released.get(target);
      if (!fromGoreleaser || !(await sameBytes(expected, fromGoreleaser))) throw new Error(`${target}: GoReleaser and native differ`);
    }
    console.log(`run ${run + 1}: native ${samples.native.at(-1)!.toFixed(2)} s, airlock ${samples.airlock.at(-1)!.toFixed(2)} s, GoReleaser ${samples.goreleaser.at(-1)!.toFixed(2)} s (all 6 binaries byte-identical)`);
  }
  const version: number[] = [];
  for (let run = 0; run < Math.max(runs, 5); run++) version.push(await time(() => execa('node', [cliPath, '--version'])));
  const node: number[] = [];
  for (let run = 0; run < Math.max(runs, 5); run++) node.push(await time(() => execa('node', ['-e', '0'])));
  const firstContainer: number[] = [];
  for (let run = 0; run < Math.max(runs, 3); run++) firstContainer.push(await firstContainerSeconds(module, path.join(scratch, `first-${run}`)));
  const result = {
    native: median(samples.native),
    airlock: median(samples.airlock),
    goreleaser: median(samples.goreleaser),
  };
  const figures = {
    toolchain: TOOLCHAIN,
    targets: TARGETS,
    jobs: JOBS,
    goreleaser: goreleaser.version,
    medians: result,
    ratios: { airlockToNative: result.airlock / result.native, goreleaserToNative: result.goreleaser / result.native, airlockToGoreleaser: result.airlock / result.goreleaser },
    samples,
    versionSeconds: median(version),
    nodeStartSeconds: median(node),
    firstContainerSeconds: median(firstContainer),
    goals: GOALS,
  };
  console.log('tool        median   ratio to native');
  console.log(`native      ${result.native.toFixed(2)} s   1.00x`);
  console.log(`airlock     ${result.airlock.toFixed(2)} s   ${figures.ratios.airlockToNative.toFixed(2)}x (goal <= ${GOALS.native}x and <= GoReleaser)`);
  console.log(`GoReleaser  ${result.goreleaser.toFixed(2)} s   ${figures.ratios.goreleaserToNative.toFixed(2)}x`);
  console.log(`airlock --version: ${figures.versionSeconds.toFixed(3)} s (node -e 0: ${figures.nodeStartSeconds.toFixed(3)} s; goal <= ${GOALS.versionSeconds} s)`);
  console.log(`first container created ${figures.firstContainerSeconds.toFixed(3)} s after airlock starts (goal <= ${GOALS.firstContainerSeconds} s)`);
  await fs.remove(scratch);
  await fs.remove(path.dirname(module));
  return figures;
}
