import test from 'ava';
import path from 'node:path';
import { readGoModule } from '../../../src/modules/read-module.js';
import { resolveModuleInputs } from '../../../src/modules/resolve-module-inputs.js';
import { parsePortList } from '../../../src/toolchain/ports.js';
import type { StoredToolchain } from '../../../src/toolchain/store.js';
import { loadSandboxTemplate } from '../../../src/sandbox/load-template.js';
import { loadSeccompChoice } from '../../../src/sandbox/seccomp-choice.js';
import { packageRoot } from '../../../src/util/package-root.js';
import { type BuildInputs, type BuildRequest, resolveBuild } from '../../../src/workflows/build/index.js';
import { hostZosarch } from '../../helpers/host-tools.js';

/** A stored go1.26.8 as the store lists it; the pin is the real one (toolchains/go.json). */
async function storedToolchain(): Promise<StoredToolchain> {
  return {
    schema: 1,
    id: 'go1.26.8-linux-amd64',
    version: 'go1.26.8',
    goos: 'linux',
    goarch: 'amd64',
    treeDigest: 'h1:ZOmGe1OnfREDMIdb1Qi4G9JSuDPBLGExZMQ4nis1RXM=',
    fileCount: 1,
    totalBytes: 1,
    ports: parsePortList(await hostZosarch()),
    importedAt: '2026-12-01T00:00:00.000Z',
    source: { kind: 'module-zip', location: 'golang.org/toolchain@v0.0.1-go1.26.8.linux-amd64' },
    verification: { status: 'pinned', checks: ['h1 equals the pin'], notes: [], matrix: 'toolchains/go.json' },
    goroot: '/store/go1.26.8-linux-amd64/go',
  };
}

/** What gatherBuildInputs reads for examples/cli, with the store and the machine's CPU count fixed. */
async function cliInputs(): Promise<BuildInputs> {
  const module = await readGoModule(path.join(packageRoot(), 'examples', 'cli'));
  return {
    module,
    config: {},
    moduleInputs: await resolveModuleInputs(module, {}),
    storedToolchains: [await storedToolchain()],
    matrixVersions: ['go1.26.8', 'go1.27.3'],
    mainPackages: ['./cmd/cli'],
    cpus: 4,
    seccomp: await loadSeccompChoice(undefined),
    template: await loadSandboxTemplate(),
    engine: { os: 'linux', arch: 'amd64', kind: 'docker', version: '20.10.24' },
  };
}

const request = (overrides: Partial<BuildRequest> = {}): BuildRequest => ({
  dir: path.join(packageRoot(), 'examples', 'cli'),
  targets: ['linux/amd64', 'windows/amd64'],
  mains: [],
  toolchains: [],
  ldflags: ['-s', '-w'],
  tags: [],
  jobs: 2,
  airlockHome: '/home/airlock',
  ...overrides,
});

test('the resolved build of examples/cli for two targets: every job carries its image, go command and environment (snapshot)', async (t) => {
  const inputs = await cliInputs();
  const resolved = resolveBuild(inputs, request());
  const moduleDir = inputs.module.dir;
  const shown = {
    plan: resolved.plan,
    jobs: resolved.jobs,
    policy: resolved.policy,
    notes: resolved.notes,
    images: [...resolved.toolchains.values()].map(({ image }) => image.tag),
    run: { ...resolved.run, outDir: path.relative(moduleDir, resolved.run.outDir), sourceExclude: resolved.run.sourceExclude.map((p) => path.relative(moduleDir, p)) },
  };
  t.snapshot(JSON.parse(JSON.stringify(shown)) as unknown);
  t.deepEqual(
    resolved.jobs.map((job) => job.command.env.GOOS),
    ['linux', 'windows'],
  );
  t.true(resolved.jobs.every((job) => job.command.args.includes('-ldflags=-buildid= -s -w')));
});

test('a resolved build is frozen: the plan, the jobs and the policy cannot be patched afterwards', async (t) => {
  const resolved = resolveBuild(await cliInputs(), request());
  t.throws(() => {
    (resolved.policy as { memoryBytes: number }).memoryBytes = 1;
  }, { instanceOf: TypeError });
  t.throws(() => {
    (resolved.plan.jobs as unknown as unknown[]).push({});
  }, { instanceOf: TypeError });
  t.throws(() => {
    (resolved.jobs[0]!.command.env as Record<string, string>).GOPROXY = 'https://example.invalid';
  }, { instanceOf: TypeError });
});

test('recorded limits (reproduce) win over airlock.json and the defaults, and --cache names one volume per toolchain', async (t) => {
  const inputs = { ...(await cliInputs()), config: { sandbox: { memoryMiB: 4096, pids: 100 } } };
  const resolved = resolveBuild(inputs, request({ recordedLimits: { memoryBytes: 123 * 1024 ** 2 }, cache: true }));
  t.is(resolved.policy.memoryBytes, 123 * 1024 ** 2);
  t.is(resolved.policy.pidsLimit, 100);
  const volumes = new Set(resolved.jobs.map((job) => job.cacheVolume));
  t.is(volumes.size, 1);
  t.regex([...volumes][0]!, /^airlock-gocache-[0-9a-f]{20}$/);
  t.true(resolved.jobs.every((job) => job.command.env.GOCACHE === '/cache'));
});

test('a shard keeps only its own jobs and toolchains, and says so in a note', async (t) => {
  const resolved = resolveBuild(await cliInputs(), request({ shard: { index: 2, count: 2 } }));
  t.deepEqual(
    resolved.jobs.map((job) => job.output),
    ['cli_windows_amd64.exe'],
  );
  t.truthy(resolved.shard);
  t.true(resolved.notes.some((note) => note.startsWith('shard 2/2: 1 of the plan')));
});
