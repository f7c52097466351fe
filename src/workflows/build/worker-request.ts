import { packModuleCache } from '../../sandbox/module-cache-archive.js';
import { LABEL_MANAGED } from '../../sandbox/policy.js';
import { SandboxWorker, type WorkerOpenRequest } from '../../sandbox/worker.js';
import { buildCacheVolume } from './resolve.js';
import type { BuildRun } from './run.js';
import { sourceOf } from './stage.js';

/** What a sandbox worker for one toolchain of this run is opened with; creates the cache volume it needs. */
export async function workerOpenRequest(run: BuildRun, version: string, name: string): Promise<WorkerOpenRequest> {
  const { build } = run;
  const { image, toolchain } = build.toolchains.get(version)!;
  // Every job of a toolchain shares its cache volume (see buildCacheVolume), a build's or a test run's.
  const cacheVolume = build.run.persistentCache ? buildCacheVolume(toolchain.treeDigest, build.plan.module.path) : undefined;
  if (cacheVolume) await run.engine.createVolume(cacheVolume, { [LABEL_MANAGED]: 'true', 'airlock.purpose': 'gocache' });
  const set = build.moduleInputs.set;
  return {
    name,
    volume: name,
    scratchVolume: `${name}-scratch`,
    image: image.tag,
    runId: run.runId,
    toolchain: version,
    ...(build.seccomp ? { seccomp: build.seccomp } : {}),
    ...(cacheVolume ? { cacheVolume } : {}),
    ...(set ? { moduleCacheArchive: () => packModuleCache(set) } : {}),
    moduleDir: build.module.dir,
    // The source stage's list: it also leaves out the earlier outputs it found in the module.
    sourceOptions: { exclude: [...sourceOf(run).exclude] },
  };
}

/** Opens a worker of the run for one toolchain (the pool's factory, and --check's fresh container). */
export async function openWorker(run: BuildRun, version: string, name: string): Promise<SandboxWorker> {
  return SandboxWorker.open(run.engine, run.tracker, run.build.policy, await workerOpenRequest(run, version, name), run.guard);
}
