/**
 * go.mod never crashes airlock: parseGoMod returns a module or throws a one-line GoModSyntaxError naming a
 * line of the text, and readGoModule, which the CLI calls, turns every failure into a one-line InputError.
 * (The property tests of test/unit/modules/go-mod-property.test.ts are folded in here: their random texts and
 * line mutations are sources of the properties below, with their numbers of runs.)
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';
import * as fc from 'fast-check';

import { type GoMod, GoModSyntaxError, parseGoMod } from '../../../src/modules/go-mod.js';
import { readGoModule } from '../../../src/modules/read-module.js';
import { packageRoot } from '../../../src/util/package-root.js';
import { hostGoroot } from '../../helpers/host-tools.js';
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
const REAL = await Promise.all([
  ...['examples/cli/go.mod', 'test/fixtures/modules/missing-dependency/go.mod', 'test/fixtures/modules/needs-go127/go.mod'].map((file) => fs.readFile(path.join(root, file), 'utf8')),
  fs.readFile(path.join(await hostGoroot(), 'src/cmd/go.mod'), 'utf8'),
]);
// Every directive airlock reads, with quoting, comments and blocks.
REAL.push(
  'module "example.com/m" // comment\n\ngo 1.22.3\ntoolchain go1.23.4\n\nrequire (\n\ta.example/x v1.0.0 // indirect\n\t"b.example/y" `v2.0.0+incompatible`\n)\n\nreplace a.example/x v1.0.0 => ../x\nreplace (\n\tc.example/z => c.example/fork v0.1.0\n)\nexclude a.example/x v0.9.0\nretract [v1.0.0, v1.0.1]\n',
);

const TOKENS = ['module ', 'go ', 'toolchain ', 'require ', 'replace ', 'exclude ', 'example.com/m', ' v1.2.3', ' 1.21', ' => ', '(', ')', '\n', '"', '`', '\\', '// indirect', ' ', '\t'];
// Tokens of every directive, to build texts close to valid ones.
const SYNTAX_TOKENS = [
  'module ', 'go ', 'toolchain ', 'require ', 'replace ', 'exclude ', 'retract ', 'example.com/m', ' v1.2.3', ' 1.21', ' go1.22.0',
  ' => ', '=>', '../dir', '(', ')', ' (\n', '\n)\n', '// indirect', '//', '"', '`', '\\', ' ', '\t', '\n', '\r\n', '[v1.0.0, v1.1.0]',
];
const LINES = ['require (', ')', 'require x v1.0.0', 'replace a => b', 'module', 'go 1.99999999999999999999', 'toolchain', '// indirect', 'module a b'];
const INTERESTING = ['', ' ', '\t', '\r', '\n', '(', ')', '"', '`', '\\', '/', '=', '>', '.', 'v', '0'];

const GO_MOD: TextFormat<GoMod> = {
  name: 'go.mod',
  inputs: 'real go.mod files',
  failure: 'a one-line GoModSyntaxError naming a line',
  parse: parseGoMod,
  failsAllowably: syntaxErrorOnALine(GoModSyntaxError),
  checkResult(result) {
    if (result.module === '') throw new Error('parsed without a module path');
  },
};

test(realInputsParse, GO_MOD, REAL);

test(randomTextParsesOrFailsAllowably, GO_MOD, [
  { texts: arbitraryText(TOKENS), numRuns: 500 },
  { texts: fc.string({ maxLength: 200, unit: 'binary' }), numRuns: 300 },
  { texts: fc.array(fc.constantFrom(...SYNTAX_TOKENS), { maxLength: 60 }).map((tokens) => tokens.join('')), numRuns: 800 },
]);

test(mutationsParseOrFailAllowably, GO_MOD, [
  { texts: textMutationsOf(REAL, LINES, 6), numRuns: 500 },
  { texts: lineMutationsOf(REAL, INTERESTING, 6), numRuns: 600 },
]);

test(damagedFileFailsWithInputError, { name: 'readGoModule', file: 'go.mod', read: readGoModule }, { texts: textMutationsOf(REAL, LINES, 6), numRuns: 100 });
