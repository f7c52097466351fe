import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import {
  assertCleanFailure,
  copyModule,
  ensureToolchains,
  integration,
  managedContainers,
  runAirlock,
} from '../helpers/airlock-cli.js';

integration('a directory without go.mod is refused before anything runs', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-nomod-'));
  const result = await runAirlock(['build', dir]);
  assertCleanFailure(t, result, 2, /has no go\.mod; pass the root directory of a Go module/);
  t.deepEqual(await fs.readdir(dir), []);
});

integration('an unknown target is refused with the supported alternatives', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/hello');
  const result = await runAirlock(['build', module, '--target', 'linux/amd65']);
  assertCleanFailure(t, result, 2, /unknown target linux\/amd65: go1\.\d+\.\d+ has no port linux\/amd65; linux targets of go1\.\d+\.\d+: .*linux\/amd64/);
  const malformed = await runAirlock(['build', module, '--target', 'linux-amd64']);
  assertCleanFailure(t, malformed, 2, /invalid target "linux-amd64": a target is GOOS\/GOARCH/);
  t.false(await fs.pathExists(path.join(module, 'dist')));
});

integration('no reachable engine is reported with what to do, exit code 5', async (t) => {
  const module = await copyModule('examples/hello');
  const socket = await runAirlock(['build', module], { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
  assertCleanFailure(t, socket, 5, /no container engine answers at DOCKER_HOST=unix:\/\/\/nonexistent\/docker\.sock .*; start the engine/);
  const tcp = await runAirlock(['build', module], { env: { DOCKER_HOST: 'tcp://127.0.0.1:9' } });
  assertCleanFailure(t, tcp, 5, /no container engine answers at DOCKER_HOST=tcp:\/\/127\.0\.0\.1:9/);
  t.false(await fs.pathExists(path.join(module, 'dist')));
});

integration('an empty toolchain store is reported with the import command', async (t) => {
  const module = await copyModule('examples/hello');
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-home-'));
  const result = await runAirlock(['build', module], { env: { AIRLOCK_HOME: home } });
  assertCleanFailure(t, result, 2, /no Go toolchain is stored; import one with `airlock toolchain import --goroot/);
  t.false(await fs.pathExists(path.join(module, 'dist')));
  t.deepEqual(await managedContainers(), []);
});

integration('--debug adds the stack trace that is otherwise hidden', async (t) => {
  const result = await runAirlock(['build', '/nonexistent-airlock-dir', '--debug']);
  t.is(result.exitCode, 2);
  t.regex(result.stderr, /^\s+at .+/m);
});

integration('an unknown flag is a usage error', async (t) => {
  const result = await runAirlock(['build', '--bogus-flag']);
  assertCleanFailure(t, result, 2, /Unknown arguments?: bogus-flag.*; run `airlock --help`/);
});

integration('an output directory holding other files is never replaced', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/hello');
  const out = path.join(path.dirname(module), 'precious');
  await fs.outputFile(path.join(out, 'notes.txt'), 'keep me');
  const result = await runAirlock(['build', module, '--out', out]);
  assertCleanFailure(t, result, 2, /holds files airlock did not write/);
  t.deepEqual(await fs.readdir(out), ['notes.txt']);
  t.deepEqual(await managedContainers(), []);
});

integration('bad --shard, --report and AIRLOCK_ENGINE_TIMEOUT values are refused before anything runs', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/hello');
  const shard = await runAirlock(['build', module, '--shard', '3/2']);
  assertCleanFailure(t, shard, 2, /--shard 3\/2 is not a shard of the plan; write I\/N with 1 <= I <= N/);
  const tooMany = await runAirlock(['build', module, '--shard', '1/5']);
  assertCleanFailure(t, tooMany, 2, /5 shards are more than the 1 build of the plan/);
  const report = await runAirlock(['build', module, '--report', path.join(module, 'no', 'such', 'dir', 'report.json')]);
  assertCleanFailure(t, report, 2, /--report .*: the directory .* does not exist/);
  const timeout = await runAirlock(['build', module], { env: { AIRLOCK_ENGINE_TIMEOUT: 'soon' } });
  assertCleanFailure(t, timeout, 2, /AIRLOCK_ENGINE_TIMEOUT=soon is not a number of seconds/);
  const format = await runAirlock(['plan', module, '--format', 'jenkins']);
  t.is(format.exitCode, 2);
  t.false(await fs.pathExists(path.join(module, 'dist')));
  t.deepEqual((await fs.readdir(module)).filter((name) => name.startsWith('.airlock-')), []);
  t.deepEqual(await managedContainers(), []);
});
