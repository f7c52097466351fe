/**
 * GPG signatures with the host's real gpg (Debian's gnupg, installed by .ci/bootstrap.sh): a release of
 * examples/cli for one target is built once (as shard 1/1, with a key without passphrase) and merged once
 * (with a passphrase-protected key and --sign-key); every tampering check works on copies of that release.
 * The keys live in a private GNUPGHOME under a temporary directory, removed (agents stopped) at teardown.
 */
import test from 'ava';
import { execa } from 'execa';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { assertCleanFailure, copyModule, ensureToolchains, integration, runAirlock } from '../helpers/airlock-cli.js';

const hasGpg = (await execa('gpg', ['--version'], { reject: false }).catch(() => ({ exitCode: 1 }))).exitCode === 0;
const underCi = process.env.CI === 'true' || process.env.CI === '1';
const PASSPHRASE = 'gpg passphrase for the test';
const KEY_PASSPHRASE = 'airlock key passphrase';

/** An integration test that needs gpg: skipped without it (with the reason), failed without it under CI. */
function gpgIntegration(title: string, implementation: Parameters<typeof integration>[1]): void {
  if (hasGpg) integration(title, implementation);
  else if (underCi) test(title, (t) => t.fail('gpg is not installed and CI=true: .ci/bootstrap.sh installs gnupg'));
  else test.skip(`${title} (skipped: gpg is not installed)`, () => undefined);
}

interface Keys {
  work: string;
  home: string;
  release: string;
  protected: string;
  other: string;
  /** Public key files, armored. */
  releasePub: string;
  protectedPub: string;
}

let keysReady: Promise<Keys> | undefined;
const homes: string[] = [];

async function gpg(home: string, args: string[], input?: string) {
  const result = await execa('gpg', ['--homedir', home, '--batch', ...args], { reject: false, ...(input !== undefined ? { input } : {}) });
  if (result.exitCode !== 0) throw new Error(`gpg ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

async function newHome(parent: string, name: string): Promise<string> {
  const home = path.join(parent, name);
  await fs.mkdir(home, { mode: 0o700 });
  homes.push(home);
  return home;
}

/** Generates an Ed25519 signing key (quick, and the default of current GnuPG) and returns its fingerprint. */
async function generateKey(home: string, userId: string, options: { passphrase?: string; expire?: string; fakedTime?: string } = {}): Promise<string> {
  const time = options.fakedTime ? ['--faked-system-time', options.fakedTime] : [];
  await gpg(home, [...time, '--pinentry-mode', 'loopback', '--passphrase', options.passphrase ?? '', '--quick-gen-key', userId, 'ed25519', 'sign', options.expire ?? '0']);
  const listing = await gpg(home, [...time, '--with-colons', '--list-secret-keys', userId]);
  return /^fpr:{9}([0-9A-F]{40}):/m.exec(listing)![1]!;
}

function keys(): Promise<Keys> {
  keysReady ??= (async () => {
    const work = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-gpg-test-'));
    const home = await newHome(work, 'gnupg');
    const release = await generateKey(home, 'airlock release <release@airlock.test>');
    const protectedKey = await generateKey(home, 'airlock protected <protected@airlock.test>', { passphrase: PASSPHRASE });
    const other = await generateKey(home, 'someone else <other@airlock.test>');
    const releasePub = path.join(work, 'release.asc');
    const protectedPub = path.join(work, 'protected.asc');
    await fs.writeFile(releasePub, await gpg(home, ['--armor', '--export', release]));
    await fs.writeFile(protectedPub, await gpg(home, ['--armor', '--export', protectedKey]));
    // The agent keeps a passphrase it was given: the build below must be the one to give it.
    await execa('gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], { reject: false });
    return { work, home, release, protected: protectedKey, other, releasePub, protectedPub };
  })();
  return keysReady;
}

test.after.always(async () => {
  for (const home of homes) await execa('gpgconf', ['--homedir', home, '--kill', 'all'], { reject: false });
  if (keysReady) await fs.remove((await keysReady).work);
});

interface Release {
  module: string;
  shard: string;
  /** Merged with the protected key, whose passphrase comes from AIRLOCK_GPG_PASSPHRASE, and --sign-key. */
  dist: string;
  /** Merged with the release key, which has no passphrase, and nothing else. */
  plainDist: string;
  keyPub: string;
  build: { stderr: string };
  merge: { stderr: string };
  plainMerge: { stderr: string };
}

let releaseReady: Promise<Release> | undefined;

/**
 * examples/cli for linux/amd64, built once as shard 1/1 and GPG-signed alone (the protected key, passphrase
 * from AIRLOCK_GPG_PASSPHRASE); merged twice without containers: with the same key, its shard signature
 * checked by --gpg-pub, and --sign-key; and with the key without passphrase alone.
 */
function release(): Promise<Release> {
  releaseReady ??= (async () => {
    const k = await keys();
    await ensureToolchains();
    const module = await copyModule('examples/cli');
    const shard = path.join(k.work, 'shard');
    const env = { GNUPGHOME: k.home };
    const withPassphrase = { ...env, AIRLOCK_GPG_PASSPHRASE: PASSPHRASE };
    const build = await runAirlock(['build', module, '--cache', '--target', 'linux/amd64', '--shard', '1/1', '--out', shard, '--gpg-key', k.protected], { env: withPassphrase });
    if (build.exitCode !== 0) throw new Error(build.stderr);
    const key = path.join(k.work, 'airlock.pem');
    const keyPub = path.join(k.work, 'airlock.pub');
    const keygen = await runAirlock(['keygen', '--key', key, '--pub', keyPub], { env: { AIRLOCK_KEY_PASSPHRASE: KEY_PASSPHRASE } });
    if (keygen.exitCode !== 0) throw new Error(keygen.stderr);
    const dist = path.join(k.work, 'dist');
    const merge = await runAirlock(['merge', shard, '--out', dist, '--gpg-pub', k.protectedPub, '--sign-key', key, '--gpg-key', k.protected], {
      env: { ...withPassphrase, AIRLOCK_KEY_PASSPHRASE: KEY_PASSPHRASE },
    });
    if (merge.exitCode !== 0) throw new Error(merge.stderr);
    const plainDist = path.join(k.work, 'plain-dist');
    const plainMerge = await runAirlock(['merge', shard, '--out', plainDist, '--gpg-key', k.release], { env });
    if (plainMerge.exitCode !== 0) throw new Error(plainMerge.stderr);
    return { module, shard, dist, plainDist, keyPub, build, merge, plainMerge };
  })();
  return releaseReady;
}

/** A fresh keyring holding only `publicKey`: what a site that received the release and the key does. */
async function plainGpgVerify(publicKey: string, dir: string): Promise<{ exitCode: number; stderr: string }> {
  const k = await keys();
  const home = await fs.mkdtemp(path.join(k.work, 'site-'));
  homes.push(home);
  await gpg(home, ['--import', publicKey]);
  const result = await execa('gpg', ['--homedir', home, '--batch', '--verify', 'SHA256SUMS.asc', 'SHA256SUMS'], { cwd: dir, reject: false });
  return { exitCode: result.exitCode ?? -1, stderr: result.stderr };
}

async function copyOf(dir: string, name: string): Promise<string> {
  const copy = path.join((await keys()).work, name);
  await fs.copy(dir, copy);
  return copy;
}

/** Runs airlock verify with a private TMPDIR, so that the temporary keyring it makes can be seen to go away. */
async function verifyWithGpg(dir: string, publicKey: string, extra: string[] = []) {
  const tmp = await fs.mkdtemp(path.join((await keys()).work, 'tmp-'));
  const result = await runAirlock(['verify', dir, '--gpg-pub', publicKey, ...extra], { env: { TMPDIR: tmp } });
  return { ...result, leftInTmp: await fs.readdir(tmp) };
}

gpgIntegration('build --gpg-key (passphrase from AIRLOCK_GPG_PASSPHRASE) writes SHA256SUMS.asc, which `gpg --verify` accepts after a plain --import and airlock verify --gpg-pub passes; alone, it says the envelopes are unsigned', async (t) => {
  const k = await keys();
  const { shard, build } = await release();
  t.true((await fs.readdir(shard)).includes('SHA256SUMS.asc'));
  t.regex(await fs.readFile(path.join(shard, 'SHA256SUMS.asc'), 'utf8'), /^-----BEGIN PGP SIGNATURE-----\n/);
  t.regex(build.stderr, new RegExp(`GPG-signed by ${k.protected}`));
  t.regex(build.stderr, /the provenance envelopes are unsigned: --gpg-key signs the checksums files only/);
  const plain = await plainGpgVerify(k.protectedPub, shard);
  t.is(plain.exitCode, 0, plain.stderr);
  t.regex(plain.stderr, /Good signature from "airlock protected <protected@airlock\.test>"/);
  const verified = await verifyWithGpg(shard, k.protectedPub);
  t.is(verified.exitCode, 0, verified.stdout + verified.stderr);
  t.regex(verified.stdout, new RegExp(`^OK\\s+SHA256SUMS\\s+.*gpg signature`, 'm'));
  t.regex(verified.stderr, /and their GPG signatures, but not the envelopes' signatures: no --key was given/);
  t.deepEqual(verified.leftInTmp, [], 'the temporary keyring is removed');
  // Without --gpg-pub the signature is named as not checked.
  const unchecked = await runAirlock(['verify', shard]);
  t.is(unchecked.exitCode, 0, unchecked.stderr);
  t.regex(unchecked.stdout, /gpg signature not checked \(no --gpg-pub\)/);
});

gpgIntegration('merge re-signs the merged SHA256SUMS: with the protected key beside --sign-key (both verify), and with a key without passphrase alone; the shard\'s .asc is never carried', async (t) => {
  const k = await keys();
  const { shard, dist, plainDist, keyPub, merge, plainMerge } = await release();
  t.regex(merge.stderr, new RegExp(`\\(signed, GPG-signed by ${k.protected}\\)`));
  // The shard's binary, its envelope and its release manifest.
  t.regex(merge.stderr, /verified shard 1\/1 .*: 3 files/);
  t.deepEqual((await fs.readdir(dist)).filter((file) => file.startsWith('SHA256SUMS')).sort(), ['SHA256SUMS', 'SHA256SUMS.asc', 'SHA256SUMS.sig']);
  // The GPG signature is written before the release manifest, which lists it (and not its own signature).
  t.regex(await fs.readFile(path.join(dist, 'RELEASE-MANIFEST'), 'utf8'), /^[0-9a-f]{64} {2}SHA256SUMS\.asc$/m);
  // The shard was built without --sign-key, so its envelopes are unsigned: that check alone fails.
  const verified = await verifyWithGpg(dist, k.protectedPub, ['--key', keyPub, '--json']);
  const report = JSON.parse(verified.stdout) as { gpgChecked: boolean; files: Array<{ file: string; checks: Array<{ name: string; state: string }> }> };
  t.true(report.gpgChecked);
  const sums = report.files.find((file) => file.file === 'SHA256SUMS')!;
  t.deepEqual(sums.checks.map((check) => [check.name, check.state]), [['signature', 'passed'], ['gpg signature', 'passed'], ['format', 'passed']]);
  const failed = report.files.flatMap((file) => file.checks.filter((check) => check.state === 'failed').map((check) => `${file.file}: ${check.name}`));
  t.deepEqual(failed, ['cli_linux_amd64: envelope signature']);
  t.is((await plainGpgVerify(k.protectedPub, dist)).exitCode, 0);

  t.regex(plainMerge.stderr, new RegExp(`\\(GPG-signed by ${k.release}\\)`));
  const plainVerified = await verifyWithGpg(plainDist, k.releasePub);
  t.is(plainVerified.exitCode, 0, plainVerified.stdout + plainVerified.stderr);
  const plain = await plainGpgVerify(k.releasePub, plainDist);
  t.is(plain.exitCode, 0, plain.stderr);
  t.regex(plain.stderr, /Good signature from "airlock release <release@airlock\.test>"/);
  // Checked against the other key, each names the key that did sign.
  const wrongKey = await verifyWithGpg(plainDist, k.protectedPub);
  assertCleanFailure(t, wrongKey, 4, new RegExp(`SHA256SUMS: gpg signature: SHA256SUMS\\.asc does not verify: it was made by another key \\(${k.release}\\)`));

  // Without --gpg-key the shard's .asc is left out, and merge says so; --gpg-key of another key than --gpg-pub's is bad input.
  const unsigned = path.join(k.work, 'unsigned-dist');
  const dropped = await runAirlock(['merge', shard, '--out', unsigned]);
  t.is(dropped.exitCode, 0, dropped.stderr);
  t.regex(dropped.stderr, /the shards' GPG signatures \(.*SHA256SUMS\.asc\) sign their own checksums and are left out; pass --gpg-key/);
  t.false(await fs.pathExists(path.join(unsigned, 'SHA256SUMS.asc')));
  const mismatch = await runAirlock(['merge', shard, '--out', path.join(k.work, 'never-merged'), '--gpg-pub', k.protectedPub, '--gpg-key', k.release], { env: { GNUPGHOME: k.home } });
  assertCleanFailure(t, mismatch, 2, new RegExp(`--gpg-key ${k.release} is not the key of --gpg-pub`));
  t.false(await fs.pathExists(path.join(k.work, 'never-merged')));
});

gpgIntegration('a tampered SHA256SUMS, another key\'s signature swapped in, an expired key and a revoked key each fail verification, named', async (t) => {
  const k = await keys();
  const { shard } = await release();

  const tampered = await copyOf(shard, 'tampered');
  await fs.appendFile(path.join(tampered, 'SHA256SUMS'), `${'0'.repeat(64)}  extra\n`);
  const bad = await verifyWithGpg(tampered, k.protectedPub);
  t.is(bad.exitCode, 4);
  t.regex(bad.stdout, /^FAILED\s+SHA256SUMS\s+gpg signature: SHA256SUMS\.asc does not verify: the signature by key \w+ \(airlock protected <protected@airlock\.test>\) does not match the file/m);
  t.false((await plainGpgVerify(k.protectedPub, tampered)).exitCode === 0, 'gpg --verify refuses it too');

  const swapped = await copyOf(shard, 'swapped');
  await gpg(k.home, ['--yes', '--local-user', k.other, '--armor', '--detach-sign', '--output', path.join(swapped, 'SHA256SUMS.asc'), path.join(swapped, 'SHA256SUMS')]);
  const other = await verifyWithGpg(swapped, k.protectedPub);
  assertCleanFailure(t, other, 4, new RegExp(`SHA256SUMS\\.asc does not verify: it was made by another key \\(${k.other}\\), not by the key given`));
  t.deepEqual(other.leftInTmp, [], 'the temporary keyring is removed after a failure too');

  // A key that expired in 2021, which signed the checksums in 2020 while it was valid: today it has expired.
  const past = await newHome(k.work, 'gnupg-past');
  const old = await generateKey(past, 'expired key <expired@airlock.test>', { expire: '1y', fakedTime: '20200101T000000' });
  const expired = await copyOf(shard, 'expired');
  await gpg(past, ['--faked-system-time', '20200601T000000', '--yes', '--local-user', old, '--armor', '--detach-sign', '--output', path.join(expired, 'SHA256SUMS.asc'), path.join(expired, 'SHA256SUMS')]);
  const oldPub = path.join(k.work, 'expired.asc');
  await fs.writeFile(oldPub, await gpg(past, ['--armor', '--export', old]));
  const expiredResult = await verifyWithGpg(expired, oldPub);
  assertCleanFailure(t, expiredResult, 4, /SHA256SUMS\.asc does not verify: the signing key \w+ \(expired key <expired@airlock\.test>\) has expired/);

  // A key revoked after it signed: its revocation certificate (which gpg writes at generation) imported.
  const revokedHome = await newHome(k.work, 'gnupg-revoked');
  const revokedKey = await generateKey(revokedHome, 'revoked key <revoked@airlock.test>');
  const revoked = await copyOf(shard, 'revoked');
  await gpg(revokedHome, ['--yes', '--local-user', revokedKey, '--armor', '--detach-sign', '--output', path.join(revoked, 'SHA256SUMS.asc'), path.join(revoked, 'SHA256SUMS')]);
  const certificate = (await fs.readFile(path.join(revokedHome, 'openpgp-revocs.d', `${revokedKey}.rev`), 'utf8')).replace(/^:-----/m, '-----');
  await gpg(revokedHome, ['--import'], certificate);
  const revokedPub = path.join(k.work, 'revoked.asc');
  await fs.writeFile(revokedPub, await gpg(revokedHome, ['--armor', '--export', revokedKey]));
  const revokedResult = await verifyWithGpg(revoked, revokedPub);
  assertCleanFailure(t, revokedResult, 4, /SHA256SUMS\.asc does not verify: the signing key \w+ \(revoked key <revoked@airlock\.test>\) has been revoked/);

  // --gpg-pub with an .asc missing fails; an .asc that is no signature fails.
  const missing = await copyOf(shard, 'missing');
  await fs.remove(path.join(missing, 'SHA256SUMS.asc'));
  assertCleanFailure(t, await verifyWithGpg(missing, k.protectedPub), 4, /SHA256SUMS: gpg signature: SHA256SUMS\.asc is missing/);
  const garbage = await copyOf(shard, 'garbage');
  await fs.writeFile(path.join(garbage, 'SHA256SUMS.asc'), 'not a signature\n');
  assertCleanFailure(t, await verifyWithGpg(garbage, k.protectedPub), 4, /SHA256SUMS\.asc does not verify: it holds no OpenPGP signature/);
});

gpgIntegration('bad input: an unknown key id, no gpg on PATH, a wrong passphrase, a --gpg-pub holding no public key: one line each, exit 2, nothing written', async (t) => {
  const k = await keys();
  const { module, shard } = await release();
  const out = path.join(k.work, 'never');
  const env = { GNUPGHOME: k.home };
  const moduleBefore = (await fs.readdir(module)).sort();

  const unknown = await runAirlock(['build', module, '--target', 'linux/amd64', '--out', out, '--gpg-key', 'nobody@airlock.test'], { env });
  assertCleanFailure(t, unknown, 2, /GPG key nobody@airlock\.test: no such secret key in GNUPGHOME .*; list the keys with `gpg --list-secret-keys`/);

  // A PATH with node alone: gpg is nowhere on it.
  const bin = path.join(k.work, 'node-only');
  await fs.mkdirp(bin);
  await fs.symlink(process.execPath, path.join(bin, 'node'));
  const noGpg = await runAirlock(['build', module, '--target', 'linux/amd64', '--out', out, '--gpg-key', k.release], { env: { ...env, PATH: bin } });
  assertCleanFailure(t, noGpg, 2, /gpg is not installed: no `gpg` on PATH; install GnuPG/);

  // The agent must not hold the passphrase from the merge: it would sign without asking.
  await execa('gpgconf', ['--homedir', k.home, '--kill', 'gpg-agent'], { reject: false });
  const wrong = await runAirlock(['build', module, '--target', 'linux/amd64', '--out', out, '--gpg-key', k.protected], { env: { ...env, AIRLOCK_GPG_PASSPHRASE: 'not it' } });
  assertCleanFailure(t, wrong, 2, new RegExp(`the passphrase in AIRLOCK_GPG_PASSPHRASE does not unlock GPG key ${k.protected}`));
  const mergeWrong = await runAirlock(['merge', shard, '--out', out, '--gpg-key', k.protected], { env: { ...env, AIRLOCK_GPG_PASSPHRASE: 'not it' } });
  assertCleanFailure(t, mergeWrong, 2, /the passphrase in AIRLOCK_GPG_PASSPHRASE does not unlock GPG key/);

  const notAKey = path.join(k.work, 'not-a-key.asc');
  await fs.copy(path.join(shard, 'SHA256SUMS.asc'), notAKey);
  const noKey = await verifyWithGpg(shard, notAKey);
  assertCleanFailure(t, noKey, 2, /--gpg-pub .*not-a-key\.asc holds no OpenPGP public key; pass the exported public key/);
  t.deepEqual(noKey.leftInTmp, []);

  t.false(await fs.pathExists(out), 'no output directory');
  t.deepEqual((await fs.readdir(module)).sort(), moduleBefore, 'no staging directory left in the module');
  t.deepEqual((await fs.readdir(k.work)).filter((name) => name.startsWith('.never') || name.startsWith('never')), [], 'no staging directory left beside --out');
});
