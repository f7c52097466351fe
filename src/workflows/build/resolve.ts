import path from 'node:path';
import type { SeccompSetting } from '../../engine/engine.js';
import type { AirlockConfig } from '../../config/airlock-config.js';
import type { GoModule } from '../../modules/read-module.js';
import type { PlanChecksumDatabase } from '../../plan/build-plan.js';
import { proveSupplyChain, supplyChainFailure } from '../prove-supply-chain.js';
import type { ModuleInputs } from '../../modules/resolve-module-inputs.js';
import { type BuildPlan, type PlanJob, resolvePlan } from '../../plan/build-plan.js';
import { resolveBuildToolchains } from '../../plan/resolve-toolchains.js';
import { type ShardManifest, formatShard, selectShard } from '../../plan/shards.js';
import { type Target, dedupeTargets, parseTarget } from '../../plan/targets.js';
import { type SandboxImageSpec, sandboxImageSpec } from '../../sandbox/image-spec.js';
import { type GoBuildCommand, type SandboxPolicy, applySandboxLimits, defaultSandboxPolicy, goBuildCommand } from '../../sandbox/policy.js';
import { testSandboxPolicy } from '../../sandbox/go-test-command.js';
import type { StoredToolchain } from '../../toolchain/store.js';
import { sha256Hex } from '../../util/hash.js';
import { deepFreeze } from '../../util/deep-freeze.js';
import type { BuildInputs, EngineFacts } from './gather.js';
import type { BuildRequest } from './request.js';

const DEFAULT_TARGET = 'linux/amd64';
/** The most a binary may weigh coming out of the sandbox; airlock.json may lower it (sandbox.maxOutputMiB). */
const MAX_OUTPUT_BYTES = 1024 ** 3;

export interface ResolvedToolchain {
  readonly toolchain: StoredToolchain;
  readonly image: SandboxImageSpec;
}

/** One target of the plan with everything its sandbox build runs with, decided before anything runs. */
export interface BuildJob extends PlanJob {
  /** The sandbox image of the job's toolchain. */
  readonly image: string;
  /** The go command, arguments and environment: what the sandbox runs and what the provenance records. */
  readonly command: GoBuildCommand;
  /** The binary's name in the sandbox's output directory (the command's -o) and in the output directory. */
  readonly outputName: string;
  /** What the job's messages call it: package, target and toolchain. */
  readonly label: string;
  /** GOCACHE's persistent volume (--cache), shared only by this module's builds with this toolchain. */
  readonly cacheVolume?: string;
  readonly maxOutputBytes: number;
}

/** How the run goes: from the request, fixed for the whole run. */
export interface RunSettings {
  readonly jobs: number;
  readonly check: boolean;
  readonly failFast: boolean;
  readonly persistentCache: boolean;
  readonly sourceDateEpoch?: number;
  readonly airlockHome: string;
  /** The output directory, absolute. */
  readonly outDir: string;
  /** Absolute paths never sent as source: the output directory, the test run's and the request's exclusions. */
  readonly sourceExclude: readonly string[];
  /** `build --test`: the output directory of the passing test run the release carries. */
  readonly testRunDir?: string;
}

/** A build, fully decided: the plan, the sandbox policy and every job's command. Frozen: nothing patches it later. */
export interface ResolvedBuild {
  readonly module: GoModule;
  readonly config: AirlockConfig;
  readonly plan: BuildPlan;
  readonly jobs: readonly BuildJob[];
  readonly toolchains: ReadonlyMap<string, ResolvedToolchain>;
  readonly policy: SandboxPolicy;
  /** The seccomp profile the policy names, as sent to the engine. */
  readonly seccomp: SeccompSetting | undefined;
  readonly moduleInputs: ModuleInputs;
  readonly notes: readonly string[];
  /** Set when only one shard of the plan is built: what `airlock merge` needs to put the shards together. */
  readonly shard?: ShardManifest;
  readonly engine: EngineFacts;
  readonly run: RunSettings;
}

function asList(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/**
 * Pure: turns what was gathered and what was asked into the build. The command line wins over airlock.json,
 * which wins over the defaults; recorded limits (reproduce) win over both.
 */
export function resolveBuild(inputs: BuildInputs, request: BuildRequest): ResolvedBuild {
  const { module, config, moduleInputs } = inputs;
  // Targets first: a mistyped target is named before anything about toolchains.
  const targetSpecs = request.targets.length > 0 ? request.targets : (config.targets ?? [DEFAULT_TARGET]);
  const targets = dedupeTargets(targetSpecs.map(parseTarget));
  const resolution = resolveBuildToolchains(inputs.storedToolchains, {
    specs: request.toolchains.length > 0 ? request.toolchains : asList(config.toolchains),
    matrixVersions: inputs.matrixVersions,
    ...(module.goMod.go !== undefined ? { goLine: module.goMod.go } : {}),
    enginePlatform: `${inputs.engine.os}/${inputs.engine.arch}`,
  });
  const policy = resolvePolicy(inputs, request);
  const toolchains = new Map<string, ResolvedToolchain>();
  for (const toolchain of resolution.toolchains) {
    toolchains.set(toolchain.version, { toolchain, image: sandboxImageSpec(inputs.template, toolchain, policy) });
  }
  const fullPlan = resolveFullPlan(inputs, request, targets, toolchains, resolveSupplyChain(inputs, request));
  const notes = [...resolution.notes, ...toolchainNotes(module, toolchains)];
  const { plan, shard } = selectPlanShard(fullPlan, request, toolchains, notes);
  const run = resolveRunSettings(module, request);
  const jobs = plan.jobs.map((job) => resolveJob(job, plan, inputs, toolchains.get(job.toolchain)!, run.persistentCache));
  const resolved: ResolvedBuild = {
    module,
    config,
    plan,
    jobs,
    toolchains,
    policy,
    seccomp: inputs.seccomp.profile ? { profileJson: inputs.seccomp.profile.json, serverPath: inputs.seccomp.profile.path } : undefined,
    moduleInputs,
    notes,
    ...(shard ? { shard } : {}),
    engine: inputs.engine,
    run,
  };
  // The module, its inputs and the stored toolchains are the gatherer's; what was decided here is frozen.
  deepFreeze(plan);
  deepFreeze(jobs);
  deepFreeze(policy);
  deepFreeze(notes);
  deepFreeze(run);
  return Object.freeze(resolved);
}

/**
 * With a module set, its modules and go.sum proven in the Go checksum database from the evidence the set
 * carries; a module that disagrees with the log stops the build, and so does one without evidence unless
 * --allow-unproven.
 */
function resolveSupplyChain(inputs: BuildInputs, request: BuildRequest): PlanChecksumDatabase | undefined {
  const evidence = inputs.moduleInputs.evidence;
  if (evidence === undefined) return undefined;
  const proof = proveSupplyChain(evidence, request.checksumDatabase ?? { privatePatterns: '', allowUnproven: false }, request.modulesFile ?? 'the module set', inputs.rememberedHead);
  const failure = supplyChainFailure(proof);
  if (failure) throw failure;
  return proof;
}

/** The default policy for the machine's CPUs, with airlock.json's limits, then the recorded ones, and the seccomp choice. */
function resolvePolicy(inputs: BuildInputs, request: BuildRequest): SandboxPolicy {
  const policy: SandboxPolicy = {
    ...applySandboxLimits(defaultSandboxPolicy(inputs.cpus), inputs.config.sandbox ?? {}),
    ...request.recordedLimits,
    seccomp: inputs.seccomp.choice,
  };
  return request.purpose === 'test' ? testSandboxPolicy(policy) : policy;
}

/** The whole plan (every shard), with where its modules come from. */
function resolveFullPlan(
  inputs: BuildInputs,
  request: BuildRequest,
  targets: Target[],
  toolchains: ReadonlyMap<string, ResolvedToolchain>,
  supplyChain: PlanChecksumDatabase | undefined,
): BuildPlan {
  const { module, config, moduleInputs } = inputs;
  return {
    ...resolvePlan({
      module: {
        path: module.goMod.module,
        ...(module.goMod.go !== undefined ? { go: module.goMod.go } : {}),
        ...(module.goMod.toolchain !== undefined ? { toolchainLine: module.goMod.toolchain } : {}),
        vendored: module.hasVendor,
      },
      mainPackages: [...inputs.mainPackages],
      ...(request.purpose === 'test' ? { testOnly: true } : {}),
      targets,
      toolchains: [...toolchains.values()].map(({ toolchain, image }) => ({
        ...toolchain,
        verification: toolchain.verification.status,
        image: image.tag,
      })),
      ldflags: request.ldflags.length > 0 ? request.ldflags : (config.ldflags ?? []),
      tags: request.tags.length > 0 ? request.tags : (config.tags ?? []),
    }),
    modules: {
      source: moduleInputs.source,
      verified: moduleInputs.verified,
      list: moduleInputs.modules,
      ...(supplyChain ? { checksumDatabase: supplyChain } : {}),
    },
  };
}

/** What the user should know about the toolchains: go.mod's toolchain line is not obeyed, and which are unpinned. */
function toolchainNotes(module: GoModule, toolchains: ReadonlyMap<string, ResolvedToolchain>): string[] {
  const notes: string[] = [];
  if (module.goMod.toolchain !== undefined) {
    notes.push(`go.mod names toolchain ${module.goMod.toolchain}; airlock builds with the pinned toolchains of the plan (GOTOOLCHAIN=local)`);
  }
  for (const { toolchain } of toolchains.values()) {
    if (toolchain.verification.status === 'trust-on-first-use') {
      notes.push(`${toolchain.version} was stored on trust-on-first-use: it is not pinned in the toolchain matrix`);
    }
  }
  return notes;
}

/** With --shard, the shard's part of the plan, keeping only the toolchains it uses (their images are all it needs). */
function selectPlanShard(
  fullPlan: BuildPlan,
  request: BuildRequest,
  toolchains: Map<string, ResolvedToolchain>,
  notes: string[],
): { plan: BuildPlan; shard?: ShardManifest } {
  if (request.shard === undefined) return { plan: fullPlan };
  const selected = selectShard(fullPlan, request.shard);
  const used = new Set(selected.plan.jobs.map((job) => job.toolchain));
  for (const version of [...toolchains.keys()]) if (!used.has(version)) toolchains.delete(version);
  notes.push(`shard ${formatShard(request.shard)}: ${selected.plan.jobs.length} of the plan's ${fullPlan.jobs.length} builds`);
  return { plan: selected.plan, shard: selected.manifest };
}

function resolveRunSettings(module: GoModule, request: BuildRequest): RunSettings {
  const outDir = path.resolve(module.dir, request.out ?? 'dist');
  return {
    jobs: request.jobs,
    check: request.check === true,
    failFast: request.failFast === true,
    persistentCache: request.cache === true,
    ...(request.sourceDateEpoch !== undefined ? { sourceDateEpoch: request.sourceDateEpoch } : {}),
    airlockHome: request.airlockHome,
    outDir,
    sourceExclude: [outDir, ...(request.testRunDir !== undefined ? [request.testRunDir] : []), ...(request.sourceExclude ?? [])],
    ...(request.testRunDir !== undefined ? { testRunDir: request.testRunDir } : {}),
  };
}

/** One job of the plan with its image, go command, output name, cache volume and output limit. */
function resolveJob(job: PlanJob, plan: BuildPlan, inputs: BuildInputs, { toolchain, image }: ResolvedToolchain, persistentCache: boolean): BuildJob {
  const outputName = path.posix.basename(job.output);
  return {
    ...job,
    image: image.tag,
    command: goBuildCommand({
      goos: job.goos,
      goarch: job.goarch,
      mainPackage: job.package,
      outputName,
      vendored: inputs.module.hasVendor,
      moduleCache: inputs.moduleInputs.source === 'module-set',
      persistentCache,
      ldflags: plan.flags.ldflags,
      tags: plan.flags.tags,
    }),
    outputName,
    label: `${job.package} for ${job.target} with ${job.toolchain}`,
    ...(persistentCache ? { cacheVolume: buildCacheVolume(toolchain.treeDigest, plan.module.path) } : {}),
    // airlock.json may lower the limit on what comes out of the sandbox (sandbox.maxOutputMiB), never raise it.
    maxOutputBytes: Math.min(MAX_OUTPUT_BYTES, (inputs.config.sandbox?.maxOutputMiB ?? Infinity) * 1024 ** 2),
  };
}

/**
 * One persistent cache per toolchain and module, used by every target's builds (Go keys its cache entries by
 * target, and its cache is safe for concurrent use): builds of other modules never share (or poison) it.
 */
export function buildCacheVolume(toolchainDigest: string, modulePath: string): string {
  return `airlock-gocache-${sha256Hex(`${toolchainDigest}\n${modulePath}`).slice(0, 20)}`;
}
