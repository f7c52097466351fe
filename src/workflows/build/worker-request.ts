import { createReadStream } from 'node:fs';
import { ensureKeptSourceVolume, keptSourceVolumeName } from '../../sandbox/kept-source-volume.js';
import { ensureModuleCacheVolume } from '../../sandbox/module-cache-volume.js';
import { LABEL_MANAGED, SandboxPaths } from '../../sandbox/policy.js';
import { fillVolume } from '../../sandbox/shared-volumes.js';
import { SandboxWorker, type WorkerOpenRequest } from '../../sandbox/worker.js';
import { sha256File } from '../../util/hash.js';
import os from 'node:os';
import path from 'node:path';
import { buildCacheVolume } from './resolve.js';
import type { BuildRun } from './run.js';
import { sourceOf } from './stage.js';

/** A volume the run's workers share, made once however many workers ask for it at the same moment. */
function sharedVolume(run: BuildRun, key: string, make: () => Promise<string>): Promise<string> {
  let volume = run.sharedVolumes.get(key);
  if (!volume) {
    volume = make();
    run.sharedVolumes.set(key, volume);
    volume.catch(() => run.sharedVolumes.delete(key));
  }
  return volume;
}

/**
 * The run's source: one volume, filled once from the archive the source stage packed and digested, mounted
 * read-only by every worker. It lives as long as the run (the tracker removes it).
 */
function runSourceVolume(run: BuildRun, image: string): Promise<string> {
  return sharedVolume(run, 'source', async () => {
    if (run.build.run.persistentCache) {
      const kept = await keptSourceVolume(run, image);
      if (kept) return kept;
    }
    const volume = `airlock-${run.runId}-src`;
    await run.tracker.createVolume(volume, { [LABEL_MANAGED]: 'true', 'airlock.run': run.runId, 'airlock.purpose': 'source' });
    const { archive } = sourceOf(run);
    await fillVolume(run.engine, run.tracker, run.build.policy, { volume, target: SandboxPaths.source, image, runId: run.runId }, () => createReadStream(archive));
    return volume;
  });
}

/**
 * With --cache: the module's kept source volume, brought up to date with what changed (kept-source-volume.ts)
 * and held until the run ends; undefined when another run holds it.
 */
async function keptSourceVolume(run: BuildRun, image: string): Promise<string | undefined> {
  const { archive, digest, entries } = sourceOf(run);
  const home = run.build.run.airlockHome;
  const started = Date.now();
  const kept = await ensureKeptSourceVolume(run.engine, run.tracker, run.build.policy, {
    volume: keptSourceVolumeName(os.hostname(), home, run.build.module.dir),
    recordDir: path.join(home, 'source-volumes'),
    lockDir: path.join(home, 'locks'),
    current: { digest: digest.digest, entries, files: digest.files },
    archive,
    image,
    runId: run.runId,
  });
  if (!kept) {
    run.reporter.debug('the kept source volume is in use by another run: this run fills a volume of its own');
    return undefined;
  }
  run.releases.push(kept.release);
  const { sync } = kept;
  const what = sync.kind === 'reuse' ? 'up to date' : sync.kind === 'update' ? `updated with ${sync.paths.length} changed entries` : `filled afresh (${sync.reason})`;
  run.reporter.debug(`source volume ${kept.volume}: ${what} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return kept.volume;
}

/** The module set's unpacked module cache, shared read-only by every worker and kept for later runs (module-cache-volume.ts). */
function runModuleCacheVolume(run: BuildRun, image: string): Promise<string> {
  return sharedVolume(run, 'module-cache', async () => {
    const set = run.build.moduleInputs.set!;
    const started = Date.now();
    const { volume, filled } = await ensureModuleCacheVolume(run.engine, run.tracker, run.build.policy, {
      set,
      setSha256: await sha256File(set.file),
      image,
      runId: run.runId,
      lockDir: path.join(run.build.run.airlockHome, 'locks'),
    });
    run.reporter.debug(`module cache volume ${volume}: ${filled ? 'filled' : 'reused'} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return volume;
  });
}

/** What a sandbox worker for one toolchain of this run is opened with; creates the volumes it needs. */
export async function workerOpenRequest(run: BuildRun, version: string, name: string): Promise<WorkerOpenRequest> {
  const { build } = run;
  const { image, toolchain } = build.toolchains.get(version)!;
  // Every job of a toolchain shares its cache volume (see buildCacheVolume), a build's or a test run's.
  const cacheVolume = build.run.persistentCache ? buildCacheVolume(toolchain.treeDigest, build.plan.module.path) : undefined;
  if (cacheVolume) await run.engine.createVolume(cacheVolume, { [LABEL_MANAGED]: 'true', 'airlock.purpose': 'gocache' });
  const [sourceVolume, moduleCacheVolume] = await Promise.all([
    runSourceVolume(run, image.tag),
    build.moduleInputs.set ? runModuleCacheVolume(run, image.tag) : undefined,
  ]);
  return {
    name,
    volume: name,
    scratchVolume: `${name}-scratch`,
    image: image.tag,
    runId: run.runId,
    toolchain: version,
    ...(build.seccomp ? { seccomp: build.seccomp } : {}),
    ...(cacheVolume ? { cacheVolume } : {}),
    sourceVolume,
    ...(moduleCacheVolume ? { moduleCacheVolume } : {}),
  };
}

/** Opens a worker of the run for one toolchain (the pool's factory, and --check's fresh container). */
export async function openWorker(run: BuildRun, version: string, name: string): Promise<SandboxWorker> {
  return SandboxWorker.open(run.engine, run.tracker, run.build.policy, await workerOpenRequest(run, version, name), run.guard);
}
