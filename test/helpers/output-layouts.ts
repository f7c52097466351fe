/** Output directories laid out as airlock writes them (build, --sbom, --sign-key, several toolchains, --shard). */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

async function put(dir: string, name: string, text: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, name), text);
}

/** One checksum group: binaries with their envelopes (and SBOMs), SHA256SUMS listing them, maybe signed. */
export async function writeAirlockGroup(dir: string, binaries: readonly string[], options: { sbom?: boolean; signed?: boolean } = {}): Promise<void> {
  const listed: Array<[string, string]> = [];
  for (const binary of binaries) {
    await put(dir, binary, `binary ${binary}`);
    await put(dir, `${binary}.intoto.jsonl`, '{"payloadType":"application/vnd.in-toto+json"}\n');
    listed.push([binary, `binary ${binary}`]);
    if (options.sbom) {
      await put(dir, `${binary}.cdx.json`, '{}');
      listed.push([`${binary}.cdx.json`, '{}']);
    }
  }
  const sums = listed.sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, text]) => `${sha256(text)}  ${name}\n`).join('');
  await put(dir, 'SHA256SUMS', sums);
  if (options.signed) await put(dir, 'SHA256SUMS.sig', 'c2lnbmF0dXJl');
}

/** The output of a build with several toolchains: one directory per Go version, each a checksum group. */
export async function writeAirlockMatrix(dir: string, versions: readonly string[], binaries: readonly string[]): Promise<void> {
  for (const version of versions) await writeAirlockGroup(path.join(dir, version), binaries);
}

/** The output of `airlock build --shard`: the shard's outputs and its manifest at the top. */
export async function writeAirlockShard(dir: string, layout: 'flat' | 'per-toolchain'): Promise<void> {
  if (layout === 'flat') await writeAirlockGroup(dir, ['tool_linux_amd64']);
  else await writeAirlockMatrix(dir, ['go1.26.8'], ['tool_linux_amd64']);
  await put(dir, 'airlock-shard.json', '{"schema":"airlock.dev/shard/v1"}\n');
}
