import { execa } from 'execa';
import fs from 'fs-extra';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { cliPath, copyModule, ensureToolchains, integration, managedContainers, managedVolumes, repoRoot, runAirlock, testHome, waitForNoRunningWorkers } from '../helpers/airlock-cli.js';

const TARGETS = ['--go', '1.26.8', '--target', 'linux/amd64', '--target', 'linux/arm64'];

/** Every file of a directory with its bytes, to show an earlier output directory was left exactly as it was. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of (await fs.readdir(dir)).sort()) files[name] = (await fs.readFile(path.join(dir, name))).toString('base64');
  return files;
}

/** Starts a build and resolves once its plain progress shows `marker`, with the running child. */
function startBuild(module: string, marker: RegExp, extraEnv: NodeJS.ProcessEnv = {}) {
  const child = execa('node', [cliPath, 'build', module, ...TARGETS], { reject: false, env: { AIRLOCK_HOME: testHome, CI: 'true', ...extraEnv } });
  let stderr = '';
  const reached = new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (marker.test(stderr)) resolve();
    });
    void child.then(() => reject(new Error(`the build ended before ${String(marker)}: ${stderr}`)));
  });
  return { child, reached, stderr: () => stderr };
}

async function preparedModule(): Promise<{ module: string; dist: string; before: Record<string, string> }> {
  await ensureToolchains();
  const module = await copyModule('examples/hello');
  const first = await runAirlock(['build', module, '--go', '1.26.8']);
  if (first.exitCode !== 0) throw new Error(first.stderr);
  const dist = path.join(module, 'dist');
  return { module, dist, before: await snapshot(dist) };
}

async function assertNothingLeft(t: import('ava').ExecutionContext, module: string, dist: string, before: Record<string, string>): Promise<void> {
  t.deepEqual(await managedContainers(), [], 'no container of the run is left');
  t.deepEqual(await managedVolumes(), [], 'no volume of the run is left');
  t.deepEqual(await snapshot(dist), before, 'the previous dist/ is untouched');
  const strays = (await fs.readdir(module)).filter((name) => name.startsWith('.airlock-'));
  t.deepEqual(strays, [], 'no staging directory is left');
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  integration(`${signal} while targets build: exit 130, containers and volumes removed, the previous dist/ untouched`, async (t) => {
    const { module, dist, before } = await preparedModule();
    const run = startBuild(module, /: building after/);
    await run.reached;
    // Let the containers get going, so there is something to clean up.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    t.true((await managedContainers()).length > 0, 'the build had containers running');
    run.child.kill(signal);
    const result = await run.child;
    t.is(result.exitCode, 130, run.stderr());
    t.regex(run.stderr(), new RegExp(`${signal}: removing this run's containers and staged outputs`));
    t.regex(run.stderr(), /airlock: error: interrupted; nothing was written to the output directory/);
    await assertNothingLeft(t, module, dist, before);
  });
}

integration('SIGINT with targets still queued (2 toolchains x 3 targets): no queued target starts once the clean-up has begun', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/cli');
  const child = execa('node', [cliPath, 'build', module, '--go', '1.26.8', '--go', '1.27.3', '--target', 'linux/amd64', '--target', 'linux/arm64', '--target', 'darwin/arm64', '--jobs', '2'], {
    reject: false,
    env: { AIRLOCK_HOME: testHome, CI: 'true' },
  });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if ((stderr.match(/: building after/g) ?? []).length >= 2) resolve();
    });
    void child.then(() => reject(new Error(`the build ended before two targets were building: ${stderr}`)));
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  child.kill('SIGINT');
  const result = await child;
  t.is(result.exitCode, 130, stderr);
  const afterInterrupt = stderr.slice(stderr.indexOf('SIGINT: removing'));
  t.notRegex(afterInterrupt, /: preparing image after|: building after|airlock: building /, 'nothing new starts once the clean-up has begun');
  t.regex(afterInterrupt, /skipped after [\d.]+s: interrupted/);
  t.notRegex(afterInterrupt, /warning: .*the run is being cleaned up/, 'one line per interrupted target, not two');
  t.deepEqual(await managedContainers(), [], 'no container of the run is left');
  t.deepEqual(await managedVolumes(), [], 'no volume of the run is left');
  t.false(await fs.pathExists(path.join(module, 'dist')), 'no output directory was written');
});

integration('SIGINT while building from a module set: the unpacked set is removed from the temporary directory too', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/cli');
  await fs.remove(path.join(module, 'vendor'));
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-test-tmpdir-'));
  t.teardown(() => fs.remove(tmp));
  const set = path.join(repoRoot, 'test', 'fixtures', 'module-sets', 'cli-modules.tar.gz');
  const child = execa('node', [cliPath, 'build', module, '--modules', set, ...TARGETS], { reject: false, env: { AIRLOCK_HOME: testHome, CI: 'true', TMPDIR: tmp } });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/: building after/.test(stderr)) resolve();
    });
    void child.then(() => reject(new Error(`the build ended before a target was building: ${stderr}`)));
  });
  t.true((await fs.readdir(tmp)).some((name) => name.startsWith('airlock-modules-')), 'the set was unpacked into TMPDIR');
  child.kill('SIGINT');
  const result = await child;
  t.is(result.exitCode, 130, stderr);
  t.deepEqual(await fs.readdir(tmp), [], 'nothing is left in TMPDIR');
  t.deepEqual(await managedContainers(), [], 'no container of the run is left');
  t.deepEqual(await managedVolumes(), [], 'no volume of the run is left');
});

integration('SIGINT during modules pack: the go command is stopped, and its scratch directory and partial set are removed', async (t) => {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-test-tmpdir-'));
  t.teardown(() => fs.remove(tmp));
  const out = path.join(tmp, 'out');
  await fs.mkdir(out);
  const child = execa('node', [cliPath, 'modules', 'pack', path.join(repoRoot, 'examples', 'cli'), '--out', path.join(out, 'set.tar.gz')], {
    reject: false,
    // A store of its own: a pack remembers the checksum database head it fetched, which the shared store must not.
    env: { AIRLOCK_HOME: path.join(tmp, 'home'), TMPDIR: tmp },
  });
  const started = Date.now();
  while (!(await fs.readdir(tmp)).some((name) => name.startsWith('airlock-pack-')) && Date.now() - started < 20_000) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  child.kill('SIGINT');
  const result = await child;
  t.is(result.exitCode, 130, result.stderr);
  t.deepEqual(await fs.readdir(tmp), ['out'], 'no scratch directory is left in TMPDIR');
  t.deepEqual(await fs.readdir(out), [], 'no set and no partial file');
});

integration('SIGINT while the source is prepared, before any container: exit 130 and nothing written', async (t) => {
  const { module, dist, before } = await preparedModule();
  const run = startBuild(module, /plan: 2 builds/);
  await run.reached;
  run.child.kill('SIGINT');
  const result = await run.child;
  t.is(result.exitCode, 130, run.stderr());
  await assertNothingLeft(t, module, dist, before);
});

integration('a second SIGINT stops waiting for clean-up: exit 130, dist/ still the previous one, prune removes the rest', async (t) => {
  const { module, dist, before } = await preparedModule();
  const run = startBuild(module, /: building after/);
  await run.reached;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  run.child.kill('SIGINT');
  run.child.kill('SIGINT');
  const result = await run.child;
  t.is(result.exitCode, 130, run.stderr());
  t.deepEqual(await snapshot(dist), before, 'dist/ is consistent: the previous output, whole');
  // The sandbox workers left behind stop by themselves: airlock held their standard input, and it is gone.
  t.deepEqual(await waitForNoRunningWorkers(10), [], 'no worker outlives its airlock process');
  // Whatever clean-up was cut short, `airlock prune` finishes by label.
  const prune = await runAirlock(['prune']);
  t.is(prune.exitCode, 0, prune.stderr);
  t.deepEqual(await managedContainers(), []);
  t.deepEqual(await managedVolumes(), []);
});

integration('SIGKILL while targets build: the workers stop by themselves, dist/ untouched, prune removes the rest', async (t) => {
  const { module, dist, before } = await preparedModule();
  const run = startBuild(module, /: building after/);
  await run.reached;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  t.true((await managedContainers()).length > 0, 'the build had workers running');
  run.child.kill('SIGKILL');
  await run.child;
  // No clean-up ran at all; the engine closing the workers' held standard input is what stops them.
  t.deepEqual(await waitForNoRunningWorkers(10), [], 'no worker outlives its airlock process');
  t.deepEqual(await snapshot(dist), before, 'the previous dist/ is untouched');
  const prune = await runAirlock(['prune']);
  t.is(prune.exitCode, 0, prune.stderr);
  t.deepEqual(await managedContainers(), []);
  t.deepEqual(await managedVolumes(), []);
});

integration('two airlock processes building different modules with the same toolchain at once share one image, built once', async (t) => {
  await ensureToolchains();
  const hello = await copyModule('examples/hello');
  const cli = await copyModule('examples/cli');
  const plan = JSON.parse((await runAirlock(['plan', hello, '--go', '1.26.8', '--format', 'json'])).stdout) as { toolchains: Array<{ image: string }> };
  const tag = plan.toolchains[0]!.image;
  // Start without the image, so both processes want to build it at the same moment.
  await execa('docker', ['rmi', '--force', tag], { reject: false });
  // --cache: the image is the point here, not two cold compiles at once (CI time).
  const [a, b] = await Promise.all([
    runAirlock(['build', hello, '--go', '1.26.8', '--cache'], { env: { CI: 'true' } }),
    runAirlock(['build', cli, '--go', '1.26.8', '--cache'], { env: { CI: 'true' } }),
  ]);
  t.is(a.exitCode, 0, a.stderr);
  t.is(b.exitCode, 0, b.stderr);
  const built = [a, b].filter((result) => /airlock: building the sandbox image/.test(result.stderr));
  const waited = [a, b].filter((result) => /waiting for another airlock process building the sandbox image/.test(result.stderr));
  t.is(built.length, 1, 'exactly one process built the image');
  t.is(waited.length, 1, 'the other waited for it on the lock');
  const images = await execa('docker', ['images', '--quiet', tag]);
  t.is(images.stdout.trim().split('\n').length, 1);
  t.deepEqual(await managedContainers(), []);
});

/**
 * A stand-in for an engine that stops answering: a socket that forwards to the real engine until frozen,
 * then holds every connection open and forwards nothing.
 */
async function freezableEngineProxy(): Promise<{ socket: string; freeze: () => void; close: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-proxy-'));
  const socket = path.join(dir, 'engine.sock');
  let frozen = false;
  const pairs: Array<[net.Socket, net.Socket]> = [];
  const held: net.Socket[] = [];
  const server = net.createServer((client) => {
    client.on('error', () => undefined);
    if (frozen) {
      held.push(client);
      return;
    }
    const upstream = net.connect('/var/run/docker.sock');
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    pairs.push([client, upstream]);
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    socket,
    freeze: () => {
      frozen = true;
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
      }
    },
    close: async () => {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      for (const client of held) client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fs.remove(dir);
    },
  };
}

integration('the engine stops answering mid-build: exit 5 within a bounded time, dist/ untouched, prune removes what was left', async (t) => {
  const { module, dist, before } = await preparedModule();
  const proxy = await freezableEngineProxy();
  try {
    const run = startBuild(module, /: building after/, { DOCKER_HOST: `unix://${proxy.socket}`, AIRLOCK_ENGINE_TIMEOUT: '5' });
    await run.reached;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const frozenAt = Date.now();
    proxy.freeze();
    const result = await run.child;
    const seconds = (Date.now() - frozenAt) / 1000;
    t.is(result.exitCode, 5, run.stderr());
    t.true(seconds < 90, `gave up after ${seconds}s`);
    t.regex(run.stderr(), /airlock: error: .*stopped answering: no reply within 5s/);
    t.regex(run.stderr(), /run `airlock prune` when the engine answers again/);
    t.notRegex(run.stderr(), /^\s+at .+:\d+:\d+\)?$/m, 'no stack trace');
    t.deepEqual(await snapshot(dist), before, 'the previous dist/ is untouched');
    t.deepEqual((await fs.readdir(module)).filter((name) => name.startsWith('.airlock-')), [], 'no staging directory is left');
  } finally {
    await proxy.close();
  }
  const prune = await runAirlock(['prune']);
  t.is(prune.exitCode, 0, prune.stderr);
  t.deepEqual(await managedContainers(), []);
  t.deepEqual(await managedVolumes(), []);
});
