import { sha256Hex } from '../util/hash.js';

export interface SbomInput {
  artifact: { name: string; sha256: string };
  module: { path: string };
  goos: string;
  goarch: string;
  goVersion: string;
  modules: Array<{ path: string; version: string; sum?: string; origin: string }>;
  airlockVersion: string;
}

/** A package URL for a Go module; statement and SBOM name modules the same way. */
export function goPurl(path: string, version: string): string {
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  return `pkg:golang/${encoded}@${encodeURIComponent(version)}`;
}

/** A serial number derived from the artifact's digest: the same artifact always gets the same SBOM bytes. */
function serialNumber(sha256: string): string {
  const hex = sha256Hex(`airlock-sbom:${sha256}`);
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A CycloneDX 1.5 SBOM of one binary: the Go standard library of its toolchain and every module built into it. */
export function buildCycloneDxSbom(input: SbomInput): Record<string, unknown> {
  const main = `artifact:${input.artifact.name}`;
  const stdlib = `pkg:golang/stdlib@${input.goVersion}`;
  const components = [
    {
      type: 'library',
      'bom-ref': stdlib,
      name: 'stdlib',
      version: input.goVersion,
      purl: stdlib,
      description: 'Go standard library of the toolchain the binary was built with',
    },
    ...input.modules.map((module) => ({
      type: 'library',
      'bom-ref': goPurl(module.path, module.version),
      name: module.path,
      version: module.version,
      purl: goPurl(module.path, module.version),
      properties: [
        { name: 'airlock:origin', value: module.origin },
        ...(module.sum ? [{ name: 'go:sum', value: module.sum }] : []),
      ],
    })),
  ];
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: serialNumber(input.artifact.sha256),
    version: 1,
    metadata: {
      tools: { components: [{ type: 'application', name: 'airlock', version: input.airlockVersion }] },
      component: {
        type: 'application',
        'bom-ref': main,
        name: input.artifact.name,
        hashes: [{ alg: 'SHA-256', content: input.artifact.sha256 }],
        properties: [
          { name: 'go:module', value: input.module.path },
          { name: 'go:GOOS', value: input.goos },
          { name: 'go:GOARCH', value: input.goarch },
          { name: 'go:version', value: input.goVersion },
        ],
      },
    },
    components,
    dependencies: [{ ref: main, dependsOn: components.map((component) => component['bom-ref']) }],
  };
}
