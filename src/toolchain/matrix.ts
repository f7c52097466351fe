import fs from 'node:fs';
import path from 'node:path';
import { compileSchema } from '../util/schema-validation.js';
import { InputError, oneLine } from '../errors.js';
import { packageRoot } from '../util/package-root.js';

export interface PlatformPins {
  platform: string;
  treeDigest: string;
  module?: { path: string; version: string; h1: string; source?: string };
  archive?: { file: string; sha256: string; source?: string };
  verifiedHere?: string;
}

export interface MatrixRelease {
  version: string;
  platforms: PlatformPins[];
}

export interface ToolchainMatrix {
  schema: 'airlock.dev/toolchains/v1';
  releases: MatrixRelease[];
  /** Where it was read from, for messages. */
  location: string;
}

export function defaultMatrixPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.AIRLOCK_TOOLCHAINS ? path.resolve(env.AIRLOCK_TOOLCHAINS) : path.join(packageRoot(), 'toolchains', 'go.json');
}

let validator: ReturnType<typeof compileSchema<Omit<ToolchainMatrix, 'location'>>> | undefined;

export function parseToolchainMatrix(text: string, location: string): ToolchainMatrix {
  validator ??= compileSchema(JSON.parse(fs.readFileSync(path.join(packageRoot(), 'toolchains', 'matrix.schema.json'), 'utf8')) as object);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError(`the toolchain matrix ${location} is not valid JSON (${oneLine((error as Error).message)})`, {
      hint: 'fix the file, or point AIRLOCK_TOOLCHAINS at a valid matrix',
    });
  }
  const result = validator(json);
  if (!result.ok) {
    throw new InputError(`the toolchain matrix ${location} is invalid: ${result.problems[0]}`, {
      hint: 'compare it with toolchains/matrix.schema.json',
    });
  }
  const seen = new Set<string>();
  const versions = new Set<string>();
  for (const release of result.value.releases) {
    if (versions.has(release.version)) {
      throw new InputError(`the toolchain matrix ${location} lists ${release.version} in two releases`, {
        hint: 'keep one entry per release, with all its platforms in it',
      });
    }
    versions.add(release.version);
    for (const pins of release.platforms) {
      const key = `${release.version} ${pins.platform}`;
      if (seen.has(key)) throw new InputError(`the toolchain matrix ${location} lists ${key} twice`, { hint: 'keep one entry per release and platform' });
      seen.add(key);
    }
  }
  return { ...result.value, location };
}

export function loadToolchainMatrix(file = defaultMatrixPath()): ToolchainMatrix {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new InputError(`the toolchain matrix ${file} cannot be read`, { hint: 'unset AIRLOCK_TOOLCHAINS or point it at a readable file' });
  }
  return parseToolchainMatrix(text, file);
}

export function findPins(matrix: ToolchainMatrix, version: string, platform: string): PlatformPins | undefined {
  return matrix.releases.find((release) => release.version === version)?.platforms.find((pins) => pins.platform === platform);
}

export function matrixVersions(matrix: ToolchainMatrix): string[] {
  return matrix.releases.map((release) => release.version);
}
