import { type KeyObject, createHash, createPublicKey } from 'node:crypto';
import { InputError, oneLine } from '../errors.js';

/**
 * The verifier key of the public Go checksum database, as the go command pins it. A site's own checksum
 * database is named the same way (GOSUMDB's `name+hash+key` form).
 */
export const SUM_GOLANG_ORG_KEY = 'sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8';

/** Names the go command accepts for the public database, each meaning the same key. */
const KNOWN_KEYS: Readonly<Record<string, string>> = {
  'sum.golang.org': SUM_GOLANG_ORG_KEY,
  'sum.golang.google.cn': SUM_GOLANG_ORG_KEY,
};

export interface VerifierKey {
  /** The database's name: the first word of each signature line, and its directory under sumdb/. */
  name: string;
  /** The 4-byte key hash every signature by this key starts with. */
  hash: Buffer;
  publicKey: KeyObject;
  /** The key as written (`name+hash+key`), for the record. */
  text: string;
}

/** Ed25519 is the only algorithm the note format defines (algorithm byte 1). */
const ALG_ED25519 = 0x01;

/**
 * Reads a verifier key in the go command's `name+hash8hex+base64key` form, or a known database's bare name.
 * The base64 key itself may hold `+`, so the text is cut at its first two `+` only.
 */
export function parseVerifierKey(text: string): VerifierKey {
  const full = KNOWN_KEYS[text] ?? text;
  const bad = (why: string) =>
    new InputError(`${oneLine(JSON.stringify(text))} is not a checksum database verifier key: ${why}`, {
      hint: 'give the key in the GOSUMDB form name+hash+key, as the database publishes it (sum.golang.org is known)',
    });
  const first = full.indexOf('+');
  const second = first < 0 ? -1 : full.indexOf('+', first + 1);
  if (first <= 0 || second < 0) throw bad('it has not the form name+hash+key');
  const name = full.slice(0, first);
  const hashHex = full.slice(first + 1, second);
  const keyText = full.slice(second + 1);
  if (/[\s+]/.test(name) || name.includes('\u2014')) throw bad('the name holds a space, a plus or a dash');
  if (!/^[0-9a-f]{8}$/.test(hashHex)) throw bad('the key hash is not 8 lowercase hex digits');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(keyText)) throw bad('the key is not base64');
  const keyData = Buffer.from(keyText, 'base64');
  if (keyData.length !== 33 || keyData[0] !== ALG_ED25519) throw bad('the key is not an Ed25519 key (33 bytes, algorithm 1)');
  const hash = keyHash(name, keyData);
  if (hash.toString('hex') !== hashHex) throw bad(`its hash is ${hash.toString('hex')}, not ${hashHex}`);
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: keyData.subarray(1).toString('base64url') }, format: 'jwk' });
  return { name, hash, publicKey, text: full };
}

/** The first 4 bytes of SHA-256(name "\n" keydata): how a signature names its key. */
export function keyHash(name: string, keyData: Uint8Array): Buffer {
  return createHash('sha256').update(`${name}\n`).update(keyData).digest().subarray(0, 4);
}
