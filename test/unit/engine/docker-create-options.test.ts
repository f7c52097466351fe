import test from 'ava';

import { toDockerCreateBody } from '../../../src/engine/docker-create-options.js';
import type { ContainerSpec } from '../../../src/engine/engine.js';
import { EngineError, ExitCode } from '../../../src/errors.js';
import { type BuildContainerInput, buildContainerSpec, defaultSandboxPolicy } from '../../../src/sandbox/policy.js';

const job = (overrides: Partial<BuildContainerInput> = {}): BuildContainerInput => ({
  goos: 'linux',
  goarch: 'amd64',
  mainPackage: '.',
  outputName: 'hello_linux_amd64',
  vendored: false,
  ldflags: ['-s', '-w'],
  tags: [],
  name: 'airlock-0123abcd-hello-linux-amd64',
  image: 'airlock-sandbox:go1.26.8-0123456789abcdef',
  runId: '0123abcd',
  volume: 'airlock-0123abcd-hello-linux-amd64',
  ...overrides,
});

const spec = (overrides: Partial<BuildContainerInput> = {}): ContainerSpec => buildContainerSpec(defaultSandboxPolicy(2), job(overrides));

const envOf = (body: { Env: string[] }): Map<string, string> =>
  new Map(body.Env.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));

test('the Docker create body of a linux/amd64 build job (golden)', (t) => {
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
  t.false(body.OpenStdin);
  t.false(body.AttachStdin);
});

test('the only writable places are a noexec tmpfs and the work volume', (t) => {
  const body = toDockerCreateBody(spec(), 'docker');
  t.deepEqual(Object.keys(body.HostConfig.Tmpfs), ['/tmp']);
  const options = body.HostConfig.Tmpfs['/tmp']!.split(',');
  t.true(options.includes('noexec'));
  t.true(options.includes('nosuid'));
  t.true(options.includes('nodev'));
  t.true(options.includes('size=1073741824'));
  t.deepEqual(body.HostConfig.Mounts, [{ Type: 'volume', Source: 'airlock-0123abcd-hello-linux-amd64', Target: '/work', ReadOnly: false }]);
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
  ]);
});

test('the environment is hermetic: no proxy, no checksum database, the local toolchain, no cgo', (t) => {
  const env = envOf(toDockerCreateBody(spec(), 'docker'));
  t.is(env.get('GOPROXY'), 'off');
  t.is(env.get('GOSUMDB'), 'off');
  t.is(env.get('GOTOOLCHAIN'), 'local');
  t.is(env.get('CGO_ENABLED'), '0');
  t.is(env.get('GOOS'), 'linux');
  t.is(env.get('GOARCH'), 'amd64');
  t.false(env.has('GOFLAGS'));
  for (const entry of toDockerCreateBody(spec(), 'docker').Env) t.regex(entry, /^[A-Z_]+=/);
});

test('GOFLAGS=-mod=vendor only for a vendored module', (t) => {
  t.is(envOf(toDockerCreateBody(spec({ vendored: true }), 'docker')).get('GOFLAGS'), '-mod=vendor');
  t.false(envOf(toDockerCreateBody(spec({ vendored: false }), 'docker')).has('GOFLAGS'));
});

test('the command is the sandbox go with reproducibility flags, then the user ldflags', (t) => {
  const body = toDockerCreateBody(spec({ ldflags: ['-s', '-w', '-X main.version=v1.0.0'] }), 'docker');
  t.is(body.Cmd[0], '/usr/local/go/bin/go');
  t.is(body.Cmd[1], 'build');
  t.true(body.Cmd.includes('-trimpath'));
  t.true(body.Cmd.includes('-buildvcs=false'));
  const ldflags = body.Cmd.filter((arg) => arg.startsWith('-ldflags='));
  t.deepEqual(ldflags, ['-ldflags=-buildid= -s -w -X main.version=v1.0.0']);
  t.deepEqual(body.Cmd.slice(-3), ['-o', '/work/out/hello_linux_amd64', '.']);
  t.is(body.WorkingDir, '/work/src');
  t.is(body.Image, 'airlock-sandbox:go1.26.8-0123456789abcdef');
  t.is(body.name, 'airlock-0123abcd-hello-linux-amd64');
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
