/**
 * verifyRelease beyond the envelope itself: the files a release may hold (and the ones it may not), the
 * state of a check that could not be made, and what is no release directory at all.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';

import { formatSha256Sums } from '../../../src/release/checksums.js';
import { SHARD_MANIFEST_FILE } from '../../../src/plan/shards.js';
import { CHECKSUMS_FILE } from '../../../src/release/layout.js';
import { ExitCode, InputError } from '../../../src/errors.js';
import { ENVELOPE_SUFFIX, SBOM_SUFFIX } from '../../../src/release/layout.js';
import { IN_TOTO_PAYLOAD_TYPE, serializeEnvelope, signEnvelope } from '../../../src/provenance/dsse.js';
import { KeySigner, signDetached } from '../../../src/provenance/signers.js';
import {
  type FileVerification,
  checksumsFileFor,
  describeFile,
  describeVerified,
  releaseFiles,
  verifyRelease,
} from '../../../src/workflows/verify-release.js';
import { tempDir } from '../../helpers/host-tools.js';

const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signer = new KeySigner(keys.privateKey);
const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** A signed release of one (fake) binary, its envelope and SBOM, laid out as the build writes them. */
async function release(t: Parameters<typeof tempDir>[0], group = ''): Promise<string> {
  const root = await tempDir(t);
  const dir = path.join(root, group);
  await fs.mkdir(dir, { recursive: true });
  const binary = Buffer.from('\x7fELF not really an executable\n');
  const sbom = '{}\n';
  await fs.writeFile(path.join(dir, 'tool_linux_amd64'), binary);
  await fs.writeFile(path.join(dir, `tool_linux_amd64${SBOM_SUFFIX}`), sbom);
  const statement = { _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'tool_linux_amd64', digest: { sha256: sha256(binary) } }] };
  const envelope = await signEnvelope(Buffer.from(JSON.stringify(statement)), IN_TOTO_PAYLOAD_TYPE, signer);
  await fs.writeFile(path.join(dir, `tool_linux_amd64${ENVELOPE_SUFFIX}`), serializeEnvelope(envelope));
  const sums = formatSha256Sums([
    { name: 'tool_linux_amd64', sha256: sha256(binary) },
    { name: `tool_linux_amd64${SBOM_SUFFIX}`, sha256: sha256(sbom) },
  ]);
  await fs.writeFile(path.join(dir, CHECKSUMS_FILE), sums);
  await fs.writeFile(path.join(dir, `${CHECKSUMS_FILE}.sig`), await signDetached(Buffer.from(sums), signer));
  return root;
}

const unlisted = (files: FileVerification[]) => files.filter((file) => file.kind === 'unlisted');

test('releaseFiles: each SHA256SUMS and SM3SUMS and their signatures, what it lists, an envelope per binary (not per SBOM), the shard manifest and the release manifest', (t) => {
  t.deepEqual(
    [...releaseFiles([{ sumsFile: 'SHA256SUMS', names: ['a_linux_amd64', `a_linux_amd64${SBOM_SUFFIX}`, 'b.exe'] }])].sort(),
    [SHARD_MANIFEST_FILE, 'RELEASE-MANIFEST', 'RELEASE-MANIFEST.sig', 'SHA256SUMS', 'SHA256SUMS.sig', 'SHA256SUMS.asc', 'SM3SUMS', 'SM3SUMS.sig', 'SM3SUMS.asc', 'a_linux_amd64', 'a_linux_amd64.cdx.json', 'a_linux_amd64.intoto.jsonl', 'b.exe', 'b.exe.intoto.jsonl'].sort(),
  );
  t.deepEqual(
    [...releaseFiles([
      { sumsFile: 'go1.26.8/SHA256SUMS', names: ['a'] },
      { sumsFile: 'go1.27.3/SHA256SUMS', names: ['./a'] },
    ])].sort(),
    [
      SHARD_MANIFEST_FILE,
      'RELEASE-MANIFEST',
      'RELEASE-MANIFEST.sig',
      ...['go1.26.8', 'go1.27.3'].flatMap((toolchain) => ['SHA256SUMS', 'SHA256SUMS.sig', 'SHA256SUMS.asc', 'SM3SUMS', 'SM3SUMS.sig', 'SM3SUMS.asc', 'a', 'a.intoto.jsonl'].map((name) => `${toolchain}/${name}`)),
    ].sort(),
    'per toolchain, names as the file system lists them',
  );
});

test('checksumsFileFor names the SHA256SUMS beside a stray file, else the top one', (t) => {
  t.is(checksumsFileFor('evil', ['SHA256SUMS']), 'SHA256SUMS');
  t.is(checksumsFileFor('go1.26.8/evil', ['go1.26.8/SHA256SUMS', 'go1.27.3/SHA256SUMS']), 'go1.26.8/SHA256SUMS');
  t.is(checksumsFileFor('other/evil', ['SHA256SUMS']), 'SHA256SUMS');
  t.is(checksumsFileFor('other/evil', ['go1.26.8/SHA256SUMS']), 'any SHA256SUMS');
});

test('a file the release does not list fails verification and is named, flat or per toolchain, in a subdirectory or as a link', async (t) => {
  for (const group of ['', 'go1.26.8']) {
    const root = await release(t, group);
    const clean = await verifyRelease(root, keys.publicKey);
    t.deepEqual(unlisted(clean.files), [], group);
    const dir = path.join(root, group);
    await fs.copyFile(path.join(dir, 'tool_linux_amd64'), path.join(dir, 'evil_linux_amd64'));
    await fs.mkdir(path.join(root, 'extra'));
    await fs.writeFile(path.join(root, 'extra', 'notes.txt'), 'x');
    await fs.symlink('/bin/sh', path.join(dir, 'sh'));
    const result = await verifyRelease(root, keys.publicKey);
    t.false(result.ok);
    const sums = group === '' ? 'SHA256SUMS' : `${group}/SHA256SUMS`;
    const evil = group === '' ? 'evil_linux_amd64' : `${group}/evil_linux_amd64`;
    t.deepEqual(
      unlisted(result.files).map((file) => [file.file, file.ok, file.checks.map((check) => `${check.state} ${check.name}: ${check.detail}`)]),
      [
        [evil, false, [`failed listed: ${evil} is in the release but not listed in ${sums}; airlock did not write it`]],
        ['extra/notes.txt', false, [`failed listed: extra/notes.txt is in the release but not listed in ${group === '' ? 'SHA256SUMS' : 'any SHA256SUMS'}; airlock did not write it`]],
        [group === '' ? 'sh' : `${group}/sh`, false, [`failed listed: ${group === '' ? 'sh' : `${group}/sh`} is in the release but not listed in ${sums}; airlock did not write it`]],
      ].sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1)),
      group,
    );
    t.deepEqual(unlisted((await verifyRelease(root, keys.publicKey, { ignoreUnlisted: true })).files), [], 'merge leaves them to its own report');
  }
});

test('the shard manifest and an SBOM listed in SHA256SUMS belong to a release; an SBOM it does not list does not', async (t) => {
  const root = await release(t);
  await fs.writeFile(path.join(root, SHARD_MANIFEST_FILE), '{}\n');
  t.deepEqual(unlisted((await verifyRelease(root, keys.publicKey)).files), []);
  await fs.writeFile(path.join(root, 'tool_linux_amd64.exe.cdx.json'), '{}\n');
  t.deepEqual(unlisted((await verifyRelease(root, keys.publicKey)).files).map((file) => file.file), ['tool_linux_amd64.exe.cdx.json']);
});

test('without --key a signature is not checked: neither passed nor failed, and said so in the row and the last line', async (t) => {
  const root = await release(t);
  const result = await verifyRelease(root, undefined);
  t.false(result.signaturesChecked);
  const sums = result.files.find((file) => file.file === CHECKSUMS_FILE)!;
  t.deepEqual(sums.checks.find((check) => check.name === 'signature'), { name: 'signature', state: 'not-checked', detail: 'no --key' });
  t.true(sums.ok, 'a check not made fails nothing');
  t.deepEqual(describeFile(sums), { status: 'OK', detail: 'format; signature not checked (no --key)' });
  const binary = result.files.find((file) => file.file === 'tool_linux_amd64')!;
  t.deepEqual(binary.checks.find((check) => check.name === 'envelope signature'), { name: 'envelope signature', state: 'not-checked', detail: 'no --key' });
  t.true(binary.checks.every((check) => 'state' in check && !('ok' in check)), 'checks carry a state, not a pass/fail flag');

  await fs.rm(path.join(root, `${CHECKSUMS_FILE}.sig`));
  const unsigned = (await verifyRelease(root, undefined)).files.find((file) => file.file === CHECKSUMS_FILE)!;
  t.deepEqual(describeFile(unsigned), { status: 'OK', detail: 'format; signature not checked (no --key; there is no SHA256SUMS.sig)' });

  t.is(describeVerified({ ...result, directory: '/r' }), 'verified 3 files in /r, but not their signatures: no --key was given');
  t.is(describeVerified({ ...result, directory: '/r', signaturesChecked: true }), 'verified 3 files in /r, signatures included');
});

test('an .asc beside SHA256SUMS without --gpg-pub is not checked, and said so; a release without one gets no GPG row; one without its checksums file fails', async (t) => {
  const root = await release(t);
  const plain = (await verifyRelease(root, undefined)).files.find((file) => file.file === CHECKSUMS_FILE)!;
  t.false(plain.checks.some((check) => check.name.includes('gpg')), 'no GPG row for a release that never used GPG');
  await fs.writeFile(path.join(root, `${CHECKSUMS_FILE}.asc`), '-----BEGIN PGP SIGNATURE-----\n');
  const result = await verifyRelease(root, undefined);
  t.false(result.gpgChecked);
  const sums = result.files.find((file) => file.file === CHECKSUMS_FILE)!;
  t.deepEqual(sums.checks.find((check) => check.name === 'gpg signature'), { name: 'gpg signature', state: 'not-checked', detail: 'no --gpg-pub' });
  t.deepEqual(unlisted(result.files), [], 'SHA256SUMS.asc belongs to the release');
  await fs.writeFile(path.join(root, 'SM3SUMS.asc'), '-----BEGIN PGP SIGNATURE-----\n');
  const orphan = (await verifyRelease(root, undefined)).files.find((file) => file.file === CHECKSUMS_FILE)!;
  t.deepEqual(orphan.checks.find((check) => check.name === 'SM3SUMS gpg signature'), { name: 'SM3SUMS gpg signature', state: 'failed', detail: 'SM3SUMS.asc signs SM3SUMS, which is missing' });
  t.is(
    describeVerified({ ...result, directory: '/r', gpgChecked: true }),
    "verified 3 files in /r and their GPG signatures, but not the envelopes' signatures: no --key was given",
  );
  t.is(describeVerified({ ...result, directory: '/r', signaturesChecked: true, gpgChecked: true }), 'verified 3 files in /r, signatures included (GPG signatures too)');
});

test('with --key the signatures pass, and a failed check is what the row shows', async (t) => {
  const root = await release(t);
  const result = await verifyRelease(root, keys.publicKey);
  const sums = result.files.find((file) => file.file === CHECKSUMS_FILE)!;
  t.deepEqual(describeFile(sums), { status: 'OK', detail: 'signature, format' });
  const binary = result.files.find((file) => file.file === 'tool_linux_amd64')!;
  t.is(binary.checks.find((check) => check.name === 'envelope signature')?.state, 'passed');
  t.deepEqual(describeFile(binary).status, 'FAILED', 'the fake binary fails the statement check');
  t.regex(describeFile(binary).detail, /^statement: /);
});

test('a path that does not exist or is not a directory is bad input, not a failed verification', async (t) => {
  const root = await release(t);
  for (const [target, message] of [
    [path.join(root, 'nope'), /nope does not exist$/],
    [path.join(root, CHECKSUMS_FILE), /SHA256SUMS is not a directory$/],
  ] as const) {
    const error = await t.throwsAsync(verifyRelease(target, undefined), { instanceOf: InputError, message });
    t.is(error?.exitCode, ExitCode.badInput);
    t.regex(error?.hint ?? '', /release directory/);
  }
  const empty = await tempDir(t);
  t.false((await verifyRelease(empty, undefined)).ok, 'a directory without SHA256SUMS still fails verification');
});
