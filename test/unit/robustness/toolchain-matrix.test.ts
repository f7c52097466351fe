/**
 * The toolchain matrix (toolchains/go.json, or the file AIRLOCK_TOOLCHAINS names) never crashes airlock: random
 * text and mutations of the shipped matrix, as text and as JSON, parse or fail with a one-line InputError.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';

import { InputError } from '../../../src/errors.js';
import { loadToolchainMatrix, parseToolchainMatrix } from '../../../src/toolchain/matrix.js';
import { packageRoot } from '../../../src/util/package-root.js';
import {
  type TextFormat,
  damagedFileFailsWithInputError,
  jsonMutationsOf,
  jsonMutationsParseOrFailAllowably,
  mutationsParseOrFailAllowably,
  randomTextParsesOrFailsAllowably,
  realInputsParse,
  requireInputError,
  textMutationsOf,
} from '../../helpers/robustness-macros.js';
import { arbitraryText } from '../../helpers/robustness.js';

const SHIPPED = await fs.readFile(path.join(packageRoot(), 'toolchains', 'go.json'), 'utf8');
const LOCATION = '/etc/airlock/go.json';
const TOKENS = ['{', '}', '[', ']', ',', ':', '"schema"', '"airlock.dev/toolchains/v1"', '"releases"', '"version"', '"go1.26.8"', '"platforms"', '"platform"', '"linux/amd64"', '"treeDigest"', '1e999', 'null', '"', '\n'];

const MATRIX: TextFormat = {
  name: 'toolchain matrix',
  inputs: 'the shipped matrix',
  failure: 'a one-line InputError',
  parse: (text) => parseToolchainMatrix(text, LOCATION),
  failsAllowably: requireInputError,
};

test(realInputsParse, MATRIX, [SHIPPED]);
test(randomTextParsesOrFailsAllowably, MATRIX, [{ texts: arbitraryText(TOKENS), numRuns: 400 }]);
test(mutationsParseOrFailAllowably, MATRIX, [{ texts: textMutationsOf([SHIPPED], SHIPPED.split('\n'), 5), numRuns: 400 }]);
test(
  'property: JSON mutations of the shipped matrix (hostile values, duplicated releases and platforms) parse or fail with a one-line InputError',
  jsonMutationsParseOrFailAllowably,
  MATRIX,
  [{ texts: jsonMutationsOf([SHIPPED], 4), numRuns: 400 }],
);
test(
  damagedFileFailsWithInputError,
  { name: 'loadToolchainMatrix', file: 'go.json', read: async (dir) => loadToolchainMatrix(path.join(dir, 'go.json')) },
  { texts: textMutationsOf([SHIPPED], [], 4), numRuns: 100 },
);

test('a JSON syntax error whose text spans lines is reported on one line', (t) => {
  const error = t.throws(() => parseToolchainMatrix('{\n  "schema": airlock\n}\n', LOCATION), { instanceOf: InputError });
  t.false(/\n/.test(error?.message ?? '\n'), error?.message);
});
