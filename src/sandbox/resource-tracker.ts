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
  private readonly removing = new Map<string, Promise<void>>();
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

  /** Removes a container; a removal already under way (an interrupt's, say) is joined, not asked for twice. */
  async removeContainer(name: string): Promise<void> {
    await this.once(`container ${name}`, async () => {
      await this.engine.removeContainer(name);
      this.containers.delete(name);
    });
  }

  async removeVolume(name: string): Promise<void> {
    await this.once(`volume ${name}`, async () => {
      await this.engine.removeVolume(name);
      this.volumes.delete(name);
    });
  }

  /** Whether clean-up has begun: a build that ends now ended because its container was removed. */
  get isClosed(): boolean {
    return this.closed;
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

  private once(key: string, removal: () => Promise<void>): Promise<void> {
    let running = this.removing.get(key);
    if (!running) {
      running = removal().finally(() => this.removing.delete(key));
      this.removing.set(key, running);
    }
    return running;
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
