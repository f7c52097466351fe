import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** SHA-256 of bytes or a string, as lowercase hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** SHA-256 of a file's bytes, streamed, as lowercase hex. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** SM3 (GB/T 32905) of a file's bytes, streamed, as lowercase hex: node:crypto's, the digest of an SM3SUMS line. */
export async function sm3File(file: string): Promise<string> {
  const hash = createHash('sm3');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A Go "h1:" hash (base64) as the lowercase hex the in-toto DigestSet wants. */
export function h1ToHex(h1: string): string {
  return Buffer.from(h1.replace(/^h1:/, ''), 'base64').toString('hex');
}
