import test from 'ava';

import { toDockerCreateBody } from '../../../src/engine/docker-create-options.js';
import type { ContainerSpec } from '../../../src/engine/engine.js';
import { EngineError, ExitCode } from '../../../src/errors.js';
import { type WorkerContainerInput, defaultSandboxPolicy, workerContainerSpec } from '../../../src/sandbox/policy.js';

const worker = (overrides: Partial<WorkerContainerInput> = {}): WorkerContainerInput => ({
  name: 'airlock-0123abcd-w0',
  image: 'airlock-sandbox:go1.26.8-0123456789abcdef',
  runId: '0123abcd',
  volume: 'airlock-0123abcd-w0',
  scratchVolume: 'airlock-0123abcd-w0-scratch',
  toolchain: 'go1.26.8',
  ...overrides,
});

const spec = (overrides: Partial<WorkerContainerInput> = {}): ContainerSpec => workerContainerSpec(defaultSandboxPolicy(2), worker(overrides));

test('the Docker create body of a sandbox worker (golden)', (t) => {
  t.snapshot(toDockerCreateBody(spec(), 'docker'), 'POST /containers/create');
});

test('the container has no network at all', (t) => {
  const body = toDockerCreateBody(spec(), 'docker');
  t.is(body.HostConfig.NetworkMode, 'none');
  t.true(body.NetworkDisabled);
});

test('the container is locked down: read-only root, no capabilities, no privilege gain, unprivileged user', (t) => {
  const body = toDockerCreateBody(spec(), 'docker');
  t.true(body.HostConfig.ReadonlyRootfs);
  t.deepEqual(body.HostConfig.CapDrop, ['ALL']);
  t.deepEqual(body.HostConfig.SecurityOpt, ['no-new-privileges']);
  t.is(body.User, '65534:65534');
  t.false(body.HostConfig.Privileged);
  t.is(body.HostConfig.IpcMode, 'private');
  t.false(body.Tty);
});

test('the only writable places are a noexec tmpfs, the work volume and the scratch volume', (t) => {
  const body = toDockerCreateBody(spec(), 'docker');
  t.deepEqual(Object.keys(body.HostConfig.Tmpfs), ['/tmp']);
  const options = body.HostConfig.Tmpfs['/tmp']!.split(',');
  t.true(options.includes('noexec'));
  t.true(options.includes('nosuid'));
  t.true(options.includes('nodev'));
  t.true(options.includes('size=1073741824'));
  // The scratch volume is on the engine's disk; Docker's API cannot mount a volume noexec (see README).
  t.deepEqual(body.HostConfig.Mounts, [
    { Type: 'volume', Source: 'airlock-0123abcd-w0', Target: '/work', ReadOnly: false },
    { Type: 'volume', Source: 'airlock-0123abcd-w0-scratch', Target: '/scratch', ReadOnly: false },
  ]);
});

test('memory swap equals memory, so there is no swap beyond the limit', (t) => {
  const body = toDockerCreateBody(spec(), 'docker');
  t.is(body.HostConfig.Memory, 3 * 1024 ** 3);
  t.is(body.HostConfig.MemorySwap, body.HostConfig.Memory);
  const custom = toDockerCreateBody({ ...spec(), memoryBytes: 123_456_789 }, 'docker');
  t.is(custom.HostConfig.MemorySwap, 123_456_789);
});

test('limits reach the engine', (t) => {
  const body = toDockerCreateBody(spec(), 'docker');
  t.is(body.HostConfig.PidsLimit, 512);
  t.is(body.HostConfig.NanoCpus, 2_000_000_000);
  t.deepEqual(body.HostConfig.Ulimits, [
    { Name: 'nofile', Soft: 4096, Hard: 4096 },
    { Name: 'nproc', Soft: 16384, Hard: 16384 },
    { Name: 'fsize', Soft: 10 * 1024 ** 3, Hard: 10 * 1024 ** 3 },
  ]);
});

test('the worker idles on the toolchain\'s gofmt, reading a standard input held by airlock and closed when it goes', (t) => {
  const body = toDockerCreateBody(spec(), 'docker');
  t.deepEqual(body.Cmd, ['/usr/local/go/bin/gofmt']);
  t.true(body.OpenStdin);
  t.true(body.StdinOnce, 'closed when the one attached client, airlock, disconnects');
  t.true(body.AttachStdin);
  t.deepEqual(body.Env, ['PATH=/usr/local/go/bin'], 'the build environment comes with each exec, not with the container');
  t.is(body.WorkingDir, '/work/src');
  t.is(body.Image, 'airlock-sandbox:go1.26.8-0123456789abcdef');
  t.is(body.name, 'airlock-0123abcd-w0');
  t.deepEqual(body.Labels, { 'airlock.managed': 'true', 'airlock.run': '0123abcd', 'airlock.toolchain': 'go1.26.8' });
});

test('a container spec without stdinHeld keeps standard input closed', (t) => {
  const { stdinHeld: _held, ...closed } = spec();
  const body = toDockerCreateBody(closed, 'docker');
  t.false(body.OpenStdin);
  t.false(body.AttachStdin);
  t.false(body.StdinOnce);
});

test('with --cache the worker mounts the persistent cache volume at /cache', (t) => {
  const body = toDockerCreateBody(spec({ cacheVolume: 'airlock-gocache-0123' }), 'docker');
  t.deepEqual(body.HostConfig.Mounts, [
    { Type: 'volume', Source: 'airlock-0123abcd-w0', Target: '/work', ReadOnly: false },
    { Type: 'volume', Source: 'airlock-0123abcd-w0-scratch', Target: '/scratch', ReadOnly: false },
    { Type: 'volume', Source: 'airlock-gocache-0123', Target: '/cache', ReadOnly: false },
  ]);
});

test('Docker receives a custom seccomp profile inline', (t) => {
  const profileJson = '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[]}';
  const body = toDockerCreateBody({ ...spec(), seccomp: { profileJson } }, 'docker');
  t.deepEqual(body.HostConfig.SecurityOpt, ['no-new-privileges', `seccomp=${profileJson}`]);
  const withPath = toDockerCreateBody({ ...spec(), seccomp: { profileJson, serverPath: '/etc/airlock/seccomp.json' } }, 'docker');
  t.deepEqual(withPath.HostConfig.SecurityOpt, ['no-new-privileges', `seccomp=${profileJson}`], 'docker ignores the server path');
});

test('Podman receives a custom seccomp profile as a path on its machine', (t) => {
  const body = toDockerCreateBody({ ...spec(), seccomp: { profileJson: '{}', serverPath: '/etc/airlock/seccomp.json' } }, 'podman');
  t.deepEqual(body.HostConfig.SecurityOpt, ['no-new-privileges', 'seccomp=/etc/airlock/seccomp.json']);
});

test('Podman without a server path for the seccomp profile is an EngineError', (t) => {
  const error = t.throws(() => toDockerCreateBody({ ...spec(), seccomp: { profileJson: '{}' } }, 'podman'), { instanceOf: EngineError });
  t.is(error?.message, 'this Podman engine needs the seccomp profile as a file on its own machine');
  t.is(error?.exitCode, ExitCode.engineUnavailable);
  t.regex(error?.hint ?? '', /airlock generate seccomp/);
});

test('Podman with the engine default seccomp profile needs no path', (t) => {
  const body = toDockerCreateBody(spec(), 'podman');
  t.deepEqual(body.HostConfig.SecurityOpt, ['no-new-privileges']);
  t.deepEqual(body, toDockerCreateBody(spec(), 'docker'));
});

test('without no-new-privileges in the spec the option is not sent', (t) => {
  const body = toDockerCreateBody({ ...spec(), noNewPrivileges: false }, 'docker');
  t.deepEqual(body.HostConfig.SecurityOpt, []);
});
