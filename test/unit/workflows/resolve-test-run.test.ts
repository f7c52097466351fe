import test from 'ava';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { checkPackagePatterns } from '../../../src/modules/package-patterns.js';
import { readGoModule } from '../../../src/modules/read-module.js';
import { resolveModuleInputs } from '../../../src/modules/resolve-module-inputs.js';
import { buildTestResultStatement } from '../../../src/provenance/test-result-statement.js';
import { isTestReportFile } from '../../../src/release/layout.js';
import { foreignInChecksumGroup } from '../../../src/release/output-directory.js';
import { releaseFiles } from '../../../src/workflows/verify-release.js';
import { loadSandboxTemplate } from '../../../src/sandbox/load-template.js';
import { SandboxPaths, sandboxContainerSpec } from '../../../src/sandbox/policy.js';
import { loadSeccompChoice } from '../../../src/sandbox/seccomp-choice.js';
import { parsePortList } from '../../../src/toolchain/ports.js';
import type { StoredToolchain } from '../../../src/toolchain/store.js';
import { packageRoot } from '../../../src/util/package-root.js';
import { type BuildInputs, type BuildRequest, resolveBuild } from '../../../src/workflows/build/index.js';
import { resolveTestRun } from '../../../src/workflows/test/resolve.js';
import { parseGoDuration, parseTestPattern } from '../../../src/cli/flag-values.js';
import { InputError } from '../../../src/errors.js';
import { hostZosarch } from '../../helpers/host-tools.js';

async function stored(version: string, digest: string): Promise<StoredToolchain> {
  return {
    schema: 1,
    id: `${version}-linux-amd64`,
    version,
    goos: 'linux',
    goarch: 'amd64',
    treeDigest: digest,
    fileCount: 1,
    totalBytes: 1,
    ports: parsePortList(await hostZosarch()),
    importedAt: '2026-12-01T00:00:00.000Z',
    source: { kind: 'module-zip', location: `golang.org/toolchain@v0.0.1-${version}.linux-amd64` },
    verification: { status: 'pinned', checks: ['h1 equals the pin'], notes: [], matrix: 'toolchains/go.json' },
    goroot: `/store/${version}-linux-amd64/go`,
  };
}

/** examples/service, as gatherBuildInputs reads it for `airlock test` (no main package looked for). */
async function serviceInputs(): Promise<BuildInputs> {
  const module = await readGoModule(path.join(packageRoot(), 'examples', 'service'));
  return {
    module,
    config: {},
    moduleInputs: await resolveModuleInputs(module, {}),
    storedToolchains: [await stored('go1.26.8', 'h1:ZOmGe1OnfREDMIdb1Qi4G9JSuDPBLGExZMQ4nis1RXM='), await stored('go1.27.3', 'h1:r0ub+UDbkcv8Y6TLuxLjSQzFtu1Eq7ypy2rI5HsxCj0=')],
    matrixVersions: ['go1.26.8', 'go1.27.3'],
    mainPackages: [],
    cpus: 2,
    seccomp: await loadSeccompChoice(undefined, 'test'),
    template: await loadSandboxTemplate(),
    engine: { os: 'linux', arch: 'amd64', kind: 'docker', version: '20.10.24' },
  };
}

const request: BuildRequest = {
  purpose: 'test',
  dir: path.join(packageRoot(), 'examples', 'service'),
  targets: ['linux/amd64', 'windows/amd64'],
  mains: [],
  toolchains: ['1.26.8', '1.27.3'],
  ldflags: [],
  tags: ['netgo'],
  jobs: 2,
  airlockHome: '/home/airlock',
  out: path.join(packageRoot(), 'examples', 'service', 'test-results'),
};

test('a test run: go vet per toolchain and target, then go test per toolchain on the engine platform, each with its exact command', async (t) => {
  const build = resolveBuild(await serviceInputs(), request);
  t.deepEqual(build.plan.jobs, [], 'no build jobs');
  t.deepEqual(build.plan.testTargets, ['linux/amd64', 'windows/amd64']);
  const run = resolveTestRun(build, { packages: ['./...'], short: true, run: '^TestIn$', timeout: '2m' });
  t.deepEqual(
    run.jobs.map((job) => [job.id, job.kind, job.output]),
    [
      ['go1.26.8-vet-linux-amd64', 'vet', 'go-vet.go1.26.8.linux-amd64.json'],
      ['go1.26.8-vet-windows-amd64', 'vet', 'go-vet.go1.26.8.windows-amd64.json'],
      ['go1.27.3-vet-linux-amd64', 'vet', 'go-vet.go1.27.3.linux-amd64.json'],
      ['go1.27.3-vet-windows-amd64', 'vet', 'go-vet.go1.27.3.windows-amd64.json'],
      ['go1.26.8-test-linux-amd64', 'test', 'go-test.go1.26.8.linux-amd64.json'],
      ['go1.27.3-test-linux-amd64', 'test', 'go-test.go1.27.3.linux-amd64.json'],
    ],
  );
  const vet = run.jobs.find((job) => job.id === 'go1.26.8-vet-windows-amd64')!;
  t.deepEqual(vet.command.args, ['vet', '-json', '-tags=netgo', './...']);
  t.like(vet.command.env, { GOOS: 'windows', GOARCH: 'amd64', GOPROXY: 'off', CGO_ENABLED: '0', ZONEINFO: `${SandboxPaths.goroot}/lib/time/zoneinfo.zip` });
  const goTest = run.jobs.find((job) => job.id === 'go1.27.3-test-linux-amd64')!;
  t.deepEqual(goTest.command.args, ['test', '-json', '-count=1', '-buildvcs=false', `-outputdir=${SandboxPaths.output}`, '-tags=netgo', '-short', '-run=^TestIn$', '-timeout=2m', './...']);
  t.like(goTest.command.env, { GOOS: 'linux', GOARCH: 'amd64', GOTMPDIR: SandboxPaths.tmp, TMPDIR: SandboxPaths.tmp, GOTOOLCHAIN: 'local' });
  t.throws(() => (goTest.command.args as string[]).push('-count=2'));
  t.throws(() => (run.jobs as unknown[]).push(vet));
});

test('the test policy differs from the build policy in the executable /tmp and its seccomp profile only', async (t) => {
  const inputs = await serviceInputs();
  const testPolicy = resolveBuild(inputs, request).policy;
  const buildPolicy = resolveBuild({ ...inputs, mainPackages: ['.'], seccomp: await loadSeccompChoice(undefined) }, { ...request, purpose: 'build' }).policy;
  const { executableTmp, seccomp, ...rest } = testPolicy;
  const { seccomp: buildSeccomp, ...buildRest } = buildPolicy;
  t.true(executableTmp);
  t.is('executableTmp' in buildPolicy, false, 'the build policy (and its recorded digest) has no such field');
  t.deepEqual(rest, buildRest);
  t.is(seccomp.name, 'airlock-go-test.json');
  t.is(buildSeccomp.name, 'airlock-go-build.json');
  t.not(seccomp.digest, buildSeccomp.digest);
  const spec = (policy: typeof testPolicy) =>
    sandboxContainerSpec(policy, { name: 'w', image: 'i', volume: 'v', command: ['gofmt'], env: {}, labels: {}, seccomp: { profileJson: '{}' } });
  t.regex(spec(testPolicy).tmpfs[0]!.options, /^rw,exec,nosuid,nodev,/);
  t.regex(spec(buildPolicy).tmpfs[0]!.options, /^rw,noexec,nosuid,nodev,/);
  t.is(spec(testPolicy).network, 'none');
});

test('package patterns: the module\'s own packages, relative or by import path; one that matches nothing is bad input', async (t) => {
  const dir = path.join(packageRoot(), 'examples', 'service');
  t.deepEqual(await checkPackagePatterns(dir, 'example.com/service', ['./...', '.', './internal/...', 'example.com/service/internal/clock', 'example.com/service/...']), [
    './...',
    '.',
    './internal/...',
    './internal/clock',
    './...',
  ]);
  for (const [pattern, message] of [
    ['./nothing/...', /matches no package of the module example\.com\/service/],
    ['./internal', /matches no package/],
    ['fmt', /is not a package of the module example\.com\/service/],
    ['all', /is not a package of the module/],
    ['./../hello', /must stay inside the module/],
  ] as const) {
    const error = await t.throwsAsync(checkPackagePatterns(dir, 'example.com/service', [pattern]), { instanceOf: InputError });
    t.regex(error!.message, message);
  }
  // A nested module is not walked into by ./..., as go list does not.
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-patterns-'));
  t.teardown(() => fs.remove(work));
  await fs.outputFile(path.join(work, 'go.mod'), 'module example.com/outer\n');
  await fs.outputFile(path.join(work, 'inner', 'go.mod'), 'module example.com/inner\n');
  await fs.outputFile(path.join(work, 'inner', 'x.go'), 'package x\n');
  await fs.outputFile(path.join(work, 'testdata', 'y.go'), 'package y\n');
  await t.throwsAsync(checkPackagePatterns(work, 'example.com/outer', ['./...']), { message: /matches no package/ });
});

test('--run, --skip and --timeout are checked as go test reads them', (t) => {
  t.is(parseGoDuration('--timeout', '90s'), '90s');
  t.is(parseGoDuration('--timeout', '1h30m'), '1h30m');
  t.is(parseGoDuration('--timeout', '1.5m'), '1.5m');
  t.is(parseGoDuration('--timeout', undefined), undefined);
  for (const bad of ['10', 'ten minutes', '5 m', '-1s', '']) t.throws(() => parseGoDuration('--timeout', bad), { instanceOf: InputError, message: /is not a duration/ });
  for (const good of ['^TestIn$', 'TestIn/America/New_York', '(?i)server', 'Test[a/b]x', '(?P<n>x)y', 'a|b']) t.is(parseTestPattern('--run', good), good);
  for (const bad of ['Test[(', 'Test(', '*x', 'TestIn/[']) t.throws(() => parseTestPattern('--run', bad), { instanceOf: InputError, message: /is not a valid regular expression/ });
});

test('a test results directory is airlock\'s: its reports are listed without envelopes, the stream with its envelope', (t) => {
  t.true(isTestReportFile('junit.xml'));
  t.true(isTestReportFile('go-vet.go1.26.8.linux-amd64.json'));
  t.false(isTestReportFile('go-test.go1.26.8.linux-amd64.json'));
  const stream = 'go-test.go1.26.8.linux-amd64.json';
  const sums = ['junit.xml', stream, 'go-vet.go1.26.8.linux-amd64.json'].map((name) => `${'0'.repeat(64)}  ${name}`).join('\n') + '\n';
  const files = ['SHA256SUMS', 'junit.xml', stream, `${stream}.intoto.jsonl`, 'go-vet.go1.26.8.linux-amd64.json'];
  t.deepEqual(foreignInChecksumGroup({ files, directories: [], others: [] }, sums, false), []);
  t.deepEqual(foreignInChecksumGroup({ files: files.filter((f) => !f.endsWith('.intoto.jsonl')), directories: [], others: [] }, sums, false).length, 4, 'a stream without its envelope: nothing is airlock\'s');
  t.deepEqual(foreignInChecksumGroup({ files: [...files, 'notes.txt'], directories: [], others: [] }, sums, false), ['notes.txt']);
  // verify expects exactly these files: an envelope beside the stream, none beside the reports.
  t.deepEqual(
    [...releaseFiles([{ sumsFile: 'SHA256SUMS', names: ['junit.xml', stream, 'go-vet.go1.26.8.linux-amd64.json'] }])].filter((f) => f !== 'airlock-shard.json').sort(),
    [...files, 'SHA256SUMS.sig', 'SHA256SUMS.asc', 'SM3SUMS', 'SM3SUMS.sig', 'SM3SUMS.asc', 'RELEASE-MANIFEST', 'RELEASE-MANIFEST.sig'].sort(),
  );
});

test('the test-result statement: in-toto v1, test-result v0.1, the source and the stream as subjects, extensions inside the predicate (golden)', (t) => {
  const statement = buildTestResultStatement({
    result: 'FAILED',
    passedTests: ['example.com/service/internal/clock#TestIn'],
    failedTests: ['example.com/service/internal/clock#TestFails'],
    warnedTests: [],
    source: { path: '/src/service', treeDigest: 'ab'.repeat(32), gitCommit: 'cd'.repeat(20) },
    stream: { name: 'go-test.go1.27.3.linux-amd64.json', sha256: 'ef'.repeat(32) },
    toolchain: { version: 'go1.27.3', treeDigest: 'h1:r0ub+UDbkcv8Y6TLuxLjSQzFtu1Eq7ypy2rI5HsxCj0=', moduleVersion: 'v0.0.1-go1.27.3.linux-amd64', platform: 'linux/amd64' },
    sandbox: { image: 'airlock-sandbox:go1.27.3-0123456789abcdef', imageId: `sha256:${'12'.repeat(32)}`, policyDigest: `sha256:${'34'.repeat(32)}`, seccomp: 'airlock-go-test.json (sha256:56)', network: 'none' },
    command: ['go', 'test', '-json', '-count=1', './...'],
    environment: { GOPROXY: 'off' },
    target: 'linux/amd64',
    counts: { passed: 1, failed: 1, skipped: 0, errors: 0, packages: 1 },
    vet: [{ name: 'go-vet.go1.27.3.linux-amd64.json', sha256: '78'.repeat(32), target: 'linux/amd64', findings: 0, failed: false }],
    airlockVersion: '0.1.0',
    invocationId: 'run/job',
    startedOn: new Date('2026-12-07T12:00:00.123Z'),
    finishedOn: new Date('2026-12-07T12:01:00.456Z'),
  });
  t.snapshot(statement);
  t.is(statement._type, 'https://in-toto.io/Statement/v1');
  t.is(statement.predicateType, 'https://in-toto.io/attestation/test-result/v0.1');
  t.deepEqual(Object.keys(statement).sort(), ['_type', 'predicate', 'predicateType', 'subject'], 'nothing beside the predicate: strict parsers refuse unknown top-level fields');
  t.deepEqual(statement.subject[1], { name: 'go-test.go1.27.3.linux-amd64.json', digest: { sha256: 'ef'.repeat(32) }, mediaType: 'application/x-ndjson' });
  t.true(Object.keys(statement.predicate).filter((key) => !['result', 'configuration', 'passedTests', 'warnedTests', 'failedTests'].includes(key)).every((key) => key.startsWith('airlock_')));
});
