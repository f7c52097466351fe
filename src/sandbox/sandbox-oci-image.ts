/**
 * The sandbox image written by airlock itself as an OCI image, for executors without a Docker engine (a
 * Kubernetes cluster pulls it from the site's registry or has it imported on its nodes). It holds what the
 * Docker image built from templates/sandbox/Dockerfile holds, with the same paths, modes, owners, user,
 * working directory and environment, plus the file helper that moves files in and out (file-helper.ts).
 * Its manifest digest is a function of the toolchain tree, the rendered template and the helper's bytes.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { ANNOTATION_CONTAINERD_NAME, ANNOTATION_REF_NAME, type OciRuntimeConfig } from '../oci/oci-image.js';
import { type LayerEntry, treeLayerEntries } from '../oci/oci-layer.js';
import { type OciImageInput, type OciImageWritten, writeOciLayout } from '../oci/oci-layout.js';
import { canonicalFileMode } from '../toolchain/toolchain-tree.js';
import { sha256Hex } from '../util/hash.js';
import { type SandboxImageSpec, SANDBOX_IMAGE_REPOSITORY, isImageToolchainFile } from './image-spec.js';
import { type SandboxPolicy, SandboxPaths } from './policy.js';

/** Where the file helper lives in the image: outside every directory a build reads or writes, root's, read-only. */
export const FILE_HELPER_IMAGE_PATH = '/airlock/bin/file-helper';
export const FILE_HELPER_IMAGE_MODE = 0o555;

export const LABEL_FILE_HELPER_DIGEST = 'airlock.file-helper.digest';

/** The helper as the image takes it: its bytes must have this sha256 (hex). */
export interface ImageFileHelper {
  path: string;
  sha256: string;
}

const relative = (absolute: string) => absolute.replace(/^\//, '');

/** The user, environment and working directory the Dockerfile template sets (a unit test holds the two equal). */
export function sandboxOciRuntime(spec: SandboxImageSpec, policy: SandboxPolicy, helperSha256: string): OciRuntimeConfig {
  return {
    user: `${policy.uid}:${policy.gid}`,
    env: [`PATH=${SandboxPaths.goroot}/bin`],
    workingDir: SandboxPaths.source,
    labels: { ...spec.labels, [LABEL_FILE_HELPER_DIGEST]: `sha256:${helperSha256}` },
  };
}

/**
 * Everything in the image but the toolchain tree. The Docker build context (image-context.ts) has the same
 * entries; its `work/`, `out/` and `cache/` are copied to /work, /work/out and /cache, the last two owned
 * by the build user.
 */
export function sandboxBaseEntries(spec: SandboxImageSpec, policy: SandboxPolicy, helper: Uint8Array): LayerEntry[] {
  const owned = { uid: policy.uid, gid: policy.gid };
  const helperPath = relative(FILE_HELPER_IMAGE_PATH);
  return [
    { type: 'directory', path: 'etc', mode: 0o755 },
    { type: 'file', path: 'etc/passwd', mode: 0o644, content: spec.passwd },
    { type: 'file', path: 'etc/group', mode: 0o644, content: spec.group },
    { type: 'directory', path: relative(SandboxPaths.tmp), mode: 0o1777 },
    // The scratch volume's mount point, root's; the build user's directories in it come with each worker.
    { type: 'directory', path: relative(SandboxPaths.scratch), mode: 0o755 },
    { type: 'directory', path: 'usr', mode: 0o755 },
    { type: 'directory', path: 'usr/local', mode: 0o755 },
    { type: 'directory', path: relative(SandboxPaths.work), mode: 0o755 },
    { type: 'directory', path: relative(SandboxPaths.source), mode: 0o755 },
    { type: 'directory', path: relative(SandboxPaths.output), mode: 0o755, ...owned },
    { type: 'directory', path: relative(SandboxPaths.cache), mode: 0o755, ...owned },
    { type: 'directory', path: path.posix.dirname(path.posix.dirname(helperPath)), mode: 0o755 },
    { type: 'directory', path: path.posix.dirname(helperPath), mode: 0o755 },
    { type: 'file', path: helperPath, mode: FILE_HELPER_IMAGE_MODE, content: helper },
  ];
}

/**
 * The image's tag: the Docker image's version and a digest of what decides the image's content, the helper
 * included, so that a registry can be asked whether it already holds the image before it is written.
 */
export function sandboxOciImageTag(spec: SandboxImageSpec, helperSha256: string): string {
  return `${spec.toolchain.version}-${sha256Hex(`${spec.toolchain.treeDigest}\n${spec.templateDigest}\nsha256:${helperSha256}`).slice(0, 16)}`;
}

export interface SandboxOciImage extends OciImageWritten {
  /** The repository name and tag: "airlock-sandbox:go1.26.8-…". */
  reference: string;
  tag: string;
}

/** The image, described: its single layer lists the toolchain tree from GOROOT, which is read when it is written. */
export async function sandboxOciImageInput(
  spec: SandboxImageSpec,
  policy: SandboxPolicy,
  goroot: string,
  helper: ImageFileHelper,
  containerdName?: string,
): Promise<{ tag: string; image: OciImageInput }> {
  const bytes = await fs.readFile(helper.path);
  if (sha256Hex(bytes) !== helper.sha256) {
    throw new Error(`the file helper at ${helper.path} is not the one built (sha256 ${helper.sha256})`);
  }
  const toolchain = await treeLayerEntries(goroot, relative(SandboxPaths.goroot), {
    include: isImageToolchainFile,
    fileMode: canonicalFileMode,
  });
  const tag = sandboxOciImageTag(spec, helper.sha256);
  return {
    tag,
    image: {
      platform: { architecture: spec.toolchain.goarch, os: spec.toolchain.goos },
      runtime: sandboxOciRuntime(spec, policy, helper.sha256),
      layers: [[...sandboxBaseEntries(spec, policy, bytes), ...toolchain]],
      annotations: { [ANNOTATION_REF_NAME]: tag, ...(containerdName ? { [ANNOTATION_CONTAINERD_NAME]: containerdName } : {}) },
    },
  };
}

/** Writes the sandbox image as an OCI image layout into LAYOUT_DIR (which must not exist yet). */
export async function writeSandboxOciLayout(
  layoutDir: string,
  input: { spec: SandboxImageSpec; policy: SandboxPolicy; goroot: string; helper: ImageFileHelper; containerdName?: string },
): Promise<SandboxOciImage> {
  const { tag, image } = await sandboxOciImageInput(input.spec, input.policy, input.goroot, input.helper, input.containerdName);
  const written = await writeOciLayout(layoutDir, image);
  return { ...written, tag, reference: `${SANDBOX_IMAGE_REPOSITORY}:${tag}` };
}
