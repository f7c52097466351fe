/**
 * SM2 with SM3: the standards' own known answers (GB/T 32905 SM3 examples; the SM2 signature example on the
 * recommended curve of GM/T 0003.5 / GB/T 32918.5, ID 1234567812345678, message "message digest"), the DER
 * format and range checks of our own, and that airlock never takes node's empty-ID signatures for standard ones.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';
import { sm2 } from 'sm-crypto-v2';

import { ExitCode, InputError } from '../../../src/errors.js';
import { signatureAlgorithm, verifySignatureBytes } from '../../../src/provenance/dsse.js';
import { generateKeyPair, loadPrivateKey, loadPublicKey } from '../../../src/provenance/keys.js';
import { CommandSigner, KeySigner } from '../../../src/provenance/signers.js';
import { SM2_DISTINGUISHING_ID, isSm2Key, parseSm2Signature, signSm2, verifySm2 } from '../../../src/provenance/sm2.js';
import { run, tempDir } from '../../helpers/host-tools.js';

// GM/T 0003.5-2012 / GB/T 32918.5-2017, the signature example on the recommended curve.
const KAT = {
  d: '3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8',
  x: '09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020',
  y: 'ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13',
  message: 'message digest',
  z: 'b2e14c5c79c6df5b85f4fe7ed8db7a262b9da7e07ccb0ea9f4747b8ccda8a4f3',
  e: 'f0b43e94ba45accaace692ed534382eb17e6ab5a19ce7b31f4486fdfc0d28640',
  k: '59276e27d506861a16680f3ad9c02dccef3cc1fa3cdbe4ce6d54b80deac1bc21',
  r: 'f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3',
  s: 'b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa',
};

const SM2_OID_DER = '06082a811ccf5501822d';

function katPublicKey(): KeyObject {
  const spki = Buffer.from(`3059301306072a8648ce3d0201${SM2_OID_DER}03420004${KAT.x}${KAT.y}`, 'hex');
  return createPublicKey({ key: spki, format: 'der', type: 'spki' });
}

function katPrivateKey(): KeyObject {
  // SEC1 ECPrivateKey with the curve and the public point, as `openssl ecparam -name SM2 -genkey` writes it.
  const sec1 = Buffer.from(`30770201010420${KAT.d}a00a${SM2_OID_DER}a14403420004${KAT.x}${KAT.y}`, 'hex');
  // Through PKCS#8 PEM, the way airlock reads keys: node then treats it as an SM2 key.
  const pem = createPrivateKey({ key: sec1, format: 'der', type: 'sec1' }).export({ type: 'pkcs8', format: 'pem' });
  return createPrivateKey(pem);
}

function der(r: string, s: string): Buffer {
  const integer = (hex: string) => {
    let bytes = Buffer.from(hex, 'hex');
    while (bytes.length > 1 && bytes[0] === 0 && !(bytes[1]! & 0x80)) bytes = bytes.subarray(1);
    if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
    return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
  };
  const body = Buffer.concat([integer(r), integer(s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

test('SM3: the GB/T 32905 examples, through node:crypto (what SM3SUMS and the Z value use)', (t) => {
  t.is(createHash('sm3').update('abc').digest('hex'), '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
  t.is(createHash('sm3').update('abcd'.repeat(16)).digest('hex'), 'debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732');
});

test('SM2: the standard example key is recognised by its curve, and Z and e are the standard values', (t) => {
  t.is(signatureAlgorithm(katPublicKey()), 'sm2-sm3');
  t.is(signatureAlgorithm(katPrivateKey()), 'sm2-sm3');
  t.true(isSm2Key(katPrivateKey()));
  const point = `04${KAT.x}${KAT.y}`;
  t.is(Buffer.from(sm2.getZ(point, SM2_DISTINGUISHING_ID)).toString('hex'), KAT.z);
  t.is(sm2.getHash(Buffer.from(KAT.message), point, SM2_DISTINGUISHING_ID), KAT.e);
  // Z by hand from its definition (GB/T 32918.2 §5.5): SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA).
  const curve = [
    'fffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffc',
    '28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93',
    '32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7',
    'bc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0',
  ];
  const z = createHash('sm3')
    .update(Buffer.concat([Buffer.from('0080', 'hex'), Buffer.from(SM2_DISTINGUISHING_ID), ...[...curve, KAT.x, KAT.y].map((hex) => Buffer.from(hex, 'hex'))]))
    .digest('hex');
  t.is(z, KAT.z);
});

test('SM2: the standard example signature (r, s) verifies, and with the standard k the library signs exactly it', (t) => {
  const message = Buffer.from(KAT.message);
  const signature = der(KAT.r, KAT.s);
  t.true(verifySm2(message, signature, katPublicKey()));
  t.true(verifySignatureBytes(message, signature, katPublicKey()));
  t.false(verifySm2(Buffer.from('message digesT'), signature, katPublicKey()));
  t.false(verifySm2(message, der(KAT.r, KAT.r), katPublicKey()));
  // The signing equation with the example's k (x1 of k·G from the library's own point arithmetic).
  const kG = sm2.getPublicKeyFromPrivateKey(KAT.k);
  const x1 = BigInt(`0x${kG.slice(2, 66)}`);
  const raw = sm2.doSignature(message, KAT.d, { hash: true, publicKey: `04${KAT.x}${KAT.y}`, userId: SM2_DISTINGUISHING_ID, pointPool: [{ k: BigInt(`0x${KAT.k}`), x1 }] });
  t.is(raw, KAT.r + KAT.s);
});

test('SM2: airlock signs with the standard ID, DER encoded, randomised, and its signatures verify', async (t) => {
  const key = katPrivateKey();
  const data = Buffer.from('SHA256SUMS bytes\n');
  const one = signSm2(data, key);
  const two = await new KeySigner(key).sign(data);
  t.not(one.toString('hex'), two.toString('hex'), 'a fresh k each time');
  for (const signature of [one, two]) {
    t.true(signature.length >= 68 && signature.length <= 72 && signature[0] === 0x30, 'DER SEQUENCE{r, s}');
    t.truthy(parseSm2Signature(signature));
    t.true(verifySm2(data, signature, katPublicKey()));
    t.true(sm2.doVerifySignature(data, signature.toString('hex'), `04${KAT.x}${KAT.y}`, { der: true, hash: true, userId: SM2_DISTINGUISHING_ID }), 'the library agrees');
  }
  t.is(new KeySigner(key).algorithm, 'sm2-sm3');
});

test("SM2: node's own crypto.sign (empty distinguishing ID) is not taken for a standard signature", (t) => {
  const key = katPrivateKey();
  const data = Buffer.from('payload');
  const emptyId = sign(null, data, key);
  t.false(verifySm2(data, emptyId, katPublicKey()));
});

test('SM2: only one DER encoding with r and s in [1, n-1] is a signature', (t) => {
  const n = 'fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123';
  const good = der(KAT.r, KAT.s);
  t.truthy(parseSm2Signature(good));
  t.is(parseSm2Signature(Buffer.concat([good, Buffer.from([0])])), undefined, 'trailing byte');
  t.is(parseSm2Signature(der('00', KAT.s)), undefined, 'r = 0');
  t.is(parseSm2Signature(der(KAT.r, n)), undefined, 's = n');
  t.is(parseSm2Signature(Buffer.from(KAT.r + KAT.s, 'hex')), undefined, 'raw r||s');
  // A needless leading zero: the same r in a second encoding.
  const r = Buffer.from('007f', 'hex');
  const padded = Buffer.concat([Buffer.from([0x30, 4 + r.length + 1, 0x02, r.length]), r, Buffer.from([0x02, 1, 1])]);
  t.is(parseSm2Signature(padded), undefined, 'non-minimal INTEGER');
  t.false(verifySm2(Buffer.from(KAT.message), Buffer.concat([good, Buffer.from([0])]), katPublicKey()));
});

test('keygen --algorithm sm2 writes an encrypted PKCS#8 SM2 key and an SPKI public key that openssl reads', async (t) => {
  const dir = await tempDir(t, 'airlock-sm2-');
  const { privatePem, publicPem } = generateKeyPair('passphrase', 'sm2');
  t.regex(privatePem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
  t.regex(publicPem, /^-----BEGIN PUBLIC KEY-----\n/);
  await fs.writeFile(path.join(dir, 'k.pem'), privatePem);
  await fs.writeFile(path.join(dir, 'k.pub'), publicPem);
  const text = await run('openssl', ['pkey', '-in', 'k.pem', '-passin', 'pass:passphrase', '-noout', '-text'], { cwd: dir });
  t.is(text.code, 0, text.stderr);
  t.regex(text.stdout, /ASN1 OID: SM2/);
  const key = loadPrivateKey(path.join(dir, 'k.pem'), 'passphrase');
  const pub = loadPublicKey(path.join(dir, 'k.pub'));
  t.is(signatureAlgorithm(key), 'sm2-sm3');
  t.is(signatureAlgorithm(pub), 'sm2-sm3');
  await fs.writeFile(path.join(dir, 'data'), 'hello\n');
  await fs.writeFile(path.join(dir, 'data.sig'), signSm2(Buffer.from('hello\n'), key));
  const verified = await run('openssl', ['pkeyutl', '-verify', '-rawin', '-digest', 'sm3', '-pkeyopt', `distid:${SM2_DISTINGUISHING_ID}`, '-pubin', '-inkey', 'k.pub', '-in', 'data', '-sigfile', 'data.sig'], { cwd: dir });
  t.is(verified.code, 0, verified.stderr);
  t.regex(verified.stdout, /Signature Verified Successfully/);
});

test('keys of other curves and algorithms are refused in one line, exit 2, naming the file', async (t) => {
  const dir = await tempDir(t, 'airlock-sm2-');
  const keys = {
    'p384.pub': generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey,
    'rsa.pub': generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey,
    'x25519.pub': generateKeyPairSync('x25519').publicKey,
  };
  for (const [name, key] of Object.entries(keys)) {
    const file = path.join(dir, name);
    await fs.writeFile(file, key.export({ type: 'spki', format: 'pem' }));
    const error = t.throws(() => loadPublicKey(file), { instanceOf: InputError });
    t.is(error!.exitCode, ExitCode.badInput);
    t.true(error!.message.startsWith(`${file} holds an unsupported key type`), error!.message);
    t.regex(error!.message, /ECDSA P-256, SM2 \(with SM3\) or Ed25519/);
    t.false(error!.message.includes('\n'));
  }
});

test('a signer command checked against an SM2 public key: SM2 signatures pass, a P-256 one is refused, raw r||s too', async (t) => {
  const dir = await tempDir(t, 'airlock-sm2-');
  const key = katPrivateKey();
  const data = Buffer.from('to sign');
  const write = async (name: string, bytes: Buffer) => {
    await fs.writeFile(path.join(dir, name), bytes);
    return `cat ${path.join(dir, name)}`;
  };
  const good = new CommandSigner(await write('good.der', signSm2(data, key)), katPublicKey());
  t.is(good.algorithm, 'sm2-sm3');
  t.true(verifySm2(data, await good.sign(data), katPublicKey()));
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const wrong = new CommandSigner(await write('p256.der', sign('sha256', data, p256)), katPublicKey());
  await t.throwsAsync(wrong.sign(data), { message: /does not verify as SM2 with SM3 and distinguishing ID 1234567812345678/ });
  const raw = new CommandSigner(await write('raw.bin', Buffer.from(KAT.r + KAT.s, 'hex')), katPublicKey());
  await t.throwsAsync(raw.sign(data), { message: /64 bytes that are not a DER SM2 signature/ });
});
