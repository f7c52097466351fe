/**
 * A verification policy for deployment gates (`airlock verify --policy FILE`): beyond valid signatures, what a
 * site requires of a release: which signer keys it trusts, the source commit, the toolchains (version and tree
 * digest), the sandbox (policy digest, seccomp profile, network) and the module status. Pure: parsing a policy
 * already read, and judging the facts of verified provenance statements against it. Every expectation not met
 * names the field, the expected and the actual value.
 */
import { isJsonObject } from './json-fields.js';

export const POLICY_SCHEMA_ID = 'https://airlock.dev/schemas/verify-policy/v1';

export interface VerificationPolicy {
  /** SHA-256 fingerprints ("sha256:<hex>") of the SPKI DER of the public keys allowed to have signed the release. */
  signers?: string[];
  source?: {
    /** A regular expression the whole git commit must match (e.g. one commit, or "^[0-9a-f]{40}$" for any). */
    gitCommit?: string;
    /** true: the git work tree must have been clean (no uncommitted change) when the release was built. */
    clean?: boolean;
    /** The repositories allowed: the checkout's origin remote as recorded (credentials removed), compared exactly. */
    repositories?: string[];
    /** A regular expression one of the tags at the built commit must match whole (e.g. "v[0-9]+\\.[0-9]+\\.[0-9]+"). */
    gitTag?: string;
  };
  /** The toolchains allowed: a version, and optionally its tree digest (h1:...). */
  toolchains?: Array<{ version: string; h1?: string }>;
  sandbox?: {
    policyDigests?: string[];
    seccomp?: string[];
    network?: string;
  };
  modules?: {
    /** true: every module was verified against go.sum. */
    verifiedAgainstGoSum?: boolean;
    /** The module sources allowed (e.g. "none", "vendor", "module-set"). */
    sources?: string[];
    /**
     * The Go checksum database statuses allowed for every module of the build ("proven", "private",
     * "no-evidence"): ["proven"] requires every module proven in the log. A build without a module set records
     * no status, which fails any list.
     */
    checksumDatabase?: string[];
  };
}

/** What one verified provenance statement says that a policy can require, read without trusting its shape. */
export interface ProvenanceFacts {
  /** The artifact's path in the release, for messages. */
  file: string;
  gitCommit?: string;
  gitDirty?: boolean;
  gitRemote?: string;
  gitTags?: string[];
  toolchain?: { version?: string; h1?: string };
  sandbox?: { policyDigest?: string; seccomp?: string; network?: string };
  modules?: { verifiedAgainstGoSum?: boolean; source?: string; checksumDatabase?: Array<{ name: string; status: string }> };
}

export interface PolicyViolation {
  /** The release file it concerns, or "" for the release as a whole. */
  file: string;
  /** The policy field, as a path: "toolchains", "sandbox.policyDigests". */
  field: string;
  expected: string;
  actual: string;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function record(value: unknown): Record<string, unknown> {
  return isJsonObject(value) ? (value as Record<string, unknown>) : {};
}

/** The facts of an SLSA v1 statement airlock wrote (missing fields stay undefined and fail what requires them). */
export function provenanceFacts(file: string, statement: unknown): ProvenanceFacts {
  const definition = record(record(record(statement).predicate).buildDefinition);
  const external = record(definition.externalParameters);
  const internal = record(definition.internalParameters);
  const dependencies = Array.isArray(definition.resolvedDependencies) ? definition.resolvedDependencies.map(record) : [];
  const toolchain = dependencies.find((dependency) => stringOf(dependency.name)?.startsWith('go-toolchain:'));
  const source = dependencies.find((dependency) => dependency.name === 'source');
  const sandbox = record(internal.sandbox);
  const annotations = record(source?.annotations);
  const dirty = annotations.gitDirty;
  const tags = Array.isArray(annotations.gitTags) ? annotations.gitTags.filter((tag): tag is string => typeof tag === 'string') : undefined;
  // Every Go module of the build (name path@version), with the checksum database status recorded for it, if any.
  const modules = dependencies
    .filter((dependency) => stringOf(dependency.uri)?.startsWith('pkg:golang/') && !stringOf(dependency.name)?.startsWith('go-toolchain:'))
    .map((dependency) => ({ name: stringOf(dependency.name) ?? '?', status: stringOf(record(dependency.annotations).checksumDatabase) ?? 'not recorded' }));
  return {
    file,
    ...(stringOf(record(source?.digest).gitCommit) !== undefined ? { gitCommit: stringOf(record(source?.digest).gitCommit)! } : {}),
    ...(typeof dirty === 'boolean' ? { gitDirty: dirty } : {}),
    ...(stringOf(annotations.gitRemote) !== undefined ? { gitRemote: stringOf(annotations.gitRemote)! } : {}),
    ...(tags !== undefined ? { gitTags: tags } : {}),
    toolchain: { version: stringOf(external.go), h1: stringOf(record(toolchain?.annotations).h1) },
    sandbox: { policyDigest: stringOf(sandbox.policyDigest), seccomp: stringOf(sandbox.seccomp), network: stringOf(sandbox.network) },
    modules: {
      verifiedAgainstGoSum: typeof internal.modulesVerifiedAgainstGoSum === 'boolean' ? internal.modulesVerifiedAgainstGoSum : undefined,
      source: stringOf(internal.moduleSource),
      checksumDatabase: modules,
    },
  };
}

const shown = (value: string | boolean | undefined): string => (value === undefined ? 'nothing recorded' : String(value));
const oneOf = (values: readonly string[]): string => (values.length === 1 ? values[0]! : `one of ${values.join(', ')}`);

/**
 * Every expectation of the policy the release does not meet. `signer` is the fingerprint of the key the
 * signatures were verified with, undefined when none was given (then a policy naming signers fails).
 */
export function evaluatePolicy(policy: VerificationPolicy, signer: string | undefined, facts: readonly ProvenanceFacts[]): PolicyViolation[] {
  const violations: PolicyViolation[] = [];
  if (policy.signers !== undefined && (signer === undefined || !policy.signers.includes(signer))) {
    violations.push({ file: '', field: 'signers', expected: oneOf(policy.signers), actual: signer ?? 'no --key: the signatures were not checked' });
  }
  if (facts.length === 0) violations.push({ file: '', field: '(release)', expected: 'at least one binary with provenance', actual: 'none' });
  for (const fact of facts) {
    const expect = (field: string, ok: boolean, expected: string, actual: string) => {
      if (!ok) violations.push({ file: fact.file, field, expected, actual });
    };
    if (policy.source?.gitCommit !== undefined) {
      const pattern = new RegExp(`^(?:${policy.source.gitCommit})$`);
      expect('source.gitCommit', fact.gitCommit !== undefined && pattern.test(fact.gitCommit), `a commit matching ${policy.source.gitCommit}`, shown(fact.gitCommit));
    }
    if (policy.source?.repositories !== undefined) {
      expect('source.repositories', fact.gitRemote !== undefined && policy.source.repositories.includes(fact.gitRemote), oneOf(policy.source.repositories), fact.gitRemote ?? 'no origin remote recorded');
    }
    if (policy.source?.gitTag !== undefined) {
      const pattern = new RegExp(`^(?:${policy.source.gitTag})$`);
      const tags = fact.gitTags ?? [];
      expect('source.gitTag', tags.some((tag) => pattern.test(tag)), `a tag at the commit matching ${policy.source.gitTag}`, tags.length === 0 ? 'no tag at the commit' : `tags ${tags.join(', ')}`);
    }
    if (policy.source?.clean === true) expect('source.clean', fact.gitDirty === false, 'a clean git work tree', fact.gitDirty === undefined ? 'no git facts recorded' : 'uncommitted changes');
    if (policy.toolchains !== undefined) {
      const allowed = policy.toolchains.some((toolchain) => toolchain.version === fact.toolchain?.version && (toolchain.h1 === undefined || toolchain.h1 === fact.toolchain?.h1));
      expect('toolchains', allowed, oneOf(policy.toolchains.map((toolchain) => (toolchain.h1 ? `${toolchain.version} (${toolchain.h1})` : toolchain.version))), `${shown(fact.toolchain?.version)} (${shown(fact.toolchain?.h1)})`);
    }
    const sandbox = policy.sandbox;
    if (sandbox?.policyDigests !== undefined) expect('sandbox.policyDigests', sandbox.policyDigests.includes(fact.sandbox?.policyDigest ?? ''), oneOf(sandbox.policyDigests), shown(fact.sandbox?.policyDigest));
    if (sandbox?.seccomp !== undefined) expect('sandbox.seccomp', sandbox.seccomp.includes(fact.sandbox?.seccomp ?? ''), oneOf(sandbox.seccomp), shown(fact.sandbox?.seccomp));
    if (sandbox?.network !== undefined) expect('sandbox.network', fact.sandbox?.network === sandbox.network, sandbox.network, shown(fact.sandbox?.network));
    const modules = policy.modules;
    if (modules?.verifiedAgainstGoSum === true) expect('modules.verifiedAgainstGoSum', fact.modules?.verifiedAgainstGoSum === true, 'true', shown(fact.modules?.verifiedAgainstGoSum));
    if (modules?.checksumDatabase !== undefined) {
      const allowed = modules.checksumDatabase;
      const listed = fact.modules?.checksumDatabase ?? [];
      const outside = listed.filter((module) => !allowed.includes(module.status));
      const first = outside[0];
      expect(
        'modules.checksumDatabase',
        first === undefined,
        `every module ${oneOf(allowed)}`,
        first === undefined ? '' : `${outside.length} of ${listed.length} modules not; first: ${first.name} ${first.status}`,
      );
    }
    if (modules?.sources !== undefined) expect('modules.sources', modules.sources.includes(fact.modules?.source ?? ''), oneOf(modules.sources), shown(fact.modules?.source));
  }
  return violations;
}
