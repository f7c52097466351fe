import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { assertCleanFailure, copyModule, ensureToolchains, integration, managedContainers, managedVolumes, runAirlock } from '../helpers/airlock-cli.js';

interface Probe {
  probe: string;
  category: string;
  expected: string;
  outcome: string;
  detail: string;
}

async function probeRun(extra: string[] = []): Promise<{ exitCode: number; results: Probe[]; stderr: string }> {
  const result = await runAirlock(['doctor', '--probe', '--json', ...extra]);
  const start = result.stdout.indexOf('[');
  const end = result.stdout.lastIndexOf(']');
  const results = start >= 0 ? (JSON.parse(result.stdout.slice(start, end + 1)) as Probe[]) : [];
  return { exitCode: result.exitCode, results, stderr: result.stderr };
}

integration('every escape probe is denied under airlock policy; the engine default profile lets some through', async (t) => {
  await ensureToolchains();
  const strict = await probeRun();
  t.is(strict.exitCode, 0, strict.stderr);
  t.true(strict.results.length >= 40, `${strict.results.length} probes`);
  const escaped = strict.results.filter((probe) => probe.outcome !== 'denied');
  t.deepEqual(escaped, [], 'no probe may escape or be skipped under the policy');
  for (const category of ['network', 'filesystem', 'exec', 'mount', 'namespace', 'process', 'kernel', 'time', 'privilege', 'seccomp', 'resources', 'status']) {
    t.true(strict.results.some((probe) => probe.category === category), category);
  }
  t.regex(strict.results.find((probe) => probe.probe === 'socket-inet')!.detail, /EPERM/);
  t.regex(strict.results.find((probe) => probe.probe === 'clone3')!.detail, /ENOSYS/);
  t.regex(strict.results.find((probe) => probe.probe === 'fork-bomb')!.detail, /EAGAIN/);
  t.regex(strict.results.find((probe) => probe.probe === 'memory-bomb')!.detail, /oom/);

  const engineDefault = await probeRun(['--seccomp', 'engine-default']);
  t.is(engineDefault.exitCode, 4);
  const allowed = engineDefault.results.filter((probe) => probe.outcome === 'allowed').map((probe) => probe.probe);
  t.true(allowed.includes('socket-inet'), 'the strict profile is what denies sockets');
  t.true(allowed.includes('memfd-create'));
  t.deepEqual(await managedContainers(), []);
  t.deepEqual(await managedVolumes(), []);
});

integration('under the test policy loopback works by design; dialling out, DNS, vsock, other netlink, the engine socket and every other probe still fail', async (t) => {
  await ensureToolchains();
  const run = await probeRun(['--policy', 'test']);
  t.is(run.exitCode, 0, run.stderr);
  const byName = new Map(run.results.map((probe) => [probe.probe, probe]));
  const allowedByDesign = ['socket-inet', 'socket-inet6', 'socket-unix', 'socket-netlink', 'socketpair', 'loopback-tcp', 'mkfifo', 'exec-tmp'];
  for (const name of allowedByDesign) {
    t.is(byName.get(name)?.expected, 'allowed', name);
    t.is(byName.get(name)?.outcome, 'allowed', `${name}: ${byName.get(name)?.detail}`);
  }
  t.regex(byName.get('loopback-tcp')!.detail, /echoed 5 bytes over 127\.0\.0\.1:\d+/);
  const unexpected = run.results.filter((probe) => probe.outcome !== probe.expected);
  t.deepEqual(unexpected, [], 'every probe as the test policy means it: no escape, nothing skipped');
  for (const name of ['tcp-dial', 'udp-send', 'dns-lookup', 'socket-vsock', 'socket-packet', 'socket-alg', 'socket-netlink-uevent', 'socket-netlink-audit', 'docker-sock-var-run', 'docker-sock-run', 'mknod-block', 'mknod-char', 'memfd-create', 'unlisted-syscall']) {
    t.is(byName.get(name)?.outcome, 'denied', name);
  }
  t.regex(byName.get('tcp-dial')!.detail, /ENETUNREACH/, 'the socket opens, but there is no route off the loopback');
  t.regex(byName.get('socket-netlink-uevent')!.detail, /EPERM/);
  t.true(run.results.length >= 70, `${run.results.length} probes`);
  t.deepEqual(await managedContainers(), []);
  t.deepEqual(await managedVolumes(), []);
});

integration('examples/cli builds for an ELF and a PE target with both toolchains under the measured profile', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/cli');
  const targets = ['linux/amd64', 'windows/amd64'].flatMap((target) => ['--target', target]);
  const result = await runAirlock(['build', module, '--go', '>=1.26', ...targets]);
  t.is(result.exitCode, 0, result.stderr);
  for (const version of ['go1.26.8', 'go1.27.3']) {
    t.is((await fs.readdir(path.join(module, 'dist', version))).filter((name) => name.startsWith('cli_') && !name.includes('.intoto')).length, 2);
  }
  const envelope = JSON.parse(await fs.readFile(path.join(module, 'dist', 'go1.27.3', 'cli_linux_amd64.intoto.jsonl'), 'utf8')) as { payload: string };
  const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as {
    predicate: { buildDefinition: { internalParameters: { sandbox: { seccomp: string; policy: { seccomp: { kind: string; digest: string } } } } } };
  };
  const sandbox = statement.predicate.buildDefinition.internalParameters.sandbox;
  t.is(sandbox.policy.seccomp.kind, 'airlock-strict');
  t.regex(sandbox.policy.seccomp.digest, /^sha256:[0-9a-f]{64}$/);
});

integration('a site seccomp profile is used and recorded by digest; a malformed one is refused', async (t) => {
  await ensureToolchains();
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-seccomp-'));
  const profile = path.join(work, 'site.json');
  t.is((await runAirlock(['generate', 'seccomp', '--out', profile])).exitCode, 0);
  const module = await copyModule('examples/hello');
  const result = await runAirlock(['build', module, '--seccomp', profile]);
  t.is(result.exitCode, 0, result.stderr);
  const envelope = JSON.parse(await fs.readFile(path.join(module, 'dist', 'hello_linux_amd64.intoto.jsonl'), 'utf8')) as { payload: string };
  const text = Buffer.from(envelope.payload, 'base64').toString('utf8');
  t.true(text.includes(`"kind":"site"`));
  t.true(text.includes(profile));

  const policy = await runAirlock(['generate', 'policy']);
  t.is(policy.exitCode, 0);
  const parsed = JSON.parse(policy.stdout) as { network: string; readOnlyRootFs: boolean; capDrop: string[]; seccomp: { kind: string } };
  t.like(parsed, { network: 'none', readOnlyRootFs: true, capDrop: ['ALL'], seccomp: { kind: 'airlock-strict' } });
  t.regex(policy.stderr, /policy digest sha256:[0-9a-f]{64}/);

  await fs.writeFile(path.join(work, 'bad.json'), '{"syscalls": "none"}');
  const bad = await runAirlock(['build', module, '--seccomp', path.join(work, 'bad.json')]);
  assertCleanFailure(t, bad, 2, /is not a seccomp profile: it needs "defaultAction" and a "syscalls" list/);
  const missing = await runAirlock(['build', module, '--seccomp', path.join(work, 'nope.json')]);
  assertCleanFailure(t, missing, 2, /the seccomp profile .*nope\.json cannot be read/);
});
