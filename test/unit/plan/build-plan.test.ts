import path from 'node:path';

import test from 'ava';

import { ExitCode, InputError } from '../../../src/errors.js';
import { findMainPackages, readGoModule } from '../../../src/modules/read-module.js';
import { packageRoot } from '../../../src/package-root.js';
import { PLAN_SCHEMA, type PlanInput, outputFileName, resolvePlan } from '../../../src/plan/build-plan.js';
import { parseTarget } from '../../../src/plan/targets.js';

const TOOLCHAIN = { version: 'go1.26.8', goos: 'linux', goarch: 'amd64', treeDigest: 'h1:ZOmGe1OnfREDMIdb1Qi4G9JSuDPBLGExZMQ4nis1RXM=' };
const IMAGE = 'airlock-sandbox:go1.26.8-0123456789abcdef';

const input = (overrides: Partial<PlanInput> = {}): PlanInput => ({
  module: { path: 'example.com/tool', go: '1.26', vendored: false },
  mainPackages: ['.'],
  targets: [parseTarget('linux/amd64')],
  toolchain: TOOLCHAIN,
  image: IMAGE,
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
  t.deepEqual(plan.jobs[0], {
    id: 'server-windows-amd64',
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
      ['tool', 'tool_linux_amd64', 'tool-linux-amd64'],
      ['tool', 'tool_windows_386.exe', 'tool-windows-386'],
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

test('resolvePlan: toolchain platform and digest come from the toolchain', (t) => {
  const plan = resolvePlan(input({ toolchain: { version: 'go1.27.3', goos: 'linux', goarch: 'arm64', treeDigest: 'h1:abc=' } }));
  t.deepEqual(plan.toolchain, { version: 'go1.27.3', platform: 'linux/arm64', digest: 'h1:abc=' });
  t.is(plan.schema, PLAN_SCHEMA);
  t.is(plan.image, IMAGE);
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
    toolchain: TOOLCHAIN,
    image: IMAGE,
    ldflags: ['-s', '-w'],
    tags: [],
  });
  t.is(plan.jobs.length, 4);
  t.deepEqual(
    plan.jobs.map((job) => job.output),
    ['hello_linux_amd64', 'hello_linux_arm64', 'hello_darwin_arm64', 'hello_windows_amd64.exe'],
  );
  t.snapshot(`${JSON.stringify(plan, null, 2)}\n`, 'airlock plan --json');
});
