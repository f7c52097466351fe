/**
 * Pushing an image layout to a registry over the OCI distribution API, with plain fetch: each blob the
 * registry lacks (HEAD) goes up in one monolithic upload (POST, then PUT with the digest; the body streamed
 * from its file, its length known), then the manifest by its digest and, when asked, under a tag. A pod
 * names the image by the manifest's digest, which the registry must answer with.
 */
import { openAsBlob } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { EngineError, InputError, oneLine } from '../errors.js';
import { createScratchDir } from '../util/scratch-dir.js';
import type { RegistryCredentials } from './docker-config.js';
import { unpackOciArchive } from './oci-archive.js';
import { type OciDescriptor, sha256Digest } from './oci-image.js';
import { blobPath, readOciLayoutImage } from './oci-layout.js';
import { type AuthChallenge, basicAuthorization, parseAuthChallenge, pushScope, tokenFromResponse, tokenUrl } from './registry-auth.js';

export interface RegistryEndpoint {
  /** "https://host:port" or, when asked for explicitly, "http://host:port". */
  baseUrl: string;
  /** "host:port" as a docker config file's auths key names it, and as image references do. */
  host: string;
}

/** A registry as --registry gives it: "host[:port]" (HTTPS) or a URL with http:// or https:// and nothing after the host. */
export function parseRegistry(registry: string): RegistryEndpoint {
  const withScheme = /^[a-z]+:\/\//i.test(registry) ? registry : `https://${registry}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new InputError(`${oneLine(registry)} is not a registry address`, { hint: 'give host[:port], or http://host:port for a registry without TLS' });
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.pathname !== '/' || url.search !== '' || url.username !== '' || url.password !== '') {
    throw new InputError(`${oneLine(registry)} is not a registry address`, {
      hint: 'give host[:port], or http://host:port for a registry without TLS; the repository is given separately and credentials come from the docker config file',
    });
  }
  return { baseUrl: `${url.protocol}//${url.host}`, host: url.host };
}

/** The distribution spec's repository name and tag grammars. */
const REPOSITORY = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

export interface PushImageInput {
  registry: string;
  repository: string;
  /** An image layout directory, or an archive of one (oci-archive.ts), holding one image. */
  archiveOrLayout: string;
  /** Also name the image by this tag; the index.json's ref.name when absent; none when that is absent too. */
  tag?: string;
  credentials?: RegistryCredentials;
  /** Where credentials would have come from, for the hint when the registry asks for some and none were found. */
  credentialsFile?: string;
  /** The fetch to use; tests pass their own. */
  fetch?: typeof fetch;
}

export interface PushedImage {
  /** "host:port/repository@sha256:…": what a pod's image field names. */
  reference: string;
  digest: string;
  tag?: string;
  /** Blob digests sent, and those the registry already held. */
  uploaded: string[];
  present: string[];
}

/** Pushes the one image of a layout (or of an archive, unpacked into a scratch directory first). */
export async function pushImage(input: PushImageInput): Promise<PushedImage> {
  const endpoint = parseRegistry(input.registry);
  if (!REPOSITORY.test(input.repository) || input.repository.length > 255) {
    throw new InputError(`${oneLine(input.repository)} is not a repository name a registry accepts`, { hint: 'use lower-case letters, digits, ".", "_", "-" and "/"' });
  }
  if (input.tag !== undefined && !TAG.test(input.tag)) {
    throw new InputError(`${oneLine(input.tag)} is not a valid tag`, { hint: 'a tag is up to 128 letters, digits, ".", "_" and "-", not starting with "." or "-"' });
  }
  const stat = await fs.stat(input.archiveOrLayout).catch(() => undefined);
  if (!stat) throw new InputError(`${oneLine(input.archiveOrLayout)} does not exist`, { hint: 'give the image layout directory or the archive airlock wrote' });
  if (stat.isDirectory()) return pushLayout(input.archiveOrLayout, endpoint, input);
  const scratch = await createScratchDir('airlock-push');
  try {
    const layout = path.join(scratch.path, 'layout');
    await unpackOciArchive(input.archiveOrLayout, layout).catch((error: unknown) => {
      throw unreadableImage(input.archiveOrLayout, error);
    });
    return await pushLayout(layout, endpoint, input);
  } finally {
    await scratch.remove();
  }
}

function unreadableImage(where: string, error: unknown): InputError {
  return new InputError(`${oneLine(where)} is not an image airlock can push: ${oneLine((error as Error).message)}`, {
    hint: 'write the image again; airlock pushes the OCI image layouts and archives it writes itself',
    cause: error,
  });
}

async function pushLayout(layoutDir: string, endpoint: RegistryEndpoint, input: PushImageInput): Promise<PushedImage> {
  const image = await readOciLayoutImage(layoutDir).catch((error: unknown) => {
    throw unreadableImage(input.archiveOrLayout, error);
  });
  const client = new RegistryClient(endpoint, input.repository, input);
  const uploaded: string[] = [];
  const present: string[] = [];
  // The config and layers before the manifest: a registry refuses a manifest naming blobs it lacks.
  for (const blob of [image.config, ...image.layers]) {
    if (await client.blobExists(blob)) {
      present.push(blob.digest);
    } else {
      await client.uploadBlob(blob, blobPath(layoutDir, blob.digest));
      uploaded.push(blob.digest);
    }
  }
  await client.putManifest(image.manifest.digest, image);
  const tag = input.tag ?? image.annotations['org.opencontainers.image.ref.name'];
  if (tag !== undefined && TAG.test(tag)) await client.putManifest(tag, image);
  return {
    reference: `${endpoint.host}/${input.repository}@${image.manifest.digest}`,
    digest: image.manifest.digest,
    ...(tag !== undefined && TAG.test(tag) ? { tag } : {}),
    uploaded,
    present,
  };
}

type Body = Buffer | Blob;

/** The distribution API of one repository, with the authorisation it asked for. */
class RegistryClient {
  #authorization: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(
    private readonly endpoint: RegistryEndpoint,
    private readonly repository: string,
    private readonly auth: Pick<PushImageInput, 'credentials' | 'credentialsFile' | 'fetch'>,
  ) {
    this.#fetch = auth.fetch ?? fetch;
  }

  async blobExists(blob: OciDescriptor): Promise<boolean> {
    const response = await this.request('HEAD', `/v2/${this.repository}/blobs/${blob.digest}`);
    if (response.status === 200) return true;
    if (response.status === 404) return false;
    throw await this.unexpected(response, 'HEAD', 'blobs');
  }

  async uploadBlob(blob: OciDescriptor, file: string): Promise<void> {
    const started = await this.request('POST', `/v2/${this.repository}/blobs/uploads/`);
    const location = started.headers.get('location');
    if (started.status !== 202 || !location) throw await this.unexpected(started, 'POST', 'blobs/uploads/');
    const url = new URL(location, this.endpoint.baseUrl);
    url.searchParams.set('digest', blob.digest);
    // A file-backed Blob: streamed from disk with its length in Content-Length, and readable again for a retry.
    const body = await openAsBlob(file);
    if (body.size !== blob.size) throw new Error(`the blob ${blob.digest} in the layout is ${body.size} bytes, not ${blob.size}`);
    const done = await this.request('PUT', url, body, { 'content-type': 'application/octet-stream' });
    if (done.status !== 201) throw await this.unexpected(done, 'PUT', 'blobs/uploads/');
    const answered = done.headers.get('docker-content-digest');
    if (answered && answered !== blob.digest) {
      throw new EngineError(`the registry ${this.endpoint.host} stored ${blob.digest} as ${oneLine(answered)}`, { hint: 'the registry or something between it and airlock changed the bytes' });
    }
  }

  async putManifest(reference: string, image: { manifest: OciDescriptor; manifestBytes: Buffer }): Promise<void> {
    const response = await this.request('PUT', `/v2/${this.repository}/manifests/${reference}`, image.manifestBytes, { 'content-type': image.manifest.mediaType });
    if (response.status !== 201) throw await this.unexpected(response, 'PUT', `manifests/${reference}`);
    const answered = response.headers.get('docker-content-digest');
    if (answered && answered !== sha256Digest(image.manifestBytes)) {
      throw new EngineError(`the registry ${this.endpoint.host} stored the manifest ${image.manifest.digest} as ${oneLine(answered)}`, {
        hint: 'the registry rewrote the manifest; pods could not name the image by its digest',
      });
    }
  }

  /** One request; on a 401 it authorises as the challenge asks (once) and sends the request again. */
  private async request(method: string, target: string | URL, body?: Body, headers: Record<string, string> = {}): Promise<Response> {
    const url = new URL(target, this.endpoint.baseUrl);
    let response = await this.send(method, url, body, headers);
    if (response.status === 401) {
      const challenge = parseAuthChallenge(response.headers.get('www-authenticate'));
      await response.body?.cancel();
      await this.authorise(challenge);
      response = await this.send(method, url, body, headers);
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw this.refused(response.status);
    }
    return response;
  }

  private async send(method: string, url: URL, body: Body | undefined, headers: Record<string, string>): Promise<Response> {
    // An upload's location may be on another host (a storage front): this registry's credentials stay here.
    const authorization: Record<string, string> = this.#authorization && url.origin === this.endpoint.baseUrl ? { authorization: this.#authorization } : {};
    try {
      const response = await this.#fetch(url, {
        method,
        headers: { ...headers, ...authorization },
        ...(body !== undefined ? { body } : {}),
        redirect: 'follow',
      });
      if (method === 'HEAD') await response.body?.cancel();
      return response;
    } catch (error) {
      throw this.unreachable(url.host, error);
    }
  }

  private async authorise(challenge: AuthChallenge | undefined): Promise<void> {
    const credentials = this.auth.credentials;
    if (challenge?.scheme === 'basic' || (challenge === undefined && credentials)) {
      if (!credentials) throw this.refused(401);
      this.#authorization = basicAuthorization(credentials.username, credentials.password);
      return;
    }
    if (challenge?.scheme !== 'bearer') throw this.refused(401);
    let url: URL;
    try {
      url = tokenUrl(challenge, pushScope(this.repository));
    } catch {
      throw new EngineError(`the registry ${this.endpoint.host} asks for a token but names no usable realm`, { hint: 'check the registry\'s token service configuration' });
    }
    let response: Response;
    try {
      response = await this.#fetch(url, { headers: credentials ? { authorization: basicAuthorization(credentials.username, credentials.password) } : {} });
    } catch (error) {
      throw this.unreachable(url.host, error);
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw this.refused(response.status);
    }
    const token = response.ok ? tokenFromResponse(await response.json().catch(() => undefined)) : undefined;
    if (!token) throw await this.unexpected(response, 'GET', `the token service ${url.origin}${url.pathname}`);
    this.#authorization = `Bearer ${token}`;
  }

  private refused(status: number): InputError {
    const host = this.endpoint.host;
    const credentials = this.auth.credentials;
    const where = this.auth.credentialsFile ?? 'the docker config file';
    if (!credentials) {
      return new InputError(`the registry ${host} asks for credentials to push to ${this.repository}, and ${where} has none for it`, {
        hint: `log in with \`docker login ${host}\`, or write an auths entry for ${host} into a docker config file and set DOCKER_CONFIG to its directory`,
      });
    }
    if (status === 403) {
      return new InputError(`the registry ${host} does not let ${oneLine(credentials.username)} push to ${this.repository}`, {
        hint: `ask the registry's administrators for push access to ${this.repository}, or push to a repository that user may write`,
      });
    }
    return new InputError(`the registry ${host} refused the credentials of ${oneLine(credentials.username)} from ${credentials.source}`, {
      hint: `log in again with \`docker login ${host}\` (the password or token may have expired), or check the auths entry for ${host}`,
    });
  }

  private unreachable(host: string, error: unknown): EngineError {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (error as Error).message;
    return new EngineError(`the registry ${host} does not answer: ${oneLine(String(why))}`, {
      hint: `check the --registry address and that ${host} can be reached from this machine (for a registry without TLS give http://${host})`,
      cause: error,
    });
  }

  private async unexpected(response: Response, method: string, what: string): Promise<EngineError> {
    const text = await response.text().catch(() => '');
    return new EngineError(`the registry ${this.endpoint.host} answered ${response.status} to ${method} ${what}: ${oneLine(text.slice(0, 300)) || '(no body)'}`, {
      hint: 'check the registry\'s logs; the image is unchanged in the layout and can be pushed again',
    });
  }
}
