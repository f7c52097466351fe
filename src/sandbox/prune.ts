import type { ContainerEngine } from '../engine/engine.js';
import { LABEL_MANAGED } from './policy.js';

export interface PruneReport {
  containers: string[];
  volumes: string[];
  images: string[];
  inUse: string[];
}

/**
 * Removes what airlock created (everything carries its label) and nothing else: stopped containers, volumes
 * (the persistent build caches included) and sandbox images. Anything a running container still uses stays.
 */
export async function pruneAirlockResources(engine: ContainerEngine): Promise<PruneReport> {
  const label = { [LABEL_MANAGED]: 'true' };
  const report: PruneReport = { containers: [], volumes: [], images: [], inUse: [] };
  for (const container of await engine.listContainers(label)) {
    const name = container.names[0]?.replace(/^\//, '') ?? container.id.slice(0, 12);
    if (container.state === 'running') {
      report.inUse.push(`container ${name} (running)`);
      continue;
    }
    await engine.removeContainer(container.id);
    report.containers.push(name);
  }
  for (const volume of await engine.listVolumes(label)) {
    try {
      await engine.removeVolume(volume);
      report.volumes.push(volume);
    } catch {
      report.inUse.push(`volume ${volume}`);
    }
  }
  for (const image of await engine.listImages(label)) {
    const name = image.tags[0] ?? image.id;
    if (await engine.removeImage(image.id)) report.images.push(name);
    else report.inUse.push(`image ${name}`);
  }
  return report;
}
