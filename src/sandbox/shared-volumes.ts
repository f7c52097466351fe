import type { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import type { ContainerEngine } from '../engine/engine.js';
import { LABEL_MANAGED, LABEL_RUN, type SandboxPolicy, volumeLoaderSpec } from './policy.js';
import type { ResourceTracker } from './resource-tracker.js';

/** Where a volume is filled, and through which image's never-started container. */
export interface VolumeFill {
  volume: string;
  /** The path the volume is mounted at in the loader, as the workers see it. */
  target: string;
  image: string;
  runId: string;
}

function loaderName(fill: VolumeFill): string {
  return `${fill.volume}-loader-${fill.runId}`;
}

/**
 * Runs `use` with a created, never-started container that mounts the volume writable at its target, and removes
 * the container afterwards (or, on an interrupt, the tracker does).
 */
async function withLoader<T>(tracker: ResourceTracker, policy: SandboxPolicy, fill: VolumeFill, use: (containerId: string) => Promise<T>): Promise<T> {
  const name = loaderName(fill);
  const id = await tracker.createContainer(
    volumeLoaderSpec(policy, { name, image: fill.image, volume: fill.volume, target: fill.target, labels: { [LABEL_MANAGED]: 'true', [LABEL_RUN]: fill.runId } }),
  );
  try {
    return await use(id);
  } finally {
    await tracker.removeContainer(name);
  }
}

/** Puts one tar into the volume: one upload, however many workers then mount it. */
export async function fillVolume(engine: ContainerEngine, tracker: ResourceTracker, policy: SandboxPolicy, fill: VolumeFill, archive: () => Readable): Promise<void> {
  await withLoader(tracker, policy, fill, (id) => engine.putArchive(id, fill.target, archive()));
}

/** The text of a small file at the volume's root, or undefined when there is none. */
export async function readVolumeFile(engine: ContainerEngine, tracker: ResourceTracker, policy: SandboxPolicy, fill: VolumeFill, name: string): Promise<string | undefined> {
  return withLoader(tracker, policy, fill, async (id) => {
    const archive = await engine.getArchive(id, `${fill.target}/${name}`).catch(() => undefined);
    if (!archive) return undefined;
    return readSingleSmallFile(archive);
  });
}

/** The content of the one regular file of a tar stream, if it is at most 64 KiB. */
async function readSingleSmallFile(archive: Readable): Promise<string | undefined> {
  const extract = tarStream.extract();
  let text: string | undefined;
  archive.pipe(extract);
  for await (const entry of extract) {
    if (entry.header.type === 'file' && text === undefined && (entry.header.size ?? 0) <= 64 * 1024) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      text = Buffer.concat(chunks).toString('utf8');
    } else {
      entry.resume();
    }
  }
  return text;
}
