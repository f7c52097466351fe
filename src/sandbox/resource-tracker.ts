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

  /**
   * Removes everything still tracked, containers first (a volume in use cannot go), each kind in parallel so
   * an engine that stopped answering costs one timeout, not one per resource. Returns what could not be removed.
   */
  async removeAll(): Promise<string[]> {
    await Promise.allSettled([...this.containers].map((id) => this.removeContainer(id)));
    await Promise.allSettled([...this.volumes].map((name) => this.removeVolume(name)));
    return [...[...this.containers].map((id) => `container ${id.slice(0, 12)}`), ...[...this.volumes].map((name) => `volume ${name}`)];
  }
}
