import type { ContainerEngine } from '../engine/engine.js';
import { createImageContext } from './image-context.js';
import type { SandboxImageSpec } from './image-spec.js';

export interface EnsuredImage {
  tag: string;
  built: boolean;
}

/**
 * Makes sure the sandbox image exists, building it at most once per tag in this process even when many
 * targets ask for it at the same moment.
 */
export class SandboxImages {
  private readonly pending = new Map<string, Promise<EnsuredImage>>();

  constructor(private readonly engine: ContainerEngine) {}

  ensure(spec: SandboxImageSpec, goroot: string, onBuild?: () => void): Promise<EnsuredImage> {
    let result = this.pending.get(spec.tag);
    if (!result) {
      result = (async () => {
        if (await this.engine.imageExists(spec.tag)) return { tag: spec.tag, built: false };
        onBuild?.();
        await this.engine.buildImage(createImageContext(spec, goroot), { tag: spec.tag, labels: spec.labels });
        return { tag: spec.tag, built: true };
      })();
      this.pending.set(spec.tag, result);
      result.catch(() => this.pending.delete(spec.tag));
    }
    return result;
  }
}
