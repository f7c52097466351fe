import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level, so equal values always serialise, and hash, the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A Go "h1:" hash (base64) as the lowercase hex the in-toto DigestSet wants. */
export function h1ToHex(h1: string): string {
  return Buffer.from(h1.replace(/^h1:/, ''), 'base64').toString('hex');
}
