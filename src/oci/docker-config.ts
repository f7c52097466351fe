/**
 * Registry credentials from the docker config file, the place a site's `docker login` (or its CI) already
 * put them: $DOCKER_CONFIG/config.json, else ~/.docker/config.json. Only credentials written into the file
 * are read. Credential helpers (credsStore, credHelpers) are programs airlock does not run: a registry that
 * has one is refused with a hint rather than tried without credentials.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { InputError, oneLine } from '../errors.js';

export interface RegistryCredentials {
  username: string;
  password: string;
  /** Where they were read, for messages: "/root/.docker/config.json". */
  source: string;
}

export interface DockerConfigCredentials {
  /** The config file looked at (it may not exist). */
  file: string;
  credentials?: RegistryCredentials;
  /** The credential store the file names for every registry, whose credentials airlock cannot read. */
  credsStore?: string;
}

export function dockerConfigFile(env: NodeJS.ProcessEnv, homeDir: string): string {
  return env.DOCKER_CONFIG ? path.join(env.DOCKER_CONFIG, 'config.json') : path.join(homeDir, '.docker', 'config.json');
}

/** An `auths` key as the host[:port] it stands for: docker accepts "host", "https://host" and "https://host/v1/". */
export function registryHostOfKey(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
}

interface AuthEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
  identitytoken?: unknown;
}

interface DockerConfig {
  auths?: Record<string, AuthEntry>;
  credsStore?: unknown;
  credHelpers?: Record<string, unknown>;
}

/** The credentials for REGISTRY_HOST (host[:port]) in a docker config file's text. Pure; throws InputError. */
export function credentialsFromDockerConfig(text: string, registryHost: string, file: string): DockerConfigCredentials {
  let config: DockerConfig;
  try {
    config = JSON.parse(text) as DockerConfig;
  } catch (error) {
    throw new InputError(`the docker config file ${file} is not valid JSON: ${oneLine((error as Error).message)}`, {
      hint: 'repair it, or point DOCKER_CONFIG at a directory whose config.json holds the registry\'s credentials',
    });
  }
  const host = registryHostOfKey(registryHost);
  const ownHelper = Object.entries(config.credHelpers ?? {}).find(([key]) => registryHostOfKey(key) === host);
  const entry = Object.entries(config.auths ?? {}).find(([key]) => registryHostOfKey(key) === host)?.[1];
  const credsStore = typeof config.credsStore === 'string' && config.credsStore !== '' ? config.credsStore : undefined;
  const helperRefused = (helper: string) =>
    new InputError(`the credentials for ${host} are kept by the credential helper docker-credential-${oneLine(helper)}, which airlock does not run`, {
      hint: `write them into a docker config file of their own ({"auths":{"${host}":{"auth":"<base64 of user:password>"}}}) and set DOCKER_CONFIG to its directory`,
    });
  if (ownHelper) throw helperRefused(String(ownHelper[1]));
  if (entry === undefined) return { file, ...(credsStore ? { credsStore } : {}) };
  if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') {
    throw new InputError(`the docker config file ${file} holds an identity token for ${host}, which airlock does not exchange`, {
      hint: `write a user name and password (or access token) for ${host} as "auth" into a docker config file and set DOCKER_CONFIG to its directory`,
    });
  }
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) {
      throw new InputError(`the "auth" for ${host} in ${file} is not base64 of user:password`, { hint: `log in again with docker login ${host}, or rewrite the entry` });
    }
    return { file, credentials: { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), source: file } };
  }
  if (typeof entry.username === 'string' && typeof entry.password === 'string') {
    return { file, credentials: { username: entry.username, password: entry.password, source: file } };
  }
  // An empty entry is what docker leaves when a credential store holds the secret.
  if (credsStore) throw helperRefused(credsStore);
  return { file };
}

/** Reads the docker config file (absent is no credentials, not an error) for REGISTRY_HOST. */
export async function readRegistryCredentials(registryHost: string, env: NodeJS.ProcessEnv, homeDir: string): Promise<DockerConfigCredentials> {
  const file = dockerConfigFile(env, homeDir);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { file };
    throw new InputError(`cannot read the docker config file ${file}: ${oneLine((error as Error).message)}`, { hint: 'check its permissions, or set DOCKER_CONFIG' });
  }
  return credentialsFromDockerConfig(text, registryHost, file);
}
