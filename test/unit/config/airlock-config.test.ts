import fs from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';
import type { ExecutionContext } from 'ava';

import { CONFIG_FILE, parseAirlockConfig, readAirlockConfig } from '../../../src/config/airlock-config.js';
import { compileSchema, describeSchemaError } from '../../../src/util/schema-validation.js';
import { ExitCode, InputError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/host-tools.js';

const LOCATION = '/src/tool/airlock.json';

const FULL = {
  $schema: '../templates/airlock.schema.json',
  toolchains: ['>=1.26', 'latest', '1.26.8'],
  targets: ['linux/amd64', 'linux/arm64', 'darwin/arm64', 'windows/amd64'],
  main: ['./cmd/server', './cmd/cli'],
  ldflags: ['-s', '-w', '-X main.version=1.2.3'],
  tags: ['netgo', 'osusergo', 'go1.26'],
  sandbox: { memoryMiB: 4096, tmpfsMiB: 2048, cpus: 1.5, pids: 1024, timeoutSeconds: 600 },
  signing: { gpgKey: 'CF127FD2CC148A39A285BEC3ACD6871BF742CB34' },
};

/** The one-line problem of an invalid airlock.json, checked to be an InputError with the usual hint. */
const problem = (t: ExecutionContext, text: string): string => {
  const error = t.throws(() => parseAirlockConfig(text, LOCATION), { instanceOf: InputError });
  t.is(error?.exitCode, ExitCode.badInput);
  t.regex(error?.hint ?? '', /templates\/airlock\.schema\.json/);
  return error?.message ?? '';
};

test('a full valid configuration is returned as written', (t) => {
  t.deepEqual(parseAirlockConfig(JSON.stringify(FULL, null, 2), LOCATION), FULL);
});

test('every field is optional: {} is valid and means the defaults', (t) => {
  t.deepEqual(parseAirlockConfig('{}', LOCATION), {});
  t.deepEqual(parseAirlockConfig(' {\n}\n', LOCATION), {});
  t.deepEqual(parseAirlockConfig('{"sandbox": {}}', LOCATION), { sandbox: {} });
});

test('toolchains may be one spec or a non-empty list of them', (t) => {
  t.deepEqual(parseAirlockConfig('{"toolchains": "1.26.8"}', LOCATION), { toolchains: '1.26.8' });
  t.deepEqual(parseAirlockConfig('{"toolchains": ["1.26.x"]}', LOCATION), { toolchains: ['1.26.x'] });
});

test('each field alone is accepted', (t) => {
  for (const [key, value] of Object.entries(FULL)) {
    t.deepEqual(parseAirlockConfig(JSON.stringify({ [key]: value }), LOCATION), { [key]: value }, key);
  }
});

test('limits at the edges of their ranges are accepted', (t) => {
  const low = { memoryMiB: 256, tmpfsMiB: 64, cpus: 0.01, pids: 64, timeoutSeconds: 10 };
  const high = { memoryMiB: 1048576, tmpfsMiB: 1048576, cpus: 1024, pids: 65536, timeoutSeconds: 86400 };
  t.deepEqual(parseAirlockConfig(JSON.stringify({ sandbox: low }), LOCATION), { sandbox: low });
  t.deepEqual(parseAirlockConfig(JSON.stringify({ sandbox: high }), LOCATION), { sandbox: high });
});

test('signing.gpgKey: a key as --gpg-key names it; empty, option-like, multi-line or unknown fields are named', (t) => {
  t.deepEqual(parseAirlockConfig('{"signing": {"gpgKey": "Release Team <release@example.org>"}}', LOCATION), { signing: { gpgKey: 'Release Team <release@example.org>' } });
  t.deepEqual(parseAirlockConfig('{"signing": {}}', LOCATION), { signing: {} });
  for (const bad of ['{"signing": {"gpgKey": ""}}', '{"signing": {"gpgKey": "--homedir=/tmp"}}', '{"signing": {"gpgKey": "A\\nB"}}', '{"signing": {"gpgKey": 7}}']) {
    t.regex(problem(t, bad), /signing\.gpgKey|signing\/gpgKey|gpgKey/, bad);
  }
  t.regex(problem(t, '{"signing": {"gpg": "x"}}'), /signing/);
});

test('an unknown top-level field is named', (t) => {
  t.is(problem(t, '{"colour": "blue"}'), `${LOCATION}: colour: unknown field`);
  // A misspelling of a real field is unknown too.
  t.is(problem(t, '{"target": ["linux/amd64"]}'), `${LOCATION}: target: unknown field`);
});

test('a target that is not GOOS/GOARCH is named by its index', (t) => {
  t.is(problem(t, '{"targets": ["linux/amd64", "Linux-AMD64"]}'), `${LOCATION}: targets[1]: must match pattern "^[a-z0-9]+/[a-z0-9]+$"`);
  t.is(problem(t, '{"targets": []}'), `${LOCATION}: targets: must NOT have fewer than 1 items`);
});

test('toolchains of the wrong type is named', (t) => {
  t.regex(problem(t, '{"toolchains": 126}'), /^\/src\/tool\/airlock\.json: toolchains: /);
  t.regex(problem(t, '{"toolchains": {"go": "1.26.8"}}'), /^\/src\/tool\/airlock\.json: toolchains: /);
  t.is(problem(t, '{"toolchains": ""}'), `${LOCATION}: toolchains: must NOT have fewer than 1 characters`);
});

// Regression test for a fixed bug: toolchains is oneOf(string, array of strings), and only the first ajv error is shown, which is always the
// string branch's. So a list with one bad element, or an empty list, is reported as "toolchains: must be string"
// though a list is allowed; the real problem (toolchains[1] must be string, or the list is empty) is hidden.
test('a bad element of a toolchains list is not reported as "toolchains: must be string"', (t) => {
  t.notRegex(problem(t, '{"toolchains": ["1.26.8", 127]}'), /toolchains: must be string$/);
  t.notRegex(problem(t, '{"toolchains": []}'), /toolchains: must be string$/);
});

test('sandbox limits out of range, of the wrong type or unknown are named with their path', (t) => {
  t.is(problem(t, '{"sandbox": {"memoryMiB": 100}}'), `${LOCATION}: sandbox.memoryMiB: too small: the smallest value accepted is 256`);
  t.is(problem(t, '{"sandbox": {"memoryMiB": 512.5}}'), `${LOCATION}: sandbox.memoryMiB: must be a whole number`);
  t.is(problem(t, '{"sandbox": {"cpus": 0}}'), `${LOCATION}: sandbox.cpus: too small: it must be more than 0`);
  t.is(problem(t, '{"sandbox": {"pids": 4}}'), `${LOCATION}: sandbox.pids: too small: the smallest value accepted is 12`);
  t.is(problem(t, '{"sandbox": {"nofile": 0}}'), `${LOCATION}: sandbox.nofile: too small: the smallest value accepted is 12`);
  t.is(problem(t, '{"sandbox": {"scratchMiB": -5}}'), `${LOCATION}: sandbox.scratchMiB: too small: the smallest value accepted is 64`);
  t.is(problem(t, '{"sandbox": {"scratchMiB": "10G"}}'), `${LOCATION}: sandbox.scratchMiB: must be a whole number`);
  t.is(problem(t, '{"sandbox": {"timeoutSeconds": 86401}}'), `${LOCATION}: sandbox.timeoutSeconds: must be <= 86400`);
  t.is(problem(t, '{"sandbox": {"memory": 4096}}'), `${LOCATION}: sandbox.memory: unknown field`);
  t.is(problem(t, '{"sandbox": "big"}'), `${LOCATION}: sandbox: must be object`);
});

test('other fields name their element', (t) => {
  t.is(problem(t, '{"tags": ["netgo", "net go"]}'), `${LOCATION}: tags[1]: must match pattern "^[A-Za-z0-9_.]+$"`);
  t.is(problem(t, '{"main": [""]}'), `${LOCATION}: main[0]: must NOT have fewer than 1 characters`);
  t.is(problem(t, '{"ldflags": "-s -w"}'), `${LOCATION}: ldflags: must be array`);
});

test('a configuration that is not an object is a top-level problem', (t) => {
  t.is(problem(t, '[]'), `${LOCATION}: (top level): must be object`);
  t.is(problem(t, 'null'), `${LOCATION}: (top level): must be object`);
});

test('invalid JSON is an InputError naming the file and what the parser says', (t) => {
  const error = t.throws(() => parseAirlockConfig('{"targets": ["linux/amd64",]}', LOCATION), { instanceOf: InputError });
  t.regex(error?.message ?? '', /^\/src\/tool\/airlock\.json is not valid JSON: \S/);
  t.regex(error?.hint ?? '', /fix the syntax/);
  t.throws(() => parseAirlockConfig('', LOCATION), { instanceOf: InputError, message: /is not valid JSON/ });
});

test('configuration error messages (golden)', (t) => {
  const cases: Record<string, string> = {
    'unknown top-level field': '{"colour": "blue"}',
    'bad target': '{"targets": ["linux/amd64", "Linux-AMD64"]}',
    'toolchains of the wrong type': '{"toolchains": 126}',
    'memory below the minimum': '{"sandbox": {"memoryMiB": 100}}',
    'unknown sandbox field': '{"sandbox": {"memory": 4096}}',
  };
  for (const [name, text] of Object.entries(cases)) {
    const error = t.throws(() => parseAirlockConfig(text, LOCATION), { instanceOf: InputError });
    t.snapshot(`${error?.message}\nhint: ${error?.hint}`, name);
  }
  // The JSON parser's own words are Node's, not airlock's: only airlock's part is golden.
  const error = t.throws(() => parseAirlockConfig('{"targets": [', LOCATION), { instanceOf: InputError });
  t.snapshot(`${error?.message.split(': ')[0]}\nhint: ${error?.hint}`, 'invalid JSON');
});

test('readAirlockConfig: a module without airlock.json gets {}', async (t) => {
  const dir = await tempDir(t);
  await fs.writeFile(path.join(dir, 'go.mod'), 'module example.com/tool\n\ngo 1.26\n');
  t.deepEqual(readAirlockConfig(dir), {});
});

test('readAirlockConfig reads and validates airlock.json, naming the file in errors', async (t) => {
  const dir = await tempDir(t);
  t.is(CONFIG_FILE, 'airlock.json');
  const file = path.join(dir, CONFIG_FILE);
  await fs.writeFile(file, JSON.stringify({ targets: ['linux/arm64'], sandbox: { cpus: 2 } }));
  t.deepEqual(readAirlockConfig(dir), { targets: ['linux/arm64'], sandbox: { cpus: 2 } });
  await fs.writeFile(file, '{"colour": "blue"}');
  t.throws(() => readAirlockConfig(dir), { instanceOf: InputError, message: `${file}: colour: unknown field` });
});

test('readAirlockConfig: an airlock.json that cannot be read is an InputError, not the defaults', async (t) => {
  const dir = await tempDir(t);
  await fs.mkdir(path.join(dir, CONFIG_FILE));
  const error = t.throws(() => readAirlockConfig(dir), { instanceOf: InputError });
  t.regex(error?.message ?? '', new RegExp(`^${path.join(dir, CONFIG_FILE)} cannot be read: `));
});

// describeSchemaError through a small schema of its own: JSON-pointer paths become field paths.
test('schema errors name fields as dotted paths with [index], decoding ~1 and ~0', (t) => {
  const validate = compileSchema<unknown>({
    type: 'object',
    properties: {
      items: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } },
      map: { type: 'object', additionalProperties: { type: 'integer' } },
      nested: { type: 'object', additionalProperties: false, properties: { deep: { type: 'object', additionalProperties: false } } },
    },
    required: ['items'],
  });
  const problems = (value: unknown): string[] => {
    const result = validate(value);
    return result.ok ? [] : result.problems;
  };
  t.deepEqual(problems({ items: [] }), []);
  t.deepEqual(problems({}), ['items: required field is missing']);
  t.deepEqual(problems({ items: [{ name: 'a' }, {}] }), ['items[1].name: required field is missing']);
  t.deepEqual(problems({ items: [{ name: 1 }] }), ['items[0].name: must be string']);
  t.deepEqual(problems({ items: [], map: { 'a/b': 'x', 'c~d': 1.5 } }), ['map.a/b: must be a whole number', 'map.c~d: must be a whole number']);
  t.deepEqual(problems({ items: [], nested: { deep: { x: 1 } } }), ['nested.deep.x: unknown field']);
  t.deepEqual(problems('x'), ['(top level): must be object']);
  t.true(validate({ items: [] }).ok);
});

test('describeSchemaError on hand-made ajv errors', (t) => {
  const base = { schemaPath: '#', message: 'must be string' };
  t.is(describeSchemaError({ ...base, keyword: 'type', instancePath: '/a/0/b', params: { type: 'string' } }), 'a[0].b: must be string');
  t.is(describeSchemaError({ ...base, keyword: 'type', instancePath: '/0', params: {} }), '[0]: must be string');
  t.is(describeSchemaError({ ...base, keyword: 'additionalProperties', instancePath: '', params: { additionalProperty: 'x' } }), 'x: unknown field');
  t.is(describeSchemaError({ ...base, keyword: 'required', instancePath: '/s', params: { missingProperty: 'y' } }), 's.y: required field is missing');
  t.is(describeSchemaError({ schemaPath: '#', keyword: 'custom', instancePath: '/z', params: {} }), 'z: is invalid');
});
