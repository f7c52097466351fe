/**
 * The JSON documents of an OCI image (image-spec v1.1): its config, its manifest and an index naming it.
 * Every document is serialised as canonical JSON (keys sorted at every level, no spaces), so the same values
 * always make the same bytes and the same digest; nothing in them is a time or a host's name.
 */
import { canonicalJson } from '../util/canonical-json.js';
import { sha256Hex } from '../util/hash.js';

export const OciMediaType = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  /** Uncompressed: the layer's digest is its diff ID, a function of its content alone (see oci-layer.ts). */
  layer: 'application/vnd.oci.image.layer.v1.tar',
} as const;

/** The annotation an image layout's index uses for an image's tag. */
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';
/** The annotation `ctr images import` names an image by. */
export const ANNOTATION_CONTAINERD_NAME = 'io.containerd.image.name';

export interface OciPlatform {
  architecture: string;
  os: string;
}

export interface OciDescriptor {
  mediaType: string;
  /** "sha256:" and 64 hex digits */
  digest: string;
  size: number;
  platform?: OciPlatform;
  annotations?: Record<string, string>;
}

/** What a container made from the image starts with: the fields the sandbox image sets and no others. */
export interface OciRuntimeConfig {
  /** "uid:gid" */
  user: string;
  env: readonly string[];
  workingDir: string;
  labels: Readonly<Record<string, string>>;
}

/** A JSON document as a blob: its exact bytes and the descriptor that names them. */
export interface OciJsonBlob {
  bytes: Buffer;
  descriptor: OciDescriptor;
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${sha256Hex(bytes)}`;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export function isSha256Digest(value: string): boolean {
  return DIGEST.test(value);
}

export function jsonBlob(mediaType: string, document: unknown): OciJsonBlob {
  const bytes = Buffer.from(canonicalJson(document), 'utf8');
  return { bytes, descriptor: { mediaType, digest: sha256Digest(bytes), size: bytes.length } };
}

/**
 * The image config. No `created` and no `history`: both are optional, and a time would make the digest
 * depend on when the image was written rather than on what it holds.
 */
export function imageConfig(platform: OciPlatform, runtime: OciRuntimeConfig, diffIds: readonly string[]): OciJsonBlob {
  return jsonBlob(OciMediaType.config, {
    architecture: platform.architecture,
    os: platform.os,
    config: {
      User: runtime.user,
      Env: [...runtime.env],
      WorkingDir: runtime.workingDir,
      Labels: { ...runtime.labels },
    },
    rootfs: { type: 'layers', diff_ids: [...diffIds] },
  });
}

export function imageManifest(config: OciDescriptor, layers: readonly OciDescriptor[]): OciJsonBlob {
  return jsonBlob(OciMediaType.manifest, {
    schemaVersion: 2,
    mediaType: OciMediaType.manifest,
    config: plainDescriptor(config),
    layers: layers.map(plainDescriptor),
  });
}

/** The index.json of an image layout: one entry per image, with its platform and names as annotations. */
export function imageIndex(manifests: readonly OciDescriptor[]): OciJsonBlob {
  return jsonBlob(OciMediaType.index, { schemaVersion: 2, mediaType: OciMediaType.index, manifests: [...manifests] });
}

function plainDescriptor(descriptor: OciDescriptor): OciDescriptor {
  return { mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size };
}

/** The oci-layout file every image layout holds at its top. */
export const OCI_LAYOUT_FILE = { name: 'oci-layout', content: canonicalJson({ imageLayoutVersion: '1.0.0' }) } as const;
