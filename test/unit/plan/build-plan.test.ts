import path from 'node:path';

import test from 'ava';

import { ExitCode, InputError } from '../../../src/errors.js';
import { findMainPackages, readGoModule } from '../../../src/modules/read-module.js';
import { packageRoot } from '../../../src/util/package-root.js';
import {
  PLAN_SCHEMA,
  type PlanInput,
  type PlanToolchainInput,
  checksumGroups,
  outputFileName,
  resolvePlan,
} from '../../../src/plan/build-plan.js';
import { parseTarget } from '../../../src/plan/targets.js';
import { findPins, loadToolchainMatrix } from '../../../src/toolchain/matrix.js';
import { parsePortList } from '../../../src/toolchain/ports.js';
import { hostZosarch } from '../../helpers/host-tools.js';

// Enough ports for the synthetic tests; the golden tests use the host toolchain's real port list.
const PORTS = ['linux/amd64', 'linux/arm64', 'linux/386', 'darwin/arm64', 'darwin/amd64', 'windows/amd64', 'windows/386', 'windows/arm64', 'js/wasm', 'wasip1/wasm'];

const toolchain = (version: string, overrides: Partial<PlanToolchainInput> = {}): PlanToolchainInput => ({
  version,
  goos: 'linux',
  goarch: 'amd64',
  treeDigest: 'h1:ZOmGe1OnfREDMIdb1Qi4G9JSuDPBLGExZMQ4nis1RXM=',
  ports: PORTS,
  verification: 'pinned',
  image: `airlock-sandbox:${version}-0123456789abcdef`,
  ...overrides,
});

const TOOLCHAIN = toolchain('go1.26.8');

const input = (overrides: Partial<PlanInput> = {}): PlanInput => ({
  module: { path: 'example.com/tool', go: '1.26', vendored: false },
  mainPackages: ['.'],
  targets: [parseTarget('linux/amd64')],
  toolchains: [TOOLCHAIN],
  ldflags: [],
  tags: [],
  ...overrides,
});

test('outputFileName: binary_goos_goarch, with .exe only for windows', (t) => {
  t.is(outputFileName('tool', parseTarget('linux/amd64')), 'tool_linux_amd64');
  t.is(outputFileName('tool', parseTarget('darwin/arm64')), 'tool_darwin_arm64');
  t.is(outputFileName('tool', parseTarget('windows/amd64')), 'tool_windows_amd64.exe');
  t.is(outputFileName('tool', parseTarget('windows/arm64')), 'tool_windows_arm64.exe');
  t.is(outputFileName('tool', parseTarget('js/wasm')), 'tool_js_wasm');
  t.is(outputFileName('tool', parseTarget('wasip1/wasm')), 'tool_wasip1_wasm');
});

test('resolvePlan: one job per package and target, packages outermost, in the given order', (t) => {
  const plan = resolvePlan(
    input({
      mainPackages: ['./cmd/server', './cmd/cli'],
      targets: ['windows/amd64', 'linux/arm64', 'darwin/arm64'].map(parseTarget),
    }),
  );
  t.deepEqual(
    plan.jobs.map((job) => [job.package, job.target]),
    [
      ['./cmd/server', 'windows/amd64'],
      ['./cmd/server', 'linux/arm64'],
      ['./cmd/server', 'darwin/arm64'],
      ['./cmd/cli', 'windows/amd64'],
      ['./cmd/cli', 'linux/arm64'],
      ['./cmd/cli', 'darwin/arm64'],
    ],
  );
  t.deepEqual(
    plan.jobs.map((job) => job.output),
    [
      'server_windows_amd64.exe',
      'server_linux_arm64',
      'server_darwin_arm64',
      'cli_windows_amd64.exe',
      'cli_linux_arm64',
      'cli_darwin_arm64',
    ],
  );
  t.is(plan.layout, 'flat');
  t.deepEqual(plan.jobs[0], {
    id: 'go1.26.8-server-windows-amd64',
    toolchain: 'go1.26.8',
    package: './cmd/server',
    binary: 'server',
    target: 'windows/amd64',
    goos: 'windows',
    goarch: 'amd64',
    output: 'server_windows_amd64.exe',
  });
  t.is(new Set(plan.jobs.map((job) => job.id)).size, plan.jobs.length, 'job ids are unique');
});

test('resolvePlan: a /v2 module names its root binary after the element before the version', (t) => {
  const plan = resolvePlan(
    input({ module: { path: 'example.com/tool/v2', vendored: false }, targets: ['linux/amd64', 'windows/386'].map(parseTarget) }),
  );
  t.deepEqual(
    plan.jobs.map((job) => [job.binary, job.output, job.id]),
    [
      ['tool', 'tool_linux_amd64', 'go1.26.8-tool-linux-amd64'],
      ['tool', 'tool_windows_386.exe', 'go1.26.8-tool-windows-386'],
    ],
  );
  t.is(plan.module.path, 'example.com/tool/v2');
});

test('resolvePlan: two packages that would write the same output file are an InputError naming both', (t) => {
  const error = t.throws(
    () => resolvePlan(input({ mainPackages: ['./cmd/tool', './tools/tool'], targets: ['linux/amd64'].map(parseTarget) })),
    { instanceOf: InputError },
  );
  t.is(error?.message, './tools/tool and ./cmd/tool would both be written as tool_linux_amd64');
  t.is(error?.exitCode, ExitCode.badInput);
  t.regex(error?.hint ?? '', /--main/);
});

test('resolvePlan: the module root of example.com/tool and ./cmd/tool collide', (t) => {
  t.throws(() => resolvePlan(input({ mainPackages: ['.', './cmd/tool'] })), {
    instanceOf: InputError,
    message: './cmd/tool and . would both be written as tool_linux_amd64',
  });
});

test('resolvePlan: a /v2 root and ./cmd/tool collide too', (t) => {
  t.throws(() => resolvePlan(input({ module: { path: 'example.com/tool/v2', vendored: false }, mainPackages: ['.', './cmd/tool'] })), {
    instanceOf: InputError,
    message: './cmd/tool and . would both be written as tool_linux_amd64',
  });
});

test('resolvePlan: no main packages is an InputError with a hint', (t) => {
  const error = t.throws(() => resolvePlan(input({ mainPackages: [] })), { instanceOf: InputError });
  t.is(error?.message, 'the module has no main package to build');
  t.regex(error?.hint ?? '', /--main \.\/path\/to\/cmd/);
});

test('resolvePlan copies the flags: later changes to the inputs do not reach the plan', (t) => {
  const ldflags = ['-s', '-w'];
  const tags = ['netgo'];
  const plan = resolvePlan(input({ ldflags, tags }));
  ldflags.push('-X main.x=1');
  tags.push('osusergo');
  t.deepEqual(plan.flags, { ldflags: ['-s', '-w'], tags: ['netgo'] });
});

test('resolvePlan: platform, digest, verification and image of each toolchain come from its input', (t) => {
  const plan = resolvePlan(
    input({
      toolchains: [toolchain('go1.27.3', { goarch: 'arm64', treeDigest: 'h1:abc=', verification: 'trust-on-first-use', image: 'img:27' })],
    }),
  );
  t.deepEqual(plan.toolchains, [
    { version: 'go1.27.3', platform: 'linux/arm64', digest: 'h1:abc=', verification: 'trust-on-first-use', image: 'img:27' },
  ]);
  t.is(plan.schema, PLAN_SCHEMA);
  t.false('ports' in plan.toolchains[0]!, 'the port list is an input, not part of the plan');
});

// Golden file for the plan format (what `airlock plan --json` prints) of examples/hello with four targets.
test('the plan of examples/hello for four targets (golden)', async (t) => {
  const module = await readGoModule(path.join(packageRoot(), 'examples', 'hello'));
  const mainPackages = await findMainPackages(module);
  t.deepEqual(mainPackages, ['.']);
  const plan = resolvePlan({
    module: {
      path: module.goMod.module,
      ...(module.goMod.go !== undefined ? { go: module.goMod.go } : {}),
      ...(module.goMod.toolchain !== undefined ? { toolchainLine: module.goMod.toolchain } : {}),
      vendored: module.hasVendor,
    },
    mainPackages,
    targets: ['linux/amd64', 'linux/arm64', 'darwin/arm64', 'windows/amd64'].map(parseTarget),
    toolchains: [{ ...TOOLCHAIN, ports: parsePortList(await hostZosarch()) }],
    ldflags: ['-s', '-w'],
    tags: [],
  });
  t.is(plan.jobs.length, 4);
  t.deepEqual(
    plan.jobs.map((job) => job.output),
    ['hello_linux_amd64', 'hello_linux_arm64', 'hello_darwin_arm64', 'hello_windows_amd64.exe'],
  );
  t.is(plan.layout, 'flat');
  t.snapshot(`${JSON.stringify(plan, null, 2)}\n`, 'airlock plan --json');
});

test('resolvePlan: no toolchain is an InputError', (t) => {
  const error = t.throws(() => resolvePlan(input({ toolchains: [] })), { instanceOf: InputError });
  t.is(error?.message, 'no toolchain selected');
  t.regex(error?.hint ?? '', /--go/);
});

test('resolvePlan: one toolchain is the flat layout, however many packages and targets', (t) => {
  const plan = resolvePlan(
    input({ mainPackages: ['./cmd/a', './cmd/b'], targets: ['linux/amd64', 'darwin/arm64', 'windows/amd64'].map(parseTarget) }),
  );
  t.is(plan.layout, 'flat');
  t.is(plan.jobs.length, 6);
  for (const job of plan.jobs) {
    t.false(job.output.includes('/'), job.output);
    t.is(job.toolchain, 'go1.26.8');
  }
});

test('resolvePlan: two toolchains are toolchain × package × target, toolchains outermost, outputs in one directory per version', (t) => {
  const plan = resolvePlan(
    input({
      mainPackages: ['./cmd/server', './cmd/cli'],
      targets: ['linux/amd64', 'windows/arm64'].map(parseTarget),
      toolchains: [toolchain('go1.26.8'), toolchain('go1.27.3')],
    }),
  );
  t.is(plan.layout, 'per-toolchain');
  t.deepEqual(
    plan.jobs.map((job) => [job.toolchain, job.package, job.target, job.output, job.id]),
    [
      ['go1.26.8', './cmd/server', 'linux/amd64', 'go1.26.8/server_linux_amd64', 'go1.26.8-server-linux-amd64'],
      ['go1.26.8', './cmd/server', 'windows/arm64', 'go1.26.8/server_windows_arm64.exe', 'go1.26.8-server-windows-arm64'],
      ['go1.26.8', './cmd/cli', 'linux/amd64', 'go1.26.8/cli_linux_amd64', 'go1.26.8-cli-linux-amd64'],
      ['go1.26.8', './cmd/cli', 'windows/arm64', 'go1.26.8/cli_windows_arm64.exe', 'go1.26.8-cli-windows-arm64'],
      ['go1.27.3', './cmd/server', 'linux/amd64', 'go1.27.3/server_linux_amd64', 'go1.27.3-server-linux-amd64'],
      ['go1.27.3', './cmd/server', 'windows/arm64', 'go1.27.3/server_windows_arm64.exe', 'go1.27.3-server-windows-arm64'],
      ['go1.27.3', './cmd/cli', 'linux/amd64', 'go1.27.3/cli_linux_amd64', 'go1.27.3-cli-linux-amd64'],
      ['go1.27.3', './cmd/cli', 'windows/arm64', 'go1.27.3/cli_windows_arm64.exe', 'go1.27.3-cli-windows-arm64'],
    ],
  );
  t.deepEqual(
    plan.toolchains.map((tc) => [tc.version, tc.image]),
    [
      ['go1.26.8', 'airlock-sandbox:go1.26.8-0123456789abcdef'],
      ['go1.27.3', 'airlock-sandbox:go1.27.3-0123456789abcdef'],
    ],
  );
});

test('resolvePlan: per-toolchain layout still rejects two packages writing the same file, naming the versioned path', (t) => {
  const error = t.throws(
    () => resolvePlan(input({ mainPackages: ['./cmd/tool', './tools/tool'], toolchains: [toolchain('go1.26.8'), toolchain('go1.27.3')] })),
    { instanceOf: InputError },
  );
  t.is(error?.message, './tools/tool and ./cmd/tool would both be written as go1.26.8/tool_linux_amd64');
});

test('resolvePlan: the same version selected twice does not yield duplicate jobs', (t) => {
  // resolveToolchainSpecs deduplicates, so this cannot come from the CLI; the plan must still not hold two
  // jobs writing the same file.
  t.throws(() => resolvePlan(input({ toolchains: [toolchain('go1.26.8'), toolchain('go1.26.8')] })), { instanceOf: InputError });
});

test('resolvePlan: a target missing from the only toolchain is an InputError naming the toolchain and the nearest ports', (t) => {
  const error = t.throws(() => resolvePlan(input({ targets: ['linux/amd64', 'windows/mips'].map(parseTarget) })), {
    instanceOf: InputError,
  });
  t.is(error?.message, 'unknown target windows/mips: go1.26.8 has no port windows/mips');
  t.is(error?.hint, 'windows targets of go1.26.8: windows/amd64, windows/386, windows/arm64');
});

test("resolvePlan: targets are checked against each toolchain's own ports; the error names the toolchain that lacks it", (t) => {
  // go1.27.3 here has dropped windows/386 (as a later release might); go1.26.8 still has it.
  const newer = toolchain('go1.27.3', { ports: PORTS.filter((port) => port !== 'windows/386') });
  const older = toolchain('go1.26.8');
  const targets = ['linux/amd64', 'windows/386'].map(parseTarget);
  for (const toolchains of [
    [older, newer],
    [newer, older],
  ]) {
    const error = t.throws(() => resolvePlan(input({ targets, toolchains })), { instanceOf: InputError });
    t.is(error?.message, 'unknown target windows/386: go1.27.3 has no port windows/386');
    t.is(error?.hint, 'windows targets of go1.27.3: windows/amd64, windows/arm64');
  }
  // Each alone: the older one plans the target, the newer one refuses it.
  t.is(resolvePlan(input({ targets, toolchains: [older] })).jobs.length, 2);
  t.throws(() => resolvePlan(input({ targets, toolchains: [newer] })), { instanceOf: InputError, message: /go1\.27\.3 has no port windows\/386/ });
  // A port only the newer toolchain has is refused by the older one.
  const withNewPort = toolchain('go1.27.3', { ports: [...PORTS, 'linux/loong64'] });
  t.throws(() => resolvePlan(input({ targets: [parseTarget('linux/loong64')], toolchains: [older, withNewPort] })), {
    instanceOf: InputError,
    message: 'unknown target linux/loong64: go1.26.8 has no port linux/loong64',
  });
});

test('checksumGroups: the flat layout has one group for the output directory itself, with every job', (t) => {
  const plan = resolvePlan(input({ mainPackages: ['./cmd/a', './cmd/b'], targets: ['linux/amd64', 'js/wasm'].map(parseTarget) }));
  const groups = checksumGroups(plan);
  t.is(groups.length, 1);
  t.is(groups[0]?.directory, '');
  t.deepEqual(groups[0]?.jobs, plan.jobs);
});

test('checksumGroups: the per-toolchain layout has one group per version, in plan order, each with exactly its jobs', (t) => {
  const plan = resolvePlan(
    input({
      mainPackages: ['./cmd/a', './cmd/b'],
      targets: ['linux/amd64', 'darwin/arm64'].map(parseTarget),
      toolchains: [toolchain('go1.27.3'), toolchain('go1.26.8'), toolchain('go1.27rc2')],
    }),
  );
  const groups = checksumGroups(plan);
  t.deepEqual(
    groups.map((group) => group.directory),
    ['go1.27.3', 'go1.26.8', 'go1.27rc2'],
  );
  for (const group of groups) {
    t.is(group.jobs.length, 4, group.directory);
    for (const job of group.jobs) {
      t.is(job.toolchain, group.directory);
      t.true(job.output.startsWith(`${group.directory}/`), job.output);
    }
  }
  // Together the groups cover every job exactly once.
  t.deepEqual(
    groups.flatMap((group) => group.jobs.map((job) => job.id)).sort(),
    plan.jobs.map((job) => job.id).sort(),
  );
});

// Golden file for a release matrix: examples/hello with two toolchains (digests from the shipped matrix) and four targets.
test('the plan of examples/hello for two toolchains and four targets (golden)', async (t) => {
  const module = await readGoModule(path.join(packageRoot(), 'examples', 'hello'));
  const matrix = loadToolchainMatrix(path.join(packageRoot(), 'toolchains', 'go.json'));
  const ports = parsePortList(await hostZosarch());
  const toolchains = ['go1.26.8', 'go1.27.3'].map((version) =>
    toolchain(version, { ports, treeDigest: findPins(matrix, version, 'linux/amd64')!.treeDigest }),
  );
  const plan = resolvePlan({
    module: { path: module.goMod.module, ...(module.goMod.go !== undefined ? { go: module.goMod.go } : {}), vendored: module.hasVendor },
    mainPackages: await findMainPackages(module),
    targets: ['linux/amd64', 'linux/arm64', 'darwin/arm64', 'windows/amd64'].map(parseTarget),
    toolchains,
    ldflags: ['-s', '-w'],
    tags: [],
  });
  t.is(plan.layout, 'per-toolchain');
  t.is(plan.jobs.length, 8);
  t.is(new Set(plan.jobs.map((job) => job.id)).size, 8, 'job ids are unique');
  t.is(new Set(plan.jobs.map((job) => job.output)).size, 8, 'outputs are unique');
  t.deepEqual(
    plan.jobs.map((job) => job.output),
    [
      'go1.26.8/hello_linux_amd64',
      'go1.26.8/hello_linux_arm64',
      'go1.26.8/hello_darwin_arm64',
      'go1.26.8/hello_windows_amd64.exe',
      'go1.27.3/hello_linux_amd64',
      'go1.27.3/hello_linux_arm64',
      'go1.27.3/hello_darwin_arm64',
      'go1.27.3/hello_windows_amd64.exe',
    ],
  );
  t.deepEqual(
    plan.toolchains.map((tc) => tc.digest),
    ['h1:ZOmGe1OnfREDMIdb1Qi4G9JSuDPBLGExZMQ4nis1RXM=', 'h1:r0ub+FnqzZxoWm/dSUOI9DcIqYWn/mNYGFJcv7PyBzs='],
  );
  t.snapshot(`${JSON.stringify(plan, null, 2)}\n`, 'airlock plan --json, two toolchains');
});
