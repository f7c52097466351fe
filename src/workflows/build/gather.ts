import os from 'node:os';
import path from 'node:path';
import { type AirlockConfig, readAirlockConfig } from '../../config/airlock-config.js';
import type { EngineInfo } from '../../engine/engine.js';
import { InputError } from '../../errors.js';
import { type GoModule, checkMainPackage, findMainPackages, readGoModule } from '../../modules/read-module.js';
import { type ModuleInputs, resolveModuleInputs } from '../../modules/resolve-module-inputs.js';
import type { SandboxTemplate } from '../../sandbox/image-spec.js';
import { loadSandboxTemplate } from '../../sandbox/load-template.js';
import { type LoadedSeccomp, loadSeccompChoice } from '../../sandbox/seccomp-choice.js';
import { defaultMatrixPath, loadToolchainMatrix, matrixVersions } from '../../toolchain/matrix.js';
import { type StoredToolchain, ToolchainStore } from '../../toolchain/store.js';
import type { BuildRequest } from './request.js';
import { checksumDatabaseName, readAcceptedHead } from '../prove-supply-chain.js';

/** The facts of the engine a build is resolved for (`airlock plan` has no engine: see planningEngine). */
export type EngineFacts = Pick<EngineInfo, 'os' | 'arch'> & Partial<Pick<EngineInfo, 'kind' | 'version'>>;

/** Everything a build reads before it decides anything: the one step of preparing a build that does I/O. */
export interface BuildInputs {
  readonly module: GoModule;
  readonly config: AirlockConfig;
  readonly moduleInputs: ModuleInputs;
  readonly storedToolchains: readonly StoredToolchain[];
  readonly matrixVersions: readonly string[];
  /** The main packages asked for (each checked to exist), or those found in the module. */
  readonly mainPackages: readonly string[];
  readonly cpus: number;
  readonly seccomp: LoadedSeccomp;
  readonly template: SandboxTemplate;
  readonly engine: EngineFacts;
  /** With a module set: the largest checksum database head this store accepted before. */
  readonly rememberedHead?: { size: number; hash: string };
}

/**
 * Reads the module, its airlock.json, its dependencies (vendor/ or the module set, proven), the toolchain store
 * and matrix, the main packages, the seccomp profile and the image template. A module set left open is closed
 * again when a later read fails.
 */
export async function gatherBuildInputs(request: BuildRequest, engine: EngineFacts): Promise<BuildInputs> {
  const module = await readGoModule(request.dir);
  const config = readAirlockConfig(module.dir);
  const moduleInputs = await resolveModuleInputs(
    module,
    request.modulesFile !== undefined ? { modulesFile: request.modulesFile, checksumDatabaseName: checksumDatabaseName(request.checksumDatabase) } : {},
  );
  try {
    const storedToolchains = await new ToolchainStore(request.airlockHome).list();
    const matrix = loadToolchainMatrix(request.matrixPath ?? defaultMatrixPath());
    // Tests need no main package: a library module is tested as it is.
    const mainSpecs = request.mains.length > 0 ? request.mains : (config.main ?? []);
    const mainPackages = request.purpose === 'test' ? [] : mainSpecs.length > 0 ? mainSpecs.map(normaliseMainPackage) : await findMainPackages(module);
    for (const main of mainPackages) await checkMainPackage(module.dir, main);
    const rememberedHead = moduleInputs.evidence ? await readAcceptedHead(request.airlockHome, request.checksumDatabase) : undefined;
    return {
      module,
      config,
      moduleInputs,
      ...(rememberedHead ? { rememberedHead: { size: rememberedHead.size, hash: rememberedHead.hash } } : {}),
      storedToolchains,
      matrixVersions: matrixVersions(matrix),
      mainPackages,
      cpus: Math.max(1, os.availableParallelism()),
      seccomp: await loadSeccompChoice(request.seccomp, request.purpose),
      template: await loadSandboxTemplate(),
      engine,
    };
  } catch (error) {
    await moduleInputs.set?.close();
    throw error;
  }
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
