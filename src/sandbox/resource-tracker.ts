import type { ContainerEngine, ContainerSpec } from '../engine/engine.js';
import { InterruptedError } from '../errors.js';

/**
 * Creates, and remembers, every container and volume of a run, so that an interrupt or a failure elsewhere
 * can still remove them all. A resource is remembered by name before the engine is asked to create it, and
 * clean-up first waits for creations still under way: one that completes during an interrupt is not missed.
 */
export class ResourceTracker {
  private readonly containers = new Set<string>();
  private readonly volumes = new Set<string>();
  private readonly creating = new Set<Promise<unknown>>();
  /** Set by removeAll: the run is over or interrupted, and nothing new may be created. */
  private closed = false;

  constructor(private readonly engine: ContainerEngine) {}

  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    this.assertOpen();
    this.volumes.add(name);
    await this.track(this.engine.createVolume(name, labels));
  }

  /** Creates a container; it is removed by its name, which the run chose and so knows before the engine answers. */
  async createContainer(spec: ContainerSpec): Promise<string> {
    this.assertOpen();
    this.containers.add(spec.name);
    return this.track(this.engine.createContainer(spec));
  }

  async removeContainer(name: string): Promise<void> {
    await this.engine.removeContainer(name);
    this.containers.delete(name);
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
    this.closed = true;
    await Promise.allSettled([...this.creating]);
    await Promise.allSettled([...this.containers].map((name) => this.removeContainer(name)));
    await Promise.allSettled([...this.volumes].map((name) => this.removeVolume(name)));
    return [...[...this.containers].map((name) => `container ${name}`), ...[...this.volumes].map((name) => `volume ${name}`)];
  }

  private assertOpen(): void {
    if (this.closed) throw new InterruptedError('the run is being cleaned up; no new container is started');
  }

  private async track<T>(creation: Promise<T>): Promise<T> {
    this.creating.add(creation);
    try {
      return await creation;
    } finally {
      this.creating.delete(creation);
    }
  }
}
