/**
 * airlock.json never crashes airlock: random text, and mutations of a full valid configuration (as text and
 * as JSON), either parse or fail with an InputError whose message is one line.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';
import * as fc from 'fast-check';

import { CONFIG_FILE, parseAirlockConfig, readAirlockConfig } from '../../../src/config/airlock-config.js';
import { InputError } from '../../../src/errors.js';
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

const LOCATION = '/src/tool/airlock.json';

const VALID = JSON.stringify(
  {
    $schema: '../templates/airlock.schema.json',
    toolchains: ['>=1.26', 'latest', '1.26.8'],
    targets: ['linux/amd64', 'linux/arm64', 'darwin/arm64', 'windows/amd64'],
    main: ['./cmd/server', './cmd/cli'],
    ldflags: ['-s', '-w', '-X main.version=1.2.3'],
    tags: ['netgo', 'osusergo'],
    sandbox: { memoryMiB: 4096, tmpfsMiB: 2048, cpus: 1.5, pids: 1024, timeoutSeconds: 600 },
  },
  null,
  2,
);

const TOKENS = ['{', '}', '[', ']', ',', ':', '"toolchains"', '"targets"', '"sandbox"', '"cpus"', '"linux/amd64"', '1e999', '-1', 'null', 'true', '"', '\\', '\n', ' '];

const parse = (text: string) => () => parseAirlockConfig(text, LOCATION);

test('the valid configuration parses (the mutations below start from a real input)', (t) => {
  t.true(parsesOrFailsCleanly(parse(VALID)));
});

test('property: random text parses or fails with a one-line InputError', (t) => {
  fc.assert(fc.property(arbitraryText(TOKENS), (text) => parsesOrFailsCleanly(parse(text)) || true), { numRuns: 500 });
  t.pass();
});

test('property: text mutations of a valid airlock.json parse or fail with a one-line InputError', (t) => {
  fc.assert(
    fc.property(fc.array(textMutationArbitrary(VALID.split('\n')), { minLength: 1, maxLength: 5 }), (mutations) => {
      parsesOrFailsCleanly(parse(applyTextMutations(VALID, mutations)));
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('property: JSON mutations (hostile values, unknown and odd keys) parse or fail with a one-line InputError', (t) => {
  fc.assert(
    fc.property(fc.array(jsonMutationArbitrary(), { minLength: 1, maxLength: 4 }), (mutations) => {
      parsesOrFailsCleanly(parse(mutateJsonText(VALID, mutations)));
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('property: readAirlockConfig of a damaged file fails only with a one-line InputError', async (t) => {
  const dir = await tempDir(t);
  await fc.assert(
    fc.asyncProperty(fc.array(textMutationArbitrary(), { minLength: 1, maxLength: 4 }), async (mutations) => {
      await fs.writeFile(path.join(dir, CONFIG_FILE), applyTextMutations(VALID, mutations));
      await parsesOrFailsCleanlyAsync(async () => readAirlockConfig(dir));
    }),
    { numRuns: 100 },
  );
  t.pass();
});

test('a field name holding a line break is reported on one line', (t) => {
  const error = t.throws(() => parseAirlockConfig('{"sandbox": {"a\\nb": 1}}', LOCATION), { instanceOf: InputError });
  t.is(error?.message, `${LOCATION}: sandbox."a\\nb": unknown field`);
});

test('a JSON syntax error whose text spans lines is reported on one line', (t) => {
  const error = t.throws(() => parseAirlockConfig('{\n  "targets": [\n    linux/amd64\n  ]\n}\n', LOCATION), { instanceOf: InputError });
  t.false(/\n/.test(error?.message ?? '\n'), error?.message);
  t.true(error?.message.startsWith(`${LOCATION} is not valid JSON: `));
});
