/**
 * vendor/modules.txt never crashes airlock: parseModulesTxt returns modules or throws a one-line
 * ModulesTxtSyntaxError naming a line of the text, and readModulesTxt, which the build calls, turns every
 * failure into a one-line InputError. (The property tests of test/unit/modules/modules-txt.test.ts are
 * folded in here: their random texts and line mutations are sources of the properties below, with their
 * numbers of runs.)
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';
import * as fc from 'fast-check';

import { type ModulesTxt, ModulesTxtSyntaxError, parseModulesTxt } from '../../../src/modules/modules-txt.js';
import { readModulesTxt } from '../../../src/modules/resolve-module-inputs.js';
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

const REAL = [
  await fs.readFile(path.join(packageRoot(), 'examples/cli/vendor/modules.txt'), 'utf8'),
  await fs.readFile(path.join(await hostGoroot(), 'src/cmd/vendor/modules.txt'), 'utf8'),
  // Replacements of every kind, a workspace header and annotations the go command reserves.
  '## workspace\n# a.example/x v1.0.0 => ../x\n## explicit; go 1.21; future\na.example/x\n# b.example/y v2.0.0+incompatible => c.example/z v0.1.0\n## explicit\nb.example/y/pkg\n# d.example/w => ./w\n# e.example/v v1.0.0 => f.example/u v1.2.3\n',
  '## workspace\n# example.com/a v1.0.0 => example.com/fork v1.0.1\n## explicit; go 1.22\nexample.com/a\n# example.com/b v0.3.0 => ../b\n## go 1.20\nexample.com/b/pkg\n# example.com/a => example.com/fork v1.0.1\n# example.com/u v1.2.3 => ./u\n',
];
const LINES = [...REAL[0]!.split('\n'), '## workspace', '# a => b', '# a v1 => b v2', '## go 1.21rc1', '## go 99999999999999999999', '##', '#'];
const TOKENS = ['# ', '## ', 'explicit', '; ', 'go 1.21', 'a.example/x', ' v1.0.0', ' => ', '../x', '\n', ' ', '\t', 'workspace', '#'];
// Tokens of every line form, to build texts close to valid ones.
const SYNTAX_TOKENS = ['# ', '## ', '#', 'example.com/a', 'example.com/a/pkg', ' ', '\t', '\n', '\r\n', 'v1.0.0', ' v1.2.3-rc.1', ' => ', '=>', '../dir', 'explicit', '; ', ';', 'go ', '1.21', '1.21.0', 'workspace', '.', '/'];
const INTERESTING = ['', ' ', '\t', '\r', '\n', '#', ';', '/', '=', '>', '.', 'v', '0', '+', '-'];

const MODULES_TXT: TextFormat<ModulesTxt> = {
  name: 'modules.txt',
  inputs: 'real modules.txt files',
  failure: 'a one-line ModulesTxtSyntaxError naming a line',
  parse: parseModulesTxt,
  failsAllowably: syntaxErrorOnALine(ModulesTxtSyntaxError),
  checkResult(parsed) {
    for (const module of parsed.modules) {
      if (module.path === '' || !module.version.startsWith('v')) throw new Error(`parsed into ${JSON.stringify(module)}`);
    }
  },
};

test(realInputsParse, MODULES_TXT, REAL);

test(randomTextParsesOrFailsAllowably, MODULES_TXT, [
  { texts: arbitraryText(TOKENS), numRuns: 500 },
  { texts: fc.string({ maxLength: 200, unit: 'binary' }), numRuns: 300 },
  { texts: fc.array(fc.constantFrom(...SYNTAX_TOKENS), { maxLength: 60 }).map((tokens) => tokens.join('')), numRuns: 800 },
]);

test(mutationsParseOrFailAllowably, MODULES_TXT, [
  { texts: textMutationsOf(REAL, LINES, 6), numRuns: 500 },
  { texts: lineMutationsOf(REAL, INTERESTING, 6), numRuns: 600 },
]);

test(
  damagedFileFailsWithInputError,
  { name: 'readModulesTxt', file: 'vendor/modules.txt', read: readModulesTxt },
  { texts: textMutationsOf(REAL, LINES, 6), numRuns: 100 },
);
