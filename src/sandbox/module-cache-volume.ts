import type { ContainerEngine } from '../engine/engine.js';
import type { OpenedModuleSet } from '../modules/module-set.js';
import { acquireMachineLock } from '../util/machine-lock.js';
import { packModuleCache } from './module-cache-archive.js';
import { LABEL_MANAGED, type SandboxPolicy, SandboxPaths } from './policy.js';
import type { ResourceTracker } from './resource-tracker.js';
import { fillVolume, readVolumeFile } from './shared-volumes.js';

/** Written last into a module cache volume: its presence says the fill completed, its text says what was filled. */
export const MODULE_CACHE_MARKER = '.airlock-module-cache';

/** The volume a module set with this archive digest is unpacked into: one per set, shared by every run that uses it. */
export function moduleCacheVolumeName(setSha256: string): string {
  return `airlock-modcache-${setSha256.slice(0, 24)}`;
}

export function moduleCacheMarker(setSha256: string, set: OpenedModuleSet): string {
  return `${JSON.stringify({ moduleSetSha256: setSha256, module: set.manifest.module, modules: set.manifest.modules.length })}\n`;
}

export interface ModuleCacheVolumeRequest {
  set: OpenedModuleSet;
  /** sha256 of the module set archive the run verified; names the volume and is checked in its marker. */
  setSha256: string;
  image: string;
  runId: string;
  lockDir: string;
}

/**
 * Makes sure the verified module set is unpacked into its volume, at most once per set on this engine: later runs
 * (and other modules built from the same set) mount it read-only without moving the modules again. A volume is
 * reused only when its marker, written after everything else, names this very archive digest; one without it
 * (an interrupted fill) is emptied and filled again. The volume is only ever written by airlock through a
 * never-started container, and mounted read-only by every build. Returns the volume's name and whether it was
 * filled by this run.
 */
export async function ensureModuleCacheVolume(
  engine: ContainerEngine,
  tracker: ResourceTracker,
  policy: SandboxPolicy,
  request: ModuleCacheVolumeRequest,
): Promise<{ volume: string; filled: boolean }> {
  const volume = moduleCacheVolumeName(request.setSha256);
  const labels = { [LABEL_MANAGED]: 'true', 'airlock.purpose': 'module-cache', 'airlock.module-set.sha256': request.setSha256 };
  const fill = { volume, target: SandboxPaths.moduleCache, image: request.image, runId: request.runId };
  const expected = moduleCacheMarker(request.setSha256, request.set);
  const release = await acquireMachineLock(request.lockDir, `volume-${volume}`);
  try {
    await engine.createVolume(volume, labels);
    const marker = await readVolumeFile(engine, tracker, policy, fill, MODULE_CACHE_MARKER);
    if (marker === expected) return { volume, filled: false };
    // Anything else in it (an interrupted fill, a marker of something else) goes: the volume starts empty.
    await engine.removeVolume(volume);
    await engine.createVolume(volume, labels);
    await fillVolume(engine, tracker, policy, fill, () => packModuleCache(request.set, { name: MODULE_CACHE_MARKER, content: expected }));
    return { volume, filled: true };
  } finally {
    await release();
  }
}
