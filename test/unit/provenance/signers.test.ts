import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

import test, { type ExecutionContext } from 'ava';

import { InputError, VerificationError } from '../../../src/errors.js';
import { IN_TOTO_PAYLOAD_TYPE, signEnvelope, verifyEnvelopeSignature } from '../../../src/provenance/dsse.js';
import { loadPrivateKey, loadPublicKey, writeKeyPair } from '../../../src/provenance/keys.js';
import { CommandSigner, KeySigner, signDetached, splitCommandLine, verifyDetached } from '../../../src/provenance/signers.js';
import { run, tempDir } from '../../helpers/host-tools.js';

const DATA = Buffer.from('sha256 checksums of the build outputs\n');

/** A stand-in for an HSM client: signs stdin with a key file via openssl, printing DER or base64. */
const SIGN_SCRIPT = `import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
const [keyPath, format] = process.argv.slice(2);
const der = execFileSync('openssl', ['dgst', '-sha256', '-sign', keyPath], { input: fs.readFileSync(0) });
process.stdout.write(format === 'base64' ? der.toString('base64') + '\\n' : der);
`;

async function openssl(t: ExecutionContext, args: string[], cwd: string): Promise<string> {
  const result = await run('openssl', args, { cwd });
  if (result.code !== 0) t.fail(`openssl ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** A temp dir with an openssl-made P-256 key (key.pem, pub.pem), the signing script and a node command prefix. */
async function hsm(t: ExecutionContext): Promise<{ dir: string; node: string }> {
  const dir = await tempDir(t, 'airlock-signer-');
  await openssl(t, ['ecparam', '-genkey', '-name', 'prime256v1', '-noout', '-out', 'ec.pem'], dir);
  await openssl(t, ['pkcs8', '-topk8', '-nocrypt', '-in', 'ec.pem', '-out', 'key.pem'], dir);
  await openssl(t, ['pkey', '-in', 'key.pem', '-pubout', '-out', 'pub.pem'], dir);
  await fs.writeFile(path.join(dir, 'sign.mjs'), SIGN_SCRIPT);
  return { dir, node: `"${process.execPath}"` };
}

test('splitCommandLine splits like a shell, without expansions', (t) => {
  t.deepEqual(splitCommandLine('pkcs11-sign --slot 0'), ['pkcs11-sign', '--slot', '0']);
  t.deepEqual(splitCommandLine(`  a\t'b c'  "d \\"e\\" \\$f \\x" g\\ h '' "" $HOME  `), ['a', 'b c', 'd "e" $f \\x', 'g h', '', '', '$HOME']);
  t.deepEqual(splitCommandLine(`x'y'"z"`), ['xyz']);
  t.deepEqual(splitCommandLine(`'it''s'`), ['its']);
  t.deepEqual(splitCommandLine(''), []);
  t.throws(() => splitCommandLine(`sign 'unterminated`), { instanceOf: InputError, message: /unterminated ' quote/ });
  t.throws(() => splitCommandLine('sign "unterminated'), { instanceOf: InputError, message: /unterminated " quote/ });
  t.throws(() => splitCommandLine('sign \\'), { instanceOf: InputError });
});

test('KeySigner signs DER ECDSA with an empty keyid, and Ed25519', async (t) => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = new KeySigner(ec.privateKey);
  t.is(signer.keyid, '');
  const signature = await signer.sign(DATA);
  t.is(signature[0], 0x30);
  t.true(verifyDetached(DATA, signature.toString('base64'), ec.publicKey));

  const ed = generateKeyPairSync('ed25519');
  t.true(verifyDetached(DATA, await signDetached(DATA, new KeySigner(ed.privateKey)), ed.publicKey));

  t.throws(() => new KeySigner(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey), { instanceOf: InputError });
  t.throws(() => new KeySigner(ec.publicKey), { instanceOf: InputError });
});

test('openssl verifies a detached signature after base64 -d', async (t) => {
  const dir = await tempDir(t, 'airlock-signer-');
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const text = await signDetached(DATA, new KeySigner(ec.privateKey));
  t.regex(text, /^[A-Za-z0-9+/]+=*\n$/);
  await fs.writeFile(path.join(dir, 'pub.pem'), ec.publicKey.export({ type: 'spki', format: 'pem' }));
  await fs.writeFile(path.join(dir, 'data'), DATA);
  await fs.writeFile(path.join(dir, 'data.sig'), text);
  // run() decodes stdout as UTF-8, which would mangle DER, so base64 -d writes to a file.
  const decoded = await run('sh', ['-c', 'base64 -d data.sig > sig.der'], { cwd: dir });
  t.is(decoded.code, 0, decoded.stderr);
  const out = await openssl(t, ['dgst', '-sha256', '-verify', 'pub.pem', '-signature', 'sig.der', 'data'], dir);
  t.is(out.trim(), 'Verified OK');
});

test('verifyDetached rejects other data, other keys and non-base64 text', async (t) => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const text = await signDetached(DATA, new KeySigner(ec.privateKey));
  t.true(verifyDetached(DATA, text, ec.publicKey));
  t.false(verifyDetached(Buffer.from('other'), text, ec.publicKey));
  t.false(verifyDetached(DATA, text, generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey));
  t.false(verifyDetached(DATA, `*${text}`, ec.publicKey));
  t.false(verifyDetached(DATA, '', ec.publicKey));
});

test('CommandSigner takes raw DER and base64 signatures from a real command', async (t) => {
  const { dir, node } = await hsm(t);
  const publicKey = loadPublicKey(path.join(dir, 'pub.pem'));
  for (const format of ['der', 'base64']) {
    const command = `${node} '${path.join(dir, 'sign.mjs')}' "${path.join(dir, 'key.pem')}" ${format}`;
    for (const signer of [new CommandSigner(command, publicKey), new CommandSigner(command)]) {
      t.is(signer.keyid, '');
      const env = await signEnvelope(DATA, IN_TOTO_PAYLOAD_TYPE, signer);
      t.deepEqual(verifyEnvelopeSignature(env, publicKey), { ok: true, payload: DATA }, format);
      t.true(verifyDetached(DATA, await signDetached(DATA, signer), publicKey), format);
    }
  }
});

test('CommandSigner rejects a signature made with another key', async (t) => {
  const { dir, node } = await hsm(t);
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  const signer = new CommandSigner(`${node} ${path.join(dir, 'sign.mjs')} ${path.join(dir, 'key.pem')} der`, other);
  const error = await t.throwsAsync(signer.sign(DATA), { instanceOf: VerificationError });
  t.regex(error?.message ?? '', /does not verify with the public key \(SHA-256 [0-9a-f]{64}\)$/);
});

test('CommandSigner rejects failing, silent, garbage-printing and missing commands, with their stderr', async (t) => {
  const { dir, node } = await hsm(t);
  const script = async (name: string, body: string): Promise<string> => {
    await fs.writeFile(path.join(dir, name), body);
    return `${node} ${path.join(dir, name)}`;
  };
  const publicKey = loadPublicKey(path.join(dir, 'pub.pem'));

  const failing = await script('fail.mjs', `process.stderr.write('token not present in slot 0\\n'); process.exit(3);`);
  let error = await t.throwsAsync(new CommandSigner(failing, publicKey).sign(DATA), { instanceOf: InputError });
  t.is(error?.message, `the signer command (${process.execPath}) exited with code 3`);
  t.is(error?.details, 'token not present in slot 0');

  const garbage = await script('garbage.mjs', `process.stderr.write('warning: low battery\\n'); process.stdout.write('hello, world!\\n');`);
  for (const key of [publicKey, undefined]) {
    error = await t.throwsAsync(new CommandSigner(garbage, key).sign(DATA), { instanceOf: InputError });
    t.regex(error?.message ?? '', /printed \d+ bytes that are (not|neither) a DER ECDSA signature/);
    t.is(error?.details, 'warning: low battery');
  }

  const badBase64 = await script('bad-base64.mjs', `process.stdout.write('AAAAA\\n');`);
  await t.throwsAsync(new CommandSigner(badBase64).sign(DATA), { instanceOf: InputError, message: /not valid base64/ });

  const silent = await script('silent.mjs', `process.stderr.write('nothing to say'); process.stdout.write('\\n');`);
  error = await t.throwsAsync(new CommandSigner(silent).sign(DATA), { instanceOf: InputError, message: /printed no signature$/ });
  t.is(error?.details, 'nothing to say');

  await t.throwsAsync(new CommandSigner(`${path.join(dir, 'no-such-signer')} --pin 1234`).sign(DATA), {
    instanceOf: InputError,
    message: /could not run: .*no-such-signer was not found$/,
  });

  const slow = await script('slow.mjs', `process.stderr.write('waiting for PIN'); setTimeout(() => {}, 30_000);`);
  error = await t.throwsAsync(new CommandSigner(slow, undefined, { timeoutMs: 3000 }).sign(DATA), {
    instanceOf: InputError,
    message: /did not finish within 3 s$/,
  });
  t.is(error?.details, 'waiting for PIN');

  t.throws(() => new CommandSigner('   '), { instanceOf: InputError, message: 'the signer command is empty' });
});

test('an airlock key signs the same way in-process and through openssl as the command', async (t) => {
  const dir = await tempDir(t, 'airlock-signer-');
  writeKeyPair(path.join(dir, 'k.key'), path.join(dir, 'k.pub'), 'pw');
  const publicKey = loadPublicKey(path.join(dir, 'k.pub'));
  const viaCommand = new CommandSigner(`openssl dgst -sha256 -sign '${path.join(dir, 'k.key')}' -passin pass:pw`, publicKey);
  const inProcess = new KeySigner(loadPrivateKey(path.join(dir, 'k.key'), 'pw'));
  for (const signer of [viaCommand, inProcess]) {
    t.true(verifyDetached(DATA, await signDetached(DATA, signer), publicKey));
  }
});
