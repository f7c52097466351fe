/**
 * SM2 with SM3 end to end, and the release manifest: an SM2-signed multi-toolchain release made as CI makes it
 * (two shards, one toolchain each, merged), checked by airlock and by the openssl command line alone with
 * exactly the commands the README gives; openssl as the signer (--signer-command) and airlock as the verifier;
 * every tampering case of provenance.test.ts again for SM2, and the manifest's own cases.
 */
import { execa } from 'execa';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { assertCleanFailure, copyModule, ensureToolchains, integration, managedContainers, runAirlock } from '../helpers/airlock-cli.js';

const PASSPHRASE = 'sm2 release test';
const ENV = { AIRLOCK_KEY_PASSPHRASE: PASSPHRASE, SOURCE_DATE_EPOCH: '1700000000' };
const TOOLCHAINS = ['go1.26.8', 'go1.27.3'];
const BINARY = 'hello_linux_amd64';
const DISTID = 'distid:1234567812345678';

interface Sm2Release {
  work: string;
  /** The merged release: go1.26.8/ and go1.27.3/, one binary each. */
  dist: string;
  key: string;
  pub: string;
}

let release: Promise<Sm2Release> | undefined;

/** One SM2 key pair and one merged two-toolchain release of examples/hello, shared by the tests of this file. */
function sm2Release(): Promise<Sm2Release> {
  release ??= (async () => {
    await ensureToolchains();
    const work = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-sm2-'));
    const key = path.join(work, 'sm2.key');
    const pub = path.join(work, 'sm2.pub');
    const keygen = await runAirlock(['keygen', '--algorithm', 'sm2', '--key', key, '--pub', pub], { env: ENV });
    if (keygen.exitCode !== 0) throw new Error(keygen.stderr);
    const module = await copyModule('examples/hello');
    const shards: string[] = [];
    for (const shard of ['1/2', '2/2']) {
      const out = path.join(work, `shard-${shard[0]}`);
      // --cache: signing and verifying are the point, not a cold compile (CI time).
      const build = await runAirlock(['build', module, '--cache', '--go', '1.26.8', '--go', '1.27.3', '--shard', shard, '--out', out, '--sign-key', key], { env: ENV });
      if (build.exitCode !== 0) throw new Error(build.stderr);
      shards.push(out);
    }
    const dist = path.join(work, 'dist');
    const merge = await runAirlock(['merge', ...shards, '--out', dist, '--key', pub, '--sign-key', key], { env: ENV });
    if (merge.exitCode !== 0) throw new Error(merge.stderr);
    return { work, dist, key, pub };
  })();
  return release;
}

async function tamperedCopy(name: string): Promise<string> {
  const { dist, work } = await sm2Release();
  const copy = path.join(work, name);
  await fs.copy(dist, copy);
  return copy;
}

async function verify(dir: string, pub?: string) {
  return runAirlock(['verify', dir, ...(pub ? ['--key', pub] : [])]);
}

/** The README's commands, run in the release directory by sh: what a site without airlock does. */
async function sh(script: string, cwd: string) {
  return execa('sh', ['-euc', script], { cwd, reject: false });
}

/** README: a detached signature (.sig, base64) checked with openssl alone. */
const VERIFY_SIG = (file: string, pub: string) =>
  `base64 -d ${file}.sig > /tmp/$$.der && openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt ${DISTID} -pubin -inkey ${pub} -in ${file} -sigfile /tmp/$$.der; rm -f /tmp/$$.der`;

/** README: the DSSE PAE bytes of an envelope, then its signature checked with openssl alone. */
const VERIFY_ENVELOPE = (envelope: string, pub: string) =>
  `E=${envelope}; T=$(jq -j .payloadType "$E"); jq -j .payload "$E" | base64 -d > /tmp/$$.payload; ` +
  `{ printf 'DSSEv1 %d %s %d ' "$(printf %s "$T" | wc -c)" "$T" "$(wc -c < /tmp/$$.payload)"; cat /tmp/$$.payload; } > /tmp/$$.pae; ` +
  `jq -j '.signatures[0].sig' "$E" | base64 -d > /tmp/$$.der; ` +
  `openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt ${DISTID} -pubin -inkey ${pub} -in /tmp/$$.pae -sigfile /tmp/$$.der; rm -f /tmp/$$.payload /tmp/$$.pae /tmp/$$.der`;

integration('an SM2-signed two-toolchain release merged from shards: SM3SUMS, one manifest, verified by airlock and by openssl alone', async (t) => {
  const { dist, pub } = await sm2Release();
  const files = (await execa('find', ['.', '-type', 'f'], { cwd: dist })).stdout.split('\n').map((file) => file.slice(2)).sort();
  t.deepEqual(files, [
    'RELEASE-MANIFEST',
    'RELEASE-MANIFEST.sig',
    ...TOOLCHAINS.flatMap((toolchain) => ['SHA256SUMS', 'SHA256SUMS.sig', 'SM3SUMS', 'SM3SUMS.sig', BINARY, `${BINARY}.intoto.jsonl`].map((name) => `${toolchain}/${name}`)),
  ].sort());
  const pem = await fs.readFile(pub, 'utf8');
  const pkey = await execa('openssl', ['pkey', '-pubin', '-in', pub, '-noout', '-text'], { reject: false });
  t.regex(pkey.stdout, /ASN1 OID: SM2/, pem);

  const result = await verify(dist, pub);
  t.is(result.exitCode, 0, result.stdout + result.stderr);
  t.regex(result.stdout, /^OK\s+go1\.27\.3\/SM3SUMS\s+signature, format, sm3$/m);
  t.regex(result.stdout, /^OK\s+RELEASE-MANIFEST\s+signature, complete$/m);
  t.notRegex(result.stderr, /warning/);

  // openssl alone: every signature of the release.
  for (const list of ['RELEASE-MANIFEST', ...TOOLCHAINS.flatMap((toolchain) => [`${toolchain}/SHA256SUMS`, `${toolchain}/SM3SUMS`])]) {
    const checked = await sh(VERIFY_SIG(list, pub), dist);
    t.is(checked.exitCode, 0, `${list}: ${checked.stdout}${checked.stderr}`);
    t.regex(checked.stdout, /Signature Verified Successfully/, list);
  }
  for (const toolchain of TOOLCHAINS) {
    const checked = await sh(VERIFY_ENVELOPE(`${toolchain}/${BINARY}.intoto.jsonl`, pub), dist);
    t.is(checked.exitCode, 0, `${toolchain}: ${checked.stdout}${checked.stderr}`);
    t.regex(checked.stdout, /Signature Verified Successfully/);
    // The same digests as openssl's own SM3.
    const sm3 = (await sh(`openssl dgst -sm3 -r ${toolchain}/${BINARY}`, dist)).stdout.split(' ')[0];
    t.true((await fs.readFile(path.join(dist, toolchain, 'SM3SUMS'), 'utf8')).includes(`${sm3}  ${BINARY}\n`));
  }
  // The manifest with standard tools: every file present and unchanged, and no file it does not list.
  const sums = await sh('sha256sum -c --quiet RELEASE-MANIFEST', dist);
  t.is(sums.exitCode, 0, sums.stdout + sums.stderr);
  const unlisted = await sh(
    "cut -c67- RELEASE-MANIFEST > /tmp/$$.names; find . -type f ! -name 'RELEASE-MANIFEST*' | sed 's|^[.]/||' | LC_ALL=C sort | diff - /tmp/$$.names && rm -f /tmp/$$.names",
    dist,
  );
  t.is(unlisted.exitCode, 0, unlisted.stdout + unlisted.stderr);
  // A signature made with the empty ID (openssl 3's default without distid) is not what airlock writes.
  const emptyId = await sh(`base64 -d RELEASE-MANIFEST.sig > /tmp/$$.der && openssl pkeyutl -verify -rawin -digest sm3 -pubin -inkey ${pub} -in RELEASE-MANIFEST -sigfile /tmp/$$.der; rm -f /tmp/$$.der`, dist);
  t.not(emptyId.exitCode, 0);
  t.deepEqual(await managedContainers(), []);
});

integration('openssl signs and airlock verifies: --signer-command with openssl pkeyutl and --signer-pub naming the SM2 key', async (t) => {
  const { work, key, pub } = await sm2Release();
  const module = await copyModule('examples/hello');
  const out = path.join(work, 'openssl-signed');
  const command = `openssl pkeyutl -sign -rawin -digest sm3 -pkeyopt ${DISTID} -inkey ${key} -passin env:AIRLOCK_KEY_PASSPHRASE`;
  const build = await runAirlock(['build', module, '--cache', '--go', '1.27.3', '--out', out, '--signer-command', command, '--signer-pub', pub], { env: ENV });
  t.is(build.exitCode, 0, build.stderr);
  t.true(await fs.pathExists(path.join(out, 'SM3SUMS.sig')), 'the signer-pub tells that the command signs with SM2');
  const result = await verify(out, pub);
  t.is(result.exitCode, 0, result.stdout + result.stderr);
  t.regex(result.stdout, new RegExp(`^OK\\s+${BINARY}\\s+checksum, envelope signature, `, 'm'));

  // A command signing with the empty ID (openssl 3.0's default) is caught before anything is written.
  const emptyId = await runAirlock(['build', module, '--cache', '--go', '1.27.3', '--out', path.join(work, 'empty-id'), '--signer-command', command.replace(` -pkeyopt ${DISTID}`, ''), '--signer-pub', pub], { env: ENV });
  assertCleanFailure(t, emptyId, 4, /does not verify as SM2 with SM3 and distinguishing ID 1234567812345678/);
  t.false(await fs.pathExists(path.join(work, 'empty-id')));
});

integration('each tampering of an SM2 release is caught and named, as for P-256: wrong key, changed binary, edited payload, swapped envelopes, missing artifact, edited SHA256SUMS and SM3SUMS, garbage envelope', async (t) => {
  const { work, pub, dist } = await sm2Release();
  const other = path.join(work, 'other');
  t.is((await runAirlock(['keygen', '--algorithm', 'sm2', '--key', `${other}.key`, '--pub', `${other}.pub`], { env: ENV })).exitCode, 0);
  const wrongKey = await verify(dist, `${other}.pub`);
  t.is(wrongKey.exitCode, 4);
  t.regex(wrongKey.stdout, /^FAILED\s+go1\.26\.8\/SHA256SUMS\s+signature: go1\.26\.8\/SHA256SUMS\.sig does not verify/m);
  t.regex(wrongKey.stdout, /^FAILED\s+go1\.26\.8\/SM3SUMS\s+signature: go1\.26\.8\/SM3SUMS\.sig does not verify/m);
  t.regex(wrongKey.stdout, /^FAILED\s+RELEASE-MANIFEST\s+signature: RELEASE-MANIFEST\.sig does not verify/m);
  t.regex(wrongKey.stdout, new RegExp(`^FAILED\\s+go1\\.26\\.8/${BINARY}\\s+envelope signature: `, 'm'));
  // A P-256 key is a wrong key too, not an error.
  t.is((await runAirlock(['keygen', '--key', `${other}-p256.key`, '--pub', `${other}-p256.pub`], { env: ENV })).exitCode, 0);
  t.is((await verify(dist, `${other}-p256.pub`)).exitCode, 4);

  const flip = async (file: string) => {
    const bytes = await fs.readFile(file);
    bytes[bytes.length - 100]! ^= 0x01;
    await fs.writeFile(file, bytes);
  };
  const changed = await tamperedCopy('changed-binary');
  await flip(path.join(changed, 'go1.27.3', BINARY));
  const changedResult = await verify(changed, pub);
  t.is(changedResult.exitCode, 4);
  t.regex(changedResult.stdout, new RegExp(`^FAILED\\s+go1\\.27\\.3/${BINARY}\\s+checksum: sha256 [0-9a-f]{64} differs from go1\\.27\\.3/SHA256SUMS`, 'm'));
  t.regex(changedResult.stdout, new RegExp(`^FAILED\\s+go1\\.27\\.3/SM3SUMS\\s+sm3: go1\\.27\\.3/${BINARY} has SM3 [0-9a-f]{64}, go1\\.27\\.3/SM3SUMS records`, 'm'));

  const edited = await tamperedCopy('edited-payload');
  const envelopeFile = path.join(edited, 'go1.27.3', `${BINARY}.intoto.jsonl`);
  const envelope = JSON.parse(await fs.readFile(envelopeFile, 'utf8')) as { payload: string };
  envelope.payload = Buffer.from(Buffer.from(envelope.payload, 'base64').toString('utf8').replace('"goarch":"amd64"', '"goarch":"arm64"')).toString('base64');
  await fs.writeFile(envelopeFile, `${JSON.stringify(envelope)}\n`);
  const editedResult = await verify(edited, pub);
  t.is(editedResult.exitCode, 4);
  t.regex(editedResult.stdout, new RegExp(`^FAILED\\s+go1\\.27\\.3/${BINARY}\\s+envelope signature: `, 'm'));

  const swapped = await tamperedCopy('swapped');
  const [a, b] = TOOLCHAINS.map((toolchain) => path.join(swapped, toolchain, `${BINARY}.intoto.jsonl`));
  const [textA, textB] = await Promise.all([fs.readFile(a!), fs.readFile(b!)]);
  await fs.writeFile(a!, textB);
  await fs.writeFile(b!, textA);
  const swappedResult = await verify(swapped, pub);
  t.is(swappedResult.exitCode, 4);
  t.regex(swappedResult.stdout, new RegExp(`^FAILED\\s+go1\\.26\\.8/${BINARY}\\s+`, 'm'));

  const missing = await tamperedCopy('missing');
  await fs.remove(path.join(missing, 'go1.26.8', BINARY));
  const missingResult = await verify(missing, pub);
  t.is(missingResult.exitCode, 4);
  t.regex(missingResult.stdout, new RegExp(`^FAILED\\s+go1\\.26\\.8/${BINARY}\\s+present: go1\\.26\\.8/${BINARY} is listed in go1\\.26\\.8/SHA256SUMS but missing`, 'm'));

  for (const list of ['SHA256SUMS', 'SM3SUMS']) {
    const listEdited = await tamperedCopy(`${list}-edited`);
    const file = path.join(listEdited, 'go1.27.3', list);
    await fs.writeFile(file, (await fs.readFile(file, 'utf8')).replace(/^[0-9a-f]/, (c) => (c === '0' ? '1' : '0')));
    const listResult = await verify(listEdited, pub);
    t.is(listResult.exitCode, 4);
    t.regex(listResult.stdout, new RegExp(`^FAILED\\s+go1\\.27\\.3/${list}\\s+signature: go1\\.27\\.3/${list}\\.sig does not verify`, 'm'));
  }

  const broken = await tamperedCopy('broken-envelope');
  await fs.writeFile(path.join(broken, 'go1.26.8', `${BINARY}.intoto.jsonl`), 'this is not an envelope\n');
  const brokenResult = await verify(broken, pub);
  t.is(brokenResult.exitCode, 4);
  t.regex(brokenResult.stdout, new RegExp(`^FAILED\\s+go1\\.26\\.8/${BINARY}\\s+provenance: .*not a DSSE envelope`, 'm'));
  t.notRegex(brokenResult.stderr, /^\s+at /m);
});

integration('the manifest: a whole toolchain directory removed, a file added in a subdirectory, the manifest edited or removed: each caught and named', async (t) => {
  const { pub } = await sm2Release();
  const removed = await tamperedCopy('toolchain-removed');
  await fs.remove(path.join(removed, 'go1.27.3'));
  const removedResult = await verify(removed, pub);
  assertCleanFailure(t, removedResult, 4, /^airlock: error: 2 of \d+ files failed verification; first: RELEASE-MANIFEST: complete: 1 difference from the release as it was made; first: go1\.27\.3\/ is missing: RELEASE-MANIFEST lists 6 files in it, none is there; do not use this release/);
  t.regex(removedResult.stdout, /^FAILED\s+go1\.27\.3\/\s+missing: go1\.27\.3\/ is missing/m);

  const added = await tamperedCopy('file-added');
  await fs.writeFile(path.join(added, 'go1.26.8', 'README.txt'), 'not part of the release\n');
  const addedResult = await verify(added, pub);
  t.is(addedResult.exitCode, 4);
  t.regex(addedResult.stdout, /^FAILED\s+go1\.26\.8\/README\.txt\s+listed: /m);
  t.regex(addedResult.stdout, /^FAILED\s+RELEASE-MANIFEST\s+complete: 1 difference .*go1\.26\.8\/README\.txt is not in RELEASE-MANIFEST/m);

  const directory = await tamperedCopy('directory-added');
  await fs.mkdir(path.join(directory, 'go1.28.0'));
  const directoryResult = await verify(directory, pub);
  t.is(directoryResult.exitCode, 4);
  t.regex(directoryResult.stdout, /^FAILED\s+go1\.28\.0\/\s+added: the directory go1\.28\.0\/ is not in RELEASE-MANIFEST/m);

  const manifestEdited = await tamperedCopy('manifest-edited');
  const manifest = path.join(manifestEdited, 'RELEASE-MANIFEST');
  await fs.writeFile(manifest, (await fs.readFile(manifest, 'utf8')).split('\n').filter((line) => !line.includes('go1.27.3/')).join('\n'));
  await fs.remove(path.join(manifestEdited, 'go1.27.3'));
  const editedResult = await verify(manifestEdited, pub);
  t.is(editedResult.exitCode, 4);
  t.regex(editedResult.stdout, /^FAILED\s+RELEASE-MANIFEST\s+signature: RELEASE-MANIFEST\.sig does not verify: RELEASE-MANIFEST was changed or signed with another key/m);

  // Removed: an SM2 release always has one, so with the SM2 key it fails; without a key it is the earlier-airlock warning.
  const gone = await tamperedCopy('manifest-removed');
  await fs.remove(path.join(gone, 'RELEASE-MANIFEST'));
  await fs.remove(path.join(gone, 'RELEASE-MANIFEST.sig'));
  const goneResult = await verify(gone, pub);
  t.is(goneResult.exitCode, 4);
  t.regex(goneResult.stdout, /^FAILED\s+RELEASE-MANIFEST\s+present: RELEASE-MANIFEST is missing: every release signed with SM2 has one/m);
  const legacy = await verify(gone);
  t.is(legacy.exitCode, 0, legacy.stdout + legacy.stderr);
  t.regex(legacy.stderr, /warning: RELEASE-MANIFEST is missing: this release was made by an earlier airlock/);
});

integration('bad keys are bad input: another curve or algorithm, an SM2 signer for P-256 shards; one line, exit 2, nothing written', async (t) => {
  const { work, dist, key, pub } = await sm2Release();
  for (const [name, args] of [
    ['p384', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384']],
    ['rsa', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']],
    ['x448', ['genpkey', '-algorithm', 'X448']],
  ] as const) {
    const privateKey = path.join(work, `${name}.key`);
    const publicKey = path.join(work, `${name}.pub`);
    await execa('openssl', [...args, '-out', privateKey]);
    await execa('openssl', ['pkey', '-in', privateKey, '-pubout', '-out', publicKey]);
    const verified = await verify(dist, publicKey);
    assertCleanFailure(t, verified, 2, new RegExp(`^airlock: error: .*${name}\\.pub holds an unsupported key type \\(.*\\); airlock signs and verifies with ECDSA P-256, SM2 \\(with SM3\\) or Ed25519 keys`));
    t.is(verified.stdout, '');
  }
  const p256 = path.join(work, 'shards-p256');
  t.is((await runAirlock(['keygen', '--key', `${p256}.key`, '--pub', `${p256}.pub`], { env: ENV })).exitCode, 0);
  const out = path.join(work, 'mixed');
  const mixed = await runAirlock(['merge', path.join(work, 'shard-1'), path.join(work, 'shard-2'), '--out', out, '--key', `${p256}.pub`, '--signer-command', 'cat /dev/null', '--signer-pub', pub]);
  assertCleanFailure(t, mixed, 2, new RegExp(`^airlock: error: --signer-pub .*sm2\\.pub is an SM2 key, but the shards' --key .*shards-p256\\.pub is an ECDSA P-256 key`));
  t.false(await fs.pathExists(out));
  const keyMixed = await runAirlock(['merge', path.join(work, 'shard-1'), path.join(work, 'shard-2'), '--out', out, '--key', `${p256}.pub`, '--sign-key', key], { env: ENV });
  assertCleanFailure(t, keyMixed, 2, /--sign-key .*sm2\.key is an SM2 key, but the shards' --key/);
  t.false(await fs.pathExists(out));
  const curve = await runAirlock(['keygen', '--algorithm', 'p384', '--key', path.join(work, 'x.key'), '--pub', path.join(work, 'x.pub')], { env: ENV });
  t.is(curve.exitCode, 2, curve.stderr);
  t.false(await fs.pathExists(path.join(work, 'x.key')));
});

integration('verify --policy: a policy the release meets passes; each expectation not met names field, expected and actual (exit 4); a malformed policy is exit 2', async (t) => {
  const { work, dist, pub } = await sm2Release();
  const statement = JSON.parse(
    Buffer.from((JSON.parse(await fs.readFile(path.join(dist, 'go1.27.3', `${BINARY}.intoto.jsonl`), 'utf8')) as { payload: string }).payload, 'base64').toString('utf8'),
  ) as { predicate: { buildDefinition: { internalParameters: { sandbox: { policyDigest: string; seccomp: string } }; resolvedDependencies: Array<{ name: string; annotations: { h1?: string } }> } } };
  const definition = statement.predicate.buildDefinition;
  // The fingerprint airlock keygen prints: the SHA-256 of the SPKI DER.
  const fingerprint = `sha256:${(await execa('sh', ['-c', `openssl pkey -pubin -in ${pub} -outform DER | sha256sum | cut -d' ' -f1`])).stdout.trim()}`;
  const policy = {
    signers: [fingerprint],
    toolchains: TOOLCHAINS.map((version) => ({ version })),
    sandbox: { policyDigests: [...new Set([definition.internalParameters.sandbox.policyDigest])], network: 'none' },
  };
  const write = async (name: string, value: unknown) => {
    const file = path.join(work, name);
    await fs.writeFile(file, typeof value === 'string' ? value : JSON.stringify(value));
    return file;
  };
  const met = await runAirlock(['verify', dist, '--key', pub, '--policy', await write('met.json', policy)]);
  t.is(met.exitCode, 0, met.stdout + met.stderr);

  const toolchain = await runAirlock(['verify', dist, '--key', pub, '--policy', await write('toolchain.json', { ...policy, toolchains: [{ version: 'go1.26.8' }] })]);
  t.is(toolchain.exitCode, 4);
  t.regex(toolchain.stdout, new RegExp(`^FAILED\\s+go1\\.27\\.3/${BINARY}\\s+policy toolchains: expected go1\\.26\\.8, found go1\\.27\\.3 \\(h1:`, 'm'));
  t.notRegex(toolchain.stdout, new RegExp(`^FAILED\\s+go1\\.26\\.8/${BINARY}\\s+policy`, 'm'));

  const signer = await runAirlock(['verify', dist, '--key', pub, '--policy', await write('signer.json', { ...policy, signers: [`sha256:${'0'.repeat(64)}`] })]);
  assertCleanFailure(t, signer, 4, new RegExp(`first: \\(policy\\): policy signers: expected sha256:0{64}, found ${fingerprint}`));

  const malformed = await runAirlock(['verify', dist, '--key', pub, '--policy', await write('malformed.json', '{"toolchains": "go1.27.3"}')]);
  assertCleanFailure(t, malformed, 2, /^airlock: error: the policy file .*malformed\.json is not a verification policy: toolchains: must be array/);
  t.is(malformed.stdout, '', 'nothing verified, nothing printed');
});

integration('verify --policy on a tagged git checkout (origin with a CI token) and --vsa: repository, tag and checksum database status required; the signed summary, PASSED or FAILED, checks with openssl alone', async (t) => {
  const { work, key, pub } = await sm2Release();
  const module = await copyModule('examples/cli');
  const git = (...args: string[]) => execa('git', ['-c', 'user.name=ci', '-c', 'user.email=ci@corp.example', ...args], { cwd: module });
  await git('init', '-q');
  await git('add', '-A');
  await git('commit', '-qm', 'release');
  await git('tag', 'v1.4.2');
  await git('remote', 'add', 'origin', 'https://gitlab-ci-token:glcbt-SECRET@git.corp.example/payments/cli.git');
  const out = path.join(work, 'tagged');
  const build = await runAirlock(['build', module, '--cache', '--go', '1.26.8', '--target', 'linux/amd64', '--out', out, '--sign-key', key], { env: ENV });
  t.is(build.exitCode, 0, build.stderr);
  const envelope = await fs.readFile(path.join(out, 'cli_linux_amd64.intoto.jsonl'), 'utf8');
  const statement = Buffer.from((JSON.parse(envelope) as { payload: string }).payload, 'base64').toString('utf8');
  t.false(statement.includes('SECRET'), 'the token in the remote URL never reaches the provenance');
  t.regex(statement, /"gitRemote":"https:\/\/git\.corp\.example\/payments\/cli\.git"/);
  t.regex(statement, /"gitTags":\["v1\.4\.2"\]/);

  const write = async (name: string, value: unknown) => {
    const file = path.join(work, name);
    await fs.writeFile(file, JSON.stringify(value));
    return file;
  };
  const gate = { source: { repositories: ['https://git.corp.example/payments/cli.git'], gitTag: 'v[0-9]+\\.[0-9]+\\.[0-9]+', clean: true } };
  const vsa = path.join(work, 'tagged.vsa.intoto.jsonl');
  const passed = await runAirlock(['verify', out, '--key', pub, '--policy', await write('gate.json', gate), '--vsa', vsa, '--sign-key', key], { env: ENV });
  t.is(passed.exitCode, 0, passed.stdout + passed.stderr);
  t.regex(passed.stderr, /wrote the verification summary \(PASSED, signed\)/);
  // The summary is an SM2-signed DSSE envelope: the README's openssl commands check it with no airlock.
  const checked = await sh(VERIFY_ENVELOPE(vsa, pub), work);
  t.is(checked.exitCode, 0, checked.stderr);
  t.regex(checked.stdout + checked.stderr, /Signature Verified Successfully/);
  const summary = JSON.parse(Buffer.from((JSON.parse(await fs.readFile(vsa, 'utf8')) as { payload: string }).payload, 'base64').toString('utf8')) as {
    subject: Array<{ name: string; digest: { sha256: string } }>;
    predicateType: string;
    predicate: { verificationResult: string; policy: { digest: { sha256: string } }; inputAttestations: Array<{ name: string }> };
  };
  t.is(summary.predicateType, 'https://slsa.dev/verification_summary/v1');
  t.is(summary.predicate.verificationResult, 'PASSED');
  t.deepEqual(summary.subject.map((s) => s.name), ['cli_linux_amd64']);
  t.is(summary.subject[0]!.digest.sha256, (await execa('sha256sum', [path.join(out, 'cli_linux_amd64')])).stdout.slice(0, 64));
  t.is(summary.predicate.policy.digest.sha256, (await execa('sha256sum', [path.join(work, 'gate.json')])).stdout.slice(0, 64));
  t.deepEqual(summary.predicate.inputAttestations.map((a) => a.name), ['cli_linux_amd64.intoto.jsonl']);

  // Built from vendor/, the modules have no checksum database status: a gate requiring "proven" fails, named,
  // and the FAILED summary is written all the same.
  const strict = await runAirlock(['verify', out, '--key', pub, '--policy', await write('strict.json', { ...gate, modules: { checksumDatabase: ['proven'] } }), '--vsa', vsa, '--sign-key', key], { env: ENV });
  assertCleanFailure(t, strict, 4, /policy modules\.checksumDatabase: expected every module proven, found 5 of 5 modules not; first: github\.com\/dustin\/go-humanize@v1\.1\.0 not recorded/);
  t.regex((JSON.parse(Buffer.from((JSON.parse(await fs.readFile(vsa, 'utf8')) as { payload: string }).payload, 'base64').toString('utf8')) as { predicate: { verificationResult: string } }).predicate.verificationResult, /^FAILED$/);
  const wrongTag = await runAirlock(['verify', out, '--key', pub, '--policy', await write('tag.json', { source: { gitTag: 'release-.*' } })]);
  assertCleanFailure(t, wrongTag, 4, /policy source\.gitTag: expected a tag at the commit matching release-\.\*, found tags v1\.4\.2/);

  // --vsa unsigned, or inside the release: exit 2 before anything is verified, nothing written.
  assertCleanFailure(t, await runAirlock(['verify', out, '--key', pub, '--vsa', path.join(work, 'unsigned.jsonl')]), 2, /--vsa .*: a verification summary must be signed/);
  t.false(await fs.pathExists(path.join(work, 'unsigned.jsonl')));
  assertCleanFailure(t, await runAirlock(['verify', out, '--key', pub, '--vsa', path.join(out, 'vsa.jsonl'), '--sign-key', key], { env: ENV }), 2, /--vsa .* is inside the release being verified/);
  t.false(await fs.pathExists(path.join(out, 'vsa.jsonl')));
});
