import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';

import { type ChecksumEntry, formatSha256Sums, parseSha256Sums } from '../../../src/release/checksums.js';
import { run, tempDir } from '../../helpers/host-tools.js';

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

const ENTRIES: ChecksumEntry[] = [
  { name: 'tool_windows_amd64.exe', sha256: sha256('windows') },
  { name: 'tool_linux_amd64', sha256: sha256('linux amd64') },
  { name: 'tool_darwin_arm64', sha256: sha256('darwin') },
  { name: 'tool_linux_arm64', sha256: sha256('linux arm64') },
];

test('formatSha256Sums: sorted by name, two spaces, one line each, newline-terminated (golden)', (t) => {
  const text = formatSha256Sums(ENTRIES);
  t.snapshot(text, 'SHA256SUMS');
  const lines = text.split('\n');
  t.is(lines.pop(), '');
  t.deepEqual(
    lines.map((line) => line.slice(66)),
    ['tool_darwin_arm64', 'tool_linux_amd64', 'tool_linux_arm64', 'tool_windows_amd64.exe'],
  );
  for (const line of lines) t.regex(line, /^[0-9a-f]{64} {2}\S+$/);
});

test('formatSha256Sums of nothing is the empty file', (t) => {
  t.is(formatSha256Sums([]), '');
});

test('formatSha256Sums does not reorder its input', (t) => {
  const entries = [...ENTRIES];
  formatSha256Sums(entries);
  t.deepEqual(entries, ENTRIES);
});

test('formatSha256Sums sorts by code point, upper case before lower case (like LC_ALL=C)', (t) => {
  const digest = sha256('x');
  const text = formatSha256Sums([
    { name: 'b', sha256: digest },
    { name: 'B', sha256: digest },
    { name: 'a_b', sha256: digest },
    { name: 'a-b', sha256: digest },
    { name: 'a', sha256: digest },
  ]);
  t.deepEqual(
    parseSha256Sums(text).map((entry) => entry.name),
    ['B', 'a', 'a-b', 'a_b', 'b'],
  );
});

test('formatSha256Sums refuses digests that are not 64 lower-case hex digits', (t) => {
  for (const bad of ['', 'abc', sha256('x').toUpperCase(), `${sha256('x')}0`, sha256('x').slice(1), `sha256:${sha256('x')}`]) {
    t.throws(() => formatSha256Sums([{ name: 'f', sha256: bad }]), { message: `not a sha256 digest: ${bad}` });
  }
});

test('formatSha256Sums refuses names sha256sum -c would misread', (t) => {
  const digest = sha256('x');
  for (const bad of ['two\nlines', 'back\\slash', '/etc/passwd']) {
    t.throws(() => formatSha256Sums([{ name: bad, sha256: digest }]), {
      message: `file name cannot be written to SHA256SUMS: ${JSON.stringify(bad)}`,
    });
  }
});

test('parseSha256Sums reads back what formatSha256Sums wrote', (t) => {
  const entries: ChecksumEntry[] = [
    ...ENTRIES,
    { name: 'name with spaces', sha256: sha256('s') },
    { name: '  leading spaces', sha256: sha256('l') },
    { name: 'héllo-wörld', sha256: sha256('u') },
    { name: 'sub/dir/file', sha256: sha256('d') },
  ];
  const parsed = parseSha256Sums(formatSha256Sums(entries));
  const byName = (a: ChecksumEntry, b: ChecksumEntry) => (a.name < b.name ? -1 : 1);
  t.deepEqual(parsed, [...entries].sort(byName));
  t.is(formatSha256Sums(parsed), formatSha256Sums(entries));
});

test('parseSha256Sums accepts the binary-mode marker and a missing final newline', (t) => {
  const digest = sha256('x');
  t.deepEqual(parseSha256Sums(`${digest} *tool.exe`), [{ sha256: digest, name: 'tool.exe' }]);
  t.deepEqual(parseSha256Sums(`${digest}  a\n\n${digest}  b\n`), [
    { sha256: digest, name: 'a' },
    { sha256: digest, name: 'b' },
  ]);
  t.deepEqual(parseSha256Sums(''), []);
});

test('parseSha256Sums names the first malformed line', (t) => {
  const digest = sha256('x');
  t.throws(() => parseSha256Sums(`${digest}  ok\nnot a checksum line\n`), { message: 'line 2 is not "<sha256>  <name>"' });
  t.throws(() => parseSha256Sums(`${digest.toUpperCase()}  upper\n`), { message: 'line 1 is not "<sha256>  <name>"' });
  t.throws(() => parseSha256Sums(`${digest}\tname\n`), { message: 'line 1 is not "<sha256>  <name>"' });
  t.throws(() => parseSha256Sums(`${digest}  \n`), { message: 'line 1 is not "<sha256>  <name>"' });
  t.throws(() => parseSha256Sums(`${digest.slice(2)}  short\n`), { message: 'line 1 is not "<sha256>  <name>"' });
});

async function writeArtifacts(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>([
    ['tool_linux_amd64', Buffer.from('\x7fELF pretend linux binary\n')],
    ['tool_windows_amd64.exe', Buffer.from('MZ pretend windows binary\r\n')],
    ['tool with spaces', Buffer.from('spaces are fine')],
    ['héllo', Buffer.from([0, 1, 2, 255, 254, 253])],
    ['empty', Buffer.alloc(0)],
  ]);
  for (const [name, bytes] of files) await fs.writeFile(path.join(dir, name), bytes);
  const sums = formatSha256Sums([...files].map(([name, bytes]) => ({ name, sha256: sha256(bytes) })));
  await fs.writeFile(path.join(dir, 'SHA256SUMS'), sums);
  return files;
}

test('the real `sha256sum -c` accepts a SHA256SUMS written by formatSha256Sums', async (t) => {
  const dir = await tempDir(t);
  const files = await writeArtifacts(dir);
  const result = await run('sha256sum', ['-c', '--strict', 'SHA256SUMS'], { cwd: dir, env: { ...process.env, LC_ALL: 'C' } });
  t.is(result.code, 0, result.stderr);
  t.is(result.stdout.split('\n').filter((line) => line.endsWith(': OK')).length, files.size, result.stdout);
});

test('the real `sha256sum -c` fails after one byte of an artifact changes', async (t) => {
  const dir = await tempDir(t);
  await writeArtifacts(dir);
  const target = path.join(dir, 'tool_linux_amd64');
  const bytes = await fs.readFile(target);
  bytes[5] = bytes[5]! ^ 0x01;
  await fs.writeFile(target, bytes);
  const result = await run('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir, env: { ...process.env, LC_ALL: 'C' } });
  t.is(result.code, 1);
  t.regex(result.stdout, /^tool_linux_amd64: FAILED$/m);
  t.regex(result.stdout, /^tool_windows_amd64\.exe: OK$/m);
  t.regex(result.stderr, /1 computed checksum did NOT match/);
});

test('the real `sha256sum` output parses with parseSha256Sums to the digests airlock computes', async (t) => {
  const dir = await tempDir(t);
  const files = await writeArtifacts(dir);
  const names = [...files.keys()].sort();
  const result = await run('sha256sum', ['--', ...names], { cwd: dir, env: { ...process.env, LC_ALL: 'C' } });
  t.is(result.code, 0, result.stderr);
  t.deepEqual(
    parseSha256Sums(result.stdout),
    names.map((name) => ({ name, sha256: sha256(files.get(name)!) })),
  );
  t.is(result.stdout, await fs.readFile(path.join(dir, 'SHA256SUMS'), 'utf8'), 'byte for byte the same file');
});
