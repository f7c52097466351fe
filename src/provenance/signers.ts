/**
 * Signers: a private key held by airlock, or an external command for keys that never leave an HSM or KMS.
 * Both produce what cosign and openssl expect: DER ECDSA over SHA-256 (raw 64 bytes for Ed25519).
 */
import { sign, type KeyObject } from 'node:crypto';

import { execa } from 'execa';

import { InputError, VerificationError } from '../errors.js';
import { SUPPORTED_ALGORITHMS, decodeBase64Strict, signatureAlgorithm, verifySignatureBytes, type SignatureAlgorithm, type Signer } from './dsse.js';
import { publicKeyFingerprint } from './keys.js';
import { SM2_DISTINGUISHING_ID, signSm2 } from './sm2.js';

export class KeySigner implements Signer {
  readonly keyid = '';
  readonly algorithm: SignatureAlgorithm;
  readonly #key: KeyObject;

  constructor(privateKey: KeyObject) {
    const algorithm = signatureAlgorithm(privateKey);
    if (privateKey.type !== 'private' || algorithm === undefined) {
      throw new InputError(`signing needs an ${SUPPORTED_ALGORITHMS} private key`);
    }
    this.#key = privateKey;
    this.algorithm = algorithm;
  }

  sign(data: Buffer): Promise<Buffer> {
    switch (this.algorithm) {
      case 'ed25519':
        return Promise.resolve(sign(null, data, this.#key));
      case 'sm2-sm3':
        // Not crypto.sign: it would use an empty distinguishing ID (see sm2.ts).
        return Promise.resolve(signSm2(data, this.#key));
      case 'ecdsa-p256-sha256':
        return Promise.resolve(sign('sha256', data, { key: this.#key, dsaEncoding: 'der' }));
    }
  }
}

/**
 * Splits a command line into words the way a POSIX shell would, without expansions: whitespace separates,
 * '…' is literal, "…" honours \" \\ \$ \` escapes, and a backslash outside quotes escapes the next character.
 */
export function splitCommandLine(commandLine: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < commandLine.length; i++) {
    const c = commandLine[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') {
        quote = undefined;
      } else if (c === '\\' && i + 1 < commandLine.length && '"\\$`\n'.includes(commandLine[i + 1]!)) {
        i++;
        if (commandLine[i] !== '\n') word += commandLine[i];
      } else {
        word += c;
      }
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 === commandLine.length) throw new InputError('the signer command ends with a lone backslash');
      i++;
      if (commandLine[i] !== '\n') {
        word += commandLine[i];
        inWord = true;
      }
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== undefined) throw new InputError(`the signer command has an unterminated ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}

/** Whether bytes are one DER SEQUENCE of two INTEGERs, the shape of an ECDSA signature. */
function isDerEcdsaSignature(bytes: Buffer): boolean {
  let at = 0;
  const readLength = (): number | undefined => {
    const first = bytes[at++];
    if (first === undefined) return undefined;
    if (first < 0x80) return first;
    if (first !== 0x81) return undefined;
    const long = bytes[at++];
    return long === undefined || long < 0x80 ? undefined : long;
  };
  if (bytes[at++] !== 0x30) return false;
  const total = readLength();
  if (total === undefined || at + total !== bytes.length) return false;
  for (let n = 0; n < 2; n++) {
    if (bytes[at++] !== 0x02) return false;
    const length = readLength();
    if (length === undefined || length === 0 || at + length > bytes.length) return false;
    at += length;
  }
  return at === bytes.length;
}

const BASE64_TEXT = /^[A-Za-z0-9+/=_-]+$/;

export interface CommandSignerOptions {
  /** Milliseconds before the command is killed; 60 s unless given. */
  timeoutMs?: number;
}

export class CommandSigner implements Signer {
  readonly keyid = '';
  readonly algorithm: SignatureAlgorithm | undefined;
  readonly #file: string;
  readonly #args: string[];
  readonly #publicKey: KeyObject | undefined;
  readonly #timeoutMs: number;

  /** With publicKey, every signature the command prints is checked before it is used. */
  constructor(commandLine: string, publicKey?: KeyObject, options: CommandSignerOptions = {}) {
    const [file, ...args] = splitCommandLine(commandLine);
    if (file === undefined) {
      throw new InputError('the signer command is empty', { hint: 'pass --signer-command "PROGRAM ARGS…"' });
    }
    const algorithm = publicKey === undefined ? undefined : signatureAlgorithm(publicKey);
    if (publicKey !== undefined && algorithm === undefined) {
      throw new InputError(`the public key for checking the signer command is not an ${SUPPORTED_ALGORITHMS} key`);
    }
    this.algorithm = algorithm;
    this.#file = file;
    this.#args = args;
    this.#publicKey = publicKey;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
  }

  async sign(data: Buffer): Promise<Buffer> {
    const result = await execa(this.#file, this.#args, {
      input: data,
      encoding: 'buffer',
      stripFinalNewline: false,
      timeout: this.#timeoutMs,
      maxBuffer: 1024 * 1024,
      reject: false,
    });
    const stderr = Buffer.from(result.stderr).toString('utf8').trimEnd();
    const details = stderr === '' ? undefined : stderr;
    const hint = 'the command must read the bytes to sign on stdin and print the signature (DER or base64) on stdout';
    // Only the program: the arguments may carry a PIN or passphrase.
    const command = `the signer command (${this.#file})`;

    if (result.timedOut) {
      throw new InputError(`${command} did not finish within ${Math.round(this.#timeoutMs / 1000)} s`, { hint, details });
    }
    if (result.isMaxBuffer) throw new InputError(`${command} printed more than 1 MiB, far more than a signature`, { hint, details });
    if (result.failed) {
      let why: string;
      if (result.exitCode !== undefined) why = `exited with code ${result.exitCode}`;
      else if (result.signal !== undefined) why = `was killed by ${result.signal}`;
      else if (result.code === 'ENOENT') why = `could not run: ${this.#file} was not found`;
      else why = `could not run: ${result.originalMessage ?? result.shortMessage ?? 'unknown error'}`;
      throw new InputError(`${command} ${why}`, { hint, details });
    }

    const stdout = Buffer.from(result.stdout);
    const text = stdout.toString('latin1').trim();
    if (text === '') throw new InputError(`${command} printed no signature`, { hint, details });
    // DER always holds 0x02 bytes and raw Ed25519 bytes are random, so output in the base64 alphabet is text.
    const signature = BASE64_TEXT.test(text) ? decodeBase64Strict(text) : stdout;
    if (signature === undefined) throw new InputError(`${command} printed text that is not valid base64`, { hint, details });

    if (this.#publicKey !== undefined) {
      // verifySignatureBytes also takes r||s, but envelopes must carry DER for cosign.
      if (this.algorithm === 'ecdsa-p256-sha256' && !isDerEcdsaSignature(signature)) {
        throw new InputError(`${command} printed ${signature.length} bytes that are not a DER ECDSA signature`, { hint, details });
      }
      if (this.algorithm === 'sm2-sm3' && !isDerEcdsaSignature(signature)) {
        throw new InputError(`${command} printed ${signature.length} bytes that are not a DER SM2 signature`, {
          hint: 'the command must print the DER SEQUENCE{r, s} (GB/T 35276), not the 64-byte r||s form',
          details,
        });
      }
      if (this.algorithm === 'sm2-sm3' && !verifySignatureBytes(data, signature, this.#publicKey)) {
        throw new VerificationError(
          `the signature from ${command} does not verify as SM2 with SM3 and distinguishing ID ${SM2_DISTINGUISHING_ID} with the public key (SHA-256 ${publicKeyFingerprint(this.#publicKey)})`,
          {
            hint: 'check that the command signs with the SM2 key whose public half was given, over SM3 with that ID (openssl: -digest sm3 -pkeyopt distid:1234567812345678)',
            details,
          },
        );
      }
      if (!verifySignatureBytes(data, signature, this.#publicKey)) {
        throw new VerificationError(
          `the signature from ${command} does not verify with the public key (SHA-256 ${publicKeyFingerprint(this.#publicKey)})`,
          { hint: 'check that the command signs with the key whose public half was given, using SHA-256', details },
        );
      }
    } else if (!isDerEcdsaSignature(signature) && signature.length !== 64) {
      throw new InputError(`${command} printed ${signature.length} bytes that are neither a DER ECDSA signature nor an Ed25519 signature`, {
        hint,
        details,
      });
    }
    return signature;
  }
}

/** base64 of the signature, newline-terminated: the file `cosign verify-blob --signature` reads. */
export async function signDetached(data: Buffer, signer: Signer): Promise<string> {
  return `${(await signer.sign(data)).toString('base64')}\n`;
}

export function verifyDetached(data: Buffer, signatureText: string, publicKey: KeyObject): boolean {
  const signature = decodeBase64Strict(signatureText.trim());
  return signature !== undefined && signature.length > 0 && verifySignatureBytes(data, signature, publicKey);
}
