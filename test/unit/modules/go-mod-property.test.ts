/** Property tests: no input makes parseGoMod fail with anything but a GoModSyntaxError naming a real line. */
import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';
import * as fc from 'fast-check';

import { GoModSyntaxError, parseGoMod } from '../../../src/modules/go-mod.js';
import { packageRoot } from '../../../src/util/package-root.js';
import { hostGoroot } from '../../helpers/host-tools.js';
import { mutateLines, mutationArbitrary } from '../../helpers/text-mutations.js';

const mutationArb = mutationArbitrary(['', ' ', '\t', '\r', '\n', '(', ')', '"', '`', '\\', '/', '=', '>', '.', 'v', '0']);

function onlySyntaxErrors(text: string): boolean {
  try {
    return parseGoMod(text).module !== '';
  } catch (error) {
    if (!(error instanceof GoModSyntaxError)) throw error;
    return error.line >= 1 && error.line <= text.split('\n').length;
  }
}

const TOKENS = [
  'module ', 'go ', 'toolchain ', 'require ', 'replace ', 'exclude ', 'retract ', 'example.com/m', ' v1.2.3', ' 1.21', ' go1.22.0',
  ' => ', '=>', '../dir', '(', ')', ' (\n', '\n)\n', '// indirect', '//', '"', '`', '\\', ' ', '\t', '\n', '\r\n', '[v1.0.0, v1.1.0]',
];

test('property: random text only ever fails with GoModSyntaxError', (t) => {
  fc.assert(fc.property(fc.string({ maxLength: 200, unit: 'binary' }), onlySyntaxErrors), { numRuns: 300 });
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }), (tokens) => onlySyntaxErrors(tokens.join(''))),
    { numRuns: 800 },
  );
  t.pass();
});

test('property: mutations of real go.mod files only ever fail with GoModSyntaxError', async (t) => {
  const texts = [
    await fs.readFile(path.join(packageRoot(), 'examples/cli/go.mod'), 'utf8'),
    await fs.readFile(path.join(await hostGoroot(), 'src/cmd/go.mod'), 'utf8'),
    // Every directive airlock reads, with quoting, comments and blocks.
    'module "example.com/m" // comment\n\ngo 1.22.3\ntoolchain go1.23.4\n\nrequire (\n\ta.example/x v1.0.0 // indirect\n\t"b.example/y" `v2.0.0+incompatible`\n)\n\nreplace a.example/x v1.0.0 => ../x\nreplace (\n\tc.example/z => c.example/fork v0.1.0\n)\nexclude a.example/x v0.9.0\nretract [v1.0.0, v1.0.1]\n',
  ];
  fc.assert(
    fc.property(fc.constantFrom(...texts), fc.array(mutationArb, { minLength: 1, maxLength: 6 }), (text, mutations) => onlySyntaxErrors(mutateLines(text, mutations))),
    { numRuns: 600 },
  );
  t.pass();
});
