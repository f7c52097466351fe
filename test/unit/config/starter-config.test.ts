/**
 * The starter airlock.json of `airlock init`: the module's main packages, common targets, one pinned
 * toolchain, and always valid against templates/airlock.schema.json.
 */
import path from 'node:path';

import test from 'ava';
import fc from 'fast-check';

import { parseAirlockConfig } from '../../../src/config/airlock-config.js';
import { STARTER_TARGETS, renderStarterConfig, starterConfig } from '../../../src/config/starter-config.js';
import { ExitCode, InputError } from '../../../src/errors.js';
import { findMainPackages, readGoModule } from '../../../src/modules/read-module.js';
import { packageRoot } from '../../../src/util/package-root.js';
import { loadToolchainMatrix, matrixVersions } from '../../../src/toolchain/matrix.js';
import { assertProperty } from '../../helpers/properties.js';

const MATRIX = matrixVersions(loadToolchainMatrix(path.join(packageRoot(), 'toolchains', 'go.json')));
const KNOWN = ['go1.25.9', 'go1.26.8', 'go1.27.3', 'go1.28rc1', 'go1.26.2'];

async function exampleStarter(name: string) {
  const module = await readGoModule(path.join(packageRoot(), 'examples', name));
  return starterConfig({
    module: `examples/${name}`,
    mains: await findMainPackages(module),
    ...(module.goMod.go !== undefined ? { goLine: module.goMod.go } : {}),
    knownReleases: MATRIX,
    schemaRef: '../../templates/airlock.schema.json',
  });
}

/** The rendered text, read back the way every build reads airlock.json (through the schema). */
const validated = (config: object) => parseAirlockConfig(renderStarterConfig(config), 'airlock.json');

test('examples/cli: its cmd/ main package, the starter targets, the newest matrix release go.mod allows', async (t) => {
  const { config, notes } = await exampleStarter('cli');
  t.deepEqual(config, {
    $schema: '../../templates/airlock.schema.json',
    toolchains: '1.27.3',
    targets: ['linux/amd64', 'linux/arm64', 'darwin/arm64', 'windows/amd64'],
    main: ['./cmd/cli'],
  });
  t.deepEqual(validated(config), config);
  t.regex(notes.join('\n'), /pinned go1\.27\.3, the newest release in the toolchain matrix go\.mod \(go 1\.26\) allows/);
});

test('examples/hello: the module root is the main package', async (t) => {
  const { config } = await exampleStarter('hello');
  t.deepEqual(config.main, ['.']);
  t.deepEqual(validated(config), config);
});

test('the rendered file is two-space JSON with the fields in a fixed order and a final newline', (t) => {
  const { config } = starterConfig({ module: 'm', mains: ['./cmd/a', './cmd/b'], goLine: '1.26', knownReleases: KNOWN });
  const text = renderStarterConfig(config);
  t.true(text.endsWith('}\n'));
  t.deepEqual(Object.keys(JSON.parse(text) as object), ['toolchains', 'targets', 'main']);
  t.true(text.startsWith('{\n  "toolchains": "1.27.3",\n  "targets": [\n    "linux/amd64",'));
});

test('the pin is the newest stable release not older than the go line; release candidates are never pinned', (t) => {
  const pin = (goLine: string | undefined, known = KNOWN) =>
    starterConfig({ module: 'm', mains: ['.'], ...(goLine !== undefined ? { goLine } : {}), knownReleases: known }).config.toolchains;
  t.is(pin('1.26'), '1.27.3');
  t.is(pin(undefined), '1.27.3');
  t.is(pin('1.25', ['go1.25.9', 'go1.26.2']), '1.26.2');
  t.is(pin('1.26.5', ['go1.26.2', 'go1.26.8']), '1.26.8');
  t.is(pin('1.28', KNOWN), undefined, 'go1.28rc1 is not pinned');
});

test('with no release the module allows, toolchains is left out and the note says why', (t) => {
  const { config, notes } = starterConfig({ module: 'm', mains: ['.'], goLine: '1.30', knownReleases: KNOWN });
  t.false('toolchains' in config);
  t.regex(notes.join('\n'), /toolchains: left out, no release in the toolchain matrix is go 1\.30 or later/);
  t.deepEqual(validated(config), config);
});

test('$schema is written only when given; targets can be replaced', (t) => {
  const without = starterConfig({ module: 'm', mains: ['.'], knownReleases: [] }).config;
  t.false('$schema' in without);
  t.deepEqual(without.targets, [...STARTER_TARGETS]);
  const custom = starterConfig({ module: 'm', mains: ['.'], knownReleases: [], targets: ['linux/riscv64'], schemaRef: 'x.json' }).config;
  t.deepEqual(custom, { $schema: 'x.json', targets: ['linux/riscv64'], main: ['.'] });
});

test('a module without a main package is an InputError that names it', (t) => {
  const error = t.throws(() => starterConfig({ module: 'lib/only', mains: [], knownReleases: KNOWN }), { instanceOf: InputError });
  t.is(error?.exitCode, ExitCode.badInput);
  t.regex(error?.message ?? '', /^lib\/only has no main package/);
  t.false(error?.message.includes('\n'));
});

test('whatever the module and the known releases, the starter validates against the schema', (t) => {
  const release = fc.tuple(fc.integer({ min: 20, max: 40 }), fc.integer({ min: 0, max: 12 }), fc.boolean()).map(([minor, patch, rc]) =>
    rc ? `go1.${minor}rc${patch + 1}` : `go1.${minor}.${patch}`,
  );
  const main = fc.constantFrom('.', './cmd/a', './cmd/tool-x', './cmd/ü');
  assertProperty(
    t,
    fc.property(
      fc.uniqueArray(main, { minLength: 1, maxLength: 4 }),
      fc.array(release, { maxLength: 8 }),
      fc.option(fc.integer({ min: 20, max: 40 }).map((minor) => `1.${minor}`), { nil: undefined }),
      (mains, knownReleases, goLine) => {
        const { config } = starterConfig({ module: 'm', mains, knownReleases, ...(goLine !== undefined ? { goLine } : {}) });
        return JSON.stringify(validated(config)) === JSON.stringify(config);
      },
    ),
    { numRuns: 200 },
  );
});
