/**
 * Tests that need something a machine may lack: a warm Go module cache, a Podman API, root. Whether it is there
 * is decided before the test is registered, so that a missing input is reported as what it is: a skipped test,
 * with the reason in its title, on a developer machine; a failure under CI=true, where a missing input must
 * never pass silently. (A test that found its input missing while it ran, and passed, reported a pass for a
 * check it never made.) test/helpers/corpus-integration.ts does the same for the corpus.
 */
import fs from 'node:fs/promises';

import test from 'ava';

export const underCi = process.env.CI === 'true' || process.env.CI === '1';

/**
 * Registers a test through REGISTER (given the title) when MISSING is undefined. Otherwise, under CI=true, a
 * test of the same title that fails with CI_FAILURE; elsewhere a skipped test whose title ends with the reason.
 */
export function registerNeeding(missing: string | undefined, title: string, register: (title: string) => void, ciFailure = `CI=true and ${missing}`): void {
  if (missing === undefined) register(title);
  else if (underCi) test(title, (t) => t.fail(ciFailure));
  else test.skip(`${title} [skipped: ${missing}]`, () => undefined);
}

/** The file's contents, or undefined when it does not exist; any other failure to read it is thrown. */
export async function readIfPresent(file: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Whether DIR exists as a directory; any failure to look but its absence is thrown. */
export async function directoryExists(dir: string): Promise<boolean> {
  try {
    return (await fs.stat(dir)).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
