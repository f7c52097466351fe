/**
 * vendor/modules.txt never crashes airlock: parseModulesTxt returns or throws a ModulesTxtSyntaxError naming a
 * line, and readModulesTxt, which the build calls, turns every failure into a one-line InputError.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';
import * as fc from 'fast-check';

import { ModulesTxtSyntaxError, parseModulesTxt } from '../../../src/modules/modules-txt.js';
import { readModulesTxt } from '../../../src/modules/resolve-module-inputs.js';
import { packageRoot } from '../../../src/util/package-root.js';
import { tempDir } from '../../helpers/host-tools.js';
import {
  applyTextMutations,
  arbitraryText,
  parsesOrFailsCleanlyAsync,
  parsesOrThrows,
  textMutationArbitrary,
} from '../../helpers/robustness.js';

const REAL = [
  await fs.readFile(path.join(packageRoot(), 'examples/cli/vendor/modules.txt'), 'utf8'),
  // Replacements of every kind, a workspace header and annotations the go command reserves.
  '## workspace\n# a.example/x v1.0.0 => ../x\n## explicit; go 1.21; future\na.example/x\n# b.example/y v2.0.0+incompatible => c.example/z v0.1.0\n## explicit\nb.example/y/pkg\n# d.example/w => ./w\n# e.example/v v1.0.0 => f.example/u v1.2.3\n',
];
const LINES = [...REAL[0]!.split('\n'), '## workspace', '# a => b', '# a v1 => b v2', '## go 1.21rc1', '## go 99999999999999999999', '##', '#'];
const TOKENS = ['# ', '## ', 'explicit', '; ', 'go 1.21', 'a.example/x', ' v1.0.0', ' => ', '../x', '\n', ' ', '\t', 'workspace', '#'];

test('property: random text parses or fails with a one-line ModulesTxtSyntaxError', (t) => {
  fc.assert(fc.property(arbitraryText(TOKENS), (text) => parsesOrThrows(() => parseModulesTxt(text), ModulesTxtSyntaxError) || true), { numRuns: 500 });
  t.pass();
});

test('property: mutations of real modules.txt files parse or fail with a one-line ModulesTxtSyntaxError', (t) => {
  fc.assert(
    fc.property(fc.constantFrom(...REAL), fc.array(textMutationArbitrary(LINES), { minLength: 1, maxLength: 6 }), (text, mutations) =>
      parsesOrThrows(() => parseModulesTxt(applyTextMutations(text, mutations)), ModulesTxtSyntaxError) || true,
    ),
    { numRuns: 500 },
  );
  t.pass();
});

test('property: readModulesTxt of a damaged vendor/modules.txt fails only with a one-line InputError', async (t) => {
  const dir = await tempDir(t);
  await fs.mkdir(path.join(dir, 'vendor'));
  await fc.assert(
    fc.asyncProperty(fc.array(textMutationArbitrary(LINES), { minLength: 1, maxLength: 6 }), async (mutations) => {
      await fs.writeFile(path.join(dir, 'vendor', 'modules.txt'), applyTextMutations(REAL[0]!, mutations));
      await parsesOrFailsCleanlyAsync(() => readModulesTxt(dir));
    }),
    { numRuns: 100 },
  );
  t.pass();
});
