/**
 * An OCI image layout (image-spec v1.1 "image-layout"): a directory holding oci-layout, index.json and every
 * blob under blobs/sha256/<hex>. This is where an image is written first; the archive (oci-archive.ts) is this
 * directory as a deterministic tar, and a push (registry-push.ts) reads its blobs from here.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  type OciDescriptor,
  OciMediaType,
  type OciPlatform,
  type OciRuntimeConfig,
  OCI_LAYOUT_FILE,
  imageConfig,
  imageIndex,
  imageManifest,
  isSha256Digest,
  sha256Digest,
} from './oci-image.js';
import { type LayerEntry, writeLayer } from './oci-layer.js';

export interface OciImageInput {
  platform: OciPlatform;
  runtime: OciRuntimeConfig;
  /** The layers, bottom first, each as the entries it holds. */
  layers: ReadonlyArray<readonly LayerEntry[]>;
  /** Annotations of the image's entry in index.json (its names there). They are not part of the manifest. */
  annotations?: Record<string, string>;
}

export interface OciImageWritten {
  /** The digest a pod names the image by: a function of the layers' bytes and the config, nothing else. */
  manifest: OciDescriptor;
  config: OciDescriptor;
  layers: OciDescriptor[];
}

export function blobPath(layoutDir: string, digest: string): string {
  if (!isSha256Digest(digest)) throw new Error(`not a sha256 digest: ${JSON.stringify(digest)}`);
  return path.join(layoutDir, 'blobs', 'sha256', digest.slice('sha256:'.length));
}

async function writeBlob(layoutDir: string, bytes: Buffer, digest: string): Promise<void> {
  await fs.writeFile(blobPath(layoutDir, digest), bytes);
}

/** Writes the image into LAYOUT_DIR, which must not exist yet (its parent must). */
export async function writeOciLayout(layoutDir: string, image: OciImageInput): Promise<OciImageWritten> {
  await fs.mkdir(layoutDir);
  const blobs = path.join(layoutDir, 'blobs', 'sha256');
  await fs.mkdir(blobs, { recursive: true });
  const layers: OciDescriptor[] = [];
  for (const [index, entries] of image.layers.entries()) {
    // Written under a temporary name, since the name is the digest of what is being written.
    const staging = path.join(blobs, `.layer-${index}`);
    const { digest, size } = await writeLayer(entries, staging);
    await fs.rename(staging, blobPath(layoutDir, digest));
    layers.push({ mediaType: OciMediaType.layer, digest, size });
  }
  // Uncompressed layers: each diff ID is the layer's own digest.
  const config = imageConfig(image.platform, image.runtime, layers.map((layer) => layer.digest));
  const manifest = imageManifest(config.descriptor, layers);
  await writeBlob(layoutDir, config.bytes, config.descriptor.digest);
  await writeBlob(layoutDir, manifest.bytes, manifest.descriptor.digest);
  const entry: OciDescriptor = {
    ...manifest.descriptor,
    platform: { architecture: image.platform.architecture, os: image.platform.os },
    ...(image.annotations && Object.keys(image.annotations).length > 0 ? { annotations: { ...image.annotations } } : {}),
  };
  await fs.writeFile(path.join(layoutDir, 'index.json'), imageIndex([entry]).bytes);
  await fs.writeFile(path.join(layoutDir, OCI_LAYOUT_FILE.name), OCI_LAYOUT_FILE.content);
  return { manifest: manifest.descriptor, config: config.descriptor, layers };
}

/** One image of a layout, as a push needs it: the manifest's exact bytes and the blobs it names. */
export interface LayoutImage {
  manifest: OciDescriptor;
  manifestBytes: Buffer;
  config: OciDescriptor;
  layers: OciDescriptor[];
  annotations: Record<string, string>;
}

function descriptorFrom(value: unknown, what: string): OciDescriptor {
  const d = value as Partial<OciDescriptor> | null;
  if (!d || typeof d.mediaType !== 'string' || typeof d.digest !== 'string' || !isSha256Digest(d.digest) || typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new Error(`${what} is not a valid descriptor`);
  }
  return { mediaType: d.mediaType, digest: d.digest, size: d.size };
}

/**
 * Reads the one image manifest a layout's index.json names (the layouts airlock writes hold exactly one),
 * checking the manifest's bytes against its digest. Throws a plain Error naming what is wrong.
 */
export async function readOciLayoutImage(layoutDir: string): Promise<LayoutImage> {
  const layoutVersion = (JSON.parse(await fs.readFile(path.join(layoutDir, OCI_LAYOUT_FILE.name), 'utf8')) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
  if (layoutVersion !== '1.0.0') throw new Error(`${layoutDir} is not an OCI image layout of version 1.0.0`);
  const index = JSON.parse(await fs.readFile(path.join(layoutDir, 'index.json'), 'utf8')) as { manifests?: unknown };
  const manifests = Array.isArray(index.manifests) ? index.manifests : [];
  if (manifests.length !== 1) throw new Error(`${layoutDir}/index.json names ${manifests.length} images, not one`);
  const entry = manifests[0] as { annotations?: Record<string, string> };
  const manifest = descriptorFrom(entry, 'the image in index.json');
  if (manifest.mediaType !== OciMediaType.manifest) throw new Error(`${layoutDir}/index.json names a ${manifest.mediaType}, not an image manifest`);
  const manifestBytes = await fs.readFile(blobPath(layoutDir, manifest.digest));
  if (manifestBytes.length !== manifest.size || sha256Digest(manifestBytes) !== manifest.digest) {
    throw new Error(`the manifest blob ${manifest.digest} in ${layoutDir} does not match its digest or size`);
  }
  const parsed = JSON.parse(manifestBytes.toString('utf8')) as { config?: unknown; layers?: unknown };
  const layers = Array.isArray(parsed.layers) ? parsed.layers.map((layer, i) => descriptorFrom(layer, `layer ${i} of the manifest`)) : [];
  return { manifest, manifestBytes, config: descriptorFrom(parsed.config, 'the manifest\'s config'), layers, annotations: { ...(entry.annotations ?? {}) } };
}
