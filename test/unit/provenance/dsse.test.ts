import { generateKeyPairSync, sign } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';
import * as fc from 'fast-check';

import { VerificationError } from '../../../src/errors.js';
import {
  decodeBase64Strict,
  decodePayload,
  IN_TOTO_PAYLOAD_TYPE,
  pae,
  parseEnvelopeLine,
  parseEnvelopeLines,
  serializeEnvelope,
  signEnvelope,
  verifyEnvelopeSignature,
  type DsseEnvelope,
} from '../../../src/provenance/dsse.js';
import { loadPublicKey } from '../../../src/provenance/keys.js';
import { KeySigner } from '../../../src/provenance/signers.js';
import { run, tempDir } from '../../helpers/host-tools.js';

const STATEMENT = Buffer.from('{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"https://slsa.dev/provenance/v1"}');

function ecKeys() {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

async function openssl(t: { fail(message: string): void }, args: string[], cwd: string): Promise<string> {
  const result = await run('openssl', args, { cwd });
  if (result.code !== 0) t.fail(`openssl ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

test('PAE matches the DSSE specification test vector', (t) => {
  t.is(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString('latin1'), 'DSSEv1 29 http://example.com/HelloWorld 11 hello world');
});

test('PAE lengths count UTF-8 bytes, not characters', (t) => {
  const encoded = pae('tÿpe', Buffer.from('héllo ✓', 'utf8'));
  t.deepEqual(encoded, Buffer.concat([Buffer.from('DSSEv1 5 '), Buffer.from('tÿpe', 'utf8'), Buffer.from(' 10 '), Buffer.from('héllo ✓', 'utf8')]));
  t.is(pae('', new Uint8Array()).toString('latin1'), 'DSSEv1 0  0 ');
});

test('a signed envelope verifies and hands back the payload bytes', async (t) => {
  const { privateKey, publicKey } = ecKeys();
  const env = await signEnvelope(STATEMENT, IN_TOTO_PAYLOAD_TYPE, new KeySigner(privateKey));
  t.is(env.payload, STATEMENT.toString('base64'));
  t.is(env.payloadType, IN_TOTO_PAYLOAD_TYPE);
  t.is(env.signatures.length, 1);
  t.is(env.signatures[0]?.keyid, '');
  t.deepEqual(verifyEnvelopeSignature(env, publicKey), { ok: true, payload: STATEMENT });
  t.deepEqual(decodePayload(env), STATEMENT);
});

test('an Ed25519-signed envelope verifies', async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const env = await signEnvelope(STATEMENT, IN_TOTO_PAYLOAD_TYPE, new KeySigner(privateKey));
  t.is(Buffer.from(env.signatures[0]!.sig, 'base64').length, 64);
  t.true(verifyEnvelopeSignature(env, publicKey).ok);
  t.false(verifyEnvelopeSignature(env, generateKeyPairSync('ed25519').publicKey).ok);
});

test('tampering, another key, or another payloadType fail with a reason', async (t) => {
  const { privateKey, publicKey } = ecKeys();
  const env = await signEnvelope(STATEMENT, IN_TOTO_PAYLOAD_TYPE, new KeySigner(privateKey));

  const flipped = Buffer.from(STATEMENT);
  flipped[10] = flipped[10]! ^ 0x01;
  const cases: Record<string, DsseEnvelope> = {
    'flipped payload byte': { ...env, payload: flipped.toString('base64') },
    'swapped payloadType': { ...env, payloadType: 'application/vnd.in-toto.provenance+json' },
  };
  for (const [name, tampered] of Object.entries(cases)) {
    const result = verifyEnvelopeSignature(tampered, publicKey);
    t.false(result.ok, name);
    if (!result.ok) t.regex(result.reason, /^the signature does not verify with this public key/, name);
  }
  const other = verifyEnvelopeSignature(env, ecKeys().publicKey);
  t.false(other.ok);
  if (!other.ok) t.regex(other.reason, /does not verify/);

  const twice = { ...env, signatures: [env.signatures[0]!, env.signatures[0]!] };
  const both = verifyEnvelopeSignature({ ...twice, payloadType: 'x' }, publicKey);
  t.deepEqual(both, { ok: false, reason: 'none of the 2 signatures verify with this public key over the payload and payloadType "x"' });
});

test('an unsigned envelope reports that it has no signature', async (t) => {
  const env = await signEnvelope(STATEMENT, IN_TOTO_PAYLOAD_TYPE, undefined);
  t.deepEqual(env.signatures, []);
  t.deepEqual(verifyEnvelopeSignature(env, ecKeys().publicKey), {
    ok: false,
    reason: 'the envelope has no signatures (it was written unsigned)',
  });
});

test('one good signature among bad ones is enough; keyids are ignored', async (t) => {
  const { privateKey, publicKey } = ecKeys();
  const env = await signEnvelope(STATEMENT, IN_TOTO_PAYLOAD_TYPE, new KeySigner(privateKey));
  const bogus = { keyid: 'SHA256:whatever', sig: Buffer.alloc(70, 1).toString('base64') };
  const good = { ...env.signatures[0]!, keyid: 'not-this-key' };
  t.true(verifyEnvelopeSignature({ ...env, signatures: [bogus, good] }, publicKey).ok);
});

test('URL-safe base64 and r||s ECDSA signatures are accepted', async (t) => {
  const { privateKey, publicKey } = ecKeys();
  const p1363 = sign('sha256', pae(IN_TOTO_PAYLOAD_TYPE, STATEMENT), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const env: DsseEnvelope = {
    payload: STATEMENT.toString('base64url'),
    payloadType: IN_TOTO_PAYLOAD_TYPE,
    signatures: [{ keyid: '', sig: p1363.toString('base64url') }],
  };
  const parsed = parseEnvelopeLine(JSON.stringify(env), 'url-safe.json');
  t.deepEqual(verifyEnvelopeSignature(parsed, publicKey), { ok: true, payload: STATEMENT });
});

test('an unsupported key is reported, not thrown', async (t) => {
  const env = await signEnvelope(STATEMENT, IN_TOTO_PAYLOAD_TYPE, new KeySigner(ecKeys().privateKey));
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
  const result = verifyEnvelopeSignature(env, rsa);
  t.false(result.ok);
  if (!result.ok) t.regex(result.reason, /only ECDSA P-256, SM2 \(with SM3\) or Ed25519/);
});

test('openssl verifies an envelope signature over the PAE', async (t) => {
  const dir = await tempDir(t, 'airlock-dsse-');
  const { privateKey, publicKey } = ecKeys();
  const env = await signEnvelope(STATEMENT, IN_TOTO_PAYLOAD_TYPE, new KeySigner(privateKey));
  await fs.writeFile(path.join(dir, 'pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
  await fs.writeFile(path.join(dir, 'sig.der'), Buffer.from(env.signatures[0]!.sig, 'base64'));
  await fs.writeFile(path.join(dir, 'pae.bin'), pae(env.payloadType, decodePayload(env)));
  const out = await openssl(t, ['dgst', '-sha256', '-verify', 'pub.pem', '-signature', 'sig.der', 'pae.bin'], dir);
  t.is(out.trim(), 'Verified OK');

  await fs.writeFile(path.join(dir, 'pae.bin'), pae('application/json', decodePayload(env)));
  t.not((await run('openssl', ['dgst', '-sha256', '-verify', 'pub.pem', '-signature', 'sig.der', 'pae.bin'], { cwd: dir })).code, 0);
});

test('an envelope signed with openssl verifies', async (t) => {
  const dir = await tempDir(t, 'airlock-dsse-');
  await openssl(t, ['ecparam', '-genkey', '-name', 'prime256v1', '-noout', '-out', 'ec.pem'], dir);
  await openssl(t, ['pkcs8', '-topk8', '-nocrypt', '-in', 'ec.pem', '-out', 'key.pem'], dir);
  await openssl(t, ['pkey', '-in', 'key.pem', '-pubout', '-out', 'pub.pem'], dir);
  await fs.writeFile(path.join(dir, 'pae.bin'), pae(IN_TOTO_PAYLOAD_TYPE, STATEMENT));
  await openssl(t, ['dgst', '-sha256', '-sign', 'key.pem', '-out', 'sig.der', 'pae.bin'], dir);

  const env: DsseEnvelope = {
    payload: STATEMENT.toString('base64'),
    payloadType: IN_TOTO_PAYLOAD_TYPE,
    signatures: [{ keyid: '', sig: (await fs.readFile(path.join(dir, 'sig.der'))).toString('base64') }],
  };
  const publicKey = loadPublicKey(path.join(dir, 'pub.pem'));
  const line = serializeEnvelope(env);
  t.deepEqual(verifyEnvelopeSignature(parseEnvelopeLine(line, 'openssl.intoto.jsonl'), publicKey), { ok: true, payload: STATEMENT });
});

test('serialized envelope line (golden)', async (t) => {
  const env = await signEnvelope(Buffer.from('{"hello":"wörld"}'), IN_TOTO_PAYLOAD_TYPE, undefined);
  const line = serializeEnvelope(env);
  t.snapshot(line, '.intoto.jsonl line, unsigned');
  t.true(line.endsWith('}\n'));
  t.is(line.indexOf('\n'), line.length - 1);
  t.deepEqual(Object.keys(JSON.parse(line) as object), ['payload', 'payloadType', 'signatures']);
  t.deepEqual(parseEnvelopeLine(line, 'x'), env);
});

test('parseEnvelopeLine fills in a missing keyid and drops unknown fields', (t) => {
  const text = JSON.stringify({ payloadType: 't', extra: 1, payload: 'aGk=', signatures: [{ sig: 'AAAA', note: 'x' }] });
  t.deepEqual(parseEnvelopeLine(text, 'x'), { payload: 'aGk=', payloadType: 't', signatures: [{ keyid: '', sig: 'AAAA' }] });
});

test('malformed envelopes are VerificationErrors naming the source and the problem (golden)', async (t) => {
  const real = serializeEnvelope(await signEnvelope(STATEMENT, IN_TOTO_PAYLOAD_TYPE, new KeySigner(ecKeys().privateKey)));
  const cases: Record<string, string> = {
    'empty': '',
    'blank': '  \n',
    'garbage': 'hello, world',
    'open brace': '{',
    'truncated line': real.slice(0, real.length - 20),
    'array': '[]',
    'null': 'null',
    'payload a number': '{"payload":1}',
    'payload missing': '{"payloadType":"t","signatures":[]}',
    'payloadType missing': '{"payload":"","signatures":[]}',
    'signatures missing': '{"payload":"","payloadType":"t"}',
    'signatures an object': '{"payload":"","payloadType":"t","signatures":{}}',
    'payload not base64': '{"payload":"aGk*","payloadType":"t","signatures":[]}',
    'payload bad padding': '{"payload":"aGk==","payloadType":"t","signatures":[]}',
    'payload mixed alphabets': '{"payload":"a+b_","payloadType":"t","signatures":[]}',
    'signature not an object': '{"payload":"","payloadType":"t","signatures":["AAAA"]}',
    'sig missing': '{"payload":"","payloadType":"t","signatures":[{"keyid":""}]}',
    'sig not base64': '{"payload":"","payloadType":"t","signatures":[{"sig":"%%%%"}]}',
    'keyid a number': '{"payload":"","payloadType":"t","signatures":[{"keyid":7,"sig":""}]}',
  };
  for (const [name, text] of Object.entries(cases)) {
    const error = t.throws(() => parseEnvelopeLine(text, 'dist/app.intoto.jsonl'), { instanceOf: VerificationError }, name);
    t.true(error?.message.startsWith('dist/app.intoto.jsonl is not a DSSE envelope: '), name);
    t.snapshot(error?.message, name);
  }
});

test('parseEnvelopeLines reads every non-blank line and names the bad one', async (t) => {
  const a = await signEnvelope(Buffer.from('a'), IN_TOTO_PAYLOAD_TYPE, undefined);
  const b = await signEnvelope(Buffer.from('b'), IN_TOTO_PAYLOAD_TYPE, new KeySigner(ecKeys().privateKey));
  const text = `${serializeEnvelope(a)}\n  \r\n${serializeEnvelope(b).replace('\n', '\r\n')}`;
  t.deepEqual(parseEnvelopeLines(text, 'x.jsonl'), [a, b]);
  const error = t.throws(() => parseEnvelopeLines(`${serializeEnvelope(a)}{"payload":"\n`, 'x.jsonl'), { instanceOf: VerificationError });
  t.is(error?.message, 'x.jsonl:2 is not a DSSE envelope: it is not valid JSON');
  t.throws(() => parseEnvelopeLines('\n\n', 'x.jsonl'), { instanceOf: VerificationError, message: 'x.jsonl is not a DSSE envelope: it is empty' });
});

test('decodeBase64Strict takes standard and URL-safe base64 and nothing else', (t) => {
  t.deepEqual(decodeBase64Strict('+/+/'), Buffer.from([0xfb, 0xff, 0xbf]));
  t.deepEqual(decodeBase64Strict('-_-_'), Buffer.from([0xfb, 0xff, 0xbf]));
  t.deepEqual(decodeBase64Strict('aGk='), Buffer.from('hi'));
  t.deepEqual(decodeBase64Strict('aGk'), Buffer.from('hi'));
  t.deepEqual(decodeBase64Strict(''), Buffer.alloc(0));
  for (const bad of ['aGk==', 'aG=k', 'a', 'aGl=', ' aGk=', 'aGk=\n', '+/-_', '====', 'aGk=aGk=']) {
    t.is(decodeBase64Strict(bad), undefined, bad);
  }
});

test('decodePayload throws a VerificationError for a payload that is not base64', (t) => {
  t.throws(() => decodePayload({ payload: '!!', payloadType: 't', signatures: [] }), { instanceOf: VerificationError });
});

test('property: parsing any string throws nothing but VerificationError', async (t) => {
  const real = serializeEnvelope(await signEnvelope(STATEMENT, IN_TOTO_PAYLOAD_TYPE, new KeySigner(ecKeys().privateKey)));
  const onlyVerificationErrors = (text: string): boolean => {
    try {
      parseEnvelopeLine(text, 'fuzz');
      parseEnvelopeLines(text, 'fuzz');
    } catch (error) {
      if (!(error instanceof VerificationError)) throw error;
    }
    return true;
  };
  const jsonish = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.json(),
    fc.record({
      payload: fc.oneof(fc.base64String(), fc.string(), fc.integer()),
      payloadType: fc.oneof(fc.string(), fc.constant(null)),
      signatures: fc.oneof(
        fc.array(fc.record({ keyid: fc.oneof(fc.string(), fc.integer()), sig: fc.oneof(fc.base64String(), fc.string()) }, { requiredKeys: [] })),
        fc.anything(),
      ),
    }, { requiredKeys: [] }).map((value) => JSON.stringify(value)),
    fc.tuple(fc.nat(real.length), fc.nat(real.length), fc.string({ maxLength: 3 })).map(
      ([at, end, insert]) => real.slice(0, at) + insert + real.slice(Math.max(at, end)),
    ),
  );
  t.notThrows(() => fc.assert(fc.property(jsonish, onlyVerificationErrors), { numRuns: 2000 }));
});
