import { execa } from 'execa';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { ensureHostToolchain, hostGoroot, hostGoVersion, integration, runAirlock, testHome } from '../helpers/airlock-cli.js';

integration('a GOROOT and an archive of the same toolchain import to the same digest', async (t) => {
  const goroot = await hostGoroot();
  const version = await hostGoVersion();
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-archive-'));
  // The layout of an official archive: every entry under go/.
  const archive = path.join(work, `${version}.linux-amd64.tar.gz`);
  await execa('sh', ['-c', `tar -C "$(dirname "$1")" --transform "s,^$(basename "$1"),go," -cf - "$(basename "$1")" | gzip -1 > "$2"`, 'sh', goroot, archive]);
  const home = path.join(work, 'home');
  const fromArchive = await runAirlock(['toolchain', 'import', archive], { env: { AIRLOCK_HOME: home } });
  t.is(fromArchive.exitCode, 0, fromArchive.stderr);
  const fromGoroot = await runAirlock(['toolchain', 'import', '--goroot', goroot], { env: { AIRLOCK_HOME: home } });
  t.is(fromGoroot.exitCode, 0, fromGoroot.stderr);
  t.regex(fromGoroot.stderr, /already stored/);
  const list = await runAirlock(['toolchain', 'list', '--json'], { env: { AIRLOCK_HOME: home } });
  const stored = JSON.parse(list.stdout) as Array<{ version: string; treeDigest: string; ports: string[]; source: { kind: string } }>;
  t.is(stored.length, 1);
  t.is(stored[0]!.version, version);
  t.regex(stored[0]!.treeDigest, /^h1:[A-Za-z0-9+/]{43}=$/);
  t.is(stored[0]!.source.kind, 'archive');
  const dist = await execa('go', ['tool', 'dist', 'list'], { env: { GOTOOLCHAIN: 'local' } });
  t.deepEqual(stored[0]!.ports, dist.stdout.trim().split('\n'));
  await fs.remove(work);
});

integration('importing something that is not a toolchain leaves the store unchanged', async (t) => {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-home-'));
  const notGo = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-notgo-'));
  const result = await runAirlock(['toolchain', 'import', '--goroot', notGo], { env: { AIRLOCK_HOME: home } });
  t.is(result.exitCode, 2);
  t.regex(result.stderr, /is not a Go installation: it has no VERSION file; pass the directory `go env GOROOT` prints/);
  const garbage = path.join(notGo, 'go1.26.8.linux-amd64.tar.gz');
  await fs.writeFile(garbage, 'this is not gzip');
  const archive = await runAirlock(['toolchain', 'import', garbage], { env: { AIRLOCK_HOME: home } });
  t.is(archive.exitCode, 2);
  t.regex(archive.stderr, /is not a readable \.tar\.gz archive/);
  const toolchains = path.join(home, 'toolchains');
  t.deepEqual(await fs.pathExists(toolchains) ? await fs.readdir(toolchains) : [], []);
});

integration('generate dockerfile writes a FROM scratch Dockerfile and its context listing', async (t) => {
  await ensureHostToolchain();
  const out = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-gen-')), 'image');
  const result = await runAirlock(['generate', 'dockerfile', '--out', out]);
  t.is(result.exitCode, 0, result.stderr);
  const dockerfile = await fs.readFile(path.join(out, 'Dockerfile'), 'utf8');
  const instructions = dockerfile.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
  t.is(instructions[0], 'FROM scratch');
  t.false(instructions.some((line) => line.startsWith('RUN')));
  const listing = await fs.readFile(path.join(out, 'context.txt'), 'utf8');
  t.regex(listing, /^- 0755 0:0 rootfs\/usr\/local\/go\/bin\/go$/m);
  t.regex(listing, /^- 0644 0:0 rootfs\/etc\/passwd$/m);
  t.notRegex(listing, /_test\.go$/m);
  const image = JSON.parse(await fs.readFile(path.join(out, 'image.json'), 'utf8')) as { tag: string };
  t.regex(image.tag, /^airlock-sandbox:go1\.\d+\.\d+-[0-9a-f]{16}$/);
});

integration('doctor reports the engine, seccomp and the stored toolchains', async (t) => {
  await ensureHostToolchain();
  const result = await runAirlock(['doctor']);
  t.is(result.exitCode, 0, result.stdout + result.stderr);
  t.regex(result.stdout, /^ok\s+engine: (docker|podman) \S+ \(API [\d.]+\) on linux\/\w+/m);
  t.regex(result.stdout, /^ok\s+seccomp: supported/m);
  t.regex(result.stdout, /^ok\s+toolchains: go1\.\d+\.\d+ linux\/amd64/m);
  const broken = await runAirlock(['doctor'], { env: { DOCKER_HOST: 'tcp://127.0.0.1:9', AIRLOCK_HOME: path.join(testHome, 'nonexistent') } });
  t.is(broken.exitCode, 5);
  t.regex(broken.stdout, /^problem engine: no container engine answers/m);
  t.regex(broken.stdout, /^problem toolchains: none stored/m);
});
