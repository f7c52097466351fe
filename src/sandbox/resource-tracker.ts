import type { ContainerEngine } from '../engine/engine.js';

/**
 * Remembers every container and volume this process created, so an interrupt or a failure elsewhere can
 * still remove them all.
 */
export class ResourceTracker {
  private readonly containers = new Set<string>();
  private readonly volumes = new Set<string>();

  constructor(private readonly engine: ContainerEngine) {}

  addContainer(id: string): void {
    this.containers.add(id);
  }

  addVolume(name: string): void {
    this.volumes.add(name);
  }

  async removeContainer(id: string): Promise<void> {
    await this.engine.removeContainer(id);
    this.containers.delete(id);
  }

  async removeVolume(name: string): Promise<void> {
    await this.engine.removeVolume(name);
    this.volumes.delete(name);
  }

  async removeAll(): Promise<void> {
    for (const id of [...this.containers]) await this.removeContainer(id).catch(() => undefined);
    for (const name of [...this.volumes]) await this.removeVolume(name).catch(() => undefined);
  }
}
