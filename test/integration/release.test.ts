import type { ExecutionContext } from 'ava';
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { parse } from 'yaml';
import { copyModule, ensureToolchains, integration, linkAirlockInto, managedContainers, runAirlock, TEST_OWNER, testHome } from '../helpers/airlock-cli.js';
import { LocalPipelineRunner, type PipelineConfig } from '../helpers/gitlab-pipeline.js';
import { LocalWorkflowRunner, type Workflow } from '../helpers/github-workflow.js';

const PASSPHRASE = 'release pipeline test';

integration('--report and --fail-fast: a failing target is reported as such, later targets are not started', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/hello');
  await fs.appendFile(path.join(module, 'main.go'), '\nfunc broken() { undefinedName() }\n');
  const report = path.join(path.dirname(module), 'report.json');
  const result = await runAirlock(['build', module, '--go', '1.26.8', '--jobs', '1', '--fail-fast', '--report', report, '--target', 'linux/amd64', '--target', 'linux/arm64', '--target', 'windows/amd64']);
  t.is(result.exitCode, 3, result.stderr);
  t.regex(result.stderr, /airlock: error: 1 of 3 builds failed \(2 not started: --fail-fast\)/);
  const written = JSON.parse(await fs.readFile(report, 'utf8')) as { ok: boolean; exitCode: number; targets: Array<{ output: string; state: string; reason?: string }> };
  t.false(written.ok);
  t.is(written.exitCode, 3);
  t.deepEqual(
    written.targets.map((target) => [target.output, target.state, target.reason]),
    [
      ['hello_linux_amd64', 'failed', 'build-failed'],
      ['hello_linux_arm64', 'skipped', 'skipped'],
      ['hello_windows_amd64.exe', 'skipped', 'skipped'],
    ],
  );
  t.false(await fs.pathExists(path.join(module, 'dist')));
  t.deepEqual(await managedContainers(), []);
});

/**
 * A repository as a user would set it up for a CI release: examples/hello with what `airlock init --ci`
 * wrote, its airlock.json narrowed to one toolchain and an ELF and a PE target, AIRLOCK_SHARDS set to 2 as a user
 * edits it (2 shards of one build each; fewer cold builds keep CI short), and a release key pair whose public
 * half is committed.
 */
const HELLO_TEST = `package main

import (
	"strings"
	"testing"
)

func TestRuntimeInfo(t *testing.T) {
	if !strings.HasPrefix(runtimeInfo(), "go1.") {
		t.Fatalf("runtimeInfo() = %q", runtimeInfo())
	}
}
`;

/** The release's SHA256SUMS without the test run's lines: what an unsharded build without --test lists. */
function binaryLines(sums: string): string {
  return sums
    .split('\n')
    .filter((line) => line !== '' && !/  (junit\.xml|go-(test|vet)\.\S+\.json)$/.test(line))
    .map((line) => `${line}\n`)
    .join('');
}

/** The pipeline's test run in a merged release: reports and stream listed, the attestation beside it, verified as the binaries' source. */
function assertTestRunReleased(t: ExecutionContext, sums: string, verifyLog: string): void {
  t.regex(sums, /  junit\.xml$/m);
  t.regex(sums, /  go-test\.go1\.26\.8\.linux-amd64\.json$/m);
  t.regex(sums, /  go-vet\.go1\.26\.8\.linux-amd64\.json$/m);
  t.regex(verifyLog, /^OK +go-test\.go1\.26\.8\.linux-amd64\.json +checksum, envelope signature, subject digest, test result, tested source/m, verifyLog);
}

async function releaseRepository(t: ExecutionContext, ci: 'github' | 'gitlab'): Promise<{ module: string; work: string; key: string }> {
  await ensureToolchains();
  const module = await copyModule('examples/hello');
  const work = path.dirname(module);
  t.is((await runAirlock(['init', module, '--ci', ci])).exitCode, 0);
  // Tests for the pipeline's test job: one that passes, in the sandbox, offline.
  await fs.writeFile(path.join(module, 'main_test.go'), HELLO_TEST);
  const config = JSON.parse(await fs.readFile(path.join(module, 'airlock.json'), 'utf8')) as Record<string, unknown>;
  await fs.writeFile(path.join(module, 'airlock.json'), `${JSON.stringify({ ...config, toolchains: ['1.26.8'], targets: ['linux/amd64', 'windows/amd64'] }, null, 2)}\n`);
  const pipelineFile = ci === 'github' ? path.join(module, '.github', 'workflows', 'airlock-release.yml') : path.join(module, '.gitlab-ci.yml');
  const pipeline = await fs.readFile(pipelineFile, 'utf8');
  t.regex(pipeline, /AIRLOCK_SHARDS: "4"/);
  await fs.writeFile(pipelineFile, pipeline.replace('AIRLOCK_SHARDS: "4"', 'AIRLOCK_SHARDS: "2"'));
  const key = path.join(work, 'airlock.key');
  t.is((await runAirlock(['keygen', '--key', key, '--pub', path.join(module, 'airlock.pub')], { env: { AIRLOCK_KEY_PASSPHRASE: PASSPHRASE } })).exitCode, 0);
  return { module, work, key };
}

integration('the GitHub workflow `airlock init --ci github` writes runs as written: tests, plan, 2 shard jobs, merge, verify (merged by hand too, in either order, a missing shard refused); the release equals an unsharded build and carries the test attestation', async (t) => {
  const { module, work, key } = await releaseRepository(t, 'github');
  const workflow = parse(await fs.readFile(path.join(module, '.github', 'workflows', 'airlock-release.yml'), 'utf8')) as Workflow;
  const runner = new LocalWorkflowRunner(workflow, {
    repository: module,
    scratch: path.join(work, 'runner'),
    // GitHub gives a secret that is not set as empty text: the optional GPG key is not set here.
    secrets: { AIRLOCK_SIGNING_KEY: await fs.readFile(key, 'utf8'), AIRLOCK_KEY_PASSPHRASE: PASSPHRASE, AIRLOCK_GPG_PRIVATE_KEY: '', AIRLOCK_GPG_KEY_ID: '', AIRLOCK_GPG_PASSPHRASE: '' },
    baseEnv: { PATH: process.env.PATH, HOME: process.env.HOME, AIRLOCK_HOME: testHome, AIRLOCK_OWNER: TEST_OWNER },
    prepareWorkspace: linkAirlockInto,
  });
  const [tested] = await runner.runJob('test');
  t.regex(tested!.logs.join('\n'), /go1\.26\.8 on linux\/amd64: PASSED/);
  const [plan] = await runner.runJob('plan');
  const matrix = JSON.parse(plan!.outputs.matrix!) as { include: Array<{ shard: string }> };
  t.deepEqual(
    matrix.include.map((entry) => entry.shard),
    ['1/2', '2/2'],
  );
  t.is((await runner.runJob('build')).length, 2);
  await runner.runJob('merge');
  const [verified] = await runner.runJob('verify');
  const verifyLog = verified!.logs.join('\n');
  // One OK row per binary, and nothing failed or left unchecked.
  t.is(verifyLog.match(/^OK +hello_\S+ +checksum, envelope signature, subject digest/gm)?.length, 2, verifyLog);
  t.regex(verifyLog, /^OK +SHA256SUMS +signature/m);
  t.notRegex(verifyLog, /FAILED|signatures were not checked/);
  t.regex(verifyLog, /verified \d+ files/);

  // The release the merge job uploaded, against one unsharded build of the same checkout.
  const release = path.join(work, 'release');
  await fs.mkdirp(release);
  await execa('tar', ['-C', release, '-xf', path.join(work, 'runner', 'artifacts', 'airlock-release', 'release.tar')]);
  const whole = path.join(work, 'whole');
  // --json: the event stream a pipeline would read, one JSON document per line, ending in the result.
  const unsharded = await runAirlock(['build', module, '--cache', '--out', whole, '--json']);
  t.is(unsharded.exitCode, 0, unsharded.stderr);
  const events = unsharded.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { type: string; state?: string; ok?: boolean });
  t.true(events.some((event) => event.type === 'plan'));
  t.true(events.some((event) => event.type === 'job' && event.state === 'done'));
  t.deepEqual(events.at(-1), { ...events.at(-1), type: 'result', ok: true });
  const sums = await fs.readFile(path.join(whole, 'SHA256SUMS'), 'utf8');
  const releaseSums = await fs.readFile(path.join(release, 'SHA256SUMS'), 'utf8');
  t.is(binaryLines(releaseSums), sums);
  t.is(sums.trim().split('\n').length, 2);
  assertTestRunReleased(t, releaseSums, verifyLog);
  t.true(await fs.pathExists(path.join(work, 'runner', 'artifacts', 'airlock-test-results', 'junit.xml')), 'the JUnit file is uploaded');
  for (const line of sums.trim().split('\n')) {
    const file = line.split('  ')[1]!;
    t.true((await fs.readFile(path.join(release, file))).equals(await fs.readFile(path.join(whole, file))), file);
    t.is((await fs.stat(path.join(release, file))).mode & 0o777, (await fs.stat(path.join(whole, file))).mode & 0o777, `${file}: the same mode`);
    t.true(await fs.pathExists(path.join(release, `${file}.intoto.jsonl`)), `${file} has its envelope`);
  }
  t.true(await fs.pathExists(path.join(release, 'SHA256SUMS.sig')), 'the merged SHA256SUMS is signed');
  t.false(await fs.pathExists(path.join(release, 'airlock-shard.json')), 'no shard manifest in the release');

  // The shard artifacts again, merged by hand: the order they are given in does not matter, and a missing
  // shard is refused with nothing written.
  const shards: string[] = [];
  for (const index of [0, 1]) {
    const shard = path.join(work, `shard-${index}`);
    await fs.mkdirp(shard);
    await execa('tar', ['-C', shard, '-xf', path.join(work, 'runner', 'artifacts', `airlock-shard-${index}`, 'shard.tar')]);
    shards.push(shard);
  }
  const pub = path.join(module, 'airlock.pub');
  const reversed = path.join(work, 'reversed');
  const merge = await runAirlock(['merge', shards[1]!, shards[0]!, '--out', reversed, '--key', pub]);
  t.is(merge.exitCode, 0, merge.stderr);
  t.is(await fs.readFile(path.join(reversed, 'SHA256SUMS'), 'utf8'), sums);
  const partial = path.join(work, 'partial');
  const missing = await runAirlock(['merge', shards[0]!, '--out', partial, '--key', pub]);
  t.is(missing.exitCode, 2, missing.stderr);
  t.regex(missing.stderr, /shard 2\/2 is missing/);
  t.false(await fs.pathExists(partial));
  t.deepEqual(await managedContainers(), []);
});

integration('the GitLab pipeline `airlock init --ci gitlab` writes runs as written: plan, then the child pipeline (tests with their JUnit report, 2 shards, merge, verify); the release equals an unsharded build and carries the test attestation', async (t) => {
  const { module, work, key } = await releaseRepository(t, 'gitlab');
  const options = {
    repository: module,
    scratch: path.join(work, 'gitlab-runner'),
    // As the pipeline's comments tell a user to set them up: the key as a File variable, the passphrase masked.
    variables: { AIRLOCK_KEY_PASSPHRASE: PASSPHRASE },
    fileVariables: { AIRLOCK_SIGNING_KEY: await fs.readFile(key, 'utf8') },
    baseEnv: { PATH: process.env.PATH, HOME: process.env.HOME, AIRLOCK_HOME: testHome, AIRLOCK_OWNER: TEST_OWNER },
    prepareWorkspace: linkAirlockInto,
  };
  const parent = parse(await fs.readFile(path.join(module, '.gitlab-ci.yml'), 'utf8')) as PipelineConfig & { 'airlock-release': { trigger: { include: Array<Record<string, string>> } } };
  const { 'airlock-release': release, ...withoutTrigger } = parent;
  const [plan] = await new LocalPipelineRunner(options).runPipeline(withoutTrigger);
  t.is(plan!.name, 'airlock-plan');
  // The child pipeline is what GitLab merges from the trigger's includes: the local file, then the plan's artifact.
  const includes = release.trigger.include;
  t.deepEqual(includes, [{ local: '.gitlab/airlock-build.yml' }, { artifact: 'airlock-matrix.json', job: 'airlock-plan' }]);
  const child = {
    ...(parse(await fs.readFile(path.join(module, includes[0]!.local!), 'utf8')) as PipelineConfig),
    ...(parse(await fs.readFile(path.join(plan!.artifacts, includes[1]!.artifact!), 'utf8')) as PipelineConfig),
  };
  const runs = await new LocalPipelineRunner({ ...options, scratch: path.join(work, 'gitlab-runner-child') }).runPipeline(child, parent.variables);
  t.deepEqual(
    runs.map((run) => run.name),
    ['airlock-test', 'airlock-build', 'airlock-build', 'airlock-merge', 'airlock-verify'],
  );
  // artifacts:reports:junit, as GitLab's Tests tab reads it: one suite of the module's package, its test passed.
  const junit = await fs.readFile(runs[0]!.junit!, 'utf8');
  t.regex(junit, /<testsuite name="example\.com\/hello" tests="1" failures="0" errors="0"/);
  t.regex(junit, /<testcase classname="example\.com\/hello" name="TestRuntimeInfo"/);
  const verifyLog = runs.at(-1)!.log;
  t.is(verifyLog.match(/^OK +hello_\S+ +checksum, envelope signature, subject digest/gm)?.length, 2, verifyLog);
  t.notRegex(verifyLog, /FAILED|signatures were not checked/);

  const merged = path.join(runs.at(-2)!.artifacts, 'dist');
  const whole = path.join(work, 'whole');
  const unsharded = await runAirlock(['build', module, '--cache', '--out', whole]);
  t.is(unsharded.exitCode, 0, unsharded.stderr);
  const sums = await fs.readFile(path.join(whole, 'SHA256SUMS'), 'utf8');
  const mergedSums = await fs.readFile(path.join(merged, 'SHA256SUMS'), 'utf8');
  t.is(binaryLines(mergedSums), sums);
  assertTestRunReleased(t, mergedSums, verifyLog);
  for (const line of sums.trim().split('\n')) {
    const file = line.split('  ')[1]!;
    t.true((await fs.readFile(path.join(merged, file))).equals(await fs.readFile(path.join(whole, file))), file);
  }
  t.true(await fs.pathExists(path.join(merged, 'SHA256SUMS.sig')), 'the merged SHA256SUMS is signed');
  t.deepEqual(await managedContainers(), []);
});
