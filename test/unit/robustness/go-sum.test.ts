/**
 * go.sum never crashes airlock: parseGoSum returns entries or throws a one-line GoSumSyntaxError naming a
 * line of the text, and readGoSum, which the build calls, turns every failure into a one-line InputError.
 * (The property tests of test/unit/modules/go-sum.test.ts are folded in here: their random texts and line
 * mutations are sources of the properties below, with their numbers of runs.)
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';
import * as fc from 'fast-check';

import { type GoSumEntry, GoSumSyntaxError, parseGoSum } from '../../../src/modules/go-sum.js';
import { readGoSum } from '../../../src/modules/resolve-module-inputs.js';
import { packageRoot } from '../../../src/util/package-root.js';
import {
  type TextFormat,
  damagedFileFailsWithInputError,
  lineMutationsOf,
  mutationsParseOrFailAllowably,
  randomTextParsesOrFailsAllowably,
  realInputsParse,
  syntaxErrorOnALine,
  textMutationsOf,
} from '../../helpers/robustness-macros.js';
import { arbitraryText } from '../../helpers/robustness.js';

const root = packageRoot();
const REAL = await Promise.all(
  ['examples/cli/go.sum', 'test/fixtures/modules/missing-dependency/go.sum'].map((file) => fs.readFile(path.join(root, file), 'utf8')),
);
const LINES = REAL[0]!.split('\n').filter((line) => line !== '');
const H = (char: string): string => `h1:${char.repeat(43)}=`;
const TOKENS = ['example.com/m', ' ', '\t', 'v1.2.3', '/go.mod', 'h1:', 'h2:', '=', 'AAAA', '\n', '\r\n', 'v0.0.0-20161208181325-20d25e280405', '+incompatible', '-', '.'];
// Tokens of every field, with a well-formed h1: hash, to build texts close to valid ones.
const SYNTAX_TOKENS = ['example.com/m', 'a.b/c/v2', ' ', '\t', '\n', '\r\n', 'v1.2.3', 'v0.0.0-2019-abc', '/go.mod', '+incompatible', 'h1:', H('Q'), 'h2:', '=', '/', '-', '.', '0', 'v'];
const INTERESTING = ['', ' ', '\t', '\r', '\n', '/', '=', '+', '.', '-', 'v', '0', 'h', ':'];

const GO_SUM: TextFormat<GoSumEntry[]> = {
  name: 'go.sum',
  inputs: 'real go.sum files',
  failure: 'a one-line GoSumSyntaxError naming a line',
  parse: parseGoSum,
  failsAllowably: syntaxErrorOnALine(GoSumSyntaxError),
  checkResult(entries) {
    for (const entry of entries) {
      if (!/^h\d+:/.test(entry.hash) || entry.path === '' || entry.version === '') throw new Error(`parsed into ${JSON.stringify(entry)}`);
    }
  },
};

test(realInputsParse, GO_SUM, REAL);

test(randomTextParsesOrFailsAllowably, GO_SUM, [
  { texts: arbitraryText(TOKENS), numRuns: 500 },
  { texts: fc.string({ maxLength: 200, unit: 'binary' }), numRuns: 300 },
  { texts: fc.array(fc.constantFrom(...SYNTAX_TOKENS), { maxLength: 40 }).map((tokens) => tokens.join('')), numRuns: 500 },
]);

test(mutationsParseOrFailAllowably, GO_SUM, [
  { texts: textMutationsOf(REAL, LINES, 6), numRuns: 500 },
  { texts: lineMutationsOf(REAL, INTERESTING, 6), numRuns: 500 },
]);

test(damagedFileFailsWithInputError, { name: 'readGoSum', file: 'go.sum', read: readGoSum }, { texts: textMutationsOf(REAL, LINES, 6), numRuns: 100 });
