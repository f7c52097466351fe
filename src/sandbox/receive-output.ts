import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';
import { AirlockError, BuildError, EngineError, VerificationError, oneLine } from '../errors.js';

export interface ReceiveOutputOptions {
  /** The one name the archive may hold: the output's file name (the engine archives a path under its base name). */
  expectedName: string;
  /** The most bytes the file may have; a header claiming more is refused before any data is read. */
  maxBytes: number;
  /** Where the file is put when it is accepted; its directory must exist. An existing file there is replaced. */
  destination: string;
  /** Names the build in messages, e.g. ". for linux/amd64 with go1.26.8". */
  label: string;
}

/** What was accepted: the file's size and SHA-256, hashed from the very bytes written, so nobody reads it again. */
export interface ReceivedOutput {
  size: number;
  sha256: string;
}

const HINT = 'only one regular file, the binary, may come out of a build; check the module for build hooks that write outputs';
const SIZE_HINT = 'raise sandbox.maxOutputMiB in airlock.json (at most 1024), or make the binary smaller, e.g. --ldflags "-s -w"';

/** Why an output is refused, and what to do about it: a binary over the size limit is no hostile output. */
interface Refusal {
  problem: string;
  hint: string;
}

/** How much of a name or link target a message shows. */
const SHOWN_NAME_LIMIT = 200;

/**
 * Takes the output of a build out of the tar the container engine hands back (a hostile container chooses
 * every byte of it). Exactly one entry is accepted: a regular file named `expectedName` of at most `maxBytes`
 * bytes. Anything else is refused with a VerificationError naming what came back, decided from each header
 * before any of its data is read: a link (symbolic or hard), a directory, a device, a fifo, an absolute or
 * `..` name, any other name, a second entry, a size over the limit, a damaged archive.
 *
 * Nothing in the archive chooses a path on the host: the accepted bytes are written to a fixed name in a
 * private receiving directory (created beside `destination`, mode 0700, always removed) and renamed to
 * `destination` only when the whole archive was read and found acceptable. The archive stream is destroyed
 * as soon as something is refused, so an enormous entry is never read to its end.
 *
 * A failure of the archive stream itself (the engine's connection) is an EngineError; failing to store the file
 * on the host (a full disk) is a BuildError.
 */
export async function receiveOutput(archive: Readable, options: ReceiveOutputOptions): Promise<ReceivedOutput> {
  let receiving: string;
  try {
    receiving = await fs.mkdtemp(path.join(path.dirname(options.destination), '.airlock-receiving-'));
  } catch (error) {
    archive.destroy();
    throw cannotWrite(options, error);
  }
  try {
    const received = path.join(receiving, 'output');
    const accepted = await readSingleFile(archive, options, received);
    await fs.rename(received, options.destination).catch((error: unknown) => {
      throw cannotWrite(options, error);
    });
    return accepted;
  } finally {
    await fs.rm(receiving, { recursive: true, force: true });
  }
}

async function readSingleFile(archive: Readable, options: ReceiveOutputOptions, file: string): Promise<ReceivedOutput> {
  const extract = tarStream.extract();
  // Which stream failed first tells a broken connection (the engine) from a damaged archive (the container).
  let archiveFailedFirst: Error | undefined;
  let extractFailed = false;
  extract.on('error', () => {
    extractFailed = true;
  });
  archive.on('error', (error: Error) => {
    if (!extractFailed) archiveFailedFirst ??= error;
  });
  const feeding = pipeline(archive, extract as unknown as NodeJS.WritableStream);
  // Refusing ends the pipeline early; its rejection then says nothing new.
  feeding.catch(() => undefined);
  let accepted: ReceivedOutput | undefined;
  try {
    for await (const entry of extract) {
      const header = entry.header;
      const problem = refusal(header, options, accepted !== undefined);
      if (problem !== undefined) throw unacceptable(options, problem.problem, undefined, problem.hint);
      accepted = await writeEntry(entry, file, options);
    }
    await feeding;
  } catch (error) {
    if (error instanceof AirlockError) throw error;
    const message = oneLine((error as Error).message ?? String(error));
    if (archiveFailedFirst !== undefined) {
      throw new EngineError(`the container engine failed while sending the output of ${options.label}: ${oneLine(archiveFailedFirst.message)}`, {
        hint: 'check the engine with `airlock doctor`; run with --debug for details',
        cause: archiveFailedFirst,
      });
    }
    throw unacceptable(options, `a damaged archive (${message})`, error);
  }
  if (!accepted) throw unacceptable(options, 'no file');
  return accepted;
}

function refusal(header: tarStream.Header, options: ReceiveOutputOptions, alreadyAccepted: boolean): Refusal | undefined {
  const type = header.type ?? 'unknown';
  if (type !== 'file') {
    const target = (type === 'symlink' || type === 'link') && header.linkname != null ? ` to ${show(header.linkname)}` : '';
    return { problem: `unexpected ${type} ${show(header.name)}${target}`, hint: HINT };
  }
  if (header.name !== options.expectedName) return { problem: `unexpected file ${show(header.name)}`, hint: HINT };
  if (alreadyAccepted) return { problem: `unexpected second file ${show(header.name)}`, hint: HINT };
  const size = header.size ?? 0;
  if (!Number.isSafeInteger(size) || size < 0 || size > options.maxBytes) {
    return { problem: `${options.expectedName} is ${size} bytes, over the ${options.maxBytes}-byte limit`, hint: SIZE_HINT };
  }
  return undefined;
}

/** Writes one entry's data to `file` (which must not exist), never more than the limit; the file is closed whatever happens. */
async function writeEntry(entry: AsyncIterable<unknown>, file: string, options: ReceiveOutputOptions): Promise<ReceivedOutput> {
  const handle = await fs.open(file, 'wx', 0o644).catch((error: unknown) => {
    throw cannotWrite(options, error);
  });
  let closed = false;
  const hash = createHash('sha256');
  try {
    let written = 0;
    for await (const data of entry) {
      const chunk = data as Uint8Array;
      written += chunk.length;
      hash.update(chunk);
      // tar-stream never gives more than the header's size, checked above; this holds even if it did.
      if (written > options.maxBytes) throw unacceptable(options, `${options.expectedName} is over the ${options.maxBytes}-byte limit`, undefined, SIZE_HINT);
      try {
        let offset = 0;
        while (offset < chunk.length) offset += (await handle.write(chunk, offset, chunk.length - offset)).bytesWritten;
      } catch (error) {
        throw cannotWrite(options, error);
      }
    }
    closed = true;
    await handle.close().catch((error: unknown) => {
      throw cannotWrite(options, error);
    });
    return { size: written, sha256: hash.digest('hex') };
  } finally {
    if (!closed) await handle.close().catch(() => undefined);
  }
}

/** The host could not store what it received (a full disk, say): not the container's doing. */
function cannotWrite(options: ReceiveOutputOptions, error: unknown): BuildError {
  return new BuildError(`cannot store the output of ${options.label} in ${path.dirname(options.destination)}: ${oneLine((error as Error).message ?? String(error))}`, {
    hint: 'check the free space and permissions of the output directory',
    cause: error,
  });
}

function unacceptable(options: ReceiveOutputOptions, problem: string, cause?: unknown, hint = HINT): VerificationError {
  return new VerificationError(`the sandbox returned an unacceptable output for ${options.label}: ${problem}`, {
    hint,
    ...(cause !== undefined ? { cause } : {}),
  });
}

function show(name: string): string {
  const shortened = name.length > SHOWN_NAME_LIMIT ? `${name.slice(0, SHOWN_NAME_LIMIT)}…` : name;
  return oneLine(JSON.stringify(shortened));
}
