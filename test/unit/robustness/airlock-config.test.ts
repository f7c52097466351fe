/**
 * airlock.json never crashes airlock: random text, and mutations of a full valid configuration (as text and
 * as JSON), either parse or fail with an InputError whose message is one line.
 */
import test from 'ava';

import { CONFIG_FILE, parseAirlockConfig, readAirlockConfig } from '../../../src/config/airlock-config.js';
import { InputError } from '../../../src/errors.js';
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

const AIRLOCK_JSON: TextFormat = {
  name: 'airlock.json',
  inputs: 'a valid airlock.json',
  failure: 'a one-line InputError',
  parse: (text) => parseAirlockConfig(text, LOCATION),
  failsAllowably: requireInputError,
};

test(realInputsParse, AIRLOCK_JSON, [VALID]);
test(randomTextParsesOrFailsAllowably, AIRLOCK_JSON, [{ texts: arbitraryText(TOKENS), numRuns: 500 }]);
test(mutationsParseOrFailAllowably, AIRLOCK_JSON, [{ texts: textMutationsOf([VALID], VALID.split('\n'), 5), numRuns: 500 }]);
test(jsonMutationsParseOrFailAllowably, AIRLOCK_JSON, [{ texts: jsonMutationsOf([VALID], 4), numRuns: 500 }]);
test(damagedFileFailsWithInputError, { name: 'readAirlockConfig', file: CONFIG_FILE, read: readAirlockConfig }, { texts: textMutationsOf([VALID], [], 4), numRuns: 100 });

test('a field name holding a line break is reported on one line', (t) => {
  const error = t.throws(() => parseAirlockConfig('{"sandbox": {"a\\nb": 1}}', LOCATION), { instanceOf: InputError });
  t.is(error?.message, `${LOCATION}: sandbox."a\\nb": unknown field`);
});

test('a JSON syntax error whose text spans lines is reported on one line', (t) => {
  const error = t.throws(() => parseAirlockConfig('{\n  "targets": [\n    linux/amd64\n  ]\n}\n', LOCATION), { instanceOf: InputError });
  t.false(/\n/.test(error?.message ?? '\n'), error?.message);
  t.true(error?.message.startsWith(`${LOCATION} is not valid JSON: `));
});
