import type { Signer } from '../../provenance/dsse.js';
import type { GpgSigner } from '../../provenance/gpg-signer.js';
import type { ShardSpec } from '../../plan/shards.js';
import type { SandboxPolicy } from '../../sandbox/policy.js';
import type { SandboxPurpose } from '../../sandbox/seccomp-choice.js';

/** What the user asked for on the command line; unset fields fall back to airlock.json, then to defaults. */
export interface BuildRequest {
  /**
   * What the sandbox will run: go build (the default), or go vet and go test (`airlock test`: no main package
   * needed, no build jobs, the test policy and its seccomp profile).
   */
  purpose?: SandboxPurpose;
  dir: string;
  targets: string[];
  mains: string[];
  out?: string;
  toolchains: string[];
  ldflags: string[];
  tags: string[];
  jobs: number;
  airlockHome: string;
  matrixPath?: string;
  /** A module set (from `airlock modules pack`) to take and prove the dependencies from. */
  modulesFile?: string;
  /** A seccomp profile file, or "engine-default"; airlock's measured allowlist when absent. */
  seccomp?: string;
  /** Build every target twice in fresh containers and fail if the two differ. */
  check?: boolean;
  /** Keep GOCACHE in a persistent volume per toolchain, target and module (faster; recorded in provenance). */
  cache?: boolean;
  /** SOURCE_DATE_EPOCH, when set: the modification time given to every output. */
  sourceDateEpoch?: number;
  /** Stop starting new targets after the first failure (running ones finish). */
  failFast?: boolean;
  /** Build only this shard of the plan (and write its manifest beside the outputs). */
  shard?: ShardSpec;
  /** Absolute paths in the module never sent as source (`airlock reproduce`: the recorded exclusions). */
  sourceExclude?: string[];
  /** Sandbox limits recorded in a provenance (`airlock reproduce`): they win over airlock.json's. */
  recordedLimits?: RecordedLimits;
  /** `build --test`: the output directory of the passing `airlock test` run to carry into the release. */
  testRunDir?: string;
  /** How a module set's modules are proven against the Go checksum database. */
  checksumDatabase?: ChecksumDatabaseRequest;
}

export interface ChecksumDatabaseRequest {
  /** The verifier key (`name+hash+key`, or a known name); sum.golang.org when absent. Never taken from the set. */
  key?: string;
  /** GONOSUMDB (or GOPRIVATE) of this machine: modules it matches are trusted by go.sum alone. */
  privatePatterns: string;
  /** Build even when some module has no evidence; recorded in the provenance. A mismatch always stops the build. */
  allowUnproven: boolean;
}

export type RecordedLimits = Partial<Pick<SandboxPolicy, 'memoryBytes' | 'pidsLimit' | 'tmpfsSizeBytes' | 'scratchBytes' | 'nofile' | 'timeoutSeconds'>>;

/** What a build attests besides the binaries: provenance (signed when a signer is given) and SBOMs. */
export interface AttestationOptions {
  signer?: Signer;
  /** --gpg-key: signs every checksums file again with the site's GPG key (`.asc` beside it). */
  gpg?: GpgSigner;
  sbom: boolean;
}
