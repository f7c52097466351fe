import type { ExecutionContext } from 'ava';
import { execa } from 'execa';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { copyModule, ensureToolchains, integration, repoRoot, runAirlock, toolchainModuleZip } from '../helpers/airlock-cli.js';
import { registerNeeding } from '../helpers/needs-input.js';

const TARGETS = ['--go', '1.26.8', '--target', 'linux/amd64'];
const PODMAN_SOCKET = process.env.AIRLOCK_PODMAN_SOCKET ?? '/run/airlock-podman/podman.sock';
const OTHER_USER = 'airlock-tester';

async function podmanAnswers(): Promise<boolean> {
  const result = await execa('curl', ['-fsS', '--max-time', '5', '--unix-socket', PODMAN_SOCKET, 'http://localhost/_ping'], { reject: false });
  return result.exitCode === 0;
}

// What each test needs beyond the engine, decided before the tests are declared (ava refuses declarations
// once tests have started): without it a test is skipped with the reason in its title, or fails under CI=true.
const PODMAN_MISSING = (await podmanAnswers()) ? undefined : `no Podman API on ${PODMAN_SOCKET}; start one with AIRLOCK_BOOTSTRAP_PODMAN=1 .ci/bootstrap.sh to run this test`;
const NOT_ROOT = process.getuid?.() === 0 ? undefined : 'not root: cannot create a second host user here';

let reference: Promise<string> | undefined;

/** The reference: examples/hello built by this user on the default engine (once for both tests). */
function referenceSums(): Promise<string> {
  reference ??= (async () => {
    const module = await copyModule('examples/hello');
    const result = await runAirlock(['build', module, ...TARGETS]);
    if (result.exitCode !== 0) throw new Error(result.stderr);
    return fs.readFile(path.join(module, 'dist', 'SHA256SUMS'), 'utf8');
  })();
  return reference;
}

registerNeeding(
  PODMAN_MISSING,
  "Podman's Docker-compatible API builds the same bytes as Docker and leaves nothing behind",
  (title) => integration(title, podmanBuildsTheSameBytes),
  `Podman's API does not answer on ${PODMAN_SOCKET}; .ci/run starts it (AIRLOCK_BOOTSTRAP_PODMAN=1)`,
);

async function podmanBuildsTheSameBytes(t: ExecutionContext): Promise<void> {
  await ensureToolchains();
  const expected = await referenceSums();
  const module = await copyModule('examples/hello');
  const env = { DOCKER_HOST: `unix://${PODMAN_SOCKET}` };
  const result = await runAirlock(['build', module, ...TARGETS], { env });
  t.is(result.exitCode, 0, result.stderr);
  t.is(await fs.readFile(path.join(module, 'dist', 'SHA256SUMS'), 'utf8'), expected);
  const envelope = JSON.parse(await fs.readFile(path.join(module, 'dist', 'hello_linux_amd64.intoto.jsonl'), 'utf8')) as { payload: string };
  const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as {
    predicate: { runDetails: { builder: { version: Record<string, string> } } };
  };
  t.regex(JSON.stringify(statement.predicate.runDetails.builder.version), /podman/i, 'the provenance names the engine that ran the build');
  const left = await execa('curl', ['-fsS', '--unix-socket', PODMAN_SOCKET, 'http://localhost/containers/json?all=true&filters=%7B%22label%22%3A%5B%22airlock.managed%3Dtrue%22%5D%7D']);
  t.deepEqual(JSON.parse(left.stdout), [], 'no airlock container is left on Podman');
  const verified = await runAirlock(['verify', path.join(module, 'dist')]);
  t.is(verified.exitCode, 0, verified.stdout + verified.stderr);
}

/**
 * Another host user, with umask 077, another checkout path, its own toolchain store and one job at a time:
 * nothing about who builds, or where, may reach the bytes or the output modes.
 */
registerNeeding(
  NOT_ROOT,
  'another host user, umask 077, another path and store, --jobs 1: identical SHA256SUMS and normalised modes',
  (title) => integration(title, anotherUserBuildsTheSameBytes),
  'this test creates a host user and must run as root under CI',
);

async function anotherUserBuildsTheSameBytes(t: ExecutionContext): Promise<void> {
  await ensureToolchains();
  const expected = await referenceSums();
  if ((await execa('id', ['-u', OTHER_USER], { reject: false })).exitCode !== 0) {
    await execa('useradd', ['--create-home', '--shell', '/bin/sh', OTHER_USER]);
  }
  // The engine's socket is group docker's; a Podman or rootless set-up would differ, this is Debian's docker.io.
  await execa('usermod', ['-aG', 'docker', OTHER_USER]);
  // The other user may not be able to read this checkout (it may live under /root): give it its own copy.
  const workspace = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-other-user-'));
  const install = path.join(workspace, 'airlock');
  for (const entry of ['package.json', 'build', 'node_modules', 'templates', 'toolchains']) {
    await fs.copy(path.join(repoRoot, entry), path.join(install, entry), { dereference: false });
  }
  const zip = path.join(workspace, 'go1.26.8.zip');
  await fs.copy(await toolchainModuleZip('go1.26.8'), zip);
  await fs.copy(path.join(repoRoot, 'examples', 'hello'), path.join(workspace, 'checkouts', 'somewhere', 'else', 'hello'));
  await execa('chmod', ['-R', 'u+rwX,go+rX', workspace]);
  await execa('chown', ['-R', `${OTHER_USER}:`, workspace]);
  try {
    const script = [
      'umask 077',
      'export AIRLOCK_HOME="$WORKSPACE/store"',
      'node "$WORKSPACE/airlock/build/src/cli/bin.js" toolchain import "$WORKSPACE/go1.26.8.zip"',
      `node "$WORKSPACE/airlock/build/src/cli/bin.js" build "$WORKSPACE/checkouts/somewhere/else/hello" --jobs 1 ${TARGETS.join(' ')}`,
    ].join(' && ');
    const result = await execa('runuser', ['-u', OTHER_USER, '--', 'env', '-i', `PATH=${process.env.PATH ?? ''}`, `HOME=/home/${OTHER_USER}`, `WORKSPACE=${workspace}`, 'sh', '-c', script], {
      reject: false,
    });
    t.is(result.exitCode, 0, String(result.stderr));
    const dist = path.join(workspace, 'checkouts', 'somewhere', 'else', 'hello', 'dist');
    t.is(await fs.readFile(path.join(dist, 'SHA256SUMS'), 'utf8'), expected);
    t.is((await fs.stat(path.join(dist, 'hello_linux_amd64'))).mode & 0o777, 0o755);
    t.is((await fs.stat(path.join(dist, 'SHA256SUMS'))).mode & 0o777, 0o644);
    t.is((await fs.stat(path.join(dist, 'hello_linux_amd64'))).uid, Number((await execa('id', ['-u', OTHER_USER])).stdout));
  } finally {
    await fs.remove(workspace);
  }
}
