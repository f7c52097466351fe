import { createHash } from 'node:crypto';

export interface FileDigest {
  /** Name as hashed, e.g. "golang.org/toolchain@v0.0.1-go1.26.8.linux-amd64/bin/go" */
  name: string;
  sha256: string;
}

/** Go's dirhash Hash1: sha256 over sorted "<hex>  <name>\n" lines, base64, prefixed "h1:". */
export function hash1(files: readonly FileDigest[]): string {
  // Go compares strings bytewise (UTF-8), which differs from JavaScript's UTF-16 order outside the BMP.
  const sorted = [...files].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  const summary = createHash('sha256');
  for (const file of sorted) {
    if (file.name.includes('\n')) throw new Error(`file name contains a newline: ${JSON.stringify(file.name)}`);
    summary.update(`${file.sha256}  ${file.name}\n`);
  }
  return `h1:${summary.digest('base64')}`;
}
