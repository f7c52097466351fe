/**
 * buildProvenanceStatement against the published in-toto Statement v1 and SLSA Provenance v1 layouts, from
 * an input with the values a real build of examples/cli records.
 */
import test from 'ava';

import { canonicalJson } from '../../../src/util/canonical-json.js';
import { sha256Hex } from '../../../src/util/hash.js';
import { type ProvenanceInput, type ResourceDescriptor, buildProvenanceStatement } from '../../../src/provenance/statement.js';
import { type BuildCommandInput, defaultSandboxPolicy, goBuildArguments, goBuildEnvironment } from '../../../src/sandbox/policy.js';
import { CLI_GO_SUM, CLI_ZIP_MODULES } from '../../helpers/cli-module-set.js';

const TOOLCHAIN_H1 = 'h1:r0ub+FnqzZxoWm/dSUOI9DcIqYWn/mNYGFJcv7PyBzs=';

// The container policy airlock uses by default, on 4 CPUs: the real one, so that the fixture cannot drift
// from it (a copy had: it lacked nproc and scratchBytes, and its seccomp was a string). A change of the
// defaults changes the golden statement and the digest below, as it changes every provenance airlock writes.
const POLICY = defaultSandboxPolicy(4);

// The go command and environment a vendored build of ./cmd/cli for linux/amd64 runs with, from the functions
// the build runs it with.
const COMMAND_INPUT: BuildCommandInput = {
  goos: 'linux',
  goarch: 'amd64',
  mainPackage: './cmd/cli',
  outputName: 'cli',
  vendored: true,
  ldflags: ['-s', '-w'],
  tags: [],
};

/** The zip h1 of each vendored module, copied from examples/cli/go.sum (a test below checks the copy). */
const MODULES = [
  { path: 'github.com/dustin/go-humanize', version: 'v1.1.0', sum: 'h1:dbKTrvD0klcbBV/h4AWJdMuZogJACoMlvWIWZ5b2xWg=', origin: 'vendor' },
  { path: 'github.com/google/uuid', version: 'v1.6.0', sum: 'h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=', origin: 'vendor' },
  { path: 'github.com/inconshreveable/mousetrap', version: 'v1.1.0', sum: 'h1:wN+x4NVGpMsO7ErUn/mUI3vEoE6Jt13X2s0bqwp9tc8=', origin: 'vendor' },
  { path: 'github.com/spf13/cobra', version: 'v1.10.2', sum: 'h1:DMTTonx5m65Ic0GOoRY2c16WCbHxOOw6xxezuLaBpcU=', origin: 'vendor' },
  { path: 'github.com/spf13/pflag', version: 'v1.0.9', sum: 'h1:9exaQaMOCwffKiiiYk6/BndUBv+iRViNW+4lEMi0PvY=', origin: 'vendor' },
];

function realisticInput(overrides: Partial<ProvenanceInput> = {}): ProvenanceInput {
  return {
    artifact: { name: 'cli', sha256: 'c4a1f0d9e8b7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0918273' },
    // treeDigest: the docs/buildtype.md recipe (find | sort | xargs sha256sum | sha256sum) over examples/cli.
    source: {
      path: '/home/dev/airlock/examples/cli',
      treeDigest: '14e66d1524aa5c7b00bdf4d2147ec75f5402560b2968431ff58029c3e0248787',
      gitCommit: '3f9c2a7b5d1e4f6a8b0c2d4e6f8a0b1c3d5e7f90',
      gitDirty: false,
    },
    module: { path: 'example.com/cli', go: '1.26' },
    build: { package: './cmd/cli', goos: 'linux', goarch: 'amd64', ldflags: ['-s', '-w'], tags: [] },
    toolchain: {
      version: 'go1.27.3',
      platform: 'linux/amd64',
      treeDigest: TOOLCHAIN_H1,
      verification: { status: 'pinned', checks: [`module zip h1 ${TOOLCHAIN_H1}`, `tree digest ${TOOLCHAIN_H1}`] },
      moduleVersion: 'v0.0.1-go1.27.3.linux-amd64',
    },
    command: ['go', ...goBuildArguments(COMMAND_INPUT)],
    environment: goBuildEnvironment(COMMAND_INPUT),
    sandbox: {
      image: 'airlock-sandbox:go1.27.3-5b0e2c9d41f7a386',
      imageId: 'sha256:9d3f7c21b0a84e6f5d2c1b0a9e8f7d6c5b4a3928170f6e5d4c3b2a1908f7e6d5',
      policy: POLICY,
      // sha256Hex(canonicalJson(POLICY)), checked below.
      policyDigest: 'sha256:1c0d2312c8fb72d6f02e0f0713849ec1382f52fcb7360396fb989cf31f0e2b44',
      seccomp: POLICY.seccomp.name,
      network: POLICY.network,
    },
    modules: { source: 'vendor', verified: true, list: MODULES },
    builderVersion: { airlock: '0.1.0', engine: 'docker 28.3.2' },
    invocationId: '0b6c3f5e-2a41-4d7e-9c8b-51f0e2d7a6c4/go1.27.3-cli-linux-amd64',
    // Milliseconds on purpose: the statement must drop them.
    startedOn: new Date('2026-08-20T10:15:30.123Z'),
    finishedOn: new Date('2026-08-20T10:16:02.987Z'),
    ...overrides,
  };
}

const SBOM = { name: 'cli.cdx.json', sha256: '0d6f4b0e1c3a5f7e9d2b4c6a8e0f1d3b5a7c9e2f4d6b8a0c1e3f5d7b9a2c4e6f' };

const LOWER_HEX = /^[0-9a-f]+$/;
/** RFC 3339 in UTC with a "Z" and whole seconds. */
const TIMESTAMP = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\dZ$/;
/** RFC 3986 scheme, lower-case as in-toto requires for TypeURI and ResourceURI. */
const LOWER_SCHEME = /^[a-z][a-z0-9+.-]*:/;

/** The base64 h1: hash as hex, computed here with Buffer rather than with airlock's helper. */
function hexOfH1(h1: string): string {
  if (!h1.startsWith('h1:')) throw new Error(`not an h1: hash: ${h1}`);
  return Buffer.from(h1.slice(3), 'base64').toString('hex');
}

test('the realistic input copies examples/cli/go.sum and a policy digest that is the policy\'s', (t) => {
  for (const module of MODULES) t.is(module.sum as string | undefined, CLI_GO_SUM.get(`${module.path} ${module.version}`), module.path);
  t.deepEqual(
    MODULES.map((m) => ({ path: m.path, version: m.version })),
    CLI_ZIP_MODULES,
  );
  t.is(realisticInput().sandbox.policyDigest, `sha256:${sha256Hex(canonicalJson(POLICY))}`);
});

test('golden statement, without and with an SBOM byproduct', (t) => {
  t.snapshot(JSON.stringify(buildProvenanceStatement(realisticInput()), null, 2), 'statement for examples/cli');
  t.snapshot(canonicalJson(buildProvenanceStatement({ ...realisticInput(), sbom: SBOM })), 'canonical payload with --sbom');
});

test('the statement has the in-toto Statement v1 layout', (t) => {
  const statement = buildProvenanceStatement(realisticInput());
  t.is(statement._type, 'https://in-toto.io/Statement/v1');
  t.is(statement.predicateType, 'https://slsa.dev/provenance/v1');
  t.deepEqual(Object.keys(statement).sort(), ['_type', 'predicate', 'predicateType', 'subject']);
  t.is(statement.subject.length, 1);
  const [subject] = statement.subject;
  t.is(subject?.name, 'cli');
  t.deepEqual(Object.keys(subject?.digest ?? {}), ['sha256']);
  t.regex(subject?.digest?.sha256 ?? '', /^[0-9a-f]{64}$/);
  t.is(subject?.digest?.sha256, realisticInput().artifact.sha256);
});

test('the predicate has the SLSA Provenance v1 layout', (t) => {
  const { predicate } = buildProvenanceStatement(realisticInput());
  t.deepEqual(Object.keys(predicate).sort(), ['buildDefinition', 'runDetails']);
  const definition = predicate.buildDefinition;
  t.deepEqual(Object.keys(definition).sort(), ['buildType', 'externalParameters', 'internalParameters', 'resolvedDependencies']);
  t.regex(definition.buildType, LOWER_SCHEME);
  t.notThrows(() => new URL(definition.buildType));
  t.is(typeof definition.externalParameters, 'object');
  t.is(typeof definition.internalParameters, 'object');
  t.true(Array.isArray(definition.resolvedDependencies));
  t.true(definition.resolvedDependencies.length > 0);
  t.truthy(predicate.runDetails.builder.id);
  t.regex(predicate.runDetails.builder.id, LOWER_SCHEME);
  t.notThrows(() => new URL(predicate.runDetails.builder.id));
  t.deepEqual(predicate.runDetails.builder.version, { airlock: '0.1.0', engine: 'docker 28.3.2' });
  t.is(predicate.runDetails.metadata.invocationId, '0b6c3f5e-2a41-4d7e-9c8b-51f0e2d7a6c4/go1.27.3-cli-linux-amd64');
});

test('every ResourceDescriptor has a uri, digest or content, and digests are lowercase hex', (t) => {
  const statement = buildProvenanceStatement({ ...realisticInput(), sbom: SBOM });
  const descriptors: Array<[string, ResourceDescriptor]> = [
    ...statement.subject.map((d) => ['subject', d] as [string, ResourceDescriptor]),
    ...statement.predicate.buildDefinition.resolvedDependencies.map((d) => ['dependency', d] as [string, ResourceDescriptor]),
    ...(statement.predicate.runDetails.byproducts ?? []).map((d) => ['byproduct', d] as [string, ResourceDescriptor]),
  ];
  t.is(descriptors.length, 1 + 2 + MODULES.length + 1);
  for (const [kind, descriptor] of descriptors) {
    const label = `${kind} ${descriptor.name ?? descriptor.uri}`;
    t.true(descriptor.uri !== undefined || descriptor.digest !== undefined || 'content' in descriptor, label);
    if (descriptor.uri !== undefined) t.regex(descriptor.uri, LOWER_SCHEME, label);
    for (const [algorithm, value] of Object.entries(descriptor.digest ?? {})) {
      t.regex(value, LOWER_HEX, `${label} ${algorithm}`);
      const lengths: Record<string, number> = { sha256: 64, dirHash: 64, gitCommit: 40 };
      t.true(algorithm in lengths, `${label}: unexpected digest algorithm ${algorithm}`);
      t.is(value.length as number | undefined, lengths[algorithm], `${label} ${algorithm}`);
    }
  }
});

test('a module without a go.sum hash is still a valid descriptor: it keeps its purl and has no digest', (t) => {
  const input = realisticInput({
    modules: { source: 'vendor', verified: false, list: [{ path: 'example.com/local', version: 'v0.0.0', origin: 'vendor' }] },
  });
  const dependency = buildProvenanceStatement(input).predicate.buildDefinition.resolvedDependencies.find((d) => d.name === 'example.com/local@v0.0.0');
  t.deepEqual(dependency, { name: 'example.com/local@v0.0.0', uri: 'pkg:golang/example.com/local@v0.0.0', annotations: { origin: 'vendor' } });
});

test('timestamps are RFC 3339 UTC with a Z and no fractional seconds', (t) => {
  const { metadata } = buildProvenanceStatement(realisticInput()).predicate.runDetails;
  t.regex(metadata.startedOn, TIMESTAMP);
  t.regex(metadata.finishedOn, TIMESTAMP);
  t.is(metadata.startedOn, '2026-08-20T10:15:30Z');
  t.is(metadata.finishedOn, '2026-08-20T10:16:02Z');
  t.true(Date.parse(metadata.startedOn) <= Date.parse(metadata.finishedOn));
  // Whole-second dates and dates in other years keep the same form.
  const other = buildProvenanceStatement(
    realisticInput({ startedOn: new Date(Date.UTC(1999, 11, 31, 23, 59, 59)), finishedOn: new Date(Date.UTC(2000, 0, 1, 0, 0, 0, 1)) }),
  ).predicate.runDetails.metadata;
  t.is(other.startedOn, '1999-12-31T23:59:59Z');
  t.is(other.finishedOn, '2000-01-01T00:00:00Z');
});

test('no field name appears in both externalParameters and internalParameters', (t) => {
  const { externalParameters, internalParameters } = buildProvenanceStatement(realisticInput()).predicate.buildDefinition;
  const external = Object.keys(externalParameters);
  const internal = Object.keys(internalParameters);
  t.deepEqual(
    external.filter((key) => internal.includes(key)),
    [],
  );
  // What the user chose is external, what airlock chose internal (docs/buildtype.md).
  t.deepEqual(external.sort(), ['go', 'goarch', 'goos', 'ldflags', 'module', 'package', 'source', 'tags']);
  t.deepEqual(internal.sort(), ['buildCache', 'cgo', 'command', 'environment', 'moduleSource', 'modulesVerifiedAgainstGoSum', 'sandbox']);
  t.deepEqual(externalParameters.source, { path: '/home/dev/airlock/examples/cli', dirHash: '14e66d1524aa5c7b00bdf4d2147ec75f5402560b2968431ff58029c3e0248787' });
  t.is(internalParameters.cgo, false);
});

test("the toolchain dependency's dirHash is the hex of its base64 h1", (t) => {
  const dependencies = buildProvenanceStatement(realisticInput()).predicate.buildDefinition.resolvedDependencies;
  const toolchain = dependencies.find((d) => d.uri?.startsWith('pkg:golang/golang.org/toolchain@'));
  t.truthy(toolchain);
  t.is(toolchain?.uri, 'pkg:golang/golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64');
  t.is(toolchain?.name, 'go-toolchain:go1.27.3');
  t.deepEqual(toolchain?.digest, { dirHash: hexOfH1(TOOLCHAIN_H1) });
  t.is(toolchain?.digest?.dirHash, 'af4b9bf859eacd9c685a6fdd494388f43708a985a7fe635818525cbfb3f2073b');
  t.is(toolchain?.annotations?.h1, TOOLCHAIN_H1);
  t.is(toolchain?.annotations?.platform, 'linux/amd64');
  t.is(toolchain?.annotations?.verification, 'pinned');
});

test("each module dependency's dirHash is the hex of its go.sum h1, with the h1 kept as goSum", (t) => {
  const dependencies = buildProvenanceStatement(realisticInput()).predicate.buildDefinition.resolvedDependencies;
  for (const module of MODULES) {
    const dependency = dependencies.find((d) => d.uri === `pkg:golang/${module.path}@${module.version}`);
    t.truthy(dependency, module.path);
    t.is(dependency?.name, `${module.path}@${module.version}`);
    t.deepEqual(dependency?.digest, { dirHash: hexOfH1(CLI_GO_SUM.get(`${module.path} ${module.version}`)!) });
    t.deepEqual(dependency?.annotations, { origin: 'vendor', goSum: module.sum });
  }
});

test('the source dependency carries the tree digest and the git commit', (t) => {
  const dependencies = buildProvenanceStatement(realisticInput()).predicate.buildDefinition.resolvedDependencies;
  t.deepEqual(
    dependencies.find((d) => d.name === 'source'),
    {
      name: 'source',
      uri: 'file:///home/dev/airlock/examples/cli',
      digest: { dirHash: '14e66d1524aa5c7b00bdf4d2147ec75f5402560b2968431ff58029c3e0248787', gitCommit: '3f9c2a7b5d1e4f6a8b0c2d4e6f8a0b1c3d5e7f90' },
      annotations: { gitDirty: false, excluded: [] },
    },
  );
  const noGit = buildProvenanceStatement(realisticInput({ source: { path: '/src/cli', treeDigest: '14e66d1524aa5c7b00bdf4d2147ec75f5402560b2968431ff58029c3e0248787' } }));
  t.deepEqual(
    noGit.predicate.buildDefinition.resolvedDependencies.find((d) => d.name === 'source'),
    { name: 'source', uri: 'file:///src/cli', digest: { dirHash: '14e66d1524aa5c7b00bdf4d2147ec75f5402560b2968431ff58029c3e0248787' }, annotations: { excluded: [] } },
  );
});

// Regression test for a fixed bug: the source's uri is "file://" + the path as it is, so a module directory whose path holds a space, "#"
// or "%" gives a string that is not an RFC 3986 URI ("#" even turns the rest of the path into a fragment),
// while in-toto requires ResourceURI to be one. url.pathToFileURL(path).href would escape it.
test('the source uri is a valid file URI for a path with a space and a "#"', (t) => {
  const dir = '/home/dev/my projects/cli#2';
  const { resolvedDependencies } = buildProvenanceStatement(realisticInput({ source: { path: dir, treeDigest: '14e66d1524aa5c7b00bdf4d2147ec75f5402560b2968431ff58029c3e0248787' } })).predicate
    .buildDefinition;
  const uri = resolvedDependencies.find((d) => d.name === 'source')?.uri ?? '';
  t.regex(uri, /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/, 'only characters RFC 3986 allows');
  t.is(new URL(uri).pathname, '/home/dev/my%20projects/cli%232');
});

test('the SBOM byproduct is present only when an SBOM is given', (t) => {
  const without = buildProvenanceStatement(realisticInput());
  t.false('byproducts' in without.predicate.runDetails);
  t.false(canonicalJson(without).includes('byproducts'));

  const withSbom = buildProvenanceStatement({ ...realisticInput(), sbom: SBOM });
  t.deepEqual(withSbom.predicate.runDetails.byproducts, [
    { name: 'cli.cdx.json', digest: { sha256: SBOM.sha256 }, mediaType: 'application/vnd.cyclonedx+json' },
  ]);
  // Nothing else changes.
  const { byproducts: _, ...rest } = withSbom.predicate.runDetails;
  t.deepEqual(rest, without.predicate.runDetails);
  t.deepEqual(withSbom.predicate.buildDefinition, without.predicate.buildDefinition);
});

test('the statement is plain JSON: canonicalJson keeps every field and the same input gives the same bytes', (t) => {
  const statement = buildProvenanceStatement({ ...realisticInput(), sbom: SBOM });
  t.deepEqual(JSON.parse(canonicalJson(statement)), statement);
  t.is(canonicalJson(buildProvenanceStatement({ ...realisticInput(), sbom: SBOM })), canonicalJson(statement));
});
