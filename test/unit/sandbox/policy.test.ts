import test from 'ava';

import {
  type BuildCommandInput,
  GIB,
  LABEL_MANAGED,
  LABEL_RUN,
  LABEL_TOOLCHAIN,
  SandboxPaths,
  type WorkerContainerInput,
  applySandboxLimits,
  buildExecRequest,
  defaultSandboxPolicy,
  goBuildArguments,
  goBuildCommand,
  goBuildEnvironment,
  workerContainerSpec,
} from '../../../src/sandbox/policy.js';

const command = (overrides: Partial<BuildCommandInput> = {}): BuildCommandInput => ({
  goos: 'linux',
  goarch: 'amd64',
  mainPackage: './cmd/tool',
  outputName: 'tool_linux_amd64',
  vendored: false,
  ldflags: [],
  tags: [],
  ...overrides,
});

const container = (overrides: Partial<WorkerContainerInput> = {}): WorkerContainerInput => ({
  name: 'airlock-run1-w0',
  image: 'airlock-sandbox:go1.26.8-0123456789abcdef',
  runId: 'run1',
  volume: 'airlock-run1-w0',
  scratchVolume: 'airlock-run1-w0-scratch',
  toolchain: 'go1.26.8',
  ...overrides,
});

test('the default policy: unprivileged, offline, read-only, capped', (t) => {
  const policy = defaultSandboxPolicy(4);
  t.deepEqual(policy, {
    uid: 65534,
    gid: 65534,
    network: 'none',
    readOnlyRootFs: true,
    capDrop: ['ALL'],
    noNewPrivileges: true,
    tmpfsSizeBytes: GIB,
    scratchBytes: 10 * GIB,
    pidsLimit: 512,
    memoryBytes: 3 * GIB,
    cpus: 4,
    nofile: 4096,
    nproc: 16384,
    timeoutSeconds: 900,
    seccomp: { kind: 'engine-default', name: 'engine-default' },
  });
  t.is(GIB, 1073741824);
  t.not(defaultSandboxPolicy(1).capDrop, defaultSandboxPolicy(1).capDrop, 'each policy has its own arrays');
});

test('go build arguments: -trimpath, no VCS stamp, an empty build ID, output and package last', (t) => {
  t.deepEqual(goBuildArguments(command()), [
    'build',
    '-trimpath',
    '-buildvcs=false',
    '-ldflags=-buildid=',
    '-o',
    '/work/out/tool_linux_amd64',
    './cmd/tool',
  ]);
});

test('user ldflags follow -buildid= in the single -ldflags argument, in order', (t) => {
  const args = goBuildArguments(command({ ldflags: ['-s', '-w', '-X main.version=1.2.3'] }));
  t.true(args.includes('-trimpath'));
  t.true(args.includes('-buildvcs=false'));
  t.deepEqual(
    args.filter((arg) => arg.startsWith('-ldflags')),
    ['-ldflags=-buildid= -s -w -X main.version=1.2.3'],
  );
  t.true(args.indexOf('-trimpath') < args.indexOf('-ldflags=-buildid= -s -w -X main.version=1.2.3'));
});

test('tags become one comma-separated -tags argument before -o', (t) => {
  const args = goBuildArguments(command({ tags: ['netgo', 'osusergo'] }));
  t.deepEqual(args.slice(3), ['-ldflags=-buildid=', '-tags=netgo,osusergo', '-o', '/work/out/tool_linux_amd64', './cmd/tool']);
  t.false(goBuildArguments(command()).some((arg) => arg.startsWith('-tags')), 'no -tags without tags');
});

test('the build environment pins the toolchain, turns off the network and cgo, and sets the target', (t) => {
  const env = goBuildEnvironment(command({ goos: 'windows', goarch: 'arm64' }));
  t.deepEqual(env, {
    PATH: '/usr/local/go/bin',
    HOME: '/tmp/home',
    TMPDIR: '/tmp',
    GOCACHE: '/scratch/gocache',
    GOTMPDIR: '/scratch/tmp',
    GOPATH: '/tmp/gopath',
    GOENV: 'off',
    GOPROXY: 'off',
    GOSUMDB: 'off',
    GOTOOLCHAIN: 'local',
    CGO_ENABLED: '0',
    GOOS: 'windows',
    GOARCH: 'arm64',
  });
  t.false('GOFLAGS' in env);
});

test('GOFLAGS=-mod=vendor is set exactly when the module is vendored', (t) => {
  t.is(goBuildEnvironment(command({ vendored: true })).GOFLAGS, '-mod=vendor');
  t.is(goBuildEnvironment(command({ vendored: false })).GOFLAGS, undefined);
});

test('every path the build writes is under the tmpfs, the scratch volume or the work volume', (t) => {
  const env = goBuildEnvironment(command());
  for (const key of ['HOME', 'TMPDIR', 'GOPATH'] as const) t.true(env[key]!.startsWith(SandboxPaths.tmp), key);
  // The gigabytes (build cache, the go command's work directory) go to the disk-backed scratch volume.
  for (const key of ['GOCACHE', 'GOTMPDIR'] as const) t.true(env[key]!.startsWith(`${SandboxPaths.scratch}/`), key);
  t.is(goBuildEnvironment(command({ persistentCache: true })).GOCACHE, SandboxPaths.cache, 'with --cache, the cache volume');
  t.is(goBuildEnvironment(command({ persistentCache: true })).GOTMPDIR, `${SandboxPaths.scratch}/tmp`);
  const args = goBuildArguments(command());
  t.true(args[args.indexOf('-o') + 1]!.startsWith(`${SandboxPaths.output}/`));
  t.true(SandboxPaths.output.startsWith(`${SandboxPaths.work}/`));
  t.true(SandboxPaths.source.startsWith(`${SandboxPaths.work}/`));
});

test('buildExecRequest runs the sandbox go with the recorded arguments and environment, as the policy\'s user', (t) => {
  const policy = { ...defaultSandboxPolicy(2), uid: 1000, gid: 1001 };
  const request = buildExecRequest(policy, goBuildCommand(command({ ldflags: ['-s', '-w', '-X main.version=v1.0.0'] })));
  t.deepEqual(request, {
    command: ['/usr/local/go/bin/go', ...goBuildArguments(command({ ldflags: ['-s', '-w', '-X main.version=v1.0.0'] }))],
    env: goBuildEnvironment(command()),
    user: '1000:1001',
    workingDir: '/work/src',
  });
  t.deepEqual(request.command.slice(1, 5), ['build', '-trimpath', '-buildvcs=false', '-ldflags=-buildid= -s -w -X main.version=v1.0.0']);
  t.deepEqual(request.command.slice(-3), ['-o', '/work/out/tool_linux_amd64', './cmd/tool']);
});

test('workerContainerSpec carries the policy into the container', (t) => {
  const policy = defaultSandboxPolicy(2.5);
  const spec = workerContainerSpec(policy, container());
  t.deepEqual(spec.command, ['/usr/local/go/bin/gofmt']);
  t.deepEqual(spec.env, { PATH: '/usr/local/go/bin' });
  t.true(spec.stdinHeld);
  t.is(spec.user, '65534:65534');
  t.is(spec.workingDir, '/work/src');
  t.is(spec.network, 'none');
  t.true(spec.readOnlyRootFs);
  t.deepEqual(spec.capDrop, ['ALL']);
  t.true(spec.noNewPrivileges);
  t.is(spec.seccomp, undefined, 'the engine default seccomp profile');
  t.deepEqual(spec.tmpfs, [{ path: '/tmp', options: 'rw,noexec,nosuid,nodev,size=1073741824,mode=1777' }]);
  t.deepEqual(spec.volumes, [
    { name: 'airlock-run1-w0', target: '/work', readOnly: false },
    { name: 'airlock-run1-w0-scratch', target: '/scratch', readOnly: false },
  ]);
  t.is(spec.pidsLimit, 512);
  t.is(spec.memoryBytes, 3 * GIB);
  t.is(spec.nanoCpus, 2_500_000_000);
  t.deepEqual(spec.ulimits, [
    { name: 'nofile', soft: 4096, hard: 4096 },
    { name: 'nproc', soft: 16384, hard: 16384 },
    { name: 'fsize', soft: 10 * GIB, hard: 10 * GIB },
  ]);
  t.deepEqual(spec.labels, {
    [LABEL_MANAGED]: 'true',
    [LABEL_RUN]: 'run1',
    [LABEL_TOOLCHAIN]: 'go1.26.8',
  });
  t.deepEqual(Object.keys(spec.labels), ['airlock.managed', 'airlock.run', 'airlock.toolchain']);
});

test('workerContainerSpec follows a changed policy rather than fixed numbers', (t) => {
  const policy = { ...defaultSandboxPolicy(1), uid: 1000, gid: 1001, tmpfsSizeBytes: 512, nofile: 64, nproc: 128, memoryBytes: 1024, scratchBytes: 4096 };
  const spec = workerContainerSpec(policy, container());
  t.is(spec.user, '1000:1001');
  t.is(spec.tmpfs[0]?.options, 'rw,noexec,nosuid,nodev,size=512,mode=1777');
  t.deepEqual(spec.ulimits, [
    { name: 'nofile', soft: 64, hard: 64 },
    { name: 'nproc', soft: 128, hard: 128 },
    { name: 'fsize', soft: 4096, hard: 4096 },
  ]);
  t.is(spec.memoryBytes, 1024);
  t.is(spec.nanoCpus, 1_000_000_000);
});

const MIB = 1024 * 1024;

test('applySandboxLimits without limits is the same policy, as a new object', (t) => {
  const policy = defaultSandboxPolicy(4);
  const applied = applySandboxLimits(policy, {});
  t.deepEqual(applied, policy);
  t.not(applied, policy);
});

test('applySandboxLimits converts MiB to bytes for memory and the tmpfs', (t) => {
  const applied = applySandboxLimits(defaultSandboxPolicy(4), { memoryMiB: 4096, tmpfsMiB: 512 });
  t.is(applied.memoryBytes, 4 * GIB);
  t.is(applied.memoryBytes, 4_294_967_296);
  t.is(applied.tmpfsSizeBytes, 512 * MIB);
  t.is(applied.tmpfsSizeBytes, 536_870_912);
  t.is(applySandboxLimits(defaultSandboxPolicy(1), { memoryMiB: 256 }).memoryBytes, 268_435_456, 'the schema minimum');
  t.is(applySandboxLimits(defaultSandboxPolicy(1), { tmpfsMiB: 1_048_576 }).tmpfsSizeBytes, 1024 * GIB, 'the schema maximum');
  t.true(Number.isSafeInteger(applySandboxLimits(defaultSandboxPolicy(1), { memoryMiB: 1_048_576 }).memoryBytes));
});

test('applySandboxLimits takes cpus, pids and the timeout as they are', (t) => {
  const applied = applySandboxLimits(defaultSandboxPolicy(8), { cpus: 1.5, pids: 128, timeoutSeconds: 60 });
  t.is(applied.cpus, 1.5);
  t.is(applied.pidsLimit, 128);
  t.is(applied.timeoutSeconds, 60);
});

test('applySandboxLimits changes only the fields it is given', (t) => {
  const policy = defaultSandboxPolicy(4);
  const before = structuredClone(policy);
  t.deepEqual(applySandboxLimits(policy, { memoryMiB: 1024 }), { ...before, memoryBytes: GIB });
  t.deepEqual(applySandboxLimits(policy, { tmpfsMiB: 2048 }), { ...before, tmpfsSizeBytes: 2 * GIB });
  t.deepEqual(applySandboxLimits(policy, { cpus: 2 }), { ...before, cpus: 2 });
  t.deepEqual(applySandboxLimits(policy, { pids: 1024 }), { ...before, pidsLimit: 1024 });
  t.deepEqual(applySandboxLimits(policy, { timeoutSeconds: 3600 }), { ...before, timeoutSeconds: 3600 });
  t.deepEqual(applySandboxLimits(policy, { scratchMiB: 20480 }), { ...before, scratchBytes: 20 * GIB });
  t.deepEqual(applySandboxLimits(policy, { nofile: 65536 }), { ...before, nofile: 65536 });
  t.deepEqual(policy, before, 'the policy passed in is not modified');
});

test('applySandboxLimits never touches the security settings, whatever the limits', (t) => {
  const applied = applySandboxLimits(defaultSandboxPolicy(2), { memoryMiB: 8192, tmpfsMiB: 4096, cpus: 16, pids: 65536, timeoutSeconds: 86400 });
  t.like(applied, {
    uid: 65534,
    gid: 65534,
    network: 'none',
    readOnlyRootFs: true,
    noNewPrivileges: true,
    nofile: 4096,
    nproc: 16384,
    seccomp: { kind: 'engine-default', name: 'engine-default' },
  });
  t.deepEqual(applied.capDrop, ['ALL']);
  // Limits that are not sandbox settings are ignored rather than copied into the policy.
  const extra = applySandboxLimits(defaultSandboxPolicy(2), { cpus: 3, network: 'bridge', uid: 0 } as Parameters<typeof applySandboxLimits>[1]);
  t.is(extra.network, 'none');
  t.is(extra.uid, 65534);
  t.is(extra.cpus, 3);
});

test('the applied limits reach the container spec', (t) => {
  const policy = applySandboxLimits(defaultSandboxPolicy(4), { memoryMiB: 2048, tmpfsMiB: 256, cpus: 0.5, pids: 100 });
  const spec = workerContainerSpec(policy, container());
  t.is(spec.memoryBytes, 2 * GIB);
  t.is(spec.tmpfs[0]?.options, `rw,noexec,nosuid,nodev,size=${256 * MIB},mode=1777`);
  t.is(spec.nanoCpus, 500_000_000);
  t.is(spec.pidsLimit, 100);
  const scratch = workerContainerSpec(applySandboxLimits(defaultSandboxPolicy(4), { scratchMiB: 2048, nofile: 999 }), container());
  t.deepEqual(scratch.ulimits.find((limit) => limit.name === 'fsize'), { name: 'fsize', soft: 2 * GIB, hard: 2 * GIB }, 'no file may outgrow the scratch limit');
  t.deepEqual(scratch.ulimits.find((limit) => limit.name === 'nofile'), { name: 'nofile', soft: 999, hard: 999 });
});
