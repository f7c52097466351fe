import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

import test, { type ExecutionContext } from 'ava';
import tarStream from 'tar-stream';

import { BuildError, EngineError, ExitCode, VerificationError } from '../../../src/errors.js';
import { receiveOutput } from '../../../src/sandbox/receive-output.js';
import { type TarEntryInput, makeTar } from '../../helpers/archives.js';
import { tempDir } from '../../helpers/host-tools.js';

const NAME = 'hello_linux_amd64';
const LABEL = '. for linux/amd64 with go1.26.8';
const GIB = 1024 ** 3;
const PREFIX = `the sandbox returned an unacceptable output for ${LABEL}: `;
const VICTIM_TEXT = 'root:x:0:0:root:/root:/bin/sh\n';

interface Scene {
  /** The temporary parent of everything: nothing may appear in it but what the test made. */
  parent: string;
  /** A file outside the destination's directory that hostile entries point at. */
  victim: string;
  /** The directory the output goes to (the staging directory in a build). */
  staging: string;
  destination: string;
}

async function scene(t: ExecutionContext): Promise<Scene> {
  const parent = await tempDir(t, 'airlock-receive-');
  const victim = path.join(parent, 'victim.txt');
  await fs.writeFile(victim, VICTIM_TEXT);
  const staging = path.join(parent, 'staging');
  await fs.mkdir(staging);
  return { parent, victim, staging, destination: path.join(staging, NAME) };
}

/** Every path under dir with its kind and, for files, a digest of the bytes: a snapshot to compare. */
async function listing(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    for (const entry of (await fs.readdir(path.join(dir, relative), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const rel = path.join(relative, entry.name);
      const absolute = path.join(dir, rel);
      if (entry.isDirectory()) {
        found.push(`${rel}/`);
        await walk(rel);
      } else if (entry.isFile()) {
        found.push(`${rel} ${createHash('sha256').update(await fs.readFile(absolute)).digest('hex').slice(0, 16)}`);
      } else {
        found.push(`${rel} (not a regular file)`);
      }
    }
  };
  await walk('');
  return found;
}

function fromBuffer(bytes: Buffer, chunkSize = 700): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkSize) chunks.push(bytes.subarray(offset, offset + chunkSize));
  return Readable.from(chunks);
}

/**
 * Feeds `archive` to receiveOutput and checks the guarantees of a refusal: the error (a one-line
 * VerificationError unless `kind` says otherwise), nothing new anywhere under the parent, the victim intact,
 * the receiving directory gone (the destination's directory is empty again).
 */
async function assertRefused(
  t: ExecutionContext,
  archive: Readable | Buffer | ((s: Scene) => Promise<Readable | Buffer>),
  pattern: RegExp | ((s: Scene) => RegExp),
  options: { maxBytes?: number; kind?: typeof VerificationError | typeof EngineError } = {},
): Promise<Scene & { error: VerificationError | undefined }> {
  const s = await scene(t);
  const made = typeof archive === 'function' ? await archive(s) : archive;
  const before = await listing(s.parent);
  const stream = Buffer.isBuffer(made) ? fromBuffer(made) : made;
  const kind = options.kind ?? VerificationError;
  const error = await t.throwsAsync(
    receiveOutput(stream, { expectedName: NAME, maxBytes: options.maxBytes ?? GIB, destination: s.destination, label: LABEL }),
    { instanceOf: kind as typeof VerificationError },
  );
  t.regex(error?.message ?? '', typeof pattern === 'function' ? pattern(s) : pattern);
  t.notRegex(error?.message ?? '', /\n/, 'one line');
  t.is(error?.exitCode as number | undefined, kind === EngineError ? ExitCode.engineUnavailable : ExitCode.verificationFailed);
  t.deepEqual(await listing(s.parent), before, 'nothing was written, and the receiving directory is gone');
  t.is(await fs.readFile(s.victim, 'utf8'), VICTIM_TEXT, 'the file outside is untouched');
  t.true(stream.destroyed || stream.readableEnded, 'the archive stream is not left open');
  return { ...s, error };
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The whole message of a refusal, with `problem` as written. */
const refusedAs = (problem: string) => new RegExp(`^${escape(PREFIX)}${escape(problem)}$`);

/** A ustar header written by hand, so it can claim any size (base-256 beyond 8 GiB) and any type flag. */
function rawHeader(name: string, size: bigint, typeflag = '0'): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  if (size < 8n ** 11n) {
    header.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  } else {
    header[124] = 0x80;
    let rest = size;
    for (let i = 11; i > 0; i--) {
      header[124 + i] = Number(rest & 0xffn);
      rest >>= 8n;
    }
  }
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write(typeflag, 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return header;
}

/** A stream that starts with `head` and then never ends: reading it to its end would hang the test. */
function endless(head: Buffer, counter: { bytes: number }): Readable {
  let first = true;
  return new Readable({
    read() {
      const chunk = first ? head : Buffer.alloc(64 * 1024, 0x41);
      first = false;
      counter.bytes += chunk.length;
      this.push(chunk);
    },
  });
}

async function tar(entries: readonly TarEntryInput[]): Promise<Buffer> {
  return makeTar(entries);
}

// --- accepted -------------------------------------------------------------------------------------------

test('one regular file of the expected name is accepted and moved to the destination; nothing else is left', async (t) => {
  const s = await scene(t);
  const binary = randomBytes(300_000);
  const received = await receiveOutput(fromBuffer(await tar([{ name: NAME, data: binary, mode: 0o755 }]), 4096), {
    expectedName: NAME,
    maxBytes: GIB,
    destination: s.destination,
    label: LABEL,
  });
  t.true((await fs.readFile(s.destination)).equals(binary));
  // Size and SHA-256 are of the bytes written, hashed as they arrived in 4 KiB pieces.
  t.deepEqual(received, { size: binary.length, sha256: createHash('sha256').update(binary).digest('hex') });
  t.deepEqual(await fs.readdir(s.staging), [NAME], 'no receiving directory is left');
  t.is(await fs.readFile(s.victim, 'utf8'), VICTIM_TEXT);
});

test('a file of exactly the limit is accepted, and an existing file at the destination is replaced', async (t) => {
  const s = await scene(t);
  await fs.writeFile(s.destination, 'an earlier attempt');
  const binary = randomBytes(4096);
  await receiveOutput(fromBuffer(await tar([{ name: NAME, data: binary }])), { expectedName: NAME, maxBytes: 4096, destination: s.destination, label: LABEL });
  t.true((await fs.readFile(s.destination)).equals(binary));
  t.deepEqual(await fs.readdir(s.staging), [NAME]);
});

test('an empty regular file is accepted (what it holds is for the static check to judge)', async (t) => {
  const s = await scene(t);
  const received = await receiveOutput(fromBuffer(await tar([{ name: NAME, data: '' }])), { expectedName: NAME, maxBytes: GIB, destination: s.destination, label: LABEL });
  t.is((await fs.stat(s.destination)).size, 0);
  t.deepEqual(received, { size: 0, sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' });
});

// --- links, directories, special files ------------------------------------------------------------------

test('a symbolic link to a file outside is refused, named with its target; the target is untouched', async (t) => {
  await assertRefused(
    t,
    (s) => tar([{ name: NAME, type: 'symlink', linkname: s.victim }]),
    (s) => refusedAs(`unexpected symlink "${NAME}" to "${s.victim}"`),
  );
});

test('a symbolic link followed by a file of the same name (a write through the link) is refused at the link', async (t) => {
  await assertRefused(
    t,
    (s) =>
      tar([
        { name: NAME, type: 'symlink', linkname: s.victim },
        { name: NAME, data: 'pwned through the link\n' },
      ]),
    (s) => refusedAs(`unexpected symlink "${NAME}" to "${s.victim}"`),
  );
});

test('a relative symbolic link climbing out with .. is refused', async (t) => {
  await assertRefused(t, await tar([{ name: NAME, type: 'symlink', linkname: '../../victim.txt' }]), refusedAs(`unexpected symlink "${NAME}" to "../../victim.txt"`));
});

test('a hard link to a file outside is refused', async (t) => {
  await assertRefused(
    t,
    (s) => tar([{ name: NAME, type: 'link', linkname: s.victim }]),
    (s) => refusedAs(`unexpected link "${NAME}" to "${s.victim}"`),
  );
});

test('a hard link followed by a file of the same name (a write through the link) is refused at the link', async (t) => {
  await assertRefused(
    t,
    (s) =>
      tar([
        { name: NAME, type: 'link', linkname: s.victim },
        { name: NAME, data: 'pwned through the hard link\n' },
      ]),
    (s) => refusedAs(`unexpected link "${NAME}" to "${s.victim}"`),
  );
});

test('a directory where the file is expected is refused, with what it holds', async (t) => {
  const archive = await tar([
    { name: `${NAME}/`, type: 'directory' },
    { name: `${NAME}/inner`, data: 'inside a directory\n' },
  ]);
  await assertRefused(t, archive, refusedAs(`unexpected directory "${NAME}/"`));
});

test('a file where a directory is expected (the output, then an entry below it) is refused', async (t) => {
  const archive = await tar([
    { name: NAME, data: 'the binary' },
    { name: `${NAME}/below`, data: 'below a file' },
  ]);
  await assertRefused(t, archive, refusedAs(`unexpected file "${NAME}/below"`));
});

for (const type of ['character-device', 'block-device', 'fifo'] as const) {
  test(`a ${type} is refused`, async (t) => {
    await assertRefused(t, await tar([{ name: NAME, type }]), refusedAs(`unexpected ${type} "${NAME}"`));
  });
}

test('a contiguous file (type 7) is refused: only plain regular files come out', async (t) => {
  const archive = Buffer.concat([rawHeader(NAME, 5n, '7'), Buffer.from('12345'), Buffer.alloc(507), Buffer.alloc(1024)]);
  await assertRefused(t, archive, refusedAs(`unexpected contiguous-file "${NAME}"`));
});

test('an entry of an unknown type is refused', async (t) => {
  const archive = Buffer.concat([rawHeader(NAME, 0n, 'Z'), Buffer.alloc(1024)]);
  await assertRefused(t, archive, /unexpected (unknown|null) /);
});

// --- names ----------------------------------------------------------------------------------------------

test('an absolute name pointing outside is refused and nothing is written there', async (t) => {
  await assertRefused(
    t,
    (s) => tar([{ name: s.victim, data: 'pwned by an absolute name\n' }]),
    (s) => refusedAs(`unexpected file "${s.victim}"`),
  );
});

for (const name of ['../victim.txt', `../staging/${NAME}`, `../../${NAME}`, `x/../../victim.txt`, `./${NAME}`, `${NAME}/`, 'other', '']) {
  test(`a file named ${JSON.stringify(name)} is refused`, async (t) => {
    const archive = Buffer.concat([rawHeader(name, 6n), Buffer.from('pwned\n'), Buffer.alloc(506), Buffer.alloc(1024)]);
    await assertRefused(t, archive, refusedAs(`unexpected file ${JSON.stringify(name)}`));
  });
}

test('a pax header renaming the entry to a .. path is refused by the name it ends up with', async (t) => {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const ended = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  pack.entry({ name: NAME, size: 6, pax: { path: '../victim.txt' } }, Buffer.from('pwned\n'));
  pack.finalize();
  await ended;
  await assertRefused(t, Buffer.concat(chunks), refusedAs('unexpected file "../victim.txt"'));
});

test('a name with a line break is shown escaped, on one line', async (t) => {
  await assertRefused(t, await tar([{ name: 'evil\nairlock: error: forged', data: 'x' }]), refusedAs('unexpected file "evil\\nairlock: error: forged"'));
});

// --- more or fewer entries ------------------------------------------------------------------------------

test('an extra entry after the expected file is refused and the file is not kept', async (t) => {
  const archive = await tar([
    { name: NAME, data: 'the binary' },
    { name: 'extra', data: 'smuggled' },
  ]);
  const s = await assertRefused(t, archive, refusedAs('unexpected file "extra"'));
  t.false(await fs.stat(s.destination).then(() => true, () => false));
});

test('the expected file twice is refused', async (t) => {
  const archive = await tar([
    { name: NAME, data: 'first' },
    { name: NAME, data: 'second' },
  ]);
  await assertRefused(t, archive, refusedAs(`unexpected second file "${NAME}"`));
});

test('an archive without entries is refused as no file', async (t) => {
  await assertRefused(t, await tar([]), refusedAs('no file'));
  await assertRefused(t, Buffer.alloc(0), refusedAs('no file'));
});

// --- sizes ----------------------------------------------------------------------------------------------

test('a file over the limit is refused from its header', async (t) => {
  await assertRefused(t, await tar([{ name: NAME, data: randomBytes(1001) }]), refusedAs(`${NAME} is 1001 bytes, over the 1000-byte limit`), { maxBytes: 1000 });
});

test('a binary over the size limit is told how to fit (maxOutputMiB, -s -w); anything else is told about build hooks', async (t) => {
  const over = await assertRefused(t, await tar([{ name: NAME, data: randomBytes(1001) }]), refusedAs(`${NAME} is 1001 bytes, over the 1000-byte limit`), { maxBytes: 1000 });
  t.regex(over.error?.hint ?? '', /^raise sandbox\.maxOutputMiB in airlock\.json .*-s -w/);
  t.notRegex(over.error?.hint ?? '', /hooks/);
  const other = await assertRefused(t, await tar([{ name: 'other', data: Buffer.from('x') }]), refusedAs('unexpected file "other"'));
  t.regex(other.error?.hint ?? '', /build hooks that write outputs/);
});

test('a header claiming 8 GiB is refused at once with the default 1 GiB limit, without reading its data', async (t) => {
  const counter = { bytes: 0 };
  const size = 8n ** 11n - 1n;
  const stream = endless(rawHeader(NAME, size), counter);
  await assertRefused(t, stream, refusedAs(`${NAME} is ${size} bytes, over the ${GIB}-byte limit`));
  t.true(counter.bytes < 16 * 1024 * 1024, `read ${counter.bytes} bytes of an archive claiming ${size}`);
});

test('a base-256 header claiming a terabyte is refused without reading its data', async (t) => {
  const counter = { bytes: 0 };
  const stream = endless(rawHeader(NAME, 2n ** 40n), counter);
  await assertRefused(t, stream, refusedAs(`${NAME} is ${2 ** 40} bytes, over the ${GIB}-byte limit`));
  t.true(counter.bytes < 16 * 1024 * 1024);
});

/** One pax record, "<length> <key>=<value>\\n", whose length counts itself. */
function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let length = body.length + 1;
  while (`${length}${body}`.length !== length) length++;
  return Buffer.from(`${length}${body}`);
}

test('a pax header claiming an enormous size is refused from the header', async (t) => {
  const pax = paxRecord('size', '99999999999999999999');
  const paxHeader = rawHeader('PaxHeader', BigInt(pax.length), 'x');
  const archive = Buffer.concat([paxHeader, pax, Buffer.alloc(512 - pax.length), rawHeader(NAME, 6n), Buffer.from('short\n')]);
  await assertRefused(t, archive, new RegExp(`^${escape(PREFIX)}${NAME} is \\d+(e\\+\\d+)? bytes, over the ${GIB}-byte limit$`));
});

// --- damaged archives and failing streams ---------------------------------------------------------------

test('garbage instead of a tar is a damaged archive, not a crash', async (t) => {
  await assertRefused(t, randomBytes(4096), /: a damaged archive \(Invalid tar header/);
});

test('a header with a wrong checksum is a damaged archive', async (t) => {
  const archive = await tar([{ name: NAME, data: 'the binary' }]);
  archive[148] = archive[148] === 0x31 ? 0x32 : 0x31;
  await assertRefused(t, archive, /: a damaged archive \(Invalid tar header/);
});

test('an archive cut off in the middle of the file is a damaged archive, and the partial file is removed', async (t) => {
  const archive = await tar([{ name: NAME, data: randomBytes(100_000) }]);
  await assertRefused(t, archive.subarray(0, 512 + 50_000), refusedAs('a damaged archive (Unexpected end of data)'));
});

test('an archive cut off inside a header is a damaged archive', async (t) => {
  const archive = await tar([{ name: NAME, data: 'the binary' }]);
  await assertRefused(t, archive.subarray(0, 300), refusedAs('a damaged archive (Unexpected end of data)'));
});

test('garbage after the accepted file is a damaged archive, and the file is not kept', async (t) => {
  const file = await tar([{ name: NAME, data: 'the binary' }]);
  // The file's header and data block, then garbage where the next header or the end blocks belong.
  const s = await assertRefused(t, Buffer.concat([file.subarray(0, 1024), randomBytes(1024)]), /: a damaged archive \(Invalid tar header/);
  t.false(await fs.stat(s.destination).then(() => true, () => false));
});

test('a stream that fails (the engine connection) is an EngineError, and nothing is kept', async (t) => {
  const archive = await tar([{ name: NAME, data: randomBytes(200_000) }]);
  let sent = false;
  const failing = new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(archive.subarray(0, 100_000));
      } else {
        this.destroy(new Error('socket hang up'));
      }
    },
  });
  await assertRefused(t, failing, /^the container engine failed while sending the output of .*: socket hang up$/, { kind: EngineError });
});

test('links planted beside the destination are never followed: the destination becomes a new regular file', async (t) => {
  const s = await scene(t);
  await fs.symlink(s.victim, s.destination);
  await fs.symlink(s.parent, path.join(s.staging, `${NAME}.receiving`));
  await fs.symlink(s.victim, path.join(s.staging, 'output'));
  const binary = randomBytes(10_000);
  await receiveOutput(fromBuffer(await tar([{ name: NAME, data: binary }])), { expectedName: NAME, maxBytes: GIB, destination: s.destination, label: LABEL });
  t.true((await fs.lstat(s.destination)).isFile());
  t.true((await fs.readFile(s.destination)).equals(binary));
  t.is(await fs.readFile(s.victim, 'utf8'), VICTIM_TEXT);
  t.deepEqual((await fs.readdir(s.staging)).sort(), [NAME, `${NAME}.receiving`, 'output'].sort());
  t.deepEqual((await fs.readdir(s.parent)).sort(), ['staging', 'victim.txt']);
});

// --- the host cannot store the file ---------------------------------------------------------------------

test('a destination whose directory does not exist is a BuildError about the host, and the archive is closed', async (t) => {
  const s = await scene(t);
  const stream = fromBuffer(await tar([{ name: NAME, data: 'the binary' }]));
  const error = await t.throwsAsync(
    receiveOutput(stream, { expectedName: NAME, maxBytes: GIB, destination: path.join(s.staging, 'missing', NAME), label: LABEL }),
    { instanceOf: BuildError },
  );
  t.regex(error?.message ?? '', new RegExp(`^cannot store the output of ${escape(LABEL)} in .*missing: ENOENT`));
  t.is(error?.exitCode, ExitCode.buildFailed);
  t.true(stream.destroyed);
  t.deepEqual(await fs.readdir(s.staging), []);
});

test('a destination that cannot be replaced (a directory) is a BuildError, and the receiving directory is removed', async (t) => {
  const s = await scene(t);
  await fs.mkdir(s.destination);
  await fs.writeFile(path.join(s.destination, 'kept'), 'kept');
  const error = await t.throwsAsync(
    receiveOutput(fromBuffer(await tar([{ name: NAME, data: 'the binary' }])), { expectedName: NAME, maxBytes: GIB, destination: s.destination, label: LABEL }),
    { instanceOf: BuildError },
  );
  t.regex(error?.message ?? '', /^cannot store the output of /);
  t.deepEqual(await fs.readdir(s.staging), [NAME]);
  t.deepEqual(await fs.readdir(s.destination), ['kept']);
});
