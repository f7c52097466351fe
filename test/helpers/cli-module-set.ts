/**
 * The examples/cli module and its real module set (test/fixtures/module-sets/cli-modules.tar.gz, a tar.gz in
 * the go command's download-cache layout), shared by the module and provenance unit tests.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import { packageRoot } from '../../src/util/package-root.js';
import { execFileAsync, tempDir } from './host-tools.js';

export const CLI_EXAMPLE = path.join(packageRoot(), 'examples/cli');
export const CLI_MODULE_SET = path.join(packageRoot(), 'test/fixtures/module-sets/cli-modules.tar.gz');

export const CLI_GO_SUM_TEXT = await fs.readFile(path.join(CLI_EXAMPLE, 'go.sum'), 'utf8');
export const CLI_MODULES_TXT_TEXT = await fs.readFile(path.join(CLI_EXAMPLE, 'vendor/modules.txt'), 'utf8');

/**
 * The go.sum lines of examples/cli as a map from "<path> <version>" and "<path> <version>/go.mod" to the
 * hash, read with a plain split so that the expectations do not depend on airlock's go.sum parser.
 */
export const CLI_GO_SUM: ReadonlyMap<string, string> = new Map(
  CLI_GO_SUM_TEXT.split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [modulePath, version, hash] = line.trim().split(/\s+/);
      return [`${modulePath} ${version}`, hash!] as const;
    }),
);

/** The modules whose zips are in the set, i.e. the ones vendored into examples/cli. */
export const CLI_ZIP_MODULES: ReadonlyArray<{ path: string; version: string }> = [
  { path: 'github.com/dustin/go-humanize', version: 'v1.1.0' },
  { path: 'github.com/google/uuid', version: 'v1.6.0' },
  { path: 'github.com/inconshreveable/mousetrap', version: 'v1.1.0' },
  { path: 'github.com/spf13/cobra', version: 'v1.10.2' },
  { path: 'github.com/spf13/pflag', version: 'v1.0.9' },
];

/** Extracts the fixture with the `tar` command (not with airlock's code) into a fresh temporary directory. */
export async function extractCliModuleSet(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await tempDir(t, 'airlock-cli-set-');
  await execFileAsync('tar', ['-xzf', CLI_MODULE_SET, '-C', dir]);
  return dir;
}
