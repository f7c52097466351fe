import { InputError } from '../errors.js';
import { binaryName } from '../modules/go-source.js';
import { type Target, formatTarget, validateTargets } from './targets.js';

export const PLAN_SCHEMA = 'airlock.dev/plan/v1';

export interface PlanToolchain {
  version: string;
  /** The platform the toolchain runs on (the engine's), not a build target. */
  platform: string;
  digest: string;
  verification: string;
  image: string;
}

export interface PlanJob {
  /** Unique within the plan; also names the job's containers. */
  id: string;
  toolchain: string;
  package: string;
  binary: string;
  target: string;
  goos: string;
  goarch: string;
  /** Path of the binary relative to the output directory. */
  output: string;
}

export interface BuildPlan {
  schema: typeof PLAN_SCHEMA;
  module: { path: string; go?: string; toolchainLine?: string; vendored: boolean };
  toolchains: PlanToolchain[];
  /** flat: binaries directly in the output directory; per-toolchain: one subdirectory per Go version. */
  layout: 'flat' | 'per-toolchain';
  flags: { ldflags: string[]; tags: string[] };
  jobs: PlanJob[];
  /** Only in a test-only plan (`airlock test`, which has no build jobs): the targets go vet checks. */
  testTargets?: string[];
  /** Where the dependencies come from and whether they were proven against go.sum (set once resolved). */
  modules?: {
    source: 'none' | 'vendor' | 'module-set';
    verified: boolean;
    list: Array<{ path: string; version: string; sum?: string; origin: 'vendor' | 'module-set' }>;
    /** With a module set: the signed checksum database head its modules were proven in, and each one's status. */
    checksumDatabase?: PlanChecksumDatabase;
  };
}

export interface PlanChecksumDatabase {
  key: string;
  /** Absent when the set carries no evidence. */
  tree?: { size: number; hash: string };
  allowUnproven: boolean;
  modules: Array<{ path: string; version: string; status: 'proven' | 'mismatch' | 'private' | 'no-evidence'; record?: number; detail: string }>;
}

export interface PlanToolchainInput {
  version: string;
  goos: string;
  goarch: string;
  treeDigest: string;
  ports: readonly string[];
  verification: string;
  image: string;
}

export interface PlanInput {
  module: BuildPlan['module'];
  /** Empty only when testOnly. */
  mainPackages: readonly string[];
  /** `airlock test`: the plan's toolchains and targets, and no build jobs. */
  testOnly?: boolean;
  targets: readonly Target[];
  toolchains: readonly PlanToolchainInput[];
  ldflags: readonly string[];
  tags: readonly string[];
}

export function outputFileName(binary: string, target: Target): string {
  return `${binary}_${target.goos}_${target.goarch}${target.goos === 'windows' ? '.exe' : ''}`;
}

/** The build matrix: toolchain × main package × target, each with a unique output path. */
export function resolvePlan(input: PlanInput): BuildPlan {
  if (input.mainPackages.length === 0 && !input.testOnly) {
    throw new InputError('the module has no main package to build', {
      hint: 'pass --main ./path/to/cmd, or put a main package at the module root or under cmd/',
    });
  }
  if (input.toolchains.length === 0) throw new InputError('no toolchain selected', { hint: 'select one with --go' });
  for (const toolchain of input.toolchains) validateTargets(input.targets, toolchain.ports, toolchain.version);
  const layout = input.toolchains.length > 1 ? 'per-toolchain' : 'flat';
  const jobs: PlanJob[] = [];
  const owners = new Map<string, string>();
  for (const toolchain of input.toolchains) {
    for (const pkg of input.mainPackages) {
      const binary = binaryName(input.module.path, pkg);
      for (const target of input.targets) {
        const file = outputFileName(binary, target);
        const output = layout === 'flat' ? file : `${toolchain.version}/${file}`;
        const owner = owners.get(output);
        if (owner !== undefined) {
          throw new InputError(`${pkg} and ${owner} would both be written as ${output}`, {
            hint: 'build them separately with --main, or rename one of the directories',
          });
        }
        owners.set(output, pkg);
        jobs.push({
          id: `${toolchain.version}-${binary}-${target.goos}-${target.goarch}`,
          toolchain: toolchain.version,
          package: pkg,
          binary,
          target: formatTarget(target),
          goos: target.goos,
          goarch: target.goarch,
          output,
        });
      }
    }
  }
  return {
    schema: PLAN_SCHEMA,
    module: input.module,
    toolchains: input.toolchains.map((toolchain) => ({
      version: toolchain.version,
      platform: `${toolchain.goos}/${toolchain.goarch}`,
      digest: toolchain.treeDigest,
      verification: toolchain.verification,
      image: toolchain.image,
    })),
    layout,
    flags: { ldflags: [...input.ldflags], tags: [...input.tags] },
    jobs,
    ...(input.testOnly ? { testTargets: input.targets.map(formatTarget) } : {}),
  };
}

/** The checksum files of a plan: one per output directory, each listing the binaries in it by file name. */
export function checksumGroups(plan: BuildPlan): Array<{ directory: string; jobs: PlanJob[] }> {
  if (plan.layout === 'flat') return [{ directory: '', jobs: plan.jobs }];
  // A shard of a plan may hold no build of some toolchain: that toolchain gets no directory.
  return plan.toolchains
    .map((toolchain) => ({ directory: toolchain.version, jobs: plan.jobs.filter((job) => job.toolchain === toolchain.version) }))
    .filter((group) => group.jobs.length > 0);
}
