import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

import test, { type ExecutionContext } from 'ava';

import { InputError } from '../../../src/errors.js';
import {
  generateKeyPair,
  loadPrivateKey,
  loadPublicKey,
  PASSPHRASE_ENV,
  publicKeyFingerprint,
  writeKeyPair,
} from '../../../src/provenance/keys.js';
import { run, tempDir } from '../../helpers/host-tools.js';

const PASSPHRASE = 'correct horse battery staple';

async function openssl(t: ExecutionContext, args: string[], cwd: string): Promise<string> {
  const result = await run('openssl', args, { cwd });
  if (result.code !== 0) t.fail(`openssl ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

test('PASSPHRASE_ENV names the variable', (t) => {
  t.is(PASSPHRASE_ENV, 'AIRLOCK_KEY_PASSPHRASE');
});

test('generated keys are an encrypted PKCS#8 private key and a PKIX public key that openssl reads', async (t) => {
  const dir = await tempDir(t, 'airlock-keys-');
  const { privatePem, publicPem } = generateKeyPair(PASSPHRASE);
  t.true(privatePem.startsWith('-----BEGIN ENCRYPTED PRIVATE KEY-----\n'));
  t.true(publicPem.startsWith('-----BEGIN PUBLIC KEY-----\n'));
  await fs.writeFile(path.join(dir, 'k.pem'), privatePem);
  await fs.writeFile(path.join(dir, 'k.pub'), publicPem);

  const text = await openssl(t, ['pkey', '-in', 'k.pem', '-passin', `pass:${PASSPHRASE}`, '-noout', '-text'], dir);
  t.regex(text, /NIST CURVE: P-256/);
  const derived = await openssl(t, ['pkey', '-in', 'k.pem', '-passin', `pass:${PASSPHRASE}`, '-pubout'], dir);
  t.is(derived, publicPem);
  t.not((await run('openssl', ['pkey', '-in', 'k.pem', '-passin', 'pass:wrong', '-noout'], { cwd: dir })).code, 0);
  await openssl(t, ['pkey', '-pubin', '-in', 'k.pub', '-noout'], dir);
});

test('generateKeyPair refuses an empty passphrase', (t) => {
  t.throws(() => generateKeyPair(''), { instanceOf: InputError, message: /empty passphrase/ });
});

test('writeKeyPair writes a private key only its owner can read, and loads back', async (t) => {
  const dir = await tempDir(t, 'airlock-keys-');
  const privatePath = path.join(dir, 'airlock.key');
  const publicPath = path.join(dir, 'airlock.pub');
  writeKeyPair(privatePath, publicPath, PASSPHRASE);
  t.is((await fs.stat(privatePath)).mode & 0o777, 0o600);

  const privateKey = loadPrivateKey(privatePath, PASSPHRASE);
  const publicKey = loadPublicKey(publicPath);
  t.is(privateKey.type, 'private');
  t.is(publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  const signature = sign('sha256', Buffer.from('data'), privateKey);
  t.true(verify('sha256', Buffer.from('data'), publicKey, signature));
  t.is(publicKeyFingerprint(privateKey), publicKeyFingerprint(publicKey));
});

test('writeKeyPair never overwrites', async (t) => {
  const dir = await tempDir(t, 'airlock-keys-');
  const privatePath = path.join(dir, 'airlock.key');
  const publicPath = path.join(dir, 'airlock.pub');

  await fs.writeFile(publicPath, 'old public key');
  const error = t.throws(() => writeKeyPair(privatePath, publicPath, PASSPHRASE), { instanceOf: InputError });
  t.is(error?.message, `${publicPath} already exists; airlock does not overwrite keys`);
  t.is(await fs.readFile(publicPath, 'utf8'), 'old public key');
  t.deepEqual(await fs.readdir(dir), ['airlock.pub']);

  await fs.rm(publicPath);
  await fs.writeFile(privatePath, 'old private key');
  t.throws(() => writeKeyPair(privatePath, publicPath, PASSPHRASE), { instanceOf: InputError, message: /already exists/ });
  t.is(await fs.readFile(privatePath, 'utf8'), 'old private key');
  t.deepEqual(await fs.readdir(dir), ['airlock.key']);

  t.throws(() => writeKeyPair(path.join(dir, 'a'), path.join(dir, 'a'), PASSPHRASE), { instanceOf: InputError });
  t.throws(() => writeKeyPair(path.join(dir, 'no/such/dir.key'), path.join(dir, 'x.pub'), PASSPHRASE), {
    instanceOf: InputError,
    message: /^cannot write /,
  });
});

test('keys made by openssl load: unencrypted PKCS#8 and traditional EC, and Ed25519', async (t) => {
  const dir = await tempDir(t, 'airlock-keys-');
  await openssl(t, ['ecparam', '-genkey', '-name', 'prime256v1', '-noout', '-out', 'ec.pem'], dir);
  await openssl(t, ['pkcs8', '-topk8', '-nocrypt', '-in', 'ec.pem', '-out', 'p8.pem'], dir);
  await openssl(t, ['pkey', '-in', 'ec.pem', '-pubout', '-out', 'ec.pub'], dir);
  await openssl(t, ['genpkey', '-algorithm', 'ed25519', '-out', 'ed.pem'], dir);
  await openssl(t, ['pkey', '-in', 'ed.pem', '-pubout', '-out', 'ed.pub'], dir);

  const ec = loadPrivateKey(path.join(dir, 'ec.pem'), undefined);
  const p8 = loadPrivateKey(path.join(dir, 'p8.pem'), undefined);
  const ecPub = loadPublicKey(path.join(dir, 'ec.pub'));
  t.is(publicKeyFingerprint(ec), publicKeyFingerprint(ecPub));
  t.is(publicKeyFingerprint(p8), publicKeyFingerprint(ecPub));
  t.is(loadPrivateKey(path.join(dir, 'ed.pem'), 'ignored for unencrypted keys').asymmetricKeyType, 'ed25519');
  t.is(loadPublicKey(path.join(dir, 'ed.pub')).asymmetricKeyType, 'ed25519');
});

test('publicKeyFingerprint is the SHA-256 of the PKIX DER', async (t) => {
  const dir = await tempDir(t, 'airlock-keys-');
  await fs.writeFile(path.join(dir, 'k.pub'), generateKeyPair(PASSPHRASE).publicPem);
  await openssl(t, ['pkey', '-pubin', '-in', 'k.pub', '-outform', 'DER', '-out', 'k.der'], dir);
  const expected = createHash('sha256').update(await fs.readFile(path.join(dir, 'k.der'))).digest('hex');
  t.is(publicKeyFingerprint(loadPublicKey(path.join(dir, 'k.pub'))), expected);
  t.regex(expected, /^[0-9a-f]{64}$/);
});

test('key loading errors (golden)', async (t) => {
  const dir = await tempDir(t, 'airlock-keys-');
  const file = (name: string): string => path.join(dir, name);
  writeKeyPair(file('airlock.key'), file('airlock.pub'), PASSPHRASE);
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  await fs.writeFile(file('garbage'), 'this is not a key\n');
  await fs.writeFile(file('empty'), '');
  await fs.writeFile(file('rsa.key'), rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  await fs.writeFile(file('rsa.pub'), rsa.publicKey.export({ type: 'spki', format: 'pem' }));
  await fs.writeFile(file('rsa-pkcs1.pub'), rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }));
  await fs.writeFile(file('p384.key'), p384.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  await fs.writeFile(file('p384.pub'), p384.publicKey.export({ type: 'spki', format: 'pem' }));
  await fs.writeFile(file('cosign.key'), '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJrZGYiOnt9fQ==\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n');
  await fs.writeFile(file('broken.key'), '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
  await fs.writeFile(file('broken.pub'), '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n');

  const cases: Array<[string, () => unknown]> = [
    ['wrong passphrase', () => loadPrivateKey(file('airlock.key'), 'wrong')],
    ['missing passphrase', () => loadPrivateKey(file('airlock.key'), undefined)],
    ['empty passphrase', () => loadPrivateKey(file('airlock.key'), '')],
    ['missing private key file', () => loadPrivateKey(file('nope.key'), PASSPHRASE)],
    ['garbage private key file', () => loadPrivateKey(file('garbage'), PASSPHRASE)],
    ['empty private key file', () => loadPrivateKey(file('empty'), PASSPHRASE)],
    ['RSA private key', () => loadPrivateKey(file('rsa.key'), undefined)],
    ['P-384 private key', () => loadPrivateKey(file('p384.key'), undefined)],
    ['public key given as private key', () => loadPrivateKey(file('airlock.pub'), PASSPHRASE)],
    ['cosign private key', () => loadPrivateKey(file('cosign.key'), PASSPHRASE)],
    ['broken private key', () => loadPrivateKey(file('broken.key'), undefined)],
    ['missing public key file', () => loadPublicKey(file('nope.pub'))],
    ['garbage public key file', () => loadPublicKey(file('garbage'))],
    ['private key given as public key', () => loadPublicKey(file('airlock.key'))],
    ['RSA public key', () => loadPublicKey(file('rsa.pub'))],
    ['PKCS#1 RSA public key', () => loadPublicKey(file('rsa-pkcs1.pub'))],
    ['P-384 public key', () => loadPublicKey(file('p384.pub'))],
    ['broken public key', () => loadPublicKey(file('broken.pub'))],
  ];
  for (const [name, load] of cases) {
    const error = t.throws(load, { instanceOf: InputError }, name);
    t.snapshot(`${error?.message.replaceAll(dir, '<dir>')}\nhint: ${error?.hint}`, name);
    // OpenSSL's own words ("bad decrypt") would be printed before airlock's line: only --debug shows them.
    t.is(error?.details, undefined, name);
  }
});
