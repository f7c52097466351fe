import { randomBytes } from 'node:crypto';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import pLimit from 'p-limit';
import { CHECKSUMS_FILE, OutputStaging } from './artifacts/output-directory.js';
import { formatSha256Sums } from './artifacts/checksums.js';
import { checkStaticExecutable } from './artifacts/static-check.js';
import { onInterrupt } from './cleanup.js';
import type { ContainerEngine } from './engine/engine.js';
import { AirlockError, BuildError, InputError, VerificationError } from './errors.js';
import { findMainPackages, readGoModule, type GoModule } from './modules/read-module.js';
import { type BuildPlan, type PlanJob, resolvePlan } from './plan/build-plan.js';
import { selectToolchain } from './plan/select-toolchain.js';
import { dedupeTargets, parseTarget, validateTargets } from './plan/targets.js';
import type { Reporter } from './report/reporter.js';
import type { ArtifactSummary } from './report/summary.js';
import { SandboxImages } from './sandbox/ensure-image.js';
import { type SandboxImageSpec, sandboxImageSpec } from './sandbox/image-spec.js';
import { loadSandboxTemplate } from './sandbox/load-template.js';
import { type SandboxPolicy, defaultSandboxPolicy } from './sandbox/policy.js';
import { ResourceTracker } from './sandbox/resource-tracker.js';
import { runSandboxBuild } from './sandbox/run-build.js';
import { listSourceTree } from './sandbox/source-tree.js';
import { sha256File } from './toolchain/read-tree.js';
import { type StoredToolchain, ToolchainStore } from './toolchain/store.js';

export interface BuildRequest {
  dir: string;
  targets: string[];
  mains: string[];
  out?: string;
  go?: string;
  ldflags: string[];
  tags: string[];
  jobs: number;
  airlockHome: string;
}

export interface PreparedBuild {
  module: GoModule;
  plan: BuildPlan;
  toolchain: StoredToolchain;
  image: SandboxImageSpec;
  policy: SandboxPolicy;
  notes: string[];
}

const DEFAULT_TARGET = 'linux/amd64';
const MAX_OUTPUT_BYTES = 1024 ** 3;

/** Everything decided before a container runs: module, toolchain, targets, image and the job matrix. */
export async function prepareBuild(request: BuildRequest, enginePlatform: string): Promise<PreparedBuild> {
  const module = await readGoModule(request.dir);
  const targets = dedupeTargets((request.targets.length > 0 ? request.targets : [DEFAULT_TARGET]).map(parseTarget));
  const store = new ToolchainStore(request.airlockHome);
  const selection = selectToolchain(await store.list(), {
    ...(request.go !== undefined ? { requested: request.go } : {}),
    ...(module.goMod.go !== undefined ? { goLine: module.goMod.go } : {}),
    enginePlatform,
  });
  const toolchain = selection.toolchain;
  validateTargets(targets, toolchain.ports, toolchain.version);
  const mains = request.mains.length > 0 ? request.mains.map(normaliseMainPackage) : await findMainPackages(module);
  for (const main of mains) await assertPackageDirectory(module.dir, main);
  const policy = defaultSandboxPolicy(Math.max(1, os.availableParallelism?.() ?? os.cpus().length));
  const image = sandboxImageSpec(await loadSandboxTemplate(), toolchain, policy);
  const plan = resolvePlan({
    module: {
      path: module.goMod.module,
      ...(module.goMod.go !== undefined ? { go: module.goMod.go } : {}),
      ...(module.goMod.toolchain !== undefined ? { toolchainLine: module.goMod.toolchain } : {}),
      vendored: module.hasVendor,
    },
    mainPackages: mains,
    targets,
    toolchain,
    image: image.tag,
    ldflags: request.ldflags,
    tags: request.tags,
  });
  const notes = [...selection.notes];
  if (module.goMod.toolchain !== undefined) {
    notes.push(`go.mod names toolchain ${module.goMod.toolchain}; airlock builds with the pinned ${toolchain.version} (GOTOOLCHAIN=local)`);
  }
  return { module, plan, toolchain, image, policy, notes };
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

async function assertPackageDirectory(moduleDir: string, main: string): Promise<void> {
  const dir = path.join(moduleDir, main);
  const isDir = await fs.stat(dir).then((stat) => stat.isDirectory()).catch(() => false);
  if (!isDir) {
    throw new InputError(`the main package ${main} does not exist in ${moduleDir}`, { hint: 'pass --main with a directory of the module' });
  }
}

export interface BuildOutcome {
  plan: BuildPlan;
  outDir: string;
  artifacts: ArtifactSummary[];
  imageBuilt: boolean;
}

/** Runs a prepared build on the engine and publishes the outputs, or leaves the output directory untouched. */
export async function executeBuild(
  engine: ContainerEngine,
  prepared: PreparedBuild,
  request: BuildRequest,
  reporter: Reporter,
): Promise<BuildOutcome> {
  const { module, plan, toolchain, image, policy } = prepared;
  const outDir = path.resolve(module.dir, request.out ?? 'dist');
  const sourceOptions = { exclude: [outDir] };
  await listSourceTree(module.dir, sourceOptions);
  const staging = await OutputStaging.create(outDir, module.dir);
  const tracker = new ResourceTracker(engine);
  const unregister = onInterrupt(async () => {
    await tracker.removeAll();
    await staging.discard();
  });
  const runId = randomBytes(6).toString('hex');
  try {
    const images = new SandboxImages(engine);
    const ensured = await images.ensure(image, toolchain.goroot, () =>
      reporter.info(`building the sandbox image ${image.tag} from ${toolchain.version} (once per toolchain)`),
    );
    if (!ensured.built) reporter.debug(`reusing the sandbox image ${image.tag}`);
    const limit = pLimit(Math.max(1, request.jobs));
    const failures: AirlockError[] = [];
    const artifacts: ArtifactSummary[] = [];
    await Promise.all(
      plan.jobs.map((job, index) =>
        limit(async () => {
          try {
            artifacts.push(await buildJob(engine, tracker, policy, prepared, job, index, runId, staging, sourceOptions, reporter));
          } catch (error) {
            if (!(error instanceof AirlockError)) throw error;
            failures.push(error);
            if (plan.jobs.length > 1) reporter.warn(`${job.output}: ${error.message}`);
          }
        }),
      ),
    );
    if (failures.length > 0) throw failures.length === 1 ? failures[0]! : combineFailures(failures, plan.jobs.length);
    await fs.writeFile(
      staging.pathFor(CHECKSUMS_FILE),
      formatSha256Sums(artifacts.map((artifact) => ({ name: artifact.file, sha256: artifact.sha256 }))),
    );
    await staging.publish();
    artifacts.sort((a, b) => (a.file < b.file ? -1 : 1));
    return { plan, outDir, artifacts, imageBuilt: ensured.built };
  } finally {
    await tracker.removeAll();
    await staging.discard();
    unregister();
  }
}

function combineFailures(failures: AirlockError[], total: number): AirlockError {
  const message = `${failures.length} of ${total} builds failed`;
  const details = failures.map((failure) => [`--- ${failure.message}`, failure.details ?? ''].join('\n').trim()).join('\n');
  const Kind = failures.every((failure) => failure instanceof VerificationError) ? VerificationError : BuildError;
  return new Kind(message, { hint: failures[0]!.hint ?? 'see the errors above', details });
}

async function buildJob(
  engine: ContainerEngine,
  tracker: ResourceTracker,
  policy: SandboxPolicy,
  prepared: PreparedBuild,
  job: PlanJob,
  index: number,
  runId: string,
  staging: OutputStaging,
  sourceOptions: { exclude: string[] },
  reporter: Reporter,
): Promise<ArtifactSummary> {
  const started = Date.now();
  const label = `${job.package} for ${job.target} with ${prepared.toolchain.version}`;
  reporter.info(`building ${label}`);
  const hostOutputPath = staging.pathFor(job.output);
  const name = `airlock-${runId}-${index}`;
  await runSandboxBuild(engine, tracker, policy, {
    name,
    volume: name,
    image: prepared.image.tag,
    runId,
    goos: job.goos,
    goarch: job.goarch,
    mainPackage: job.package,
    outputName: job.output,
    vendored: prepared.module.hasVendor,
    ldflags: prepared.plan.flags.ldflags,
    tags: prepared.plan.flags.tags,
    moduleDir: prepared.module.dir,
    sourceOptions,
    hostOutputPath,
    maxOutputBytes: MAX_OUTPUT_BYTES,
    label,
  });
  const bytes = await fs.readFile(hostOutputPath);
  const linkage = checkStaticExecutable(bytes);
  if (!linkage.static) {
    throw new VerificationError(`${job.output} is not a static binary: ${linkage.reason ?? 'unknown reason'}`, {
      hint: 'airlock only accepts static binaries; remove cgo from the build (it runs with CGO_ENABLED=0)',
    });
  }
  const sha256 = await sha256File(hostOutputPath);
  const seconds = (Date.now() - started) / 1000;
  reporter.info(`built ${job.output} (${bytes.length} bytes, ${seconds.toFixed(1)}s)`);
  return { file: job.output, target: job.target, package: job.package, size: bytes.length, sha256, seconds };
}
