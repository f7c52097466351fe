/**
 * The sandbox image for an executor that runs airlock's own OCI image (Kubernetes): the file helper built
 * with the toolchain, the image written as an OCI image archive in AIRLOCK_HOME, and handed to the engine
 * under the name a pod uses. Both are kept, by what decides their bytes, so a later run reuses them.
 *
 * For this preview the cluster gets the image by the user importing the archive on its nodes (or, at a site
 * with a registry, by pushing it there); the pod names it by digest with imagePullPolicy Never, and an image
 * the node does not have fails the first pod with a message naming the archive.
 */
import fs from 'fs-extra';
import path from 'node:path';
import type { OciImageUse } from '../engine/engine.js';
import os from 'node:os';
import { readRegistryCredentials } from '../oci/docker-config.js';
import { packOciArchive } from '../oci/oci-archive.js';
import { parseRegistry, pushImage } from '../oci/registry-push.js';
import { sha256Hex } from '../util/hash.js';
import { createScratchDir } from '../util/scratch-dir.js';
import { FILE_HELPER_SOURCES, type FileHelperBinary, buildFileHelper, fileHelperSourceDir } from './file-helper.js';
import type { SandboxImageSpec } from './image-spec.js';
import type { SandboxPolicy } from './policy.js';
import { sandboxOciImageTag, writeSandboxOciLayout } from './sandbox-oci-image.js';
import { SANDBOX_IMAGE_REPOSITORY } from './image-spec.js';

/** The registry part of the name an imported image has on the nodes: a name no registry answers for. */
export const LOCAL_IMAGE_REGISTRY = 'airlock.local';

interface WrittenImage {
  digest: string;
  archive: string;
  reference: string;
}

/** The name a pod uses for an image imported on its node: the containerd name without the tag, by digest. */
export function importedImageReference(digest: string): string {
  return `${LOCAL_IMAGE_REGISTRY}/${SANDBOX_IMAGE_REPOSITORY}@${digest}`;
}

/** The file helper for this toolchain, built once and kept by the toolchain's digest and the helper's source. */
async function cachedFileHelper(imageDir: string, spec: SandboxImageSpec, goroot: string): Promise<{ path: string; sha256: string }> {
  const parts: string[] = [];
  for (const name of FILE_HELPER_SOURCES) parts.push(`${name}\n${sha256Hex(await fs.readFile(path.join(fileHelperSourceDir(), name)))}`);
  const key = sha256Hex([spec.toolchain.treeDigest, `${spec.toolchain.goos}/${spec.toolchain.goarch}`, ...parts].join('\0')).slice(0, 24);
  const dir = path.join(imageDir, 'file-helper', key);
  const file = path.join(dir, 'file-helper');
  if (await fs.pathExists(file)) return { path: file, sha256: sha256Hex(await fs.readFile(file)) };
  const scratch = await createScratchDir('airlock-file-helper');
  try {
    const built: FileHelperBinary = await buildFileHelper({
      toolchain: { goroot, version: spec.toolchain.version, goos: spec.toolchain.goos, goarch: spec.toolchain.goarch },
      target: { goos: spec.toolchain.goos, goarch: spec.toolchain.goarch },
      scratchDir: scratch.path,
    });
    await fs.mkdirp(dir);
    const partial = `${file}.${process.pid}.partial`;
    await fs.copyFile(built.path, partial);
    await fs.rename(partial, file);
    return { path: file, sha256: built.sha256 };
  } finally {
    await scratch.remove();
  }
}

/** Writes (or finds, written before) the OCI image archive of the sandbox image. */
export async function writeKubernetesSandboxImage(imageDir: string, spec: SandboxImageSpec, policy: SandboxPolicy, goroot: string, onWrite?: () => void): Promise<WrittenImage> {
  const helper = await cachedFileHelper(imageDir, spec, goroot);
  const tag = sandboxOciImageTag(spec, helper.sha256);
  const dir = path.join(imageDir, 'oci', tag);
  const record = path.join(dir, 'image.json');
  if (await fs.pathExists(record)) {
    const { digest } = (await fs.readJson(record)) as { digest: string };
    return { digest, archive: path.join(dir, 'sandbox.oci.tar'), reference: importedImageReference(digest) };
  }
  onWrite?.();
  const scratch = await createScratchDir('airlock-oci-image');
  try {
    const layout = path.join(scratch.path, 'layout');
    const written = await writeSandboxOciLayout(layout, { spec, policy, goroot, helper, containerdName: `${LOCAL_IMAGE_REGISTRY}/${SANDBOX_IMAGE_REPOSITORY}:${tag}` });
    const staged = path.join(scratch.path, 'image');
    await fs.mkdirp(staged);
    await packOciArchive(layout, path.join(staged, 'sandbox.oci.tar'));
    await fs.writeJson(path.join(staged, 'image.json'), { digest: written.manifest.digest, tag, toolchain: spec.toolchain, helperSha256: helper.sha256 });
    await fs.mkdirp(path.dirname(dir));
    await fs.move(staged, dir, { overwrite: true });
    return { digest: written.manifest.digest, archive: path.join(dir, 'sandbox.oci.tar'), reference: importedImageReference(written.manifest.digest) };
  } finally {
    await scratch.remove();
  }
}

/** The image as the engine's pods use it: imported on the nodes, by digest. */
export function importedImageUse(image: WrittenImage): OciImageUse {
  return { reference: image.reference, pullPolicy: 'Never', digest: image.digest, archive: image.archive };
}

/**
 * The image pushed to the registry the cluster pulls from (a blob the registry holds already is not sent again),
 * with the credentials of the docker config file for that registry, and used from there by digest.
 */
export async function pushedImageUse(image: WrittenImage, registry: string, env: NodeJS.ProcessEnv): Promise<OciImageUse> {
  const { host } = parseRegistry(registry);
  const { file, credentials } = await readRegistryCredentials(host, env, os.homedir());
  const pushed = await pushImage({ registry, repository: SANDBOX_IMAGE_REPOSITORY, archiveOrLayout: image.archive, credentialsFile: file, ...(credentials ? { credentials } : {}) });
  return { reference: pushed.reference, pullPolicy: 'IfNotPresent', digest: pushed.digest };
}
