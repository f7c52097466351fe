import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { formatSha256Sums } from '../release/checksums.js';
import { OutputStaging, assertUsableOutput } from '../release/output-directory.js';
import { CHECKSUMS_FILE } from '../release/layout.js';
import { checkStaticExecutable } from '../binary/static-check.js';
import { describeBinaryDifference } from '../binary/binary-difference.js';
import { onInterrupt } from '../cleanup.js';
import { type AirlockConfig, readAirlockConfig } from '../config/airlock-config.js';
import type { ContainerEngine, SeccompSetting } from '../engine/engine.js';
import { loadSeccompChoice } from '../sandbox/seccomp-choice.js';
import { AirlockError, BuildError, EngineError, InputError, InterruptedError, VerificationError } from '../errors.js';
import { type GoModule, checkMainPackage, findMainPackages, readGoModule } from '../modules/read-module.js';
import { type ModuleInputs, resolveModuleInputs } from '../modules/resolve-module-inputs.js';
import { packModuleCache } from '../sandbox/module-cache-archive.js';
import { type BuildPlan, type PlanJob, checksumGroups, resolvePlan } from '../plan/build-plan.js';
import { resolveBuildToolchains } from '../plan/resolve-toolchains.js';
import { type ShardManifest, type ShardSpec, SHARD_MANIFEST_FILE, formatShard, selectShard } from '../plan/shards.js';
import { dedupeTargets, parseTarget } from '../plan/targets.js';
import type { Reporter } from '../report/reporter.js';
import type { ArtifactSummary } from '../report/summary.js';
import { SandboxImages } from '../sandbox/ensure-image.js';
import { type SandboxImageSpec, sandboxImageSpec } from '../sandbox/image-spec.js';
import { loadSandboxTemplate } from '../sandbox/load-template.js';
import { LABEL_MANAGED, type SandboxPolicy, applySandboxLimits, defaultSandboxPolicy, goBuildArguments, goBuildEnvironment } from '../sandbox/policy.js';
import { ResourceTracker } from '../sandbox/resource-tracker.js';
import { SandboxLimitError, SandboxWorker, type WorkerBuildRequest, type WorkerOpenRequest, runInFreshWorker } from '../sandbox/worker.js';
import { runScheduled } from '../sandbox/job-scheduler.js';
import { ScratchGuard } from '../sandbox/scratch-guard.js';
import { WorkerPool } from '../sandbox/worker-pool.js';
import type { FailureReason, JobState } from '../report/events.js';
import { digestSourceTree, listSourceTree } from '../sandbox/source-tree.js';
import { airlockVersion } from '../util/package-root.js';
import { writeAttestation } from '../provenance/attest.js';
import { MAX_RECORDED_FILES } from '../provenance/statement.js';
import { canonicalJson } from '../util/canonical-json.js';
import { sha256Hex } from '../util/hash.js';
import { type Signer } from '../provenance/dsse.js';
import { readGitFacts } from '../provenance/git-source.js';
import { signDetached } from '../provenance/signers.js';
import { toolchainModuleVersion } from '../toolchain/toolchain-tree.js';
import { defaultMatrixPath, loadToolchainMatrix, matrixVersions } from '../toolchain/matrix.js';
import { type StoredToolchain, ToolchainStore } from '../toolchain/store.js';

/** What the user asked for on the command line; unset fields fall back to airlock.json, then to defaults. */
export interface BuildRequest {
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
}

export interface PreparedToolchain {
  toolchain: StoredToolchain;
  image: SandboxImageSpec;
}

export interface PreparedBuild {
  module: GoModule;
  config: AirlockConfig;
  plan: BuildPlan;
  toolchains: Map<string, PreparedToolchain>;
  policy: SandboxPolicy;
  /** The seccomp profile the policy names, as sent to the engine. */
  seccomp: SeccompSetting | undefined;
  moduleInputs: ModuleInputs;
  notes: string[];
  /** Set when only one shard of the plan is built: what `airlock merge` needs to put the shards together. */
  shard?: ShardManifest;
}

/** Releases what a prepared build holds open (an unpacked module set). */
export async function releasePreparedBuild(prepared: PreparedBuild): Promise<void> {
  await prepared.moduleInputs.set?.close();
}

const DEFAULT_TARGET = 'linux/amd64';
const MAX_OUTPUT_BYTES = 1024 ** 3;

function asList(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** Everything decided before a container runs: module, configuration, toolchains, targets, images, jobs. */
export async function prepareBuild(request: BuildRequest, enginePlatform: string): Promise<PreparedBuild> {
  const module = await readGoModule(request.dir);
  const config = readAirlockConfig(module.dir);
  const moduleInputs = await resolveModuleInputs(module, request.modulesFile !== undefined ? { modulesFile: request.modulesFile } : {});
  try {
    return await prepareWithModules(request, enginePlatform, module, config, moduleInputs);
  } catch (error) {
    await moduleInputs.set?.close();
    throw error;
  }
}

async function prepareWithModules(
  request: BuildRequest,
  enginePlatform: string,
  module: GoModule,
  config: AirlockConfig,
  moduleInputs: ModuleInputs,
): Promise<PreparedBuild> {
  const targetSpecs = request.targets.length > 0 ? request.targets : (config.targets ?? [DEFAULT_TARGET]);
  const targets = dedupeTargets(targetSpecs.map(parseTarget));
  const store = new ToolchainStore(request.airlockHome);
  const matrix = loadToolchainMatrix(request.matrixPath ?? defaultMatrixPath());
  const resolution = resolveBuildToolchains(await store.list(), {
    specs: request.toolchains.length > 0 ? request.toolchains : asList(config.toolchains),
    matrixVersions: matrixVersions(matrix),
    ...(module.goMod.go !== undefined ? { goLine: module.goMod.go } : {}),
    enginePlatform,
  });
  const mainSpecs = request.mains.length > 0 ? request.mains : (config.main ?? []);
  const mains = mainSpecs.length > 0 ? mainSpecs.map(normaliseMainPackage) : await findMainPackages(module);
  for (const main of mains) await checkMainPackage(module.dir, main);
  const cpus = Math.max(1, os.availableParallelism());
  const seccomp = await loadSeccompChoice(request.seccomp);
  const policy = { ...applySandboxLimits(defaultSandboxPolicy(cpus), config.sandbox ?? {}), seccomp: seccomp.choice };
  const template = await loadSandboxTemplate();
  const toolchains = new Map<string, PreparedToolchain>();
  for (const toolchain of resolution.toolchains) {
    toolchains.set(toolchain.version, { toolchain, image: sandboxImageSpec(template, toolchain, policy) });
  }
  const plan = resolvePlan({
    module: {
      path: module.goMod.module,
      ...(module.goMod.go !== undefined ? { go: module.goMod.go } : {}),
      ...(module.goMod.toolchain !== undefined ? { toolchainLine: module.goMod.toolchain } : {}),
      vendored: module.hasVendor,
    },
    mainPackages: mains,
    targets,
    toolchains: [...toolchains.values()].map(({ toolchain, image }) => ({
      ...toolchain,
      verification: toolchain.verification.status,
      image: image.tag,
    })),
    ldflags: request.ldflags.length > 0 ? request.ldflags : (config.ldflags ?? []),
    tags: request.tags.length > 0 ? request.tags : (config.tags ?? []),
  });
  const notes = [...resolution.notes];
  if (module.goMod.toolchain !== undefined) {
    notes.push(`go.mod names toolchain ${module.goMod.toolchain}; airlock builds with the pinned toolchains of the plan (GOTOOLCHAIN=local)`);
  }
  for (const { toolchain } of toolchains.values()) {
    if (toolchain.verification.status === 'trust-on-first-use') {
      notes.push(`${toolchain.version} was stored on trust-on-first-use: it is not pinned in the toolchain matrix`);
    }
  }
  plan.modules = {
    source: moduleInputs.source,
    verified: moduleInputs.verified,
    list: moduleInputs.modules,
  };
  const seccompSetting = seccomp.profile ? { profileJson: seccomp.profile.json, serverPath: seccomp.profile.path } : undefined;
  if (request.shard === undefined) return { module, config, plan, toolchains, policy, seccomp: seccompSetting, moduleInputs, notes };
  const shard = selectShard(plan, request.shard);
  // A shard needs the images of its own toolchains only.
  const used = new Set(shard.plan.jobs.map((job) => job.toolchain));
  for (const version of [...toolchains.keys()]) if (!used.has(version)) toolchains.delete(version);
  notes.push(`shard ${formatShard(request.shard)}: ${shard.plan.jobs.length} of the plan's ${plan.jobs.length} builds`);
  return { module, config, plan: shard.plan, toolchains, policy, seccomp: seccompSetting, moduleInputs, notes, shard: shard.manifest };
}

function normaliseMainPackage(main: string): string {
  const trimmed = main.replace(/\/+$/, '');
  if (trimmed === '.' || trimmed === '') return '.';
  if (path.isAbsolute(trimmed) || trimmed.split('/').includes('..')) {
    throw new InputError(`--main ${main} must be a package directory inside the module`, {
      hint: 'write it relative to the module root, like ./cmd/tool',
    });
  }
  return trimmed.startsWith('./') ? trimmed : `./${trimmed}`;
}

export interface BuildOutcome {
  plan: BuildPlan;
  outDir: string;
  artifacts: ArtifactSummary[];
  imagesBuilt: string[];
}

/** What a build attests besides the binaries: provenance (signed when a signer is given) and SBOMs. */
export interface AttestationOptions {
  signer?: Signer;
  sbom: boolean;
}

interface BuiltArtifact extends ArtifactSummary {
  job: PlanJob;
  startedOn: Date;
  finishedOn: Date;
}

/**
 * The build's output directory, refused when it would replace the module or anything airlock did not write.
 * The build command checks it before it reports anything, executeBuild again before it reads the source.
 */
export async function assertBuildOutput(prepared: PreparedBuild, request: BuildRequest): Promise<string> {
  const outDir = path.resolve(prepared.module.dir, request.out ?? 'dist');
  await assertUsableOutput(outDir, prepared.module.dir);
  return outDir;
}

/** Runs a prepared build on the engine and publishes the outputs, or leaves the output directory untouched. */
export async function executeBuild(
  engine: ContainerEngine,
  prepared: PreparedBuild,
  request: BuildRequest,
  reporter: Reporter,
  attestation: AttestationOptions = { sbom: false },
): Promise<BuildOutcome> {
  const { module, plan } = prepared;
  const outDir = await assertBuildOutput(prepared, request);
  const sourceOptions = { exclude: [outDir, ...(request.sourceExclude ?? [])] };
  const source = await listSourceTree(module.dir, sourceOptions);
  for (const output of source.outputs) reporter.info(`not sending ${output}/ to the sandbox: an airlock output directory`);
  const [sourceDigest, git, engineInfo] = await Promise.all([
    digestSourceTree(module.dir, source.entries),
    readGitFacts(module.dir),
    engine.info(),
  ]);
  const staging = await OutputStaging.create(outDir, module.dir);
  const tracker = new ResourceTracker(engine);
  // Staged outputs go first: they are local and quick, while the engine may be the thing that stopped answering.
  const unregister = onInterrupt(async () => {
    await staging.discard();
    await tracker.removeAll();
  });
  const runId = randomBytes(6).toString('hex');
  const images = new SandboxImages(engine, path.join(request.airlockHome, 'locks'));
  const imagesBuilt: string[] = [];
  let workers = 0;
  const openWorker = (version: string, name: string) => openWorkerRequest(engine, prepared, request, version, name, runId, sourceOptions);
  // One guard for the run holds every worker's scratch to sandbox.scratchMiB (see scratch-guard.ts).
  const guard = new ScratchGuard(engine);
  // With --check every build must start in a fresh container, so workers are not reused.
  const pool = new WorkerPool(
    async (version: string) => SandboxWorker.open(engine, tracker, prepared.policy, await openWorker(version, `airlock-${runId}-w${workers++}`), guard),
    { reuse: !request.check },
  );
  try {
    const failures: AirlockError[] = [];
    const artifacts: BuiltArtifact[] = [];
    const started = new Set<string>();
    let stopping: string | undefined;
    reporter.event({
      type: 'plan',
      module: plan.module.path,
      jobs: plan.jobs.map(({ id, output, target, toolchain, package: pkg }) => ({ id, output, target, toolchain, package: pkg })),
      ...(prepared.shard ? { shard: formatShard(prepared.shard.shard) } : {}),
    });
    // Jobs run --jobs at a time, each slot keeping to one toolchain's worker while it has work (job-scheduler).
    await runScheduled(plan.jobs, request.jobs, async (job, index, release) => {
      const progress = jobProgress(reporter, job);
      // Interrupted: the clean-up has begun, so nothing new may start.
      if (tracker.isClosed) {
        progress('skipped', { reason: 'interrupted' });
        return;
      }
      if (stopping !== undefined) {
        progress('skipped', { reason: 'skipped', message: `--fail-fast: ${stopping} failed` });
        return;
      }
      started.add(job.id);
      try {
        const prepare = prepared.toolchains.get(job.toolchain)!;
        progress('preparing-image');
        const ensured = await images.ensure(
          prepare.image,
          prepare.toolchain.goroot,
          () => reporter.info(`building the sandbox image ${prepare.image.tag} from ${job.toolchain} (once per toolchain)`),
          () => reporter.info(`waiting for another airlock process building the sandbox image ${prepare.image.tag}`),
        );
        if (ensured.built && !imagesBuilt.includes(ensured.tag)) imagesBuilt.push(ensured.tag);
        const artifact = await buildJob(engine, tracker, pool, openWorker, prepared, job, index, runId, staging, reporter, request, progress, release, guard);
        artifacts.push(artifact);
        progress('done', { sha256: artifact.sha256, size: artifact.size });
      } catch (error) {
        if (!(error instanceof AirlockError)) throw error;
        failures.push(error);
        progress('failed', { reason: failureReason(error), message: error.message });
        // An interrupt fails every running target alike; the failed line above says so once per target.
        if (plan.jobs.length > 1 && !(error instanceof InterruptedError)) reporter.warn(`${job.output}: ${error.message}`);
        // Queued jobs then end at once as skipped; running ones finish.
        if (request.failFast) stopping ??= job.output;
      }
    });
    if (failures.length > 0) throw failures.length === 1 && started.size === plan.jobs.length ? failures[0]! : combineFailures(failures, plan.jobs.length, started.size);
    const imageIds = new Map<string, string>();
    for (const [version, { image }] of prepared.toolchains) imageIds.set(version, await engine.imageId(image.tag));
    const sboms = new Map<string, { name: string; sha256: string }>();
    const policyDigest = sha256Hex(canonicalJson(prepared.policy));
    const invocation = randomUUID();
    for (const artifact of artifacts) {
      const { job } = artifact;
      const { toolchain, image } = prepared.toolchains.get(job.toolchain)!;
      const commandInput = {
        goos: job.goos,
        goarch: job.goarch,
        mainPackage: job.package,
        outputName: path.posix.basename(job.output),
        vendored: module.hasVendor,
        moduleCache: prepared.moduleInputs.source === 'module-set',
        persistentCache: request.cache === true,
        ldflags: plan.flags.ldflags,
        tags: plan.flags.tags,
      };
      const written = await writeAttestation(
        {
          file: staging.pathFor(job.output),
          job,
          sha256: artifact.sha256,
          sbom: attestation.sbom,
          airlockVersion: airlockVersion(),
          provenance: {
            source: {
              path: module.dir,
              treeDigest: sourceDigest.digest,
              ...(git ? { gitCommit: git.commit, gitDirty: git.dirty } : {}),
              excluded: [...new Set(sourceOptions.exclude.flatMap((excluded) => sourceExcludes(module.dir, excluded)))].sort(),
              ...(Object.keys(sourceDigest.files).length <= MAX_RECORDED_FILES ? { files: sourceDigest.files } : {}),
            },
            module: { path: plan.module.path, ...(plan.module.go !== undefined ? { go: plan.module.go } : {}) },
            build: { package: job.package, goos: job.goos, goarch: job.goarch, ldflags: plan.flags.ldflags, tags: plan.flags.tags },
            toolchain: {
              version: toolchain.version,
              platform: `${toolchain.goos}/${toolchain.goarch}`,
              treeDigest: toolchain.treeDigest,
              verification: { status: toolchain.verification.status, checks: toolchain.verification.checks ?? [] },
              moduleVersion: toolchainModuleVersion(toolchain),
            },
            command: ['go', ...goBuildArguments(commandInput)],
            environment: goBuildEnvironment(commandInput),
            sandbox: {
              image: image.tag,
              imageId: imageIds.get(job.toolchain)!,
              policy: prepared.policy,
              policyDigest: `sha256:${policyDigest}`,
              seccomp: prepared.policy.seccomp.digest ? `${prepared.policy.seccomp.name} (${prepared.policy.seccomp.digest})` : prepared.policy.seccomp.name,
              network: prepared.policy.network,
            },
            modules: { source: prepared.moduleInputs.source, verified: prepared.moduleInputs.verified, list: prepared.moduleInputs.modules },
            builderVersion: { airlock: airlockVersion(), engine: `${engineInfo.kind} ${engineInfo.version}` },
            ...(request.cache
              ? { buildCache: `persistent volume ${buildCacheVolume(toolchain.treeDigest, plan.module.path)}, shared only by builds of this module with this toolchain` }
              : {}),
            invocationId: `${invocation}/${job.id}`,
            startedOn: artifact.startedOn,
            finishedOn: artifact.finishedOn,
          },
        },
        attestation.signer,
      );
      if (written.sbom) sboms.set(job.output, written.sbom);
    }
    for (const group of checksumGroups(plan)) {
      const entries = group.jobs.flatMap((job) => {
        const artifact = artifacts.find((candidate) => candidate.file === job.output)!;
        const sbom = sboms.get(job.output);
        return [{ name: path.posix.basename(job.output), sha256: artifact.sha256 }, ...(sbom ? [sbom] : [])];
      });
      const sumsFile = staging.pathFor(path.join(group.directory, CHECKSUMS_FILE));
      const sums = formatSha256Sums(entries);
      await fs.writeFile(sumsFile, sums);
      if (attestation.signer) await fs.writeFile(`${sumsFile}.sig`, await signDetached(Buffer.from(sums), attestation.signer));
    }
    if (prepared.shard) await fs.writeFile(staging.pathFor(SHARD_MANIFEST_FILE), `${JSON.stringify(prepared.shard, null, 2)}\n`);
    await normaliseOutputs(staging.stagingDir, new Set(artifacts.map((artifact) => artifact.file)), request.sourceDateEpoch ?? git?.commitTime);
    await staging.publish();
    artifacts.sort((a, b) => (a.file < b.file ? -1 : 1));
    return { plan, outDir, artifacts: artifacts.map(({ job: _job, startedOn: _s, finishedOn: _f, ...summary }) => summary), imagesBuilt };
  } finally {
    await staging.discard();
    await pool.closeAll().catch(() => undefined);
    const left = await tracker.removeAll();
    if (left.length > 0) reporter.warn(`could not remove ${left.join(', ')}: run \`airlock prune\` when the engine answers again`);
    unregister();
  }
}

type JobProgress = (state: JobState, extra?: { sha256?: string; size?: number; reason?: FailureReason; message?: string }) => void;

/** Reports one job's state changes, with the seconds since it left the queue. */
function jobProgress(reporter: Reporter, job: PlanJob): JobProgress {
  const since = Date.now();
  return (state, extra = {}) =>
    reporter.event({ type: 'job', id: job.id, output: job.output, state, seconds: (Date.now() - since) / 1000, ...extra });
}

/** What the report and the JSON stream say a failed target died of. */
export function failureReason(error: AirlockError): FailureReason {
  if (error instanceof SandboxLimitError) return error.limit;
  if (error instanceof VerificationError) return 'verification-failed';
  if (error instanceof EngineError) return 'engine';
  if (error instanceof InterruptedError) return 'interrupted';
  return 'build-failed';
}

/** Binaries 0755, everything else 0644, and one modification time for all (SOURCE_DATE_EPOCH or the commit's). */
async function normaliseOutputs(dir: string, binaries: Set<string>, epoch: number | undefined): Promise<void> {
  const walk = async (relative: string): Promise<void> => {
    for (const entry of await fs.readdir(path.join(dir, relative), { withFileTypes: true })) {
      const rel = relative === '' ? entry.name : `${relative}/${entry.name}`;
      const absolute = path.join(dir, rel);
      if (entry.isDirectory()) {
        await walk(rel);
        await fs.chmod(absolute, 0o755);
      } else {
        await fs.chmod(absolute, binaries.has(rel) ? 0o755 : 0o644);
      }
      if (epoch !== undefined) await fs.utimes(absolute, epoch, epoch);
    }
  };
  await walk('');
}

/** The output directory, relative to the module, when it lies inside it (it is never part of the source). */
export function sourceExcludes(moduleDir: string, outDir: string): string[] {
  const relative = path.relative(moduleDir, outDir);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? [relative.split(path.sep).join('/')] : [];
}

/**
 * One persistent cache per toolchain and module, used by every target's builds (Go keys its cache entries by
 * target, and its cache is safe for concurrent use): builds of other modules never share (or poison) it.
 */
export function buildCacheVolume(toolchainDigest: string, modulePath: string): string {
  return `airlock-gocache-${sha256Hex(`${toolchainDigest}\n${modulePath}`).slice(0, 20)}`;
}

/** What a sandbox worker for one toolchain of this build is opened with; creates the cache volume it needs. */
async function openWorkerRequest(
  engine: ContainerEngine,
  prepared: PreparedBuild,
  request: BuildRequest,
  version: string,
  name: string,
  runId: string,
  sourceOptions: { exclude: string[] },
): Promise<WorkerOpenRequest> {
  const { toolchain, image } = prepared.toolchains.get(version)!;
  const cacheVolume = request.cache ? buildCacheVolume(toolchain.treeDigest, prepared.plan.module.path) : undefined;
  if (cacheVolume) await engine.createVolume(cacheVolume, { [LABEL_MANAGED]: 'true', 'airlock.purpose': 'gocache' });
  return {
    name,
    volume: name,
    scratchVolume: `${name}-scratch`,
    image: image.tag,
    runId,
    toolchain: version,
    ...(prepared.seccomp ? { seccomp: prepared.seccomp } : {}),
    ...(cacheVolume ? { cacheVolume } : {}),
    ...(prepared.moduleInputs.set ? { moduleCacheArchive: () => packModuleCache(prepared.moduleInputs.set!) } : {}),
    moduleDir: prepared.module.dir,
    sourceOptions,
  };
}

function combineFailures(failures: AirlockError[], total: number, attempted: number): AirlockError {
  // An engine that failed every target is the run's one cause: say that, with its exit code.
  if (failures.every((failure) => failure instanceof EngineError)) return failures[0]!;
  const skipped = total - attempted;
  const message = `${failures.length} of ${total} builds failed${skipped > 0 ? ` (${skipped} not started: --fail-fast)` : ''}`;
  const details = failures.map((failure) => [`--- ${failure.message}`, failure.details ?? ''].join('\n').trim()).join('\n');
  const Kind = failures.every((failure) => failure instanceof VerificationError) ? VerificationError : BuildError;
  return new Kind(message, { hint: failures[0]!.hint ?? 'see the errors above', details });
}

async function buildJob(
  engine: ContainerEngine,
  tracker: ResourceTracker,
  pool: WorkerPool<SandboxWorker>,
  openWorker: (version: string, name: string) => Promise<WorkerOpenRequest>,
  prepared: PreparedBuild,
  job: PlanJob,
  index: number,
  runId: string,
  staging: OutputStaging,
  reporter: Reporter,
  request: BuildRequest,
  progress: JobProgress,
  releaseSlot: () => void,
  guard: ScratchGuard,
): Promise<BuiltArtifact> {
  const started = Date.now();
  const startedOn = new Date();
  const label = `${job.package} for ${job.target} with ${job.toolchain}`;
  reporter.info(`building ${label}`);
  const hostOutputPath = await staging.directoryFor(job.output);
  const buildRequest: WorkerBuildRequest = {
    goos: job.goos,
    goarch: job.goarch,
    mainPackage: job.package,
    outputName: path.posix.basename(job.output),
    vendored: prepared.module.hasVendor,
    moduleCache: prepared.moduleInputs.source === 'module-set',
    ...(request.cache ? { persistentCache: true } : {}),
    ldflags: prepared.plan.flags.ldflags,
    tags: prepared.plan.flags.tags,
    hostOutputPath,
    // airlock.json may lower the limit on what comes out of the sandbox (sandbox.maxOutputMiB), never raise it.
    maxOutputBytes: Math.min(MAX_OUTPUT_BYTES, (prepared.config.sandbox?.maxOutputMiB ?? Infinity) * 1024 ** 2),
    label,
  };
  progress('building');
  const built = await pool.run(job.toolchain, (worker) => worker.build(buildRequest));
  // The build is over: the slot's next build starts while this binary is copied out and checked. A --check
  // build keeps its slot, as its second build is still to come; with --fail-fast a failed check must stop
  // the next build from starting.
  if (!request.check && !request.failFast) releaseSlot();
  const received = await built.output;
  progress('verifying');
  const bytes = await fs.readFile(hostOutputPath);
  if (request.check) {
    // The reproducibility check: the same job again in a fresh container must give the same bytes.
    const again = `${hostOutputPath}.check`;
    await runInFreshWorker(engine, tracker, prepared.policy, await openWorker(job.toolchain, `airlock-${runId}-${index}-check`), { ...buildRequest, hostOutputPath: again, label: `${label} (check)` }, guard);
    const second = await fs.readFile(again);
    await fs.remove(again);
    if (!second.equals(bytes)) {
      throw new VerificationError(`${job.output} is not reproducible: two builds in fresh containers differ (${describeBinaryDifference(bytes, second).join('; ')})`, {
        hint: 'look for inputs that change between runs: time, randomness or environment read at build time (go:generate output, embedded files, -ldflags -X values)',
      });
    }
    reporter.info(`checked ${job.output}: a second build in a fresh container is byte-identical`);
  }
  const linkage = checkStaticExecutable(bytes);
  if (!linkage.static) {
    throw new VerificationError(`${job.output} is not a static binary: ${linkage.reason ?? 'unknown reason'}`, {
      hint: 'airlock only accepts static binaries; remove cgo from the build (it runs with CGO_ENABLED=0)',
    });
  }
  const { sha256 } = received;
  const seconds = (Date.now() - started) / 1000;
  return {
    file: job.output,
    target: job.target,
    package: job.package,
    toolchain: job.toolchain,
    size: bytes.length,
    sha256,
    seconds,
    job,
    startedOn,
    finishedOn: new Date(),
  };
}
