import { verify } from 'node:crypto';
import { VerificationError, oneLine } from '../errors.js';
import type { VerifierKey } from './verifier-key.js';

/** Every signature line starts with an em dash (U+2014) and a space. */
const SIGNATURE_PREFIX = '\u2014 ';

/**
 * Opens a signed note (the checksum database's text format): the text, a blank line, then signature lines
 * `— <name> <base64(keyhash || signature)>`. Returns the signed text (with its final newline) when a signature
 * by `key` verifies. Signatures by other keys are ignored, as the go command ignores them; a bad signature by
 * `key`, or none at all, is a VerificationError naming `source`.
 */
export function openSignedNote(note: Uint8Array, key: VerifierKey, source: string): string {
  const fail = (why: string) =>
    new VerificationError(`${source}: ${why}`, {
      hint: `the checksum database evidence is damaged or forged; pack the module set again on a connected machine`,
    });
  const text = Buffer.from(note).toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(Buffer.from(note))) throw fail('the signed note is not valid UTF-8');
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text)) throw fail('the signed note holds control characters');
  const split = text.lastIndexOf('\n\n');
  if (split < 0) throw fail('the signed note has no signatures (no blank line after its text)');
  const signed = text.slice(0, split + 1);
  const lines = text.slice(split + 2).split('\n');
  if (lines.at(-1) !== '') throw fail('the signed note does not end with a newline');
  let verified = false;
  for (const line of lines.slice(0, -1)) {
    if (!line.startsWith(SIGNATURE_PREFIX)) throw fail(`a signature line does not start with "— ": ${oneLine(JSON.stringify(line.slice(0, 40)))}`);
    const [name, encoded, extra] = line.slice(SIGNATURE_PREFIX.length).split(' ');
    if (name === undefined || encoded === undefined || extra !== undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
      throw fail('a signature line is malformed');
    }
    const signature = Buffer.from(encoded, 'base64');
    if (name !== key.name || signature.length < 4 || !signature.subarray(0, 4).equals(key.hash)) continue;
    if (signature.length !== 68 || !verify(null, Buffer.from(signed, 'utf8'), key.publicKey, signature.subarray(4))) {
      throw fail(`the signature by ${key.name} does not verify: the note's text was changed, or it was not signed by this key`);
    }
    verified = true;
  }
  if (!verified) throw fail(`the signed note carries no signature by ${key.name}`);
  return signed;
}
