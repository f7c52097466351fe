import { execa } from 'execa';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { assertCleanFailure, copyModule, ensureCosign, ensureToolchains, integration, runAirlock } from '../helpers/airlock-cli.js';

const PASSPHRASE = 'correct horse battery staple';
const TARGETS = ['linux/amd64', 'linux/arm64', 'darwin/arm64', 'windows/amd64'];
const BINARIES = ['cli_darwin_arm64', 'cli_linux_amd64', 'cli_linux_arm64', 'cli_windows_amd64.exe'];

interface Release {
  work: string;
  dist: string;
  key: string;
  pub: string;
}

let release: Promise<Release> | undefined;

/** One signed release of examples/cli for four targets, with SBOMs, shared by the tests of this file. */
function signedRelease(): Promise<Release> {
  release ??= (async () => {
    await ensureToolchains();
    const work = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-release-'));
    const key = path.join(work, 'k.pem');
    const pub = path.join(work, 'k.pub');
    const keygen = await runAirlock(['keygen', '--key', key, '--pub', pub], { env: { AIRLOCK_KEY_PASSPHRASE: PASSPHRASE } });
    if (keygen.exitCode !== 0) throw new Error(keygen.stderr);
    const module = await copyModule('examples/cli');
    const dist = path.join(work, 'dist');
    // --cache: what is signed and verified is the point, not a cold compile (CI time).
    const build = await runAirlock(['build', module, '--cache', '--out', dist, '--sign-key', key, '--sbom', ...TARGETS.flatMap((t) => ['--target', t])], {
      env: { AIRLOCK_KEY_PASSPHRASE: PASSPHRASE },
    });
    if (build.exitCode !== 0) throw new Error(build.stderr);
    return { work, dist, key, pub };
  })();
  return release;
}

/** A private copy of the release to tamper with. */
async function tamperedCopy(name: string): Promise<string> {
  const { dist, work } = await signedRelease();
  const copy = path.join(work, name);
  await fs.copy(dist, copy);
  return copy;
}

async function verify(dir: string, pub?: string) {
  return runAirlock(['verify', dir, ...(pub ? ['--key', pub] : [])]);
}

integration('a signed release of examples/cli verifies: checksums, signatures, envelopes, build info, static', async (t) => {
  const { dist, pub } = await signedRelease();
  const files = (await fs.readdir(dist)).sort();
  t.deepEqual(files, [
    'RELEASE-MANIFEST',
    'RELEASE-MANIFEST.sig',
    'SHA256SUMS',
    'SHA256SUMS.sig',
    ...BINARIES.flatMap((binary) => [binary, `${binary}.cdx.json`, `${binary}.intoto.jsonl`]),
  ].sort());
  const sums = await fs.readFile(path.join(dist, 'SHA256SUMS'), 'utf8');
  t.is(sums.trim().split('\n').length, 8, 'binaries and SBOMs are listed');
  const result = await verify(dist, pub);
  t.is(result.exitCode, 0, result.stdout + result.stderr);
  for (const binary of BINARIES) t.regex(result.stdout, new RegExp(`^OK\\s+${binary.replace('.', '\\.')}\\s`, 'm'));
  t.regex(result.stderr, /verified 10 files in .*, signatures included/);
  const json = JSON.parse((await runAirlock(['verify', dist, '--key', pub, '--json'])).stdout) as { ok: boolean; files: Array<{ file: string; checks: Array<{ name: string; state: string }> }> };
  t.true(json.ok);
  const linux = json.files.find((file) => file.file === 'cli_linux_amd64')!;
  t.deepEqual(linux.checks.map((check) => check.name), ['checksum', 'envelope signature', 'subject digest', 'go version', 'GOOS', 'GOARCH', 'CGO_ENABLED', '-trimpath', 'static']);
  t.true(linux.checks.every((check) => check.state === 'passed'));

  // The statement: in-toto v1, SLSA v1, our build type, the toolchain and every module by digest.
  const line = (await fs.readFile(path.join(dist, 'cli_linux_amd64.intoto.jsonl'), 'utf8')).trim();
  const envelope = JSON.parse(line) as { payload: string; payloadType: string; signatures: Array<{ sig: string; keyid: string }> };
  t.is(envelope.payloadType, 'application/vnd.in-toto+json');
  t.is(envelope.signatures.length, 1);
  const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as {
    predicate: { buildDefinition: { externalParameters: Record<string, unknown>; resolvedDependencies: Array<{ uri?: string; annotations?: Record<string, unknown> }> } };
  };
  t.like(statement.predicate.buildDefinition.externalParameters, { goos: 'linux', goarch: 'amd64', go: 'go1.27.3', package: './cmd/cli' });
  const uris = statement.predicate.buildDefinition.resolvedDependencies.map((dependency) => dependency.uri);
  t.true(uris.includes('pkg:golang/golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64'));
  t.true(uris.includes('pkg:golang/github.com/spf13/cobra@v1.10.2'));
});

integration('cosign verifies every envelope and the SHA256SUMS signature offline with the public key', async (t) => {
  const cosign = await ensureCosign();
  const { dist, pub } = await signedRelease();
  for (const binary of BINARIES) {
    const result = await execa(
      cosign,
      ['verify-blob-attestation', '--key', pub, '--insecure-ignore-tlog', '--type', 'slsaprovenance1', '--signature', path.join(dist, `${binary}.intoto.jsonl`), path.join(dist, binary)],
      { reject: false, env: { HOME: os.tmpdir(), SIGSTORE_NO_CACHE: 'true' } },
    );
    t.is(result.exitCode, 0, `${binary}: ${result.stdout}\n${result.stderr}`);
  }
  const sums = await execa(cosign, ['verify-blob', '--key', pub, '--insecure-ignore-tlog', '--signature', path.join(dist, 'SHA256SUMS.sig'), path.join(dist, 'SHA256SUMS')], {
    reject: false,
    env: { HOME: os.tmpdir() },
  });
  t.is(sums.exitCode, 0, sums.stdout + sums.stderr);
  // cosign also refuses an envelope presented for the wrong binary.
  const wrong = await execa(
    cosign,
    ['verify-blob-attestation', '--key', pub, '--insecure-ignore-tlog', '--type', 'slsaprovenance1', '--signature', path.join(dist, 'cli_linux_arm64.intoto.jsonl'), path.join(dist, 'cli_linux_amd64')],
    { reject: false, env: { HOME: os.tmpdir() } },
  );
  t.not(wrong.exitCode, 0);
});

integration('each tampering is caught and named: wrong key, changed binary, edited payload, swapped envelopes, missing artifact, edited SHA256SUMS, garbage envelope', async (t) => {
  const { work, pub, dist } = await signedRelease();
  const otherKey = path.join(work, 'other');
  await runAirlock(['keygen', '--key', `${otherKey}.pem`, '--pub', `${otherKey}.pub`], { env: { AIRLOCK_KEY_PASSPHRASE: 'x' } });
  const wrongKey = await verify(dist, `${otherKey}.pub`);
  t.is(wrongKey.exitCode, 4);
  t.regex(wrongKey.stdout, /^FAILED\s+SHA256SUMS\s+signature: SHA256SUMS\.sig does not verify/m);
  t.regex(wrongKey.stdout, /^FAILED\s+cli_linux_amd64\s+envelope signature: /m);

  const changed = await tamperedCopy('changed-binary');
  const binary = path.join(changed, 'cli_linux_amd64');
  const bytes = await fs.readFile(binary);
  bytes[bytes.length - 100]! ^= 0x01;
  await fs.writeFile(binary, bytes);
  const changedResult = await verify(changed, pub);
  t.is(changedResult.exitCode, 4);
  t.regex(changedResult.stdout, /^FAILED\s+cli_linux_amd64\s+checksum: sha256 [0-9a-f]{64} differs from SHA256SUMS/m);

  const edited = await tamperedCopy('edited-payload');
  const envelopeFile = path.join(edited, 'cli_linux_amd64.intoto.jsonl');
  const envelope = JSON.parse(await fs.readFile(envelopeFile, 'utf8')) as { payload: string };
  envelope.payload = Buffer.from(Buffer.from(envelope.payload, 'base64').toString('utf8').replace('"goarch":"amd64"', '"goarch":"arm64"')).toString('base64');
  await fs.writeFile(envelopeFile, `${JSON.stringify(envelope)}\n`);
  const editedResult = await verify(edited, pub);
  t.is(editedResult.exitCode, 4);
  t.regex(editedResult.stdout, /^FAILED\s+cli_linux_amd64\s+envelope signature: /m);

  const swapped = await tamperedCopy('swapped');
  const a = path.join(swapped, 'cli_linux_amd64.intoto.jsonl');
  const b = path.join(swapped, 'cli_linux_arm64.intoto.jsonl');
  const [textA, textB] = await Promise.all([fs.readFile(a), fs.readFile(b)]);
  await fs.writeFile(a, textB);
  await fs.writeFile(b, textA);
  const swappedResult = await verify(swapped, pub);
  t.is(swappedResult.exitCode, 4);
  t.regex(swappedResult.stdout, /^FAILED\s+cli_linux_amd64\s+subject: the envelope is for cli_linux_arm64, not cli_linux_amd64/m);

  const missing = await tamperedCopy('missing');
  await fs.remove(path.join(missing, 'cli_darwin_arm64'));
  const missingResult = await verify(missing, pub);
  t.is(missingResult.exitCode, 4);
  t.regex(missingResult.stdout, /^FAILED\s+cli_darwin_arm64\s+present: cli_darwin_arm64 is listed in SHA256SUMS but missing/m);

  const sumsEdited = await tamperedCopy('sums-edited');
  const sumsFile = path.join(sumsEdited, 'SHA256SUMS');
  await fs.writeFile(sumsFile, (await fs.readFile(sumsFile, 'utf8')).split('\n').filter((l) => !l.endsWith('cli_windows_amd64.exe')).join('\n'));
  const sumsResult = await verify(sumsEdited, pub);
  t.is(sumsResult.exitCode, 4);
  t.regex(sumsResult.stdout, /^FAILED\s+SHA256SUMS\s+signature: SHA256SUMS\.sig does not verify/m);

  for (const [label, content] of [
    ['garbage', 'this is not an envelope\n'],
    ['truncated', (await fs.readFile(path.join(dist, 'cli_linux_amd64.intoto.jsonl'), 'utf8')).slice(0, 200)],
    ['empty', ''],
  ] as const) {
    const broken = await tamperedCopy(`broken-${label}`);
    await fs.writeFile(path.join(broken, 'cli_linux_amd64.intoto.jsonl'), content);
    const result = await verify(broken, pub);
    t.is(result.exitCode, 4, label);
    t.regex(result.stdout, /^FAILED\s+cli_linux_amd64\s+provenance: .*not a DSSE envelope/m, label);
    t.notRegex(result.stderr, /^\s+at /m, label);
  }
});

integration('a file the release does not list fails verify with exit 4, named in the table, the error line and --json', async (t) => {
  const { pub } = await signedRelease();
  const extra = await tamperedCopy('extra-binary');
  await fs.copy(path.join(extra, 'cli_linux_amd64'), path.join(extra, 'evil_linux_amd64'));
  const result = await verify(extra, pub);
  t.is(result.exitCode, 4, result.stdout + result.stderr);
  t.regex(result.stdout, /^OK\s+cli_linux_amd64\s/m, 'the listed files still verify');
  t.regex(result.stdout, /^FAILED\s+evil_linux_amd64\s+listed: evil_linux_amd64 is in the release but not listed in SHA256SUMS; airlock did not write it$/m);
  assertCleanFailure(t, result, 4, /^airlock: error: 2 of 11 files failed verification; first: evil_linux_amd64: listed: evil_linux_amd64 is in the release but not listed in SHA256SUMS/);
  const json = await runAirlock(['verify', extra, '--key', pub, '--json']);
  t.is(json.exitCode, 4);
  const report = JSON.parse(json.stdout) as { ok: boolean; files: Array<{ file: string; kind: string; ok: boolean; checks: Array<{ name: string; state: string; detail: string }> }> };
  t.false(report.ok);
  t.deepEqual(report.files.find((file) => file.file === 'evil_linux_amd64'), {
    file: 'evil_linux_amd64',
    kind: 'unlisted',
    ok: false,
    checks: [{ name: 'listed', state: 'failed', detail: 'evil_linux_amd64 is in the release but not listed in SHA256SUMS; airlock did not write it' }],
  });
  // Without --key too: no signature is needed to see a file that should not be there.
  t.is((await verify(extra)).exitCode, 4);
});

integration('without --key verify says the signatures were not checked: in the rows, in --json and in its last line', async (t) => {
  const { dist } = await signedRelease();
  const result = await verify(dist);
  t.is(result.exitCode, 0, result.stdout + result.stderr);
  t.regex(result.stdout, /^OK\s+SHA256SUMS\s+format; signature not checked \(no --key\)$/m);
  for (const binary of BINARIES) {
    t.regex(result.stdout, new RegExp(`^OK\\s+${binary.replace('.', '\\.')}\\s+checksum, subject digest, .*static; envelope signature not checked \\(no --key\\)$`, 'm'));
  }
  t.notRegex(result.stdout, /checksum, envelope signature/, 'an unchecked signature is not listed among the passed checks');
  t.regex(result.stderr, /verified 10 files in .*, but not their signatures: no --key was given$/m);
  const json = JSON.parse((await runAirlock(['verify', dist, '--json'])).stdout) as { signaturesChecked: boolean; files: Array<{ file: string; checks: Array<{ name: string; state: string; detail: string }> }> };
  t.false(json.signaturesChecked);
  const linux = json.files.find((file) => file.file === 'cli_linux_amd64')!;
  t.deepEqual(linux.checks.find((check) => check.name === 'envelope signature'), { name: 'envelope signature', state: 'not-checked', detail: 'no --key' });
  t.deepEqual(json.files.find((file) => file.file === 'SHA256SUMS')!.checks.find((check) => check.name === 'signature'), { name: 'signature', state: 'not-checked', detail: 'no --key' });

  // An edited payload is still caught without a key, by what it says about the binary.
  const edited = await tamperedCopy('edited-payload-no-key');
  const envelopeFile = path.join(edited, 'cli_linux_amd64.intoto.jsonl');
  const envelope = JSON.parse(await fs.readFile(envelopeFile, 'utf8')) as { payload: string };
  envelope.payload = Buffer.from(Buffer.from(envelope.payload, 'base64').toString('utf8').replace('"goarch":"amd64"', '"goarch":"arm64"')).toString('base64');
  await fs.writeFile(envelopeFile, `${JSON.stringify(envelope)}\n`);
  const editedResult = await verify(edited);
  t.is(editedResult.exitCode, 4);
  t.regex(editedResult.stdout, /^FAILED\s+cli_linux_amd64\s+GOARCH: the binary says amd64, the provenance says arm64/m);
});

integration('verify of a path that does not exist or is a file is bad input: exit 2, one line saying what to pass', async (t) => {
  const { dist, pub } = await signedRelease();
  const missing = await verify(path.join(os.tmpdir(), 'airlock-no-such-release'), pub);
  assertCleanFailure(t, missing, 2, /^airlock: error: .*airlock-no-such-release does not exist; pass the release directory `airlock build` wrote \(the one holding SHA256SUMS\)$/);
  t.is(missing.stdout, '');
  const file = await verify(path.join(dist, 'SHA256SUMS'), pub);
  assertCleanFailure(t, file, 2, /^airlock: error: .*SHA256SUMS is not a directory; pass the release directory/);
  t.is(file.stdout, '');
});

integration('without a key statements are written unsigned and verify says so; --signer-command signs through a command', async (t) => {
  await ensureToolchains();
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-unsigned-'));
  const module = await copyModule('examples/hello');
  const unsigned = path.join(work, 'unsigned');
  const build = await runAirlock(['build', module, '--cache', '--out', unsigned]);
  t.is(build.exitCode, 0, build.stderr);
  t.true(await fs.pathExists(path.join(unsigned, 'hello_linux_amd64.intoto.jsonl')));
  t.false(await fs.pathExists(path.join(unsigned, 'SHA256SUMS.sig')));
  const noKey = await verify(unsigned);
  t.is(noKey.exitCode, 0, noKey.stdout + noKey.stderr);
  t.regex(noKey.stderr, /warning: signatures were not checked/);
  const { pub } = await signedRelease();
  const withKey = await verify(unsigned, pub);
  t.is(withKey.exitCode, 4);
  t.regex(withKey.stdout, /SHA256SUMS\.sig is missing/);

  // An "HSM": a command that signs stdin with a key airlock never sees.
  const hsmKey = path.join(work, 'hsm.pem');
  await execa('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', hsmKey]);
  const hsmPub = path.join(work, 'hsm.pub');
  await execa('openssl', ['ec', '-in', hsmKey, '-pubout', '-out', hsmPub]);
  const signed = path.join(work, 'hsm-signed');
  const hsmBuild = await runAirlock(['build', module, '--cache', '--out', signed, '--signer-command', `openssl dgst -sha256 -sign ${hsmKey}`, '--signer-pub', hsmPub]);
  t.is(hsmBuild.exitCode, 0, hsmBuild.stderr);
  const hsmVerify = await verify(signed, hsmPub);
  t.is(hsmVerify.exitCode, 0, hsmVerify.stdout + hsmVerify.stderr);
  const badCommand = await runAirlock(['build', module, '--out', path.join(work, 'bad'), '--signer-command', 'sh -c "echo broken >&2; exit 3"']);
  t.not(badCommand.exitCode, 0);
  t.regex(badCommand.stderr, /broken/);
  t.false(await fs.pathExists(path.join(work, 'bad')));
});

integration('keygen refuses to run without a passphrase and never overwrites keys; a wrong passphrase is named', async (t) => {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-keys-'));
  const key = path.join(work, 'k.pem');
  const pub = path.join(work, 'k.pub');
  const noPass = await runAirlock(['keygen', '--key', key, '--pub', pub], { env: { AIRLOCK_KEY_PASSPHRASE: '' } });
  t.is(noPass.exitCode, 2);
  t.regex(noPass.stderr, /AIRLOCK_KEY_PASSPHRASE is not set/);
  t.is((await runAirlock(['keygen', '--key', key, '--pub', pub], { env: { AIRLOCK_KEY_PASSPHRASE: 'one' } })).exitCode, 0);
  t.is((await fs.stat(key)).mode & 0o777, 0o600);
  t.regex(await fs.readFile(key, 'utf8'), /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
  const again = await runAirlock(['keygen', '--key', key, '--pub', pub], { env: { AIRLOCK_KEY_PASSPHRASE: 'one' } });
  t.is(again.exitCode, 2);
  const module = await copyModule('examples/hello');
  const wrong = await runAirlock(['build', module, '--sign-key', key], { env: { AIRLOCK_KEY_PASSPHRASE: 'two' } });
  t.is(wrong.exitCode, 2);
  t.regex(wrong.stderr, /AIRLOCK_KEY_PASSPHRASE does not decrypt/);
  t.false(await fs.pathExists(path.join(module, 'dist')));
});
