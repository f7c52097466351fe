/**
 * SM2 signatures with SM3 (GB/T 32918.2, GB/T 32905), in the format GB/T 35276 fixes: DER SEQUENCE{r, s}
 * over e = SM3(Z ‖ M), Z computed with the default distinguishing ID "1234567812345678".
 *
 * Why not node:crypto alone: on Node 20 it signs SM2 only with an EMPTY distinguishing ID, offers no way to
 * set one, and cannot verify standard-ID signatures (shared/reference/sm2-sm3-signatures.md, §1.3). The
 * signature equations come from sm-crypto-v2 (SM2 curve on @noble/curves' audited Weierstrass arithmetic);
 * node:crypto still reads and writes the keys (PKCS#8 / SPKI PEM, byte-identical to openssl's). This module
 * only moves key bytes between the two and checks what the library leaves unchecked (DER shape, ranges).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';

import { createRequire } from 'node:module';

type Sm2Library = typeof import('sm-crypto-v2').sm2;
let sm2Library: Sm2Library | undefined;
/** sm-crypto-v2, loaded the first time an SM2 key is used: most runs never sign or verify with SM2 (~60 ms saved). */
function sm2(): Sm2Library {
  sm2Library ??= (createRequire(import.meta.url)('sm-crypto-v2') as typeof import('sm-crypto-v2')).sm2;
  return sm2Library;
}

/** The distinguishing ID GB/T 35276 §10 prescribes "without special agreement"; openssl needs it spelled out before 4.0. */
export const SM2_DISTINGUISHING_ID = '1234567812345678';

/** DER of the curve OID 1.2.156.10197.1.301 (sm2p256v1), as it stands in an SPKI or PKCS#8 AlgorithmIdentifier. */
const SM2_CURVE_OID = Buffer.from('06082a811ccf5501822d', 'hex');

/** The order n of the SM2 base point (GB/T 32918.5). */
const SM2_ORDER = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;

function spkiOf(key: KeyObject): Buffer {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return publicKey.export({ type: 'spki', format: 'der' });
}

/**
 * Whether the key is on the SM2 curve. Node names a freshly generated SM2 key 'ec' but one read from PEM
 * has no asymmetricKeyType at all, so the curve OID in the SPKI is what tells.
 */
export function isSm2Key(key: KeyObject): boolean {
  if (key.type === 'secret') return false;
  if (key.asymmetricKeyType !== undefined && key.asymmetricKeyType !== 'ec') return false;
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve !== 'SM2') return false;
  try {
    const spki = spkiOf(key);
    // The AlgorithmIdentifier comes first, so the OID lies within its first bytes; the point after it is random.
    return spki.subarray(0, 32).includes(SM2_CURVE_OID);
  } catch {
    return false;
  }
}

/** One DER element: its tag, and where its contents start and end in the buffer. */
interface DerElement {
  tag: number;
  start: number;
  end: number;
}

/** Reads the DER element at `at`, or undefined when the bytes are not one (definite, minimal lengths only). */
function readDer(bytes: Uint8Array, at: number, limit = bytes.length): DerElement | undefined {
  const tag = bytes[at];
  let length = bytes[at + 1];
  if (tag === undefined || length === undefined) return undefined;
  let start = at + 2;
  if (length >= 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 2) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) {
      const byte = bytes[start + i];
      if (byte === undefined) return undefined;
      length = length * 256 + byte;
    }
    if (length < 0x80 || (count === 2 && length < 0x100)) return undefined;
    start += count;
  }
  const end = start + length;
  return end > limit ? undefined : { tag, start, end };
}

/** The 65-byte uncompressed point 04‖x‖y of an SM2 public key, as hex. */
export function sm2PublicPointHex(key: KeyObject): string {
  const spki = spkiOf(key);
  // SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier, BIT STRING (0 unused bits) 04‖x‖y }.
  const point = spki.subarray(spki.length - 65);
  if (point[0] !== 0x04) throw new Error('the SM2 public key is not an uncompressed point');
  return point.toString('hex');
}

/** The private scalar d of an SM2 key, as 64 hex digits, read from its PKCS#8 (never from SEC1: that export aborts node). */
function sm2PrivateScalarHex(key: KeyObject): string {
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  // PrivateKeyInfo ::= SEQUENCE { INTEGER 0, AlgorithmIdentifier, OCTET STRING ECPrivateKey };
  // ECPrivateKey ::= SEQUENCE { INTEGER 1, OCTET STRING d, ... }.
  const outer = readDer(pkcs8, 0);
  const version = outer && readDer(pkcs8, outer.start, outer.end);
  const algorithm = version && readDer(pkcs8, version.end, outer.end);
  const wrapped = algorithm && readDer(pkcs8, algorithm.end, outer.end);
  const inner = wrapped && wrapped.tag === 0x04 ? readDer(pkcs8, wrapped.start, wrapped.end) : undefined;
  const innerVersion = inner && readDer(pkcs8, inner.start, inner.end);
  const scalar = innerVersion && readDer(pkcs8, innerVersion.end, inner.end);
  if (!scalar || scalar.tag !== 0x04 || scalar.end - scalar.start > 32) throw new Error('the SM2 private key is not a PKCS#8 EC private key');
  return Buffer.from(pkcs8.subarray(scalar.start, scalar.end)).toString('hex').padStart(64, '0');
}

/** An unsigned big-endian INTEGER's value when its DER is minimal and positive, else undefined. */
function derPositiveInteger(bytes: Uint8Array, element: DerElement): bigint | undefined {
  if (element.tag !== 0x02 || element.end === element.start) return undefined;
  const first = bytes[element.start]!;
  if (first & 0x80) return undefined;
  if (first === 0 && element.end - element.start > 1 && !(bytes[element.start + 1]! & 0x80)) return undefined;
  return BigInt(`0x${Buffer.from(bytes.subarray(element.start, element.end)).toString('hex')}`);
}

/** r and s of a DER SM2Signature, each in [1, n-1], or undefined for anything else (no BER leniency: one encoding per signature). */
export function parseSm2Signature(signature: Uint8Array): { r: bigint; s: bigint } | undefined {
  const sequence = readDer(signature, 0);
  if (!sequence || sequence.tag !== 0x30 || sequence.end !== signature.length) return undefined;
  const rElement = readDer(signature, sequence.start, sequence.end);
  const sElement = rElement && readDer(signature, rElement.end, sequence.end);
  if (!rElement || !sElement || sElement.end !== sequence.end) return undefined;
  const r = derPositiveInteger(signature, rElement);
  const s = derPositiveInteger(signature, sElement);
  if (r === undefined || s === undefined) return undefined;
  if (r < 1n || r >= SM2_ORDER || s < 1n || s >= SM2_ORDER) return undefined;
  return { r, s };
}

/** Signs data with SM2/SM3 and the standard distinguishing ID; the DER SM2Signature. */
export function signSm2(data: Uint8Array, privateKey: KeyObject): Buffer {
  const signature = sm2().doSignature(data, sm2PrivateScalarHex(privateKey), {
    hash: true,
    der: true,
    publicKey: sm2PublicPointHex(privateKey),
    userId: SM2_DISTINGUISHING_ID,
  });
  return Buffer.from(signature, 'hex');
}

/** Whether signature is a DER SM2/SM3 signature of data by publicKey under the standard distinguishing ID. */
export function verifySm2(data: Uint8Array, signature: Uint8Array, publicKey: KeyObject): boolean {
  const parsed = parseSm2Signature(signature);
  if (parsed === undefined) return false;
  const raw = parsed.r.toString(16).padStart(64, '0') + parsed.s.toString(16).padStart(64, '0');
  try {
    return sm2().doVerifySignature(data, raw, sm2PublicPointHex(publicKey), { hash: true, userId: SM2_DISTINGUISHING_ID });
  } catch {
    // A point that is not on the curve, for one, makes the library throw rather than return false.
    return false;
  }
}
