/**
 * `airlock test` on the real engine: examples/service's tests (loopback HTTP, t.TempDir, a helper process,
 * time zones) pass in the sandbox, offline; a failing test and attempts to reach the network are reported as
 * such; the attestation verifies with cosign; bad input leaves nothing behind.
 */
import test from 'ava';
import Docker from 'dockerode';
import { execa } from 'execa';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { assertCleanFailure, cliPath, copyModule, ensureCosign, ensureToolchains, integration, managedContainers, managedVolumes, ownGocacheVolumes, runAirlock, testHome } from '../helpers/airlock-cli.js';

const TOOLCHAIN = 'go1.27.3';

// The two runs of examples/service share one --cache volume (the compiled packages; test results are never
// cached, -count=1), removed when the file ends: the second run then compiles only what changed (CI time).
let cacheVolumesBefore: Set<string> | undefined;
async function gocacheVolumes(): Promise<string[]> {
  return ownGocacheVolumes();
}
test.after.always(async () => {
  if (cacheVolumesBefore === undefined) return;
  for (const name of await gocacheVolumes()) if (!cacheVolumesBefore.has(name)) await new Docker().getVolume(name).remove().catch(() => undefined);
});
const STREAM = `go-test.${TOOLCHAIN}.linux-amd64.json`;

interface TestStatement {
  subject: Array<{ name: string; digest: Record<string, string> }>;
  predicateType: string;
  predicate: { result: string; passedTests: string[]; failedTests: string[]; warnedTests: string[]; configuration: Array<{ name: string }>; airlock_counts: Record<string, number> };
}

async function statementOf(file: string): Promise<TestStatement> {
  const envelope = JSON.parse((await fs.readFile(file, 'utf8')).trim()) as { payload: string; payloadType: string };
  return JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as TestStatement;
}

async function keyPair(): Promise<{ key: string; pub: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-test-keys-'));
  const key = path.join(dir, 'key.pem');
  const pub = path.join(dir, 'key.pub');
  const made = await runAirlock(['keygen', '--key', key, '--pub', pub], { env: { AIRLOCK_KEY_PASSPHRASE: 'test' } });
  if (made.exitCode !== 0) throw new Error(made.stderr);
  return { key, pub };
}

integration('examples/service: go vet and go test pass in the sandbox, offline; JUnit, the stream and a signed attestation cosign verifies', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/service');
  const { key, pub } = await keyPair();
  cacheVolumesBefore ??= new Set(await gocacheVolumes());
  const result = await runAirlock(['test', module, '--go', TOOLCHAIN.slice(2), '--sign-key', key, '--cache'], { env: { AIRLOCK_KEY_PASSPHRASE: 'test' } });
  t.is(result.exitCode, 0, result.stderr + result.stdout);
  const out = path.join(module, 'test-results');
  const files = (await fs.readdir(out)).sort();
  t.deepEqual(files, ['RELEASE-MANIFEST', 'RELEASE-MANIFEST.sig', 'SHA256SUMS', 'SHA256SUMS.sig', `go-test.${TOOLCHAIN}.linux-amd64.json`, `go-test.${TOOLCHAIN}.linux-amd64.json.intoto.jsonl`, `go-vet.${TOOLCHAIN}.linux-amd64.json`, 'junit.xml'].sort());
  const check = await execa('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out });
  t.is(check.stdout.trim().split('\n').length, 3);
  t.regex(result.stdout, /^example\.com\/service\/internal\/clock\s+ok\s+8\s+0\s+0\s+[\d.]+s$/m);
  t.regex(result.stdout, /^example\.com\/service\s+no test files\s/m);
  t.regex(result.stdout, new RegExp(`^${TOOLCHAIN} on linux/amd64: PASSED$`, 'm'));

  // The stream is go test's own: every test passed here, the loopback server and the helper process included.
  const events = (await fs.readFile(path.join(out, STREAM), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { Action: string; Test?: string });
  const passed = new Set(events.filter((e) => e.Action === 'pass' && e.Test).map((e) => e.Test));
  for (const name of ['TestServerOnLoopback', 'TestJournalFromAnotherProcess', 'TestIn/America/New_York', 'TestUnknownZone']) t.true(passed.has(name), name);

  const junit = await fs.readFile(path.join(out, 'junit.xml'), 'utf8');
  t.regex(junit, /<testsuite name="example\.com\/service\/internal\/clock" tests="8" failures="0" errors="0" skipped="0"/);
  t.regex(junit, /<testcase classname="example\.com\/service\/internal\/clock" name="TestIn\/America\/New_York"/);
  // Well-formed XML, as a standard parser reads it (libxml2's xmllint, from the bootstrap).
  const lint = await execa('xmllint', ['--noout', path.join(out, 'junit.xml')], { reject: false });
  t.is(lint.exitCode, 0, lint.stderr);

  const statement = await statementOf(path.join(out, `${STREAM}.intoto.jsonl`));
  t.is(statement.predicateType, 'https://in-toto.io/attestation/test-result/v0.1');
  t.is(statement.predicate.result, 'PASSED');
  t.deepEqual(statement.predicate.failedTests, []);
  t.true(statement.predicate.passedTests.includes('example.com/service/internal/clock#TestServerOnLoopback'));
  t.truthy(statement.subject.find((s) => s.name === 'source')?.digest.dirHash);
  t.true(statement.predicate.configuration.some((c) => c.name === `go-toolchain:${TOOLCHAIN}`));

  const cosign = await ensureCosign();
  const verified = await execa(
    cosign,
    ['verify-blob-attestation', '--key', pub, '--insecure-ignore-tlog', '--type', 'https://in-toto.io/attestation/test-result/v0.1', '--signature', path.join(out, `${STREAM}.intoto.jsonl`), path.join(out, STREAM)],
    { reject: false, env: { HOME: os.tmpdir(), SIGSTORE_NO_CACHE: 'true' } },
  );
  t.is(verified.exitCode, 0, verified.stdout + verified.stderr);
  const sums = await execa(cosign, ['verify-blob', '--key', pub, '--insecure-ignore-tlog', '--signature', path.join(out, 'SHA256SUMS.sig'), path.join(out, 'SHA256SUMS')], { reject: false, env: { HOME: os.tmpdir() } });
  t.is(sums.exitCode, 0, sums.stdout + sums.stderr);

  // airlock verify checks the test results as it checks a release: checksums, signatures, the attestation
  // against the stream, and the result it records; a changed stream is caught.
  const verify = await runAirlock(['verify', out, '--key', pub]);
  t.is(verify.exitCode, 0, verify.stdout + verify.stderr);
  t.regex(verify.stdout, new RegExp(`^OK\\s+${STREAM.replace(/\./g, '\\.')}\\s+checksum, envelope signature, subject digest, test result$`, 'm'));
  await fs.appendFile(path.join(out, STREAM), '{"Action":"pass","Package":"example.com/forged"}\n');
  const tampered = await runAirlock(['verify', out, '--key', pub]);
  t.is(tampered.exitCode, 4);
  t.regex(tampered.stdout, new RegExp(`^FAILED\\s+${STREAM.replace(/\./g, '\\.')}\\s+checksum: sha256 [0-9a-f]{64} differs`, 'm'));
  t.deepEqual(await managedContainers(), []);
});

integration('build --test: the tests pass, then the build; the release carries the test run, and verify checks it was the binaries\' source', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/service');
  const { key, pub } = await keyPair();
  cacheVolumesBefore ??= new Set(await gocacheVolumes());
  const env = { AIRLOCK_KEY_PASSPHRASE: 'test' };
  const result = await runAirlock(['build', module, '--test', '--go', TOOLCHAIN.slice(2), '--cache', '--sign-key', key], { env });
  t.is(result.exitCode, 0, result.stderr + result.stdout);
  t.regex(result.stderr, new RegExp(`${TOOLCHAIN} on linux/amd64: PASSED`));
  const dist = path.join(module, 'dist');
  const files = (await fs.readdir(dist)).sort();
  for (const name of ['junit.xml', STREAM, `${STREAM}.intoto.jsonl`, `go-vet.${TOOLCHAIN}.linux-amd64.json`, 'service_linux_amd64', 'SHA256SUMS', 'SHA256SUMS.sig']) t.true(files.includes(name), name);
  t.true(await fs.pathExists(path.join(module, 'test-results', 'junit.xml')), 'the test run is also where `airlock test` puts it');
  const check = await execa('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dist });
  t.is(check.stdout.trim().split('\n').length, 4, 'the binary and the three reports');
  const verify = await runAirlock(['verify', dist, '--key', pub]);
  t.is(verify.exitCode, 0, verify.stdout + verify.stderr);
  t.regex(verify.stdout, new RegExp(`^OK\\s+${STREAM.replace(/\./g, '\\.')}\\s+checksum, envelope signature, subject digest, test result, tested source$`, 'm'));

  // A release whose test run is of other source than its binaries fails verify, even with every checksum right.
  await fs.appendFile(path.join(module, 'main.go'), '\n// changed after the tests ran\n');
  const other = path.join(path.dirname(module), 'other');
  const rebuilt = await runAirlock(['build', module, '--go', TOOLCHAIN.slice(2), '--cache', '--out', other]);
  t.is(rebuilt.exitCode, 0, rebuilt.stderr);
  for (const name of ['junit.xml', STREAM, `${STREAM}.intoto.jsonl`, `go-vet.${TOOLCHAIN}.linux-amd64.json`]) await fs.copy(path.join(dist, name), path.join(other, name));
  const carried = (await fs.readFile(path.join(dist, 'SHA256SUMS'), 'utf8')).split('\n').filter((line) => !line.endsWith('service_linux_amd64') && line !== '');
  await fs.appendFile(path.join(other, 'SHA256SUMS'), carried.map((line) => `${line}\n`).join(''));
  const mixed = await runAirlock(['verify', other]);
  t.is(mixed.exitCode, 4, mixed.stdout);
  t.regex(mixed.stdout, new RegExp(`^FAILED\\s+${STREAM.replace(/\./g, '\\.')}\\s+tested source: the tests ran on source tree`, 'm'));
  t.deepEqual(await managedContainers(), []);
});

integration('a failing test is exit 3 with a JUnit failure and a FAILED attestation; dialling out and DNS fail fast, loopback works', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/service');
  await fs.writeFile(
    path.join(module, 'internal', 'clock', 'egress_test.go'),
    `package clock

import (
	"net"
	"strings"
	"testing"
	"time"
)

func TestDialOut(t *testing.T) {
	started := time.Now()
	_, err := net.DialTimeout("tcp", "1.1.1.1:443", 20*time.Second)
	if err == nil || !strings.Contains(err.Error(), "network is unreachable") {
		t.Fatalf("dial out: %v", err)
	}
	if time.Since(started) > 5*time.Second {
		t.Fatalf("dial out took %s", time.Since(started))
	}
}

func TestLookup(t *testing.T) {
	if _, err := net.LookupHost("example.com"); err == nil {
		t.Fatal("a name resolved with no network")
	}
}

func TestFails(t *testing.T) {
	t.Fatal("this test fails on purpose")
}
`,
  );
  cacheVolumesBefore ??= new Set(await gocacheVolumes());
  const result = await runAirlock(['test', module, '--go', TOOLCHAIN.slice(2), '--cache']);
  assertCleanFailure(t, result, 3, /the tests failed: go1\.27\.3: 1 test failed/);
  const out = path.join(module, 'test-results');
  const junit = await fs.readFile(path.join(out, 'junit.xml'), 'utf8');
  t.regex(junit, /<testcase classname="example\.com\/service\/internal\/clock" name="TestFails"[^>]*>\s*<failure[^>]*>[^<]*this test fails on purpose/);
  t.notRegex(junit, /name="TestDialOut"[^>]*>\s*<failure/);
  t.notRegex(junit, /name="TestLookup"[^>]*>\s*<failure/);
  const statement = await statementOf(path.join(out, `${STREAM}.intoto.jsonl`));
  t.is(statement.predicate.result, 'FAILED');
  t.deepEqual(statement.predicate.failedTests, ['example.com/service/internal/clock#TestFails']);
  t.true(statement.predicate.passedTests.includes('example.com/service/internal/clock#TestDialOut'));
  t.true(statement.predicate.passedTests.includes('example.com/service/internal/clock#TestServerOnLoopback'));

  // build --test stops at the failing tests: exit 3, no release, the JUnit file written for the CI system.
  await fs.remove(out);
  const build = await runAirlock(['build', module, '--test', '--go', TOOLCHAIN.slice(2), '--cache']);
  assertCleanFailure(t, build, 3, /the tests failed, so nothing was built: go1\.27\.3: 1 test failed/);
  t.false(await fs.pathExists(path.join(module, 'dist')), 'nothing was built');
  t.regex(await fs.readFile(path.join(out, 'junit.xml'), 'utf8'), /this test fails on purpose/);
  t.deepEqual(await managedContainers(), []);
});

integration('bad input is one line, exit 2, before any container: a pattern matching nothing, a bad --run, a timeout that is no duration', async (t) => {
  const module = await copyModule('examples/service');
  const volumes = await managedVolumes();
  for (const [args, pattern] of [
    [['--packages', './nothing/...'], /--packages \.\/nothing\/\.\.\. matches no package of the module example\.com\/service/],
    [['--packages', 'fmt'], /--packages fmt is not a package of the module/],
    [['--run', 'Test[('], /--run Test\[\( is not a valid regular expression/],
    [['--timeout', '10'], /--timeout 10 is not a duration/],
  ] as const) {
    const result = await runAirlock(['test', module, ...args]);
    assertCleanFailure(t, result, 2, pattern);
    t.false(await fs.pathExists(path.join(module, 'test-results')));
  }
  for (const [args, pattern] of [
    [['--shard', '1/2'], /--test runs the tests of the whole plan, not of one shard/],
    [['--test-out', path.join(module, 'dist', 'tests')], /--test-out .* and the release directory .* overlap/],
  ] as const) {
    const result = await runAirlock(['build', module, '--test', ...args]);
    assertCleanFailure(t, result, 2, pattern);
    t.false(await fs.pathExists(path.join(module, 'test-results')));
  }
  t.deepEqual(await managedContainers(), []);
  t.deepEqual(await managedVolumes(), volumes);
});

integration('SIGINT while the tests run: exit 130, the containers and volumes removed, no test results written', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/service');
  const volumes = await managedVolumes();
  const child = execa('node', [cliPath, 'test', module, '--go', TOOLCHAIN.slice(2)], { reject: false, env: { AIRLOCK_HOME: testHome, CI: 'true' } });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/: running after/.test(stderr)) resolve();
    });
    void child.then(() => reject(new Error(`airlock test ended before a job was running: ${stderr}`)));
  });
  child.kill('SIGINT');
  const result = await child;
  t.is(result.exitCode, 130, stderr);
  t.false(await fs.pathExists(path.join(module, 'test-results')));
  t.deepEqual((await fs.readdir(module)).filter((name) => name.startsWith('.airlock-')), [], 'no staging directory is left');
  t.deepEqual(await managedContainers(), []);
  t.deepEqual(await managedVolumes(), volumes);
});
