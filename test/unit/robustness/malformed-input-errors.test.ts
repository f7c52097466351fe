/**
 * What the user sees for a malformed input of each kind (golden): renderError's text and exit code, one line
 * saying what is wrong and what to do. Temporary directories are shown as <tmp>.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

import test, { type ExecutionContext } from 'ava';

import { parseSha256Sums } from '../../../src/release/checksums.js';
import { checkStaticExecutable } from '../../../src/binary/static-check.js';
import { renderError } from '../../../src/cli/error-output.js';
import { parseAirlockConfig } from '../../../src/config/airlock-config.js';
import { AirlockError } from '../../../src/errors.js';
import { MODULE_SET_MANIFEST, openModuleSet } from '../../../src/modules/module-set.js';
import { readModuleZip } from '../../../src/modules/module-zip.js';
import { readGoModule } from '../../../src/modules/read-module.js';
import { readGoSum, readModulesTxt } from '../../../src/modules/resolve-module-inputs.js';
import { IN_TOTO_PAYLOAD_TYPE, parseEnvelopeLines, serializeEnvelope, signEnvelope } from '../../../src/provenance/dsse.js';
import { readRecordedBuild } from '../../../src/workflows/reproduce.js';
import { computePins } from '../../../src/toolchain/import-toolchain.js';
import { parseToolchainMatrix } from '../../../src/toolchain/matrix.js';
import { makeTar, makeZip } from '../../helpers/archives.js';
import { tempDir } from '../../helpers/host-tools.js';

/**
 * Runs FAIL, which must fail with an AirlockError, and snapshots what the CLI would print for it: the error
 * on one last line (a tool's own output, the details, may come before it).
 */
async function seen(t: ExecutionContext, fail: () => unknown, tmp?: string, v8Message?: RegExp): Promise<void> {
  let error: unknown;
  try {
    await fail();
  } catch (caught) {
    error = caught;
  }
  t.true(error instanceof AirlockError, String(error));
  t.false(/[\n\r]/.test((error as AirlockError).message), 'a one-line message');
  const rendered = renderError(error, false);
  let text = tmp === undefined ? rendered.text : rendered.text.split(tmp).join('<tmp>');
  // JSON.parse's own words differ between Node versions; what matters is that they stay on the line.
  if (v8Message !== undefined) {
    t.regex(text, v8Message);
    text = text.replace(v8Message, (match, words: string) => match.replace(words, '<JSON.parse message>'));
  }
  t.regex(text, /(^|\n)airlock: error: [^\n]+\n$/);
  t.snapshot({ exitCode: rendered.exitCode, text });
}

test('airlock.json: a syntax error in a file of many lines', async (t) => {
  await seen(t, () => parseAirlockConfig('{\n  "targets": [\n    linux/amd64\n  ]\n}\n', '/src/tool/airlock.json'), undefined, /is not valid JSON: ([^\n]+); fix the syntax/);
});

test('airlock.json: a field name holding a line break', async (t) => {
  await seen(t, () => parseAirlockConfig('{"sandbox": {"memory\\nMiB": 1}}', '/src/tool/airlock.json'));
});

test('go.mod: a directive spelled with an invisible line separator', async (t) => {
  const dir = await tempDir(t);
  await fs.writeFile(path.join(dir, 'go.mod'), 'module example.com/m\n\ngo\u2028 1.26\n');
  await seen(t, () => readGoModule(dir), dir);
});

test('go.sum: a line with a NUL byte in its module path', async (t) => {
  const dir = await tempDir(t);
  await fs.writeFile(path.join(dir, 'go.sum'), 'github.com/google/uu\0id v1.6.0 h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=\n');
  await seen(t, () => readGoSum(dir), dir);
});

test('vendor/modules.txt: a package before the first module line', async (t) => {
  const dir = await tempDir(t);
  await fs.mkdir(path.join(dir, 'vendor'));
  await fs.writeFile(path.join(dir, 'vendor', 'modules.txt'), 'github.com/google/uuid\n# github.com/google/uuid v1.6.0\n');
  await seen(t, () => readModulesTxt(dir), dir);
});

test('toolchain matrix: a syntax error across lines', async (t) => {
  await seen(t, () => parseToolchainMatrix('{\n  "schema": airlock\n}\n', '/etc/airlock/go.json'), undefined, /is not valid JSON \(([^\n]+)\); fix the file/);
});

test('SHA256SUMS: a name leading out of the release directory', async (t) => {
  await seen(t, () => parseSha256Sums(`${'0'.repeat(64)}  ../../etc/passwd\n`));
});

test('envelope: a line that is not JSON', async (t) => {
  await seen(t, () => parseEnvelopeLines('{"payload": "aGk=",\n', 'dist/tool.intoto.jsonl'), undefined, /^([^\n]+)\n/);
});

test('envelope: a payload that is JSON null', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'tool.intoto.jsonl');
  await fs.writeFile(file, serializeEnvelope(await signEnvelope(Buffer.from('null'), IN_TOTO_PAYLOAD_TYPE, undefined)));
  await seen(t, () => readRecordedBuild(file, undefined), dir);
});

test('executable: an ELF header cut short', async (t) => {
  await seen(t, () => checkStaticExecutable(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0])));
});

test('module zip: an entry name holding a line break', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'v1.6.0.zip');
  await fs.writeFile(file, makeZip([{ name: 'github.com/google/uuid@v1.6.0/uuid\n.go', data: 'package uuid\n' }]));
  await seen(t, () => readModuleZip(file, 'github.com/google/uuid', 'v1.6.0'), dir);
});

test('module set: a manifest naming a module outside the set', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'modules.tar.gz');
  const manifest = JSON.stringify({ schema: 'airlock.dev/modules/v1', module: 'example.com/m', goVersion: 'go1.26.8', modules: [{ path: '../../etc', version: 'v1.0.0', zip: true }] });
  await fs.writeFile(file, gzipSync(await makeTar([{ name: MODULE_SET_MANIFEST, data: manifest }])));
  await seen(t, () => openModuleSet(file), dir);
});

test('toolchain archive: cut short', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'go1.26.8.linux-amd64.tar.gz');
  const gzipped = gzipSync(await makeTar([{ name: 'go/VERSION', data: Buffer.alloc(64 * 1024, 0x41) }]));
  await fs.writeFile(file, gzipped.subarray(0, Math.floor(gzipped.length / 2)));
  await seen(t, () => computePins({ kind: 'archive', path: file }), dir);
});
