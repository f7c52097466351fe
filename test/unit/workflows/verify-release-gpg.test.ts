/**
 * The GPG row of verifyRelease with the real gpg, per checksum group: a per-toolchain release signed by
 * GpgSigner and checked by GpgKeyring (a private keyring of the given key alone), then changed. The keys are
 * generated in a private GnuPG home, removed (its agent stopped) afterwards. Skipped without gpg.
 */
import { execa } from 'execa';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import test from 'ava';

import { ExitCode, InputError } from '../../../src/errors.js';
import { GpgKeyring } from '../../../src/provenance/gpg-keyring.js';
import { GpgSigner } from '../../../src/provenance/gpg-signer.js';
import { formatSha256Sums } from '../../../src/release/checksums.js';
import { verifyRelease } from '../../../src/workflows/verify-release.js';
import { tempDir } from '../../helpers/host-tools.js';

const hasGpg = (await execa('gpg', ['--version'], { reject: false }).catch(() => ({ exitCode: 1 }))).exitCode === 0;
const gpgTest = hasGpg ? test.serial : test.skip;

const home = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-unit-gnupg-'));
test.after.always(async () => {
  await execa('gpgconf', ['--homedir', home, '--kill', 'all'], { reject: false });
  await fs.rm(home, { recursive: true, force: true });
});

async function generate(userId: string): Promise<{ fingerprint: string; pub: string }> {
  await execa('gpg', ['--homedir', home, '--batch', '--passphrase', '', '--quick-gen-key', userId, 'ed25519', 'sign', '0']);
  const listing = (await execa('gpg', ['--homedir', home, '--batch', '--with-colons', '--list-secret-keys', userId])).stdout;
  const fingerprint = /^fpr:{9}([0-9A-F]{40}):/m.exec(listing)![1]!;
  const pub = path.join(home, `${fingerprint}.asc`);
  await fs.writeFile(pub, (await execa('gpg', ['--homedir', home, '--batch', '--armor', '--export', fingerprint])).stdout);
  return { fingerprint, pub };
}

/** Two toolchain groups, each a SHA256SUMS of one SBOM-like file (no binaries: the GPG row is what is looked at). */
async function perToolchainRelease(t: Parameters<typeof tempDir>[0]): Promise<string> {
  const root = await tempDir(t);
  for (const group of ['go1.26.8', 'go1.27.3']) {
    await fs.mkdir(path.join(root, group));
    await fs.writeFile(path.join(root, group, 'tool.cdx.json'), '{}\n');
    await fs.writeFile(path.join(root, group, 'SHA256SUMS'), formatSha256Sums([{ name: 'tool.cdx.json', sha256: 'ca3d163bab055381827226140568f3bef7eaac187cebd76878e0b63e9e442356' }]));
  }
  return root;
}

gpgTest('every group\'s SHA256SUMS.asc is checked with the given key alone: good, then changed, then by another key', async (t) => {
  const release = await generate('unit release <release@airlock.test>');
  const other = await generate('unit other <other@airlock.test>');
  const env = { ...process.env, GNUPGHOME: home };
  const root = await perToolchainRelease(t);
  const signer = await GpgSigner.open({ keyId: release.fingerprint, env });
  t.is(signer.fingerprint, release.fingerprint);
  for (const group of ['go1.26.8', 'go1.27.3']) await signer.signFile(path.join(root, group, 'SHA256SUMS'), path.join(root, group, 'SHA256SUMS.asc'));

  const keyring = await GpgKeyring.open(release.pub, process.env);
  t.teardown(() => keyring.close());
  t.deepEqual(keyring.fingerprints, [release.fingerprint]);
  const gpgRow = async () =>
    (await verifyRelease(root, undefined, { gpg: keyring })).files
      .filter((file) => file.kind === 'checksums')
      .map((file) => [file.file, file.checks.find((check) => check.name === 'gpg signature')?.state, file.checks.find((check) => check.name === 'gpg signature')?.detail]);
  t.deepEqual(await gpgRow(), [
    ['go1.26.8/SHA256SUMS', 'passed', `good signature by ${release.fingerprint}`],
    ['go1.27.3/SHA256SUMS', 'passed', `good signature by ${release.fingerprint}`],
  ]);

  await fs.appendFile(path.join(root, 'go1.27.3', 'SHA256SUMS'), '\n');
  const [first, second] = await gpgRow();
  t.is(first![1], 'passed');
  t.is(second![1], 'failed');
  t.regex(second![2]!, /^go1\.27\.3\/SHA256SUMS\.asc does not verify: the signature by key \w+ \(unit release <release@airlock\.test>\) does not match the file/);

  const otherSigner = await GpgSigner.open({ keyId: other.fingerprint, env });
  await otherSigner.signFile(path.join(root, 'go1.26.8', 'SHA256SUMS'), path.join(root, 'go1.26.8', 'SHA256SUMS.asc'));
  t.is((await gpgRow())[0]![2], `go1.26.8/SHA256SUMS.asc does not verify: it was made by another key (${other.fingerprint}), not by the key given`);
});

gpgTest('a file with no public key in it, or none at all, is bad input; the temporary keyring goes with the failure', async (t) => {
  const tmp = await tempDir(t);
  const notAKey = path.join(tmp, 'sums.asc');
  await fs.writeFile(notAKey, 'not a key\n');
  const env = { ...process.env, TMPDIR: tmp };
  // os.tmpdir() is read per call: the scratch directory goes under this test's TMPDIR.
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  try {
    const error = await t.throwsAsync(GpgKeyring.open(notAKey, env), { instanceOf: InputError });
    t.is(error?.exitCode, ExitCode.badInput);
    t.regex(error?.message ?? '', /^--gpg-pub .*sums\.asc holds no OpenPGP public key$/);
    const missing = await t.throwsAsync(GpgKeyring.open(path.join(tmp, 'absent.asc'), env), { instanceOf: InputError });
    t.regex(missing?.message ?? '', /absent\.asc is not a file$/);
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
  t.deepEqual(await fs.readdir(tmp), ['sums.asc'], 'no keyring directory left');
});
