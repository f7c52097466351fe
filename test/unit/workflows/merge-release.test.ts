/**
 * mergeRelease on real files: real Go binaries (host toolchain), provenance envelopes written and signed by
 * airlock's own writeAttestation and KeySigner, SHA256SUMS and their signatures as the build writes them. An
 * unsharded release is written first; each shard directory holds copies of its part of it, so the merge of
 * the shards must give back the unsharded release byte for byte.
 */
import { type KeyObject, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';

import { formatSha256Sums } from '../../../src/release/checksums.js';
import { mergeRelease } from '../../../src/workflows/merge-release.js';
import { CHECKSUMS_FILE } from '../../../src/release/layout.js';
import { ExitCode, InputError, VerificationError } from '../../../src/errors.js';
import { type BuildPlan, resolvePlan } from '../../../src/plan/build-plan.js';
import { SHARD_MANIFEST_FILE, selectShard } from '../../../src/plan/shards.js';
import { parseTarget } from '../../../src/plan/targets.js';
import { writeAttestation } from '../../../src/provenance/attest.js';
import type { Signer } from '../../../src/provenance/dsse.js';
import { PASSPHRASE_ENV, generateKeyPair, loadPrivateKey, loadPublicKey, writeKeyPair } from '../../../src/provenance/keys.js';
import { KeySigner, signDetached, verifyDetached } from '../../../src/provenance/signers.js';
import { verifyRelease } from '../../../src/workflows/verify-release.js';
import { writeReleaseManifest } from '../../../src/workflows/release-signatures.js';
import type { Reporter } from '../../../src/report/reporter.js';
import { sha256File } from '../../../src/util/hash.js';
import { FIXTURE_MODULE, type GoFixtureName, goBinary, hostGoVersion } from '../../helpers/go-binaries.js';
import { tempDir } from '../../helpers/host-tools.js';

const TARGETS: Array<{ target: string; fixture: GoFixtureName }> = [
  { target: 'linux/amd64', fixture: 'linux-amd64' },
  { target: 'linux/arm64', fixture: 'linux-arm64' },
  { target: 'windows/amd64', fixture: 'windows-amd64' },
];
// Start the host builds now; every test awaits them.
for (const { fixture } of TARGETS) void goBinary(fixture).catch(() => undefined);

/** What a build gives every output: SOURCE_DATE_EPOCH, here 2026-01-01. */
const EPOCH = 1_767_225_600;
const TOOLCHAIN_H1 = 'h1:r0ub+FnqzZxoWm/dSUOI9DcIqYWn/mNYGFJcv7PyBzs=';

interface Keys {
  signer: Signer;
  publicKey: KeyObject;
}

/** A P-256 pair as `airlock keygen` makes it (encrypted PKCS#8), loaded back for signing. */
function keygen(): Keys {
  const { privatePem, publicPem } = generateKeyPair('merge-test');
  return { signer: new KeySigner(createPrivateKey({ key: privatePem, format: 'pem', passphrase: 'merge-test' })), publicKey: createPublicKey(publicPem) };
}

interface Release {
  root: string;
  plan: BuildPlan;
  /** The unsharded release. */
  whole: string;
  /** One directory per shard, 1..N. */
  shards: string[];
  keys: Keys | undefined;
}

async function planFor(): Promise<BuildPlan> {
  const version = await hostGoVersion();
  return resolvePlan({
    module: { path: FIXTURE_MODULE, go: '1.22', vendored: false },
    mainPackages: ['.'],
    targets: TARGETS.map(({ target }) => parseTarget(target)),
    toolchains: [
      {
        version,
        goos: 'linux',
        goarch: 'amd64',
        treeDigest: TOOLCHAIN_H1,
        ports: TARGETS.map(({ target }) => target),
        verification: 'pinned',
        image: `airlock-sandbox:${version}-0123456789abcdef`,
      },
    ],
    ldflags: [],
    tags: [],
  });
}

/** Binaries 0755, everything else 0644, directories 0755, and one time for all: what the build leaves. */
async function normalise(dir: string, binaries: ReadonlySet<string>): Promise<void> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    const absolute = path.join(entry.parentPath, entry.name);
    const relative = path.relative(dir, absolute).split(path.sep).join('/');
    await fs.chmod(absolute, entry.isDirectory() || binaries.has(relative) ? 0o755 : 0o644);
    await fs.utimes(absolute, EPOCH, EPOCH);
  }
}

async function writeSums(dir: string, entries: Array<{ name: string; sha256: string }>, keys: Keys | undefined): Promise<void> {
  const sums = formatSha256Sums(entries);
  await fs.writeFile(path.join(dir, CHECKSUMS_FILE), sums);
  if (keys) await fs.writeFile(path.join(dir, `${CHECKSUMS_FILE}.sig`), await signDetached(Buffer.from(sums), keys.signer));
}

/** The unsharded release of the fixture plan, and its shards as `airlock build --shard I/N` writes them. */
async function release(t: ExecutionContext, options: { count: number; sbom?: boolean; keys?: Keys }): Promise<Release> {
  const root = await tempDir(t, 'airlock-merge-');
  const plan = await planFor();
  const whole = path.join(root, 'whole');
  await fs.mkdir(whole);
  const entries = new Map<string, Array<{ name: string; sha256: string }>>();
  for (const [index, job] of plan.jobs.entries()) {
    const { bytes } = await goBinary(TARGETS[index]!.fixture);
    const file = path.join(whole, job.output);
    await fs.writeFile(file, bytes);
    const sha256 = await sha256File(file);
    const written = await writeAttestation(
      {
        file,
        job,
        sha256,
        sbom: options.sbom ?? false,
        airlockVersion: '0.1.0',
        provenance: {
          source: { path: '/src/airlockfixture', treeDigest: 'a'.repeat(64), excluded: ['dist'] },
          module: { path: FIXTURE_MODULE, go: '1.22' },
          build: { package: job.package, goos: job.goos, goarch: job.goarch, ldflags: [], tags: [] },
          toolchain: {
            version: job.toolchain,
            platform: 'linux/amd64',
            treeDigest: TOOLCHAIN_H1,
            verification: { status: 'pinned', checks: [] },
            moduleVersion: `v0.0.1-${job.toolchain}.linux-amd64`,
          },
          command: ['go', 'build', '-trimpath', '-o', `/work/out/${job.output}`, job.package],
          environment: { CGO_ENABLED: '0', GOOS: job.goos, GOARCH: job.goarch },
          sandbox: { image: 'airlock-sandbox:test', imageId: `sha256:${'b'.repeat(64)}`, policy: {}, policyDigest: `sha256:${'c'.repeat(64)}`, seccomp: 'airlock', network: 'none' },
          modules: { source: 'none', verified: true, list: [] },
          builderVersion: { airlock: '0.1.0', engine: 'docker 28.3.2' },
          invocationId: `00000000-0000-4000-8000-000000000000/${job.id}`,
          startedOn: new Date(EPOCH * 1000),
          finishedOn: new Date(EPOCH * 1000),
        },
      },
      options.keys?.signer,
    );
    entries.set(job.output, [{ name: job.output, sha256 }, ...(written.sbom ? [written.sbom] : [])]);
  }
  await writeSums(whole, [...entries.values()].flat(), options.keys);
  await writeReleaseManifest(whole, options.keys?.signer);
  const binaries = new Set(plan.jobs.map((job) => job.output));
  await normalise(whole, binaries);

  const shards: string[] = [];
  for (let index = 1; index <= options.count; index++) {
    const dir = path.join(root, `shard-${index}`);
    await fs.mkdir(dir);
    const { manifest } = selectShard(plan, { index, count: options.count });
    for (const output of manifest.outputs) {
      for (const entry of entries.get(output)!) await fs.copyFile(path.join(whole, entry.name), path.join(dir, entry.name));
      await fs.copyFile(path.join(whole, `${output}.intoto.jsonl`), path.join(dir, `${output}.intoto.jsonl`));
    }
    await writeSums(dir, manifest.outputs.flatMap((output) => entries.get(output)!), options.keys);
    await fs.writeFile(path.join(dir, SHARD_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    await writeReleaseManifest(dir, options.keys?.signer);
    await normalise(dir, binaries);
    shards.push(dir);
  }
  return { root, plan, whole, shards, keys: options.keys };
}

interface TreeEntry {
  mode: string;
  mtime: number;
  content: string;
}

/** Every file and directory under dir: mode, modification time and content (hex of binaries would be long: their size and a prefix). */
async function tree(dir: string, options: { ignoreSignatures?: boolean } = {}): Promise<Record<string, TreeEntry>> {
  const result: Record<string, TreeEntry> = {};
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    const absolute = path.join(entry.parentPath, entry.name);
    const stat = await fs.stat(absolute);
    const content = entry.isDirectory()
      ? '<dir>'
      : options.ignoreSignatures && entry.name.endsWith('.sig')
        ? '<signature>'
        : options.ignoreSignatures && entry.name === 'RELEASE-MANIFEST'
          ? '<lists the signatures>'
        : `sha256:${await sha256File(absolute)}`;
    result[path.relative(dir, absolute)] = { mode: (stat.mode & 0o7777).toString(8), mtime: Math.floor(stat.mtimeMs / 1000), content };
  }
  return result;
}

function recorder(): Pick<Reporter, 'info' | 'warn'> & { warnings: string[]; infos: string[] } {
  const warnings: string[] = [];
  const infos: string[] = [];
  return {
    warnings,
    infos,
    info: (message) => {
      infos.push(message);
    },
    warn: (message) => {
      warnings.push(message);
    },
  };
}

async function flipByte(file: string, offset: number): Promise<void> {
  const bytes = await fs.readFile(file);
  bytes[offset] = bytes[offset]! ^ 0xff;
  await fs.writeFile(file, bytes);
}

async function leftovers(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((name) => name.startsWith('.airlock-'));
}

test('the fixture shards verify on their own, as `airlock verify` sees them', async (t) => {
  const fixture = await release(t, { count: 2, keys: keygen() });
  for (const dir of [fixture.whole, ...fixture.shards]) {
    const result = await verifyRelease(dir, fixture.keys!.publicKey);
    t.true(result.ok, JSON.stringify(result.files.filter((file) => !file.ok)));
  }
});

test('merging two signed shards gives the unsharded release: same files, modes, times and SHA256SUMS, signed anew', async (t) => {
  const keys = keygen();
  const fixture = await release(t, { count: 2, keys });
  const out = path.join(fixture.root, 'dist');
  const reporter = recorder();
  const outcome = await mergeRelease({ dirs: fixture.shards, out, publicKey: keys.publicKey, signer: keys.signer }, reporter);
  t.is(outcome.outDir, out);
  t.true(outcome.signaturesChecked);
  t.true(outcome.signed);
  t.deepEqual(await tree(out, { ignoreSignatures: true }), await tree(fixture.whole, { ignoreSignatures: true }));
  t.deepEqual(Object.keys(await tree(out)).sort(), [
    'RELEASE-MANIFEST',
    'RELEASE-MANIFEST.sig',
    'SHA256SUMS',
    'SHA256SUMS.sig',
    ...fixture.plan.jobs.flatMap((job) => [job.output, `${job.output}.intoto.jsonl`]),
  ].sort());
  t.is((await fs.stat(path.join(out, fixture.plan.jobs[0]!.output))).mode & 0o777, 0o755);
  t.is(Math.floor((await fs.stat(path.join(out, CHECKSUMS_FILE))).mtimeMs / 1000), EPOCH, 'SHA256SUMS gets the time of the outputs');
  const sums = await fs.readFile(path.join(out, CHECKSUMS_FILE));
  t.deepEqual(sums, await fs.readFile(path.join(fixture.whole, CHECKSUMS_FILE)), 'SHA256SUMS byte for byte');
  const everything = await Promise.all(fixture.plan.jobs.map(async (job) => ({ name: job.output, sha256: await sha256File(path.join(fixture.whole, job.output)) })));
  t.is(sums.toString('utf8'), formatSha256Sums(everything), 'what formatting every entry at once gives');
  t.true(verifyDetached(sums, await fs.readFile(path.join(out, `${CHECKSUMS_FILE}.sig`), 'utf8'), keys.publicKey));
  await t.throwsAsync(fs.stat(path.join(out, SHARD_MANIFEST_FILE)), { code: 'ENOENT' }, 'the shard manifest is not carried over');
  for (const job of fixture.plan.jobs) {
    const envelope = `${job.output}.intoto.jsonl`;
    t.deepEqual(await fs.readFile(path.join(out, envelope)), await fs.readFile(path.join(fixture.whole, envelope)), `${envelope} unchanged`);
  }
  t.true((await verifyRelease(out, keys.publicKey)).ok);
  t.deepEqual(reporter.warnings, []);
  t.deepEqual(await leftovers(fixture.root), []);
});

test('three unsigned shards with SBOMs, given in any order, merge to the unsharded release', async (t) => {
  const fixture = await release(t, { count: 3, sbom: true });
  const out = path.join(fixture.root, 'dist');
  const reporter = recorder();
  const outcome = await mergeRelease({ dirs: [fixture.shards[2]!, fixture.shards[0]!, fixture.shards[1]!], out }, reporter);
  t.false(outcome.signed);
  t.true(outcome.plan.sbom);
  t.deepEqual(await tree(out), await tree(fixture.whole));
  t.true(Object.keys(await tree(out)).some((file) => file.endsWith('.cdx.json')));
  t.deepEqual(reporter.warnings, ['shard signatures are not checked: pass --key with the public key the shards were signed with']);
});

test('a flipped byte in a shard binary is refused, naming the shard and the file, and --out keeps what it held', async (t) => {
  const keys = keygen();
  const fixture = await release(t, { count: 2, keys });
  const victim = fixture.plan.jobs[2]!.output;
  await flipByte(path.join(fixture.shards[1]!, victim), 4096);
  const out = path.join(fixture.root, 'dist');
  await fs.mkdir(out);
  await fs.writeFile(path.join(out, CHECKSUMS_FILE), 'an earlier release\n');
  const before = await tree(out);
  const error = await t.throwsAsync(mergeRelease({ dirs: fixture.shards, out, publicKey: keys.publicKey, signer: keys.signer }, recorder()), {
    instanceOf: VerificationError,
  });
  t.is(error?.exitCode, ExitCode.verificationFailed);
  t.regex(error!.message, new RegExp(`^shard 2/2 \\(${fixture.shards[1]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\) failed verification: \\d+ of \\d+ files; first: ${victim}: checksum: sha256 [0-9a-f]{64} differs from SHA256SUMS`));
  t.regex(error!.hint!, /rebuild that shard/);
  t.deepEqual(await tree(out), before, 'the earlier release is untouched');
  t.deepEqual(await leftovers(fixture.root), [], 'no staging directory is left behind');
});

test('a tampered binary whose SHA256SUMS entry was updated too is caught by its envelope', async (t) => {
  const fixture = await release(t, { count: 2 });
  const shard = fixture.shards[0]!;
  const victim = fixture.plan.jobs[0]!.output;
  await flipByte(path.join(shard, victim), 4096);
  await fs.writeFile(path.join(shard, CHECKSUMS_FILE), formatSha256Sums([{ name: victim, sha256: await sha256File(path.join(shard, victim)) }]));
  const out = path.join(fixture.root, 'dist');
  await t.throwsAsync(mergeRelease({ dirs: fixture.shards, out }, recorder()), {
    instanceOf: VerificationError,
    message: new RegExp(`^shard 1/2 .* failed verification: .*${victim}: subject digest: the envelope records sha256`),
  });
  await t.throwsAsync(fs.stat(out), { code: 'ENOENT' });
});

test('a shard signed with another key is refused when --key is given', async (t) => {
  const fixture = await release(t, { count: 2, keys: keygen() });
  const out = path.join(fixture.root, 'dist');
  await t.throwsAsync(mergeRelease({ dirs: fixture.shards, out, publicKey: keygen().publicKey }, recorder()), {
    instanceOf: VerificationError,
    message: /^shard 1\/2 .* failed verification: .*SHA256SUMS: signature: SHA256SUMS\.sig does not verify/,
  });
  await t.throwsAsync(fs.stat(out), { code: 'ENOENT' });
});

test('signing the merge with a key other than --key is refused before anything is published', async (t) => {
  const keys = keygen();
  const fixture = await release(t, { count: 2, keys });
  const out = path.join(fixture.root, 'dist');
  await t.throwsAsync(mergeRelease({ dirs: fixture.shards, out, publicKey: keys.publicKey, signer: keygen().signer }, recorder()), {
    instanceOf: VerificationError,
    message: /^the new signature of SHA256SUMS does not verify with --key/,
  });
  await t.throwsAsync(fs.stat(out), { code: 'ENOENT' });
  t.deepEqual(await leftovers(fixture.root), []);
});

test('signed shards merged without a signer are warned about', async (t) => {
  const keys = keygen();
  const fixture = await release(t, { count: 2, keys });
  const reporter = recorder();
  const out = path.join(fixture.root, 'dist');
  await mergeRelease({ dirs: fixture.shards, out, publicKey: keys.publicKey }, reporter);
  t.deepEqual(reporter.warnings, ["the shards' SHA256SUMS are signed but the merged SHA256SUMS will not be: pass --sign-key or --signer-command to sign it"]);
  await t.throwsAsync(fs.stat(path.join(out, `${CHECKSUMS_FILE}.sig`)), { code: 'ENOENT' });
});

test('a missing shard is refused and nothing is written', async (t) => {
  const fixture = await release(t, { count: 3 });
  const out = path.join(fixture.root, 'dist');
  await t.throwsAsync(mergeRelease({ dirs: [fixture.shards[0]!, fixture.shards[2]!], out }, recorder()), {
    instanceOf: InputError,
    message: /^shard 2\/3 is missing$/,
  });
  await t.throwsAsync(fs.stat(out), { code: 'ENOENT' });
  t.deepEqual(await leftovers(fixture.root), []);
});

test('--out may not be, hold or lie in a shard; a shard directory must exist', async (t) => {
  const fixture = await release(t, { count: 2 });
  const [one, two] = fixture.shards as [string, string];
  for (const out of [two, fixture.root, path.join(one, 'dist')]) {
    await t.throwsAsync(mergeRelease({ dirs: fixture.shards, out }, recorder()), { instanceOf: InputError, message: /^--out .* (is|holds|lies inside) the shard directory/ }, out);
  }
  await t.throwsAsync(mergeRelease({ dirs: [one, path.join(fixture.root, 'nope')], out: path.join(fixture.root, 'dist') }, recorder()), {
    instanceOf: InputError,
    message: /the shard directory .*nope does not exist/,
  });
  t.true((await verifyRelease(two, undefined)).ok, 'the shards are untouched');
});

test('files beside a shard release are ignored with a warning and not copied', async (t) => {
  const fixture = await release(t, { count: 2 });
  await fs.writeFile(path.join(fixture.shards[0]!, 'build.log'), 'log\n');
  const reporter = recorder();
  const out = path.join(fixture.root, 'dist');
  await mergeRelease({ dirs: fixture.shards, out }, reporter);
  t.true(reporter.warnings.some((warning) => /^ignoring .*shard-1\/build\.log: it is not part of the shard's release$/.test(warning)), reporter.warnings.join('\n'));
  t.deepEqual(await tree(out), await tree(fixture.whole));
});

test('Ed25519 signatures are deterministic: the merge then equals the unsharded release to the last byte', async (t) => {
  const ed = generateKeyPairSync('ed25519');
  const keys = { signer: new KeySigner(ed.privateKey), publicKey: ed.publicKey };
  const fixture = await release(t, { count: 3, keys });
  const out = path.join(fixture.root, 'dist');
  await mergeRelease({ dirs: fixture.shards, out, publicKey: keys.publicKey, signer: keys.signer }, recorder());
  t.deepEqual(await tree(out), await tree(fixture.whole));
});

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src', 'cli', 'bin.js');

async function airlock(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const result = await execa('node', [CLI, ...args], { cwd, env: { AIRLOCK_HOME: path.join(cwd, 'home'), ...env }, reject: false });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

test('the CLI: airlock merge DIR... --out --key --sign-key, and its refusals', async (t) => {
  const root = await tempDir(t, 'airlock-merge-cli-');
  const passphrase = 'merge-cli-test';
  writeKeyPair(path.join(root, 'airlock.key'), path.join(root, 'airlock.pub'), passphrase);
  const keys = { signer: new KeySigner(loadPrivateKey(path.join(root, 'airlock.key'), passphrase)), publicKey: loadPublicKey(path.join(root, 'airlock.pub')) };
  const fixture = await release(t, { count: 2, keys });
  const shards = fixture.shards.map((dir) => path.relative(root, dir));
  const env = { [PASSPHRASE_ENV]: passphrase };

  const merged = await airlock(['merge', ...shards, '--out', 'dist', '--key', 'airlock.pub', '--sign-key', 'airlock.key'], root, env);
  t.is(merged.exitCode, 0, merged.stderr);
  t.regex(merged.stdout, /^FILE +SHARD +SHA256\n/);
  for (const job of fixture.plan.jobs) t.regex(merged.stdout, new RegExp(`^${job.output} +[12]/2 +[0-9a-f]{64}$`, 'm'));
  t.regex(merged.stderr, /airlock: merged 2 shards: 3 binaries, their provenance and SHA256SUMS \(signed\) to /);
  t.true((await verifyRelease(path.join(root, 'dist'), keys.publicKey)).ok);
  const verified = await airlock(['verify', 'dist', '--key', 'airlock.pub'], root);
  t.is(verified.exitCode, 0, verified.stderr);

  const missing = await airlock(['merge', shards[0]!, '--out', 'dist2'], root);
  t.is(missing.exitCode, ExitCode.badInput);
  t.deepEqual(
    missing.stderr.split('\n').filter((line) => line.startsWith('airlock: error:')),
    ['airlock: error: shard 2/2 is missing; pass the output directory of every shard: 2 in all'],
  );
  await t.throwsAsync(fs.stat(path.join(root, 'dist2')), { code: 'ENOENT' });

  await flipByte(path.join(fixture.shards[0]!, fixture.plan.jobs[0]!.output), 4096);
  const tampered = await airlock(['merge', ...shards, '--out', 'dist'], root);
  t.is(tampered.exitCode, ExitCode.verificationFailed);
  t.regex(tampered.stderr, /airlock: error: shard 1\/2 \(\S*shard-1\) failed verification: .*airlockfixture_linux_amd64: checksum/);
  t.true((await verifyRelease(path.join(root, 'dist'), keys.publicKey)).ok, 'the earlier merge in dist is untouched');

  const noOut = await airlock(['merge', ...shards], root);
  t.is(noOut.exitCode, ExitCode.badInput);
  t.regex(noOut.stderr, /Missing required argument: out/);
});
