/**
 * go.sum never crashes airlock: parseGoSum returns or throws a GoSumSyntaxError naming a line, and readGoSum,
 * which the build calls, turns every failure into a one-line InputError.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';
import * as fc from 'fast-check';

import { GoSumSyntaxError, parseGoSum } from '../../../src/modules/go-sum.js';
import { readGoSum } from '../../../src/modules/resolve-module-inputs.js';
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
  ['examples/cli/go.sum', 'test/fixtures/modules/missing-dependency/go.sum'].map((file) => fs.readFile(path.join(root, file), 'utf8')),
);
const LINES = REAL[0]!.split('\n').filter((line) => line !== '');
const TOKENS = ['example.com/m', ' ', '\t', 'v1.2.3', '/go.mod', 'h1:', 'h2:', '=', 'AAAA', '\n', '\r\n', 'v0.0.0-20161208181325-20d25e280405', '+incompatible', '-', '.'];

test('property: random text parses or fails with a one-line GoSumSyntaxError', (t) => {
  fc.assert(fc.property(arbitraryText(TOKENS), (text) => parsesOrThrows(() => parseGoSum(text), GoSumSyntaxError) || true), { numRuns: 500 });
  t.pass();
});

test('property: mutations of real go.sum files parse or fail with a one-line GoSumSyntaxError', (t) => {
  fc.assert(
    fc.property(fc.constantFrom(...REAL), fc.array(textMutationArbitrary(LINES), { minLength: 1, maxLength: 6 }), (text, mutations) =>
      parsesOrThrows(() => parseGoSum(applyTextMutations(text, mutations)), GoSumSyntaxError) || true,
    ),
    { numRuns: 500 },
  );
  t.pass();
});

test('property: readGoSum of a damaged go.sum fails only with a one-line InputError', async (t) => {
  const dir = await tempDir(t);
  await fc.assert(
    fc.asyncProperty(fc.array(textMutationArbitrary(LINES), { minLength: 1, maxLength: 6 }), async (mutations) => {
      await fs.writeFile(path.join(dir, 'go.sum'), applyTextMutations(REAL[0]!, mutations));
      await parsesOrFailsCleanlyAsync(() => readGoSum(dir));
    }),
    { numRuns: 100 },
  );
  t.pass();
});
