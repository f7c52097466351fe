/**
 * A private os.tmpdir() for a test process, so that a test can see what the code under test leaves behind
 * in its scratch directories. Only for test files whose tests run serially: it changes process.env.TMPDIR.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface PrivateTmp {
  /** Holds the scratch directory and the test's own files. */
  work: string;
  /** What os.tmpdir() returns from now on. */
  scratch: string;
  /** A fresh directory for the test's own files, outside the scratch directory. */
  workDir(name: string): Promise<string>;
  /** Throws, naming them, if any files are left in the scratch directory. */
  scratchIsEmpty(): Promise<void>;
  remove(): Promise<void>;
}

export async function usePrivateTmp(): Promise<PrivateTmp> {
  const work = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-robust-')));
  const scratch = path.join(work, 'tmp');
  await fs.mkdir(scratch);
  process.env.TMPDIR = scratch;
  return {
    work,
    scratch,
    workDir: (name) => fs.mkdtemp(path.join(work, `${name}-`)),
    async scratchIsEmpty() {
      const left = await fs.readdir(scratch);
      if (left.length > 0) throw new Error(`left behind in the scratch directory: ${left.join(', ')}`);
    },
    remove: () => fs.rm(work, { recursive: true, force: true }),
  };
}
