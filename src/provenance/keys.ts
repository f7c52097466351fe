/**
 * Signing keys on disk: ECDSA P-256 (the default) or SM2 key pairs as an encrypted PKCS#8 private key and a
 * PKIX public key (the public half is what `cosign verify-blob-attestation --key`, `openssl dgst -verify` and,
 * for SM2, `openssl pkeyutl -verify` read).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs';

import { InputError } from '../errors.js';
import { SUPPORTED_ALGORITHMS, signatureAlgorithm } from './dsse.js';

export const PASSPHRASE_ENV = 'AIRLOCK_KEY_PASSPHRASE';

const SUPPORTED = `airlock signs and verifies with ${SUPPORTED_ALGORITHMS} keys`;

/** The kinds of key `airlock keygen` writes. */
export const KEY_ALGORITHMS = ['p256', 'sm2'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

/** OpenSSL's names of the curves, as node:crypto takes them ("SM2" is case-sensitive). */
const CURVE_OF: Record<KeyAlgorithm, string> = { p256: 'P-256', sm2: 'SM2' };

export function generateKeyPair(passphrase: string, algorithm: KeyAlgorithm = 'p256'): { privatePem: string; publicPem: string } {
  if (passphrase === '') {
    throw new InputError('refusing to write a private key with an empty passphrase', {
      hint: `set ${PASSPHRASE_ENV} to the passphrase that will protect the key`,
    });
  }
  // Straight to PEM: an SM2 key object fresh from generateKeyPairSync would sign as plain ECDSA until reloaded.
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: CURVE_OF[algorithm],
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase },
  });
  return { privatePem: privateKey, publicPem: publicKey };
}

function exists(file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new InputError(`cannot check ${file}: ${(error as Error).message}`);
  }
}

function writeNew(file: string, contents: string, mode: number): void {
  try {
    // 'wx' fails if the file appeared since the check, so an existing key is never truncated.
    fs.writeFileSync(file, contents, { flag: 'wx', mode });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw refuseOverwrite(file);
    throw new InputError(`cannot write ${file}: ${(error as Error).message}`, {
      hint: code === 'ENOENT' ? 'create the directory first' : undefined,
    });
  }
}

function refuseOverwrite(file: string): InputError {
  return new InputError(`${file} already exists; airlock does not overwrite keys`, {
    hint: 'choose another path, or remove the old key yourself if it is no longer needed',
  });
}

/** Generates a key pair and writes it, private key readable by the owner only; never replaces an existing file. */
export function writeKeyPair(privatePath: string, publicPath: string, passphrase: string, algorithm: KeyAlgorithm = 'p256'): void {
  if (privatePath === publicPath) throw new InputError(`the private and public key paths are the same (${privatePath})`);
  for (const file of [privatePath, publicPath]) {
    if (exists(file)) throw refuseOverwrite(file);
  }
  const { privatePem, publicPem } = generateKeyPair(passphrase, algorithm);
  writeNew(privatePath, privatePem, 0o600);
  try {
    writeNew(publicPath, publicPem, 0o644);
  } catch (error) {
    // A private key without its public half is of no use and would block the retry.
    fs.rmSync(privatePath, { force: true });
    throw error;
  }
}

function readKeyFile(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${what} ${file} does not exist`, { hint: 'check the path' });
    throw new InputError(`cannot read ${what} ${file}: ${(error as Error).message}`);
  }
}

/** The label of the first PEM block, e.g. "PUBLIC KEY", or undefined when there is none. */
function firstPemLabel(text: string): string | undefined {
  return /-----BEGIN ([A-Z0-9 ]+)-----/.exec(text)?.[1];
}

function unsupportedKey(file: string, key: KeyObject): InputError {
  const type = key.asymmetricKeyType ?? 'unknown';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const what = curve === undefined ? type : `${type}, curve ${curve}`;
  return new InputError(`${file} holds an unsupported key type (${what}); ${SUPPORTED}`, {
    hint: 'generate a key with airlock keygen',
  });
}

function loadPrivateKeyText(text: string, file: string, passphrase: string | undefined): KeyObject {
  const label = firstPemLabel(text);
  if (label === undefined) {
    throw new InputError(`${file} is not a PEM private key`, { hint: 'pass the private key file written by airlock keygen' });
  }
  if (label.endsWith('SIGSTORE PRIVATE KEY') || label.endsWith('COSIGN PRIVATE KEY')) {
    throw new InputError(`${file} is a cosign private key, which airlock cannot read`, {
      hint: 'sign with a key made by airlock keygen (cosign verifies its signatures with the .pub file)',
    });
  }
  if (!label.endsWith('PRIVATE KEY')) {
    throw new InputError(`${file} is not a private key (its PEM block is "${label}")`, {
      hint: label === 'PUBLIC KEY' ? 'signing needs the private key; the public key is for verifying' : undefined,
    });
  }
  // PKCS#8 says so in its label, traditional "EC PRIVATE KEY" files in a Proc-Type header.
  const encrypted = label === 'ENCRYPTED PRIVATE KEY' || /^Proc-Type:\s*4,ENCRYPTED/m.test(text);
  if (encrypted && (passphrase === undefined || passphrase === '')) {
    throw new InputError(`${file} is encrypted and ${PASSPHRASE_ENV} is not set`, {
      hint: `export ${PASSPHRASE_ENV} with the passphrase given when the key was made`,
    });
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(encrypted ? { key: text, format: 'pem', passphrase } : { key: text, format: 'pem' });
  } catch (error) {
    // OpenSSL's reason ("bad decrypt") is kept as the cause, shown with --debug only: the message says it all.
    if (encrypted) {
      throw new InputError(`the passphrase in ${PASSPHRASE_ENV} does not decrypt ${file}`, {
        hint: `export ${PASSPHRASE_ENV} with the passphrase given when the key was made`,
        cause: error,
      });
    }
    throw new InputError(`${file} is not a readable private key`, { hint: 'the PEM block is damaged; use the file as airlock keygen wrote it', cause: error });
  }
  if (signatureAlgorithm(key) === undefined) throw unsupportedKey(file, key);
  return key;
}

/** Reads a PEM private key; encrypted keys need the passphrase (normally from AIRLOCK_KEY_PASSPHRASE). */
export function loadPrivateKey(file: string, passphrase: string | undefined): KeyObject {
  return loadPrivateKeyText(readKeyFile(file, 'private key'), file, passphrase);
}

function loadPublicKeyText(text: string, file: string): KeyObject {
  const label = firstPemLabel(text);
  // Node would derive a public key from a private one; a private key where a public one belongs is a mistake to report.
  if (label !== 'PUBLIC KEY') {
    const found = label === undefined ? 'it has no PEM block' : `its PEM block is "${label}"`;
    throw new InputError(`${file} is not a PEM public key (${found})`, {
      hint: label?.endsWith('PRIVATE KEY')
        ? 'pass the public key (.pub), never the private key'
        : 'pass a PKIX "BEGIN PUBLIC KEY" file such as the .pub written by airlock keygen or cosign generate-key-pair',
    });
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: 'pem', type: 'spki' });
  } catch (error) {
    throw new InputError(`${file} is not a readable public key`, {
      hint: 'the PEM block is damaged; use the .pub file as it was written',
      cause: error,
    });
  }
  if (signatureAlgorithm(key) === undefined) throw unsupportedKey(file, key);
  return key;
}

/** Reads a PKIX ("BEGIN PUBLIC KEY") PEM public key. */
export function loadPublicKey(file: string): KeyObject {
  return loadPublicKeyText(readKeyFile(file, 'public key'), file);
}

/** Hex SHA-256 of the public key's PKIX DER, for reports; a private key gives its public half's. */
export function publicKeyFingerprint(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}
