/**
 * DSSE v1 envelopes (secure-systems-lab/dsse): the pre-authentication encoding that is actually signed,
 * building and serializing envelopes as .intoto.jsonl lines, strict parsing, and signature verification.
 * No file or process I/O here; keys arrive as KeyObjects and signing goes through a Signer.
 */
import { verify, type KeyObject } from 'node:crypto';

import { VerificationError } from '../errors.js';
import { isSm2Key, verifySm2 } from './sm2.js';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export interface DsseSignature {
  /** An unauthenticated hint; '' because cosign and sigstore-go skip signatures whose keyid they do not compute themselves. */
  keyid: string;
  /** Standard base64 with padding of the signature bytes (DER for ECDSA). */
  sig: string;
}

export interface DsseEnvelope {
  /** Standard base64 with padding of the payload bytes. */
  payload: string;
  payloadType: string;
  signatures: DsseSignature[];
}

export interface Signer {
  /** Signs data (the whole PAE for envelopes); ECDSA and SM2 signatures are DER-encoded, Ed25519 ones the raw 64 bytes. */
  sign(data: Buffer): Promise<Buffer>;
  readonly keyid: string;
  /**
   * The algorithm its signatures use, when known: a key file tells, a signer command only through --signer-pub.
   * An SM2 release carries SM3SUMS beside SHA256SUMS, so the build must know.
   */
  readonly algorithm: SignatureAlgorithm | undefined;
}

export type SignatureAlgorithm = 'ecdsa-p256-sha256' | 'ed25519' | 'sm2-sm3';

/** The algorithm airlock uses with this key, or undefined for keys it does not sign or verify with. */
export function signatureAlgorithm(key: KeyObject): SignatureAlgorithm | undefined {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ecdsa-p256-sha256';
  if (isSm2Key(key)) return 'sm2-sm3';
  return undefined;
}

/** The algorithms by name, for messages. */
export const SUPPORTED_ALGORITHMS = 'ECDSA P-256, SM2 (with SM3) or Ed25519';

/** DSSEv1 pre-authentication encoding: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in bytes. */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'ascii'),
    type,
    Buffer.from(` ${payload.length} `, 'ascii'),
    payload,
  ]);
}

const STANDARD_ALPHABET = /^[A-Za-z0-9+/]*$/;
const URL_SAFE_ALPHABET = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes standard or URL-safe base64 (padding optional, but if present it must be complete), or returns
 * undefined. Buffer.from alone skips characters it does not know, so it would take any string.
 */
export function decodeBase64Strict(text: string): Buffer | undefined {
  const unpadded = text.replace(/={1,2}$/, '');
  if (unpadded.length !== text.length && text.length % 4 !== 0) return undefined;
  if (unpadded.length % 4 === 1) return undefined;
  let encoding: 'base64' | 'base64url';
  if (STANDARD_ALPHABET.test(unpadded)) encoding = 'base64';
  else if (URL_SAFE_ALPHABET.test(unpadded)) encoding = 'base64url';
  else return undefined;
  const bytes = Buffer.from(unpadded, encoding);
  // Non-zero leftover bits in the last character would let two different strings stand for the same bytes.
  if (bytes.toString(encoding).replace(/=+$/, '') !== unpadded) return undefined;
  return bytes;
}

export async function signEnvelope(payload: Uint8Array, payloadType: string, signer: Signer | undefined): Promise<DsseEnvelope> {
  const signatures: DsseSignature[] = [];
  if (signer !== undefined) {
    const sig = await signer.sign(pae(payloadType, payload));
    signatures.push({ keyid: signer.keyid, sig: sig.toString('base64') });
  }
  return { payload: Buffer.from(payload).toString('base64'), payloadType, signatures };
}

/** One .intoto.jsonl line. */
export function serializeEnvelope(env: DsseEnvelope): string {
  const ordered = {
    payload: env.payload,
    payloadType: env.payloadType,
    signatures: env.signatures.map((signature) => ({ keyid: signature.keyid, sig: signature.sig })),
  };
  return `${JSON.stringify(ordered)}\n`;
}

function notAnEnvelope(source: string, what: string, details?: string): VerificationError {
  return new VerificationError(`${source} is not a DSSE envelope: ${what}`, {
    hint: 'pass the .intoto.jsonl file airlock wrote (one JSON envelope per line), unmodified',
    details,
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Parses one envelope (a .intoto.jsonl line or a standalone .json envelope); unknown fields are dropped. */
export function parseEnvelopeLine(text: string, source: string): DsseEnvelope {
  if (text.trim() === '') throw notAnEnvelope(source, 'it is empty');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw notAnEnvelope(source, 'it is not valid JSON', error instanceof Error ? error.message : String(error));
  }
  if (!isRecord(value)) throw notAnEnvelope(source, `expected a JSON object, found ${describeType(value)}`);

  const { payload, payloadType, signatures } = value;
  if (payload === undefined) throw notAnEnvelope(source, 'the "payload" field is missing');
  if (typeof payload !== 'string') throw notAnEnvelope(source, `"payload" must be a string, found ${describeType(payload)}`);
  if (decodeBase64Strict(payload) === undefined) throw notAnEnvelope(source, '"payload" is not valid base64');
  if (payloadType === undefined) throw notAnEnvelope(source, 'the "payloadType" field is missing');
  if (typeof payloadType !== 'string') throw notAnEnvelope(source, `"payloadType" must be a string, found ${describeType(payloadType)}`);
  if (signatures === undefined) throw notAnEnvelope(source, 'the "signatures" field is missing');
  if (!Array.isArray(signatures)) throw notAnEnvelope(source, `"signatures" must be an array, found ${describeType(signatures)}`);

  const parsed: DsseSignature[] = signatures.map((entry: unknown, index) => {
    const where = `signatures[${index}]`;
    if (!isRecord(entry)) throw notAnEnvelope(source, `${where} must be an object, found ${describeType(entry)}`);
    const { keyid, sig } = entry;
    if (sig === undefined) throw notAnEnvelope(source, `${where} has no "sig" field`);
    if (typeof sig !== 'string') throw notAnEnvelope(source, `${where}.sig must be a string, found ${describeType(sig)}`);
    if (decodeBase64Strict(sig) === undefined) throw notAnEnvelope(source, `${where}.sig is not valid base64`);
    // DSSE: an unset keyid means the same as an empty one.
    if (keyid !== undefined && typeof keyid !== 'string') {
      throw notAnEnvelope(source, `${where}.keyid must be a string, found ${describeType(keyid)}`);
    }
    return { keyid: keyid ?? '', sig };
  });
  return { payload, payloadType, signatures: parsed };
}

/** Parses every non-blank line of a .intoto.jsonl file; errors name the line as SOURCE:N. */
export function parseEnvelopeLines(text: string, source: string): DsseEnvelope[] {
  const envelopes: DsseEnvelope[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() !== '') envelopes.push(parseEnvelopeLine(line, `${source}:${index + 1}`));
  });
  if (envelopes.length === 0) throw notAnEnvelope(source, 'it is empty');
  return envelopes;
}

/** The payload bytes, unverified. After verification use the bytes verifyEnvelopeSignature returns instead. */
export function decodePayload(env: DsseEnvelope): Buffer {
  const bytes = decodeBase64Strict(env.payload);
  if (bytes === undefined) throw new VerificationError('the DSSE envelope payload is not valid base64');
  return bytes;
}

/**
 * Whether signature is a valid signature of data under publicKey: ECDSA P-256 with SHA-256 (DER, or the
 * 64-byte r||s form the DSSE reference vectors use), SM2 with SM3 and the standard distinguishing ID (DER
 * only, as GB/T 35276 has it), or pure Ed25519. False for unsupported keys.
 */
export function verifySignatureBytes(data: Uint8Array, signature: Uint8Array, publicKey: KeyObject): boolean {
  const algorithm = signatureAlgorithm(publicKey);
  try {
    if (algorithm === 'ed25519') return verify(null, data, publicKey, signature);
    if (algorithm === 'sm2-sm3') return verifySm2(data, signature, publicKey);
    if (algorithm === 'ecdsa-p256-sha256') {
      if (verify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, signature)) return true;
      return signature.length === 64 && verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
    }
  } catch {
    // OpenSSL rejects some malformed signatures by throwing rather than returning false.
    return false;
  }
  return false;
}

export type EnvelopeVerification = { ok: true; payload: Buffer } | { ok: false; reason: string };

/** Checks that at least one signature verifies over the PAE; keyids are hints and are not consulted. */
export function verifyEnvelopeSignature(env: DsseEnvelope, publicKey: KeyObject): EnvelopeVerification {
  const algorithm = signatureAlgorithm(publicKey);
  if (algorithm === undefined) {
    const type = publicKey.asymmetricKeyType ?? publicKey.type;
    return { ok: false, reason: `the public key is ${type}, but only ${SUPPORTED_ALGORITHMS} keys are supported` };
  }
  const payload = decodeBase64Strict(env.payload);
  if (payload === undefined) return { ok: false, reason: 'the payload is not valid base64' };
  if (env.signatures.length === 0) return { ok: false, reason: 'the envelope has no signatures (it was written unsigned)' };
  const signed = pae(env.payloadType, payload);
  for (const { sig } of env.signatures) {
    const signature = decodeBase64Strict(sig);
    if (signature !== undefined && verifySignatureBytes(signed, signature, publicKey)) return { ok: true, payload };
  }
  const which = env.signatures.length === 1 ? 'the signature does not' : `none of the ${env.signatures.length} signatures`;
  return { ok: false, reason: `${which} verify with this public key over the payload and payloadType "${env.payloadType}"` };
}
