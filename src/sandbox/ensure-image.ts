import type { ContainerEngine } from '../engine/engine.js';
import { EngineError } from '../errors.js';
import { MACHINE_LOCK_WAIT_MS, MachineLockTimeout, acquireMachineLock } from '../util/machine-lock.js';
import { createImageContext } from './image-context.js';
import type { SandboxImageSpec } from './image-spec.js';
import { importedImageUse, pushedImageUse, writeKubernetesSandboxImage } from './kubernetes-image.js';
import type { SandboxPolicy } from './policy.js';

/** What an engine that runs airlock's own OCI image (Kubernetes) needs to have it written. */
export interface OciImageSettings {
  policy: SandboxPolicy;
  /** Where written images and file helpers are kept (AIRLOCK_HOME/images). */
  imageDir: string;
  /** For the docker config file with a registry's credentials (DOCKER_CONFIG); this process's by default. */
  env?: NodeJS.ProcessEnv;
}

export interface EnsuredImage {
  tag: string;
  built: boolean;
}

/**
 * Makes sure the sandbox image exists, building it at most once per tag: within this process even when many
 * targets ask for it at the same moment, and across processes on this machine through a lock file in
 * AIRLOCK_HOME (proper-lockfile: atomic mkdir, kept fresh while held, taken over when its holder died).
 */
export class SandboxImages {
  private readonly pending = new Map<string, Promise<EnsuredImage>>();

  constructor(
    private readonly engine: ContainerEngine,
    private readonly lockDir: string,
    private readonly oci?: OciImageSettings,
  ) {}

  ensure(spec: SandboxImageSpec, goroot: string, onBuild?: () => void, onWait?: () => void): Promise<EnsuredImage> {
    let result = this.pending.get(spec.tag);
    if (!result) {
      result = (async () => {
        if (this.engine.imageSource === 'oci-image') return this.ensureOciImage(spec, goroot, onBuild, onWait);
        if (await this.engine.imageExists(spec.tag)) return { tag: spec.tag, built: false };
        const release = await this.lock(spec.tag, onWait);
        try {
          // Another process may have built it while this one waited for the lock.
          if (await this.engine.imageExists(spec.tag)) return { tag: spec.tag, built: false };
          onBuild?.();
          await this.engine.buildImage(createImageContext(spec, goroot), { tag: spec.tag, labels: spec.labels });
          return { tag: spec.tag, built: true };
        } finally {
          await release().catch(() => undefined);
        }
      })();
      this.pending.set(spec.tag, result);
      result.catch(() => this.pending.delete(spec.tag));
    }
    return result;
  }

  /** The OCI image written (once per content, kept in AIRLOCK_HOME) and handed to the engine under the spec's tag. */
  private async ensureOciImage(spec: SandboxImageSpec, goroot: string, onBuild?: () => void, onWait?: () => void): Promise<EnsuredImage> {
    if (!this.oci || !this.engine.useImage) throw new Error('an engine that runs OCI images needs the OCI image settings');
    if (await this.engine.imageExists(spec.tag)) return { tag: spec.tag, built: false };
    const release = await this.lock(`oci-${spec.tag}`, onWait);
    try {
      let built = false;
      const written = await writeKubernetesSandboxImage(this.oci.imageDir, spec, this.oci.policy, goroot, () => {
        built = true;
        onBuild?.();
      });
      const registry = this.engine.imageRegistry;
      this.engine.useImage(spec.tag, registry !== undefined ? await pushedImageUse(written, registry, this.oci.env ?? process.env) : importedImageUse(written));
      return { tag: spec.tag, built };
    } finally {
      await release().catch(() => undefined);
    }
  }

  private async lock(tag: string, onWait?: () => void): Promise<() => Promise<void>> {
    try {
      return await acquireMachineLock(this.lockDir, `image-${tag}`, onWait);
    } catch (error) {
      if (!(error instanceof MachineLockTimeout)) throw error;
      throw new EngineError(`another airlock process has been building the image ${tag} for over ${MACHINE_LOCK_WAIT_MS / 60000} minutes`, {
        hint: `check that process; if none is running, remove ${error.file}.lock`,
      });
    }
  }
}
