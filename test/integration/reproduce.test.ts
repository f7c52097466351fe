import { execa } from 'execa';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { assertCleanFailure, copyModule, ensureToolchains, integration, runAirlock } from '../helpers/airlock-cli.js';

const TARGETS = ['linux/amd64', 'darwin/arm64'];

integration('two checkouts built with different jobs and cache settings give identical SHA256SUMS, with normalised outputs', async (t) => {
  await ensureToolchains();
  // examples/cli: vendored dependencies and a main package below the module root.
  const first = await copyModule('examples/cli');
  const second = await copyModule('examples/cli');
  const targetArgs = TARGETS.flatMap((target) => ['--target', target]);
  const a = await runAirlock(['build', first, '--jobs', '1', ...targetArgs], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
  t.is(a.exitCode, 0, a.stderr);
  const b = await runAirlock(['build', second, '--jobs', '2', '--cache', ...targetArgs], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
  t.is(b.exitCode, 0, b.stderr);
  // A second cached build reuses the warm cache and still gives the same bytes.
  const c = await runAirlock(['build', second, '--cache', '--out', path.join(path.dirname(second), 'warm'), ...targetArgs]);
  t.is(c.exitCode, 0, c.stderr);
  const sums = await fs.readFile(path.join(first, 'dist', 'SHA256SUMS'), 'utf8');
  t.is(await fs.readFile(path.join(second, 'dist', 'SHA256SUMS'), 'utf8'), sums);
  t.is(await fs.readFile(path.join(path.dirname(second), 'warm', 'SHA256SUMS'), 'utf8'), sums, 'warm cache');
  const binary = await fs.stat(path.join(first, 'dist', 'cli_linux_amd64'));
  t.is(binary.mode & 0o777, 0o755);
  t.is(Math.floor(binary.mtimeMs / 1000), 1700000000);
  const sumsStat = await fs.stat(path.join(first, 'dist', 'SHA256SUMS'));
  t.is(sumsStat.mode & 0o777, 0o644);
  t.is(Math.floor(sumsStat.mtimeMs / 1000), 1700000000);
});

integration('examples/cli from airlock equals a native go build with the same toolchain and flags', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/cli');
  // --cache: what is compared is the binary, which never depends on the cache (CI time).
  const result = await runAirlock(['build', module, '--go', '1.26.8', '--cache']);
  t.is(result.exitCode, 0, result.stderr);
  const native = path.join(os.tmpdir(), `airlock-native-cli-${process.pid}`);
  await execa('go', ['build', '-mod=vendor', '-trimpath', '-buildvcs=false', '-ldflags=-buildid=', '-o', native, './cmd/cli'], {
    cwd: module,
    env: { GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOOS: 'linux', GOARCH: 'amd64', GOFLAGS: '', GOPROXY: 'off' },
  });
  t.true((await fs.readFile(native)).equals(await fs.readFile(path.join(module, 'dist', 'cli_linux_amd64'))));
  await fs.remove(native);
});

integration('reproduce rebuilds a release from its envelopes on a fresh copy of the source: every artifact REPRODUCED', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/hello');
  const release = path.join(path.dirname(module), 'release');
  const build = await runAirlock(['build', module, '--out', release, '--check', '--target', 'linux/amd64', '--target', 'darwin/arm64']);
  t.is(build.exitCode, 0, build.stderr);
  t.regex(build.stderr, /checked hello_linux_amd64: a second build in a fresh container is byte-identical/);
  const fresh = await copyModule('examples/hello');
  const envelopes = ['hello_linux_amd64', 'hello_darwin_arm64'].map((name) => path.join(release, `${name}.intoto.jsonl`));
  const result = await runAirlock(['reproduce', ...envelopes, '--source', fresh]);
  t.is(result.exitCode, 0, result.stdout + result.stderr);
  t.regex(result.stdout, /^REPRODUCED\s+hello_linux_amd64\s+sha256 [0-9a-f]{64}$/m);
  t.regex(result.stdout, /^REPRODUCED\s+hello_darwin_arm64\s+/m);

  // One changed source file: refused before anything is built, naming the file.
  await fs.appendFile(path.join(fresh, 'main.go'), '\n// a local edit\n');
  const changed = await runAirlock(['reproduce', envelopes[0]!, '--source', fresh]);
  t.is(changed.exitCode, 4);
  t.regex(changed.stderr, /the source tree differs from the record \(dirHash [0-9a-f]{64} recorded, [0-9a-f]{64} now\): main\.go changed/);
  t.notRegex(changed.stderr, /building \. for/);

  // A record that does not match what the source builds: DIFFERENT, with where the bytes differ.
  const forged = path.join(path.dirname(module), 'forged');
  await fs.copy(release, forged);
  const binaryFile = path.join(forged, 'hello_linux_amd64');
  const bytes = await fs.readFile(binaryFile);
  bytes[Math.floor(bytes.length / 3)]! ^= 0xff;
  await fs.writeFile(binaryFile, bytes);
  const envelopeFile = `${binaryFile}.intoto.jsonl`;
  const envelope = JSON.parse(await fs.readFile(envelopeFile, 'utf8')) as { payload: string; signatures: unknown[] };
  const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as { subject: Array<{ digest: { sha256: string } }> };
  statement.subject[0]!.digest.sha256 = (await execa('sha256sum', [binaryFile])).stdout.split(' ')[0]!;
  envelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
  envelope.signatures = [];
  await fs.writeFile(envelopeFile, `${JSON.stringify(envelope)}\n`);
  const clean = await copyModule('examples/hello');
  const different = await runAirlock(['reproduce', envelopeFile, '--source', clean]);
  t.is(different.exitCode, 4);
  t.regex(different.stdout, /^DIFFERENT\s+hello_linux_amd64\s+.*sections with differing bytes: \S+/m);
});

integration('reproduce checks the binary beside the envelope: a tampered one is DIFFERENT (exit 4) with both digests, even when the rebuild matches', async (t) => {
  await ensureToolchains();
  const module = await copyModule('examples/hello');
  const work = path.dirname(module);
  const env = { AIRLOCK_KEY_PASSPHRASE: 'reproduce-test' };
  const keygen = await runAirlock(['keygen', '--key', path.join(work, 'k.pem'), '--pub', path.join(work, 'k.pub')], { env });
  t.is(keygen.exitCode, 0, keygen.stderr);
  const release = path.join(work, 'release');
  const build = await runAirlock(['build', module, '--out', release, '--sign-key', path.join(work, 'k.pem')], { env });
  t.is(build.exitCode, 0, build.stderr);
  const envelope = path.join(release, 'hello_linux_amd64.intoto.jsonl');
  const recorded = (await execa('sha256sum', [path.join(release, 'hello_linux_amd64')])).stdout.split(' ')[0]!;

  await fs.appendFile(path.join(release, 'hello_linux_amd64'), 'x');
  const tampered = (await execa('sha256sum', [path.join(release, 'hello_linux_amd64')])).stdout.split(' ')[0]!;
  const result = await runAirlock(['reproduce', envelope, '--source', module, '--key', path.join(work, 'k.pub')]);
  t.is(result.exitCode, 4, result.stdout + result.stderr);
  t.regex(result.stdout, new RegExp(`^DIFFERENT\\s+hello_linux_amd64\\s+the rebuild matches the envelope \\(sha256 ${recorded}\\), but the binary beside it \\(sha256 ${tampered}\\) does not$`, 'm'));
  t.notRegex(result.stdout, /REPRODUCED/);
  assertCleanFailure(t, result, 4, /^airlock: error: 1 of 1 artifacts were not reproduced: hello_linux_amd64; /);
  const json = await runAirlock(['reproduce', envelope, '--source', module, '--json']);
  t.is(json.exitCode, 4);
  t.like((JSON.parse(json.stdout) as unknown[])[0], { artifact: 'hello_linux_amd64', status: 'DIFFERENT', expected: recorded, actual: recorded, beside: tampered });

  // Without the binary beside it, a record the rebuild does not match shows both digests.
  await fs.remove(path.join(release, 'hello_linux_amd64'));
  const record = JSON.parse(await fs.readFile(envelope, 'utf8')) as { payload: string; signatures: unknown[] };
  const statement = JSON.parse(Buffer.from(record.payload, 'base64').toString('utf8')) as { subject: Array<{ digest: { sha256: string } }> };
  statement.subject[0]!.digest.sha256 = tampered;
  record.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
  record.signatures = [];
  await fs.writeFile(envelope, `${JSON.stringify(record)}\n`);
  const alone = await runAirlock(['reproduce', envelope, '--source', module]);
  t.is(alone.exitCode, 4, alone.stdout + alone.stderr);
  t.regex(alone.stdout, new RegExp(`^DIFFERENT\\s+hello_linux_amd64\\s+the envelope records sha256 ${tampered}, the rebuild is sha256 ${recorded}; the recorded binary is not beside its envelope`, 'm'));
});

integration('reproduce of a path that does not exist, a directory or a binary is bad input: exit 2, one clean line, before any build', async (t) => {
  const module = await copyModule('examples/hello');
  const missing = await runAirlock(['reproduce', path.join(path.dirname(module), 'nope.intoto.jsonl'), '--source', module]);
  assertCleanFailure(t, missing, 2, /^airlock: error: \/.*nope\.intoto\.jsonl does not exist; pass the \.intoto\.jsonl files of a release/);
  const directory = await runAirlock(['reproduce', module, '--source', module]);
  assertCleanFailure(t, directory, 2, /^airlock: error: .* is not a file; /);

  const binary = path.join(path.dirname(module), 'hello_linux_amd64');
  await execa('go', ['build', '-o', binary, '.'], { cwd: module, env: { GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '' } });
  const result = await runAirlock(['reproduce', binary, '--source', module]);
  assertCleanFailure(t, result, 2, /^airlock: error: \/.*hello_linux_amd64 is not a provenance envelope \(\.intoto\.jsonl\): it holds binary data, not JSON \(is it the binary itself\?\); /);
  t.is(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
  t.notRegex(result.stderr, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffd]|Unexpected token/, 'no bytes of the binary, no parser message');
  t.is(result.stdout, '');
  t.notRegex(missing.stderr + directory.stderr + result.stderr, /rebuilding/);
});
