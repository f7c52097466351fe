/**
 * go.mod never crashes airlock: parseGoMod returns or throws a GoModSyntaxError naming a line, and
 * readGoModule, which the CLI calls, turns every failure into a one-line InputError.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';
import * as fc from 'fast-check';

import { GoModSyntaxError, parseGoMod } from '../../../src/modules/go-mod.js';
import { readGoModule } from '../../../src/modules/read-module.js';
import { packageRoot } from '../../../src/util/package-root.js';
import { tempDir } from '../../helpers/host-tools.js';
import {
  applyTextMutations,
  arbitraryText,
  parsesOrFailsCleanlyAsync,
  parsesOrThrows,
  textMutationArbitrary,
} from '../../helpers/robustness.js';

const root = packageRoot();
const REAL = await Promise.all(
  ['examples/cli/go.mod', 'test/fixtures/modules/missing-dependency/go.mod', 'test/fixtures/modules/needs-go127/go.mod'].map((file) =>
    fs.readFile(path.join(root, file), 'utf8'),
  ),
);
// Every directive airlock reads, with quoting, comments and blocks.
REAL.push(
  'module "example.com/m" // comment\n\ngo 1.22.3\ntoolchain go1.23.4\n\nrequire (\n\ta.example/x v1.0.0 // indirect\n\t"b.example/y" `v2.0.0+incompatible`\n)\n\nreplace a.example/x v1.0.0 => ../x\nreplace (\n\tc.example/z => c.example/fork v0.1.0\n)\nexclude a.example/x v0.9.0\nretract [v1.0.0, v1.0.1]\n',
);

const TOKENS = ['module ', 'go ', 'toolchain ', 'require ', 'replace ', 'exclude ', 'example.com/m', ' v1.2.3', ' 1.21', ' => ', '(', ')', '\n', '"', '`', '\\', '// indirect', ' ', '\t'];
const LINES = ['require (', ')', 'require x v1.0.0', 'replace a => b', 'module', 'go 1.99999999999999999999', 'toolchain', '// indirect', 'module a b'];

test('property: random text parses or fails with a one-line GoModSyntaxError', (t) => {
  fc.assert(fc.property(arbitraryText(TOKENS), (text) => parsesOrThrows(() => parseGoMod(text), GoModSyntaxError) || true), { numRuns: 500 });
  t.pass();
});

test('property: mutations of real go.mod files parse or fail with a one-line GoModSyntaxError', (t) => {
  fc.assert(
    fc.property(fc.constantFrom(...REAL), fc.array(textMutationArbitrary(LINES), { minLength: 1, maxLength: 6 }), (text, mutations) =>
      parsesOrThrows(() => parseGoMod(applyTextMutations(text, mutations)), GoModSyntaxError) || true,
    ),
    { numRuns: 500 },
  );
  t.pass();
});

test('property: readGoModule of a module with a damaged go.mod fails only with a one-line InputError', async (t) => {
  const dir = await tempDir(t);
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...REAL), fc.array(textMutationArbitrary(LINES), { minLength: 1, maxLength: 6 }), async (text, mutations) => {
      await fs.writeFile(path.join(dir, 'go.mod'), applyTextMutations(text, mutations));
      await parsesOrFailsCleanlyAsync(() => readGoModule(dir));
    }),
    { numRuns: 100 },
  );
  t.pass();
});
