/**
 * The toolchain matrix (toolchains/go.json, or the file AIRLOCK_TOOLCHAINS names) never crashes airlock: random
 * text and mutations of the shipped matrix, as text and as JSON, parse or fail with a one-line InputError.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';
import * as fc from 'fast-check';

import { InputError } from '../../../src/errors.js';
import { loadToolchainMatrix, parseToolchainMatrix } from '../../../src/toolchain/matrix.js';
import { packageRoot } from '../../../src/util/package-root.js';
import { tempDir } from '../../helpers/host-tools.js';
import {
  applyTextMutations,
  arbitraryText,
  jsonMutationArbitrary,
  mutateJsonText,
  parsesOrFailsCleanly,
  parsesOrFailsCleanlyAsync,
  textMutationArbitrary,
} from '../../helpers/robustness.js';

const SHIPPED = await fs.readFile(path.join(packageRoot(), 'toolchains', 'go.json'), 'utf8');
const LOCATION = '/etc/airlock/go.json';
const TOKENS = ['{', '}', '[', ']', ',', ':', '"schema"', '"airlock.dev/toolchains/v1"', '"releases"', '"version"', '"go1.26.8"', '"platforms"', '"platform"', '"linux/amd64"', '"treeDigest"', '1e999', 'null', '"', '\n'];

const parse = (text: string) => () => parseToolchainMatrix(text, LOCATION);

test('the shipped matrix parses (the mutations below start from a real input)', (t) => {
  t.true(parsesOrFailsCleanly(parse(SHIPPED)));
});

test('property: random text parses or fails with a one-line InputError', (t) => {
  fc.assert(fc.property(arbitraryText(TOKENS), (text) => parsesOrFailsCleanly(parse(text)) || true), { numRuns: 400 });
  t.pass();
});

test('property: text mutations of the shipped matrix parse or fail with a one-line InputError', (t) => {
  fc.assert(
    fc.property(fc.array(textMutationArbitrary(SHIPPED.split('\n')), { minLength: 1, maxLength: 5 }), (mutations) => {
      parsesOrFailsCleanly(parse(applyTextMutations(SHIPPED, mutations)));
    }),
    { numRuns: 400 },
  );
  t.pass();
});

test('property: JSON mutations of the shipped matrix (hostile values, duplicated releases and platforms) parse or fail with a one-line InputError', (t) => {
  fc.assert(
    fc.property(fc.array(jsonMutationArbitrary(), { minLength: 1, maxLength: 4 }), (mutations) => {
      parsesOrFailsCleanly(parse(mutateJsonText(SHIPPED, mutations)));
    }),
    { numRuns: 400 },
  );
  t.pass();
});

test('property: loadToolchainMatrix of a damaged file fails only with a one-line InputError', async (t) => {
  const file = path.join(await tempDir(t), 'go.json');
  await fc.assert(
    fc.asyncProperty(fc.array(textMutationArbitrary(), { minLength: 1, maxLength: 4 }), async (mutations) => {
      await fs.writeFile(file, applyTextMutations(SHIPPED, mutations));
      await parsesOrFailsCleanlyAsync(async () => loadToolchainMatrix(file));
    }),
    { numRuns: 100 },
  );
  t.pass();
});

test('a JSON syntax error whose text spans lines is reported on one line', (t) => {
  const error = t.throws(() => parseToolchainMatrix('{\n  "schema": airlock\n}\n', LOCATION), { instanceOf: InputError });
  t.false(/\n/.test(error?.message ?? '\n'), error?.message);
});
