/**
 * `airlock build` as a use case: gather the inputs (I/O only), resolve them into a frozen build (pure), then
 * execute its stages. `plan`, `doctor --probe` and `reproduce` resolve through the same two steps.
 */
import { assertUsableOutput } from '../../release/output-directory.js';
import { type EngineFacts, gatherBuildInputs } from './gather.js';
import type { BuildRequest } from './request.js';
import { acceptChecksumDatabaseHead } from '../prove-supply-chain.js';
import { type ResolvedBuild, resolveBuild } from './resolve.js';

export type { AttestationOptions, BuildRequest, RecordedLimits } from './request.js';
export type { BuildInputs, EngineFacts } from './gather.js';
export type { BuildJob, ResolvedBuild, ResolvedToolchain, RunSettings } from './resolve.js';
export { buildCacheVolume, resolveBuild } from './resolve.js';
export { gatherBuildInputs } from './gather.js';
export { BUILD_STAGES, type BuildOutcome, executeBuild } from './execute.js';
export { failureReason } from './stages/build-targets.js';
export { sourceExcludes } from './stages/attest.js';

/** Gathers and resolves a build; the module set it opened is closed again if resolving fails. */
export async function prepareBuild(request: BuildRequest, engine: EngineFacts): Promise<ResolvedBuild> {
  const inputs = await gatherBuildInputs(request, engine);
  try {
    const resolved = resolveBuild(inputs, request);
    // The set's proof passed: this store now holds its head as the one later sets must extend.
    await acceptChecksumDatabaseHead(request.airlockHome, resolved.plan.modules?.checksumDatabase, request.modulesFile ?? 'a module set');
    return resolved;
  } catch (error) {
    await inputs.moduleInputs.set?.close();
    throw error;
  }
}

/** Releases what a resolved build holds open (an unpacked module set). */
export async function releasePreparedBuild(build: ResolvedBuild): Promise<void> {
  await build.moduleInputs.set?.close();
}

/**
 * The build's output directory, refused when it would replace the module or anything airlock did not write.
 * The build command checks it before it reports anything; staging checks it again when it opens and publishes.
 */
export async function assertBuildOutput(build: ResolvedBuild): Promise<string> {
  await assertUsableOutput(build.run.outDir, build.module.dir);
  return build.run.outDir;
}
