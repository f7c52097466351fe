import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { InputError, oneLine } from '../errors.js';
import { packageRoot } from '../util/package-root.js';

/** Which seccomp profile a sandbox uses; the digest goes into the policy, and so into every provenance. */
export interface SeccompChoice {
  kind: 'airlock-strict' | 'engine-default' | 'site';
  /** The profile's file name (airlock's or the site's), or "engine-default". */
  name: string;
  /** sha256 of the profile file's bytes. */
  digest?: string;
}

export interface LoadedSeccomp {
  choice: SeccompChoice;
  /** The profile as the engine receives it: compact JSON for Docker, the file path for Podman. */
  profile?: { json: string; path: string };
}

export const STRICT_PROFILE_FILE = 'airlock-go-build.json';
/** The test policy's measured allowlist: the build's, plus loopback sockets and the calls tests make. */
export const TEST_PROFILE_FILE = 'airlock-go-test.json';
export const ENGINE_DEFAULT = 'engine-default';

/** What the sandbox runs: go build, or go vet and go test (`airlock test`). */
export type SandboxPurpose = 'build' | 'test';

export function strictProfilePath(purpose: SandboxPurpose = 'build'): string {
  return path.join(packageRoot(), 'templates', 'seccomp', purpose === 'test' ? TEST_PROFILE_FILE : STRICT_PROFILE_FILE);
}

/**
 * Loads the seccomp profile for the sandbox: airlock's measured allowlist by default, the engine's own
 * profile when asked for by name (for comparison), or a site's profile file. A profile must at least look
 * like one (a default action and a list of rules) before it is sent to an engine.
 */
export async function loadSeccompChoice(option: string | undefined, purpose: SandboxPurpose = 'build'): Promise<LoadedSeccomp> {
  if (option === ENGINE_DEFAULT) return { choice: { kind: 'engine-default', name: ENGINE_DEFAULT } };
  const file = option === undefined ? strictProfilePath(purpose) : path.resolve(option);
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch {
    throw new InputError(`the seccomp profile ${file} cannot be read`, {
      hint: option === undefined ? 'reinstall airlock (templates/seccomp/ is part of it)' : 'pass a readable profile file, or --seccomp engine-default',
    });
  }
  let profile: { defaultAction?: unknown; syscalls?: unknown };
  try {
    profile = JSON.parse(bytes.toString('utf8')) as typeof profile;
  } catch (error) {
    throw new InputError(`the seccomp profile ${file} is not valid JSON (${oneLine((error as Error).message)})`, { hint: 'fix the file or pass another with --seccomp' });
  }
  if (typeof profile?.defaultAction !== 'string' || !Array.isArray(profile.syscalls)) {
    throw new InputError(`${file} is not a seccomp profile: it needs "defaultAction" and a "syscalls" list`, {
      hint: 'start from `airlock generate seccomp`, the profile airlock uses',
    });
  }
  return {
    choice: {
      kind: option === undefined ? 'airlock-strict' : 'site',
      name: option === undefined ? path.basename(file) : file,
      digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    },
    profile: { json: JSON.stringify(profile), path: file },
  };
}
