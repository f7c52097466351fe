import type { PlanChecksumDatabase } from '../plan/build-plan.js';
import { pathToFileURL } from 'node:url';
import { h1ToHex } from '../util/hash.js';
import { goPurl } from './sbom.js';

/** The in-toto / SLSA identifiers airlock emits; see docs/buildtype.md. */
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
export const BUILD_TYPE = 'https://airlock.dev/buildtypes/go-sandbox/v1';
export const BUILDER_ID = 'https://airlock.dev/builders/local-engine/v1';

/** Source trees up to this many files carry their file list in the provenance. */
export const MAX_RECORDED_FILES = 5000;

export interface ResourceDescriptor {
  name?: string;
  uri?: string;
  digest?: Record<string, string>;
  mediaType?: string;
  annotations?: Record<string, unknown>;
}

export interface ProvenanceStatement {
  _type: typeof STATEMENT_TYPE;
  subject: ResourceDescriptor[];
  predicateType: typeof SLSA_PROVENANCE_V1;
  predicate: {
    buildDefinition: {
      buildType: string;
      externalParameters: Record<string, unknown>;
      internalParameters: Record<string, unknown>;
      resolvedDependencies: ResourceDescriptor[];
    };
    runDetails: {
      builder: { id: string; version: Record<string, string> };
      metadata: { invocationId: string; startedOn: string; finishedOn: string };
      byproducts?: ResourceDescriptor[];
    };
  };
}

export interface ProvenanceInput {
  artifact: { name: string; sha256: string };
  source: {
    path: string;
    treeDigest: string;
    gitCommit?: string;
    gitDirty?: boolean;
    /** The origin remote (credentials removed) and the tags at the commit: what a deployment policy can require. */
    gitRemote?: string;
    gitTags?: string[];
    /** Per-file sha256, recorded for trees of up to MAX_RECORDED_FILES files so a rebuild can name what changed. */
    files?: Record<string, string>;
    /** Paths left out of the tree (the output directory when it lies inside the module). */
    excluded?: string[];
  };
  module: { path: string; go?: string };
  build: { package: string; goos: string; goarch: string; ldflags: string[]; tags: string[] };
  toolchain: {
    version: string;
    platform: string;
    treeDigest: string;
    verification: { status: string; checks: string[] };
    moduleVersion: string;
  };
  command: string[];
  environment: Record<string, string>;
  sandbox: { image: string; imageId: string; policy: unknown; policyDigest: string; seccomp: string; network: string };
  modules: {
    source: string;
    verified: boolean;
    list: Array<{ path: string; version: string; sum?: string; origin: string }>;
    checksumDatabase?: PlanChecksumDatabase;
  };
  sbom?: { name: string; sha256: string };
  builderVersion: Record<string, string>;
  /** Where the build ran, on an executor that schedules it (Kubernetes): absent for a local engine. */
  executor?: { kind: 'kubernetes'; apiServerVersion: string; namespace: string; pod: string; node: string; podSpecDigest: string };
  buildCache?: string;
  invocationId: string;
  startedOn: Date;
  finishedOn: Date;
}

function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The SLSA v1 provenance of one artifact. externalParameters hold what the user chose, internalParameters
 * what airlock chose, resolvedDependencies every input by digest: toolchain, source tree and modules.
 */
export function buildProvenanceStatement(input: ProvenanceInput): ProvenanceStatement {
  const toolchainDigest = { dirHash: h1ToHex(input.toolchain.treeDigest) };
  const dependencies: ResourceDescriptor[] = [
    {
      name: `go-toolchain:${input.toolchain.version}`,
      uri: `pkg:golang/golang.org/toolchain@${input.toolchain.moduleVersion}`,
      digest: toolchainDigest,
      annotations: {
        h1: input.toolchain.treeDigest,
        platform: input.toolchain.platform,
        verification: input.toolchain.verification.status,
        checks: input.toolchain.verification.checks,
      },
    },
    {
      name: 'source',
      uri: pathToFileURL(input.source.path).href,
      digest: {
        dirHash: input.source.treeDigest,
        ...(input.source.gitCommit ? { gitCommit: input.source.gitCommit } : {}),
      },
      annotations: {
        ...(input.source.gitCommit ? { gitDirty: input.source.gitDirty ?? false } : {}),
        ...(input.source.gitRemote !== undefined ? { gitRemote: input.source.gitRemote } : {}),
        ...(input.source.gitTags !== undefined && input.source.gitTags.length > 0 ? { gitTags: input.source.gitTags } : {}),
        excluded: input.source.excluded ?? [],
        ...(input.source.files ? { files: input.source.files } : {}),
      },
    },
    ...input.modules.list.map((module) => {
      const logged = input.modules.checksumDatabase?.modules.find((m) => m.path === module.path && m.version === module.version);
      return {
        name: `${module.path}@${module.version}`,
        uri: goPurl(module.path, module.version),
        ...(module.sum ? { digest: { dirHash: h1ToHex(module.sum) } } : {}),
        annotations: {
          origin: module.origin,
          ...(module.sum ? { goSum: module.sum } : {}),
          ...(logged ? { checksumDatabase: logged.status, ...(logged.record !== undefined ? { checksumDatabaseRecord: logged.record } : {}) } : {}),
        },
      };
    }),
  ];
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: input.artifact.name, digest: { sha256: input.artifact.sha256 } }],
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: {
        buildType: BUILD_TYPE,
        externalParameters: {
          source: { path: input.source.path, dirHash: input.source.treeDigest },
          module: input.module.path,
          package: input.build.package,
          goos: input.build.goos,
          goarch: input.build.goarch,
          go: input.toolchain.version,
          tags: input.build.tags,
          ldflags: input.build.ldflags,
        },
        internalParameters: {
          command: input.command,
          environment: input.environment,
          cgo: false,
          moduleSource: input.modules.source,
          modulesVerifiedAgainstGoSum: input.modules.verified,
          ...(input.modules.checksumDatabase
            ? {
                checksumDatabase: {
                  key: input.modules.checksumDatabase.key,
                  ...(input.modules.checksumDatabase.tree ? { tree: input.modules.checksumDatabase.tree } : {}),
                  allowUnproven: input.modules.checksumDatabase.allowUnproven,
                },
              }
            : {}),
          buildCache: input.buildCache ?? 'none: every build starts with an empty GOCACHE in a scratch volume of its worker',
          ...(input.executor ? { executor: input.executor } : {}),
          sandbox: {
            image: input.sandbox.image,
            imageId: input.sandbox.imageId,
            network: input.sandbox.network,
            seccomp: input.sandbox.seccomp,
            policyDigest: input.sandbox.policyDigest,
            policy: input.sandbox.policy,
          },
        },
        resolvedDependencies: dependencies,
      },
      runDetails: {
        builder: { id: BUILDER_ID, version: input.builderVersion },
        metadata: { invocationId: input.invocationId, startedOn: timestamp(input.startedOn), finishedOn: timestamp(input.finishedOn) },
        ...(input.sbom
          ? { byproducts: [{ name: input.sbom.name, digest: { sha256: input.sbom.sha256 }, mediaType: 'application/vnd.cyclonedx+json' }] }
          : {}),
      },
    },
  };
}
