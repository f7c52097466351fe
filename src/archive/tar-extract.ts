import fs from 'node:fs';
import { Writable } from 'node:stream';

import tarFs, { type ExtractOptions } from 'tar-fs';
import tarStream from 'tar-stream';

/** The callback-style calls tar-fs makes while extracting. */
const CALLBACK_METHODS = ['stat', 'lstat', 'mkdir', 'unlink', 'symlink', 'realpath', 'link', 'utimes', 'chmod', 'lchmod', 'chown', 'lchown'] as const;

/** How long stop() waits for calls already under way; they take milliseconds, so this only guards against a hang. */
const SETTLE_LIMIT_MS = 10_000;

export interface TarExtraction {
  /** Where to pipe the uncompressed tar. */
  stream: Writable;
  /**
   * After a failed pipeline: makes every later file-system call of the extraction fail, and resolves once no
   * call is under way, so that removing the destination afterwards removes everything.
   */
  stop(): Promise<void>;
}

const stoppedError = () => Object.assign(new Error('extraction stopped'), { code: 'ECANCELED' });

/**
 * tarFs.extract, safe with damaged archives, for extracting into a directory that is removed when it fails.
 *
 * - tar-fs drains the entries it skips without listening for their errors, so a damaged archive failing in
 *   the middle of such an entry would throw its error from nowhere and end the process: every entry stream
 *   gets a listener here (the error still fails the pipeline through the extract stream).
 * - When the pipeline fails, tar-fs carries on with the entry it was writing (a mkdir, a file) and would
 *   recreate what the caller has just removed: its file-system calls are counted, and refused after stop().
 */
export function extractTar(cwd: string, options: ExtractOptions): TarExtraction {
  let stopped = false;
  let inFlight = 0;
  const waiting: Array<() => void> = [];
  const done = () => {
    inFlight--;
    if (inFlight === 0) for (const resolve of waiting.splice(0)) resolve();
  };

  const guarded: Record<string, unknown> = {};
  for (const name of CALLBACK_METHODS) {
    const method = (fs as unknown as Record<string, unknown>)[name];
    if (typeof method !== 'function') continue;
    guarded[name] = (...args: unknown[]) => {
      const callback = args.pop() as (...results: unknown[]) => void;
      if (stopped) return process.nextTick(callback, stoppedError());
      inFlight++;
      (method as (...a: unknown[]) => void).call(fs, ...args, (...results: unknown[]) => {
        done();
        callback(...results);
      });
    };
  }
  guarded.createWriteStream = (file: string) => {
    if (stopped) {
      const refused = new Writable({ write: (_chunk, _encoding, callback) => callback(stoppedError()) });
      refused.destroy(stoppedError());
      return refused;
    }
    inFlight++;
    return fs.createWriteStream(file).once('close', done);
  };

  const extract = tarStream.extract();
  extract.on('entry', (_header, stream) => {
    stream.on('error', () => undefined);
  });

  return {
    stream: tarFs.extract(cwd, { ...options, extract, fs: guarded }),
    stop() {
      stopped = true;
      if (inFlight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        waiting.push(resolve);
        setTimeout(resolve, SETTLE_LIMIT_MS).unref();
      });
    },
  };
}
