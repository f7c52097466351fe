import { execa } from 'execa';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import {
  ensureToolchains,
  hostGoroot,
  integration,
  privateHome,
  repoRoot,
  runAirlock,
  storeEntries,
  testHome,
  toolchainModuleZip,
} from '../helpers/airlock-cli.js';

const GO1268_PIN = 'h1:ZOmGe1OnfREDMIdb1Qi4G9JSuDPBLGExZMQ4nis1RXM=';

interface Stored {
  id: string;
  version: string;
  goroot: string;
  treeDigest: string;
  ports: string[];
  source: { kind: string };
  verification: { status: string; checks: string[] };
}

async function storedToolchains(home = testHome): Promise<Stored[]> {
  const list = await runAirlock(['toolchain', 'list', '--json'], { env: { AIRLOCK_HOME: home } });
  return JSON.parse(list.stdout) as Stored[];
}

/** An archive in the official layout (every entry under go/) of a GOROOT, optionally with one byte changed. */
async function makeArchive(goroot: string, archive: string, tamper?: string): Promise<void> {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-tree-'));
  await fs.copy(goroot, path.join(work, 'go'));
  if (tamper) {
    const file = path.join(work, 'go', tamper);
    const bytes = await fs.readFile(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    await fs.chmod(file, 0o644);
    await fs.writeFile(file, bytes);
  }
  await execa('sh', ['-c', 'tar -C "$1" -cf - go | gzip -1 > "$2"', 'sh', work, archive]);
  await fs.remove(work);
}

integration('the verified module zips of go1.26.8 and go1.27.3 are stored as pinned, with their ports', async (t) => {
  await ensureToolchains();
  const stored = await storedToolchains();
  t.deepEqual(stored.map((s) => s.version), ['go1.26.8', 'go1.27.3']);
  for (const toolchain of stored) {
    t.is(toolchain.verification.status, 'pinned');
    t.is(toolchain.source.kind, 'module-zip');
    const ziphash = (await fs.readFile((await toolchainModuleZip(toolchain.version)).replace(/\.zip$/, '.ziphash'), 'utf8')).trim();
    t.is(toolchain.treeDigest, ziphash, 'the tree digest is the h1 the go command recorded for the module zip');
  }
  const dist = await execa('go', ['tool', 'dist', 'list'], { env: { GOTOOLCHAIN: 'local' } });
  t.deepEqual(stored[0]!.ports, dist.stdout.trim().split('\n'));
  const verify = await runAirlock(['toolchain', 'verify']);
  t.is(verify.exitCode, 0, verify.stderr);
  t.regex(verify.stdout, /^OK\s+go1\.26\.8\s+linux\/amd64\s+h1:ZOmGe1/m);
  t.regex(verify.stdout, /^OK\s+go1\.27\.3\s+linux\/amd64\s+h1:r0ub\+/m);
});

integration('an archive of a pinned toolchain is accepted; with one byte changed it is refused and the store is unchanged', async (t) => {
  await ensureToolchains();
  const go1268 = (await storedToolchains()).find((s) => s.version === 'go1.26.8')!;
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-archive-'));
  const home = await privateHome();

  const tampered = path.join(work, 'tampered', 'go1.26.8.linux-amd64.tar.gz');
  await fs.mkdirp(path.dirname(tampered));
  await makeArchive(go1268.goroot, tampered, 'src/fmt/print.go');
  const refused = await runAirlock(['toolchain', 'import', tampered], { env: { AIRLOCK_HOME: home } });
  t.is(refused.exitCode, 4, refused.stderr);
  t.regex(refused.stderr, new RegExp(`toolchain tree does not match its pin: expected ${GO1268_PIN.replace(/[+/]/g, '\\$&')}, got h1:`));
  t.deepEqual(await storeEntries(home), []);

  const good = path.join(work, 'go1.26.8.linux-amd64.tar.gz');
  await makeArchive(go1268.goroot, good);
  const accepted = await runAirlock(['toolchain', 'import', good], { env: { AIRLOCK_HOME: home } });
  t.is(accepted.exitCode, 0, accepted.stderr);
  t.regex(accepted.stderr, /not byte-identical to the official go1\.26\.8\.linux-amd64\.tar\.gz/);
  const [stored] = await storedToolchains(home);
  t.is(stored?.treeDigest, GO1268_PIN);
  t.is(stored?.source.kind, 'archive');

  // A damaged compressed stream is refused too, and the store keeps exactly what it had.
  const damaged = path.join(work, 'damaged', 'go1.26.8.linux-amd64.tar.gz');
  await fs.mkdirp(path.dirname(damaged));
  const bytes = await fs.readFile(good);
  bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
  await fs.writeFile(damaged, bytes);
  const before = await storeEntries(home);
  await runAirlock(['toolchain', 'remove', 'go1.26.8'], { env: { AIRLOCK_HOME: home } });
  const broken = await runAirlock(['toolchain', 'import', damaged], { env: { AIRLOCK_HOME: home } });
  t.not(broken.exitCode, 0);
  t.regex(broken.stderr, /airlock: error: .*go1\.26\.8\.linux-amd64\.tar\.gz/);
  t.deepEqual(await storeEntries(home), []);
  t.deepEqual(before, ['go1.26.8-linux-amd64']);
  await fs.remove(work);
});

integration('a module zip with one file changed is refused with the expected and actual h1, and the store is unchanged', async (t) => {
  const zip = await toolchainModuleZip('go1.26.8');
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-zip-'));
  const home = await privateHome();
  await execa('unzip', ['-q', zip, '-d', path.join(work, 'tree')]);
  const prefix = 'golang.org/toolchain@v0.0.1-go1.26.8.linux-amd64';
  const file = path.join(work, 'tree', prefix, 'src', 'fmt', 'print.go');
  const bytes = await fs.readFile(file);
  bytes[100]! ^= 0x01;
  await fs.chmod(file, 0o644);
  await fs.writeFile(file, bytes);
  const tampered = path.join(work, 'v0.0.1-go1.26.8.linux-amd64.zip');
  // -1: the fastest deflate; the level does not change what the zip holds (CI time).
  await execa('zip', ['-q', '-r', '-X', '-1', tampered, 'golang.org'], { cwd: path.join(work, 'tree') });
  const result = await runAirlock(['toolchain', 'import', tampered], { env: { AIRLOCK_HOME: home } });
  t.is(result.exitCode, 4, result.stderr);
  t.regex(result.stderr, /module zip does not match its pin: expected h1:ZOmGe1OnfREDMIdb1Qi4G9JSuDPBLGExZMQ4nis1RXM=, got h1:[A-Za-z0-9+/]{43}=/);
  t.deepEqual(await storeEntries(home), []);

  // One byte flipped in the raw zip: unreadable or mismatching, refused either way.
  const raw = await fs.readFile(zip);
  raw[Math.floor(raw.length / 3)]! ^= 0x01;
  const flipped = path.join(work, 'flipped.zip');
  await fs.writeFile(flipped, raw);
  const flippedResult = await runAirlock(['toolchain', 'import', flipped], { env: { AIRLOCK_HOME: home } });
  t.true(flippedResult.exitCode === 2 || flippedResult.exitCode === 4, flippedResult.stderr);
  t.deepEqual(await storeEntries(home), []);
  await fs.remove(work);
});

integration('an edited GOROOT is refused against its pin; a release outside the matrix needs --trust-on-first-use', async (t) => {
  const goroot = await hostGoroot();
  const home = await privateHome();
  const pin = await runAirlock(['toolchain', 'pin', '--goroot', goroot]);
  t.is(pin.exitCode, 0, pin.stderr);
  const pins = JSON.parse(pin.stdout) as { version: string; platforms: Array<{ treeDigest: string }> };
  const hostDigest = pins.platforms[0]!.treeDigest;
  const direct = await runAirlock(['toolchain', 'import', '--goroot', goroot, '--trust-on-first-use'], { env: { AIRLOCK_HOME: home } });
  if (hostDigest === GO1268_PIN) {
    t.is(direct.exitCode, 0, direct.stderr);
  } else {
    // This machine's Go has an edited go.env: it is not the published go1.26.8, so it is refused even on trust.
    t.is(direct.exitCode, 4);
    t.regex(direct.stderr, new RegExp(`expected ${GO1268_PIN.replace(/[+/]/g, '\\$&')}, got ${hostDigest.replace(/[+/]/g, '\\$&')}`));
    t.deepEqual(await storeEntries(home), []);
  }

  // A matrix that does not know the release: refused, then accepted on trust and recorded as such.
  const matrix = JSON.parse(await fs.readFile(path.join(repoRoot, 'toolchains', 'go.json'), 'utf8')) as { releases: Array<{ version: string }> };
  matrix.releases = matrix.releases.filter((release) => release.version !== pins.version);
  const siteMatrix = path.join(home, 'site-matrix.json');
  await fs.writeFile(siteMatrix, JSON.stringify(matrix));
  const tofuHome = await privateHome();
  const env = { AIRLOCK_HOME: tofuHome, AIRLOCK_TOOLCHAINS: siteMatrix };
  const refused = await runAirlock(['toolchain', 'import', '--goroot', goroot], { env });
  t.is(refused.exitCode, 4);
  t.regex(refused.stderr, /is not in the toolchain matrix .*--trust-on-first-use/);
  t.deepEqual(await storeEntries(tofuHome), []);
  const trusted = await runAirlock(['toolchain', 'import', '--goroot', goroot, '--trust-on-first-use'], { env });
  t.is(trusted.exitCode, 0, trusted.stderr);
  t.regex(trusted.stderr, /warning: go1\.\d+\.\d+ linux\/amd64 is not in the toolchain matrix: stored on trust-on-first-use/);
  const [stored] = await storedToolchains(tofuHome);
  t.is(stored?.verification.status, 'trust-on-first-use');
  t.is(stored?.treeDigest, hostDigest);
  const verify = await runAirlock(['toolchain', 'verify'], { env });
  t.is(verify.exitCode, 0);
  t.regex(verify.stdout, /^UNPINNED\s+go1\./m);

  // Tampering inside the store afterwards is caught by `toolchain verify`.
  const printGo = path.join(stored!.goroot, 'src', 'fmt', 'print.go');
  await fs.chmod(printGo, 0o644);
  await fs.appendFile(printGo, '\n// changed\n');
  const reverify = await runAirlock(['toolchain', 'verify'], { env });
  t.is(reverify.exitCode, 4);
  t.regex(reverify.stdout, /^MISMATCH\s+go1\.\d+\.\d+\s+linux\/amd64\s+recorded h1:/m);
  t.regex(reverify.stderr, /airlock: error: 1 stored toolchain failed verification/);
});

integration('importing something that is not a toolchain leaves the store unchanged', async (t) => {
  const home = await privateHome();
  const notGo = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-notgo-'));
  const result = await runAirlock(['toolchain', 'import', '--goroot', notGo], { env: { AIRLOCK_HOME: home } });
  t.is(result.exitCode, 2);
  t.regex(result.stderr, /is not a Go installation: it has no VERSION file; pass the directory `go env GOROOT` prints/);
  const garbage = path.join(notGo, 'go1.26.8.linux-amd64.tar.gz');
  await fs.writeFile(garbage, 'this is not gzip');
  const archive = await runAirlock(['toolchain', 'import', garbage], { env: { AIRLOCK_HOME: home } });
  t.is(archive.exitCode, 2);
  t.regex(archive.stderr, /is not a readable \.tar\.gz archive/);
  const zip = path.join(notGo, 'toolchain.zip');
  await fs.writeFile(zip, 'PK not really');
  const zipResult = await runAirlock(['toolchain', 'import', zip], { env: { AIRLOCK_HOME: home } });
  t.is(zipResult.exitCode, 2);
  t.regex(zipResult.stderr, /is not a Go toolchain module zip/);
  t.deepEqual(await storeEntries(home), []);
});

integration('generate dockerfile writes a FROM scratch Dockerfile and its context listing', async (t) => {
  await ensureToolchains();
  const out = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-gen-')), 'image');
  const result = await runAirlock(['generate', 'dockerfile', '--out', out, '--go', '1.27.3']);
  t.is(result.exitCode, 0, result.stderr);
  const dockerfile = await fs.readFile(path.join(out, 'Dockerfile'), 'utf8');
  const instructions = dockerfile.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
  t.is(instructions[0], 'FROM scratch');
  t.false(instructions.some((line) => line.startsWith('RUN')));
  t.regex(dockerfile, /toolchain digest: h1:r0ub\+/);
  const listing = await fs.readFile(path.join(out, 'context.txt'), 'utf8');
  t.regex(listing, /^- 0755 0:0 rootfs\/usr\/local\/go\/bin\/go$/m);
  t.regex(listing, /^- 0644 0:0 rootfs\/etc\/passwd$/m);
  t.notRegex(listing, /_test\.go$/m);
  const image = JSON.parse(await fs.readFile(path.join(out, 'image.json'), 'utf8')) as { tag: string };
  t.regex(image.tag, /^airlock-sandbox:go1\.27\.3-[0-9a-f]{16}$/);
});

integration('doctor reports the engine, seccomp and the stored toolchains', async (t) => {
  await ensureToolchains();
  const result = await runAirlock(['doctor']);
  t.is(result.exitCode, 0, result.stdout + result.stderr);
  t.regex(result.stdout, /^ok\s+engine: (docker|podman) \S+ \(API [\d.]+\) on linux\/\w+/m);
  t.regex(result.stdout, /^ok\s+seccomp: supported/m);
  t.regex(result.stdout, /^ok\s+scratch: each build's GOCACHE and work files are in a volume of its own on the engine's disk, held to 10240 MiB by default \(sandbox\.scratchMiB\): .*\(\d+ volumes measured in \d+ ms\)/m);
  t.regex(result.stdout, /^ok\s+toolchains: go1\.26\.8 linux\/amd64 \(pinned\), go1\.27\.3 linux\/amd64 \(pinned\)/m);
  const broken = await runAirlock(['doctor'], { env: { DOCKER_HOST: 'tcp://127.0.0.1:9', AIRLOCK_HOME: path.join(testHome, 'nonexistent') } });
  t.is(broken.exitCode, 5);
  t.regex(broken.stdout, /^problem engine: no container engine answers/m);
  t.regex(broken.stdout, /^problem toolchains: none stored/m);
});
