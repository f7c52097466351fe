import { InputError } from '../errors.js';
import { binaryName } from '../modules/go-source.js';
import { type Target, formatTarget } from './targets.js';

export const PLAN_SCHEMA = 'airlock.dev/plan/v1';

export interface PlanJob {
  /** Unique within the plan; also names the job's containers. */
  id: string;
  package: string;
  binary: string;
  target: string;
  goos: string;
  goarch: string;
  output: string;
}

export interface BuildPlan {
  schema: typeof PLAN_SCHEMA;
  module: { path: string; go?: string; toolchainLine?: string; vendored: boolean };
  toolchain: { version: string; platform: string; digest: string };
  image: string;
  flags: { ldflags: string[]; tags: string[] };
  jobs: PlanJob[];
}

export interface PlanInput {
  module: BuildPlan['module'];
  mainPackages: readonly string[];
  targets: readonly Target[];
  toolchain: { version: string; goos: string; goarch: string; treeDigest: string };
  image: string;
  ldflags: readonly string[];
  tags: readonly string[];
}

export function outputFileName(binary: string, target: Target): string {
  return `${binary}_${target.goos}_${target.goarch}${target.goos === 'windows' ? '.exe' : ''}`;
}

/** The build matrix: every main package for every target, each with a unique output name. */
export function resolvePlan(input: PlanInput): BuildPlan {
  if (input.mainPackages.length === 0) {
    throw new InputError('the module has no main package to build', {
      hint: 'pass --main ./path/to/cmd, or put a main package at the module root or under cmd/',
    });
  }
  const jobs: PlanJob[] = [];
  const owners = new Map<string, string>();
  for (const pkg of input.mainPackages) {
    const binary = binaryName(input.module.path, pkg);
    for (const target of input.targets) {
      const output = outputFileName(binary, target);
      const owner = owners.get(output);
      if (owner !== undefined) {
        throw new InputError(`${pkg} and ${owner} would both be written as ${output}`, {
          hint: 'build them separately with --main, or rename one of the directories',
        });
      }
      owners.set(output, pkg);
      jobs.push({
        id: `${binary}-${target.goos}-${target.goarch}`,
        package: pkg,
        binary,
        target: formatTarget(target),
        goos: target.goos,
        goarch: target.goarch,
        output,
      });
    }
  }
  return {
    schema: PLAN_SCHEMA,
    module: input.module,
    toolchain: {
      version: input.toolchain.version,
      platform: `${input.toolchain.goos}/${input.toolchain.goarch}`,
      digest: input.toolchain.treeDigest,
    },
    image: input.image,
    flags: { ldflags: [...input.ldflags], tags: [...input.tags] },
    jobs,
  };
}
