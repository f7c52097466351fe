/** buildCycloneDxSbom: a CycloneDX 1.5 document of one binary built from examples/cli. */
import test from 'ava';
import * as fc from 'fast-check';

import { type SbomInput, buildCycloneDxSbom } from '../../../src/provenance/sbom.js';
import { CLI_GO_SUM, CLI_ZIP_MODULES } from '../../helpers/cli-module-set.js';
import { assertProperty } from '../../helpers/properties.js';

interface Property {
  name: string;
  value: string;
}
interface Component {
  type: string;
  'bom-ref': string;
  name: string;
  version: string;
  purl: string;
  properties?: Property[];
  hashes?: Array<{ alg: string; content: string }>;
}
interface Bom {
  bomFormat: string;
  specVersion: string;
  serialNumber: string;
  version: number;
  metadata: { tools: { components: Component[] }; component: Component };
  components: Component[];
  dependencies: Array<{ ref: string; dependsOn: string[] }>;
}

const ARTIFACT_SHA256 = 'c4a1f0d9e8b7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0918273';

function realisticInput(overrides: Partial<SbomInput> = {}): SbomInput {
  return {
    artifact: { name: 'cli', sha256: ARTIFACT_SHA256 },
    module: { path: 'example.com/cli' },
    goos: 'linux',
    goarch: 'amd64',
    goVersion: 'go1.27.3',
    // The vendored modules of examples/cli with their go.sum zip hashes.
    modules: CLI_ZIP_MODULES.map((m) => ({ ...m, sum: CLI_GO_SUM.get(`${m.path} ${m.version}`)!, origin: 'vendor' })),
    airlockVersion: '0.1.0',
    ...overrides,
  };
}

const sbom = (input: SbomInput): Bom => buildCycloneDxSbom(input) as unknown as Bom;

/** urn:uuid: with RFC 4122 layout: 8-4-4-4-12 lowercase hex. */
const UUID_URN = /^urn:uuid:([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/;

function assertRfc4122Urn(serial: string): { version: number; variantBits: number } {
  const match = UUID_URN.exec(serial);
  if (!match) throw new Error(`not a urn:uuid: ${serial}`);
  const version = parseInt(match[3]!.charAt(0), 16);
  // The variant is the top two bits of the 17th hex digit (the first of the fourth group): 10xx.
  const variantBits = parseInt(match[4]!.charAt(0), 16) >> 2;
  return { version, variantBits };
}

test('the realistic input carries the go.sum hashes of examples/cli', (t) => {
  t.is(realisticInput().modules.length, 5);
  for (const module of realisticInput().modules) t.regex(module.sum ?? '', /^h1:[A-Za-z0-9+/]{43}=$/, module.path);
});

test('golden SBOM', (t) => {
  t.snapshot(JSON.stringify(buildCycloneDxSbom(realisticInput()), null, 2), 'SBOM of cli for linux/amd64');
});

test('header: CycloneDX 1.5, version 1, the artifact as metadata.component', (t) => {
  const bom = sbom(realisticInput());
  t.is(bom.bomFormat, 'CycloneDX');
  t.is(bom.specVersion, '1.5');
  t.is(bom.version, 1);
  t.deepEqual(bom.metadata.tools.components, [{ type: 'application', name: 'airlock', version: '0.1.0' } as unknown as Component]);
  const main = bom.metadata.component;
  t.is(main.type, 'application');
  t.is(main.name, 'cli');
  t.deepEqual(main.hashes, [{ alg: 'SHA-256', content: ARTIFACT_SHA256 }]);
  t.deepEqual(main.properties, [
    { name: 'go:module', value: 'example.com/cli' },
    { name: 'go:GOOS', value: 'linux' },
    { name: 'go:GOARCH', value: 'amd64' },
    { name: 'go:version', value: 'go1.27.3' },
  ]);
});

test('serialNumber is an RFC 4122 urn:uuid, the same for the same artifact digest and different for another', (t) => {
  const first = sbom(realisticInput()).serialNumber;
  const { version, variantBits } = assertRfc4122Urn(first);
  t.is(variantBits, 0b10);
  // CycloneDX 1.5's schema only admits versions 1 to 5 in serialNumber.
  t.true(version >= 1 && version <= 5, `version ${version}`);
  // Same digest, other inputs changed: same serial number.
  t.is(sbom(realisticInput({ goos: 'darwin', airlockVersion: '9.9.9', artifact: { name: 'renamed', sha256: ARTIFACT_SHA256 } })).serialNumber, first);
  const other = sbom(realisticInput({ artifact: { name: 'cli', sha256: 'c4a1f0d9e8b7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0918274' } })).serialNumber;
  t.not(other, first);
  t.is(assertRfc4122Urn(other).variantBits, 0b10);
});

test('property: serial numbers are valid for every digest and differ between digests', (t) => {
  const hex64 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes).toString('hex'));
  assertProperty(
    t,
    fc.property(hex64, hex64, (a, b) => {
      const serialA = sbom(realisticInput({ artifact: { name: 'cli', sha256: a } })).serialNumber;
      const serialB = sbom(realisticInput({ artifact: { name: 'cli', sha256: b } })).serialNumber;
      const parsed = assertRfc4122Urn(serialA);
      return parsed.variantBits === 0b10 && parsed.version === 5 && (a === b) === (serialA === serialB);
    }),
  );
});

test('every component has a pkg:golang purl with its version and a unique bom-ref', (t) => {
  const bom = sbom(realisticInput());
  t.is(bom.components.length, 1 + 5);
  for (const component of bom.components) {
    t.is(component.type, 'library');
    t.is(component.purl, `pkg:golang/${component.name}@${component.version}`, component.name);
    t.regex(component.purl, /^pkg:golang\/[^@]+@v?[^@]+$/);
  }
  t.deepEqual(
    bom.components.map((c) => c.name),
    ['stdlib', ...CLI_ZIP_MODULES.map((m) => m.path)],
  );
  t.is(bom.components[0]?.purl, 'pkg:golang/stdlib@go1.27.3');
  const refs = [bom.metadata.component['bom-ref'], ...bom.components.map((c) => c['bom-ref'])];
  t.is(new Set(refs).size, refs.length);
  for (const ref of refs) t.true(ref.length > 0);
});

test('purls of module paths with upper-case letters and versions with "+" are percent-encoded where needed', (t) => {
  const bom = sbom(
    realisticInput({
      modules: [
        { path: 'github.com/BurntSushi/toml', version: 'v1.3.2', origin: 'module-set' },
        { path: 'github.com/old/lib', version: 'v2.0.0+incompatible', origin: 'module-set' },
      ],
    }),
  );
  t.deepEqual(
    bom.components.slice(1).map((c) => c.purl),
    ['pkg:golang/github.com/BurntSushi/toml@v1.3.2', 'pkg:golang/github.com/old/lib@v2.0.0%2Bincompatible'],
  );
  // The purl's version decodes back to the module version.
  t.is(decodeURIComponent(bom.components[2]!.purl.split('@')[1]!), 'v2.0.0+incompatible');
});

test('the dependencies entry makes the artifact depend on exactly the components', (t) => {
  const bom = sbom(realisticInput());
  t.is(bom.dependencies.length, 1);
  const [entry] = bom.dependencies;
  t.is(entry?.ref, bom.metadata.component['bom-ref']);
  t.deepEqual([...(entry?.dependsOn ?? [])].sort(), bom.components.map((c) => c['bom-ref']).sort());
  t.is(new Set(entry?.dependsOn).size, entry?.dependsOn.length ?? -1);
});

test('go:sum properties carry the go.sum hashes, and are absent for a module without one', (t) => {
  const bom = sbom(realisticInput());
  for (const module of CLI_ZIP_MODULES) {
    const component = bom.components.find((c) => c.name === module.path);
    t.deepEqual(component?.properties, [
      { name: 'airlock:origin', value: 'vendor' },
      { name: 'go:sum', value: CLI_GO_SUM.get(`${module.path} ${module.version}`)! },
    ]);
  }
  const unsummed = sbom(realisticInput({ modules: [{ path: 'example.com/local', version: 'v0.0.0', origin: 'vendor' }] }));
  t.deepEqual(unsummed.components[1]?.properties, [{ name: 'airlock:origin', value: 'vendor' }]);
});

test('the same input always gives the same document', (t) => {
  t.is(JSON.stringify(buildCycloneDxSbom(realisticInput())), JSON.stringify(buildCycloneDxSbom(realisticInput())));
});
