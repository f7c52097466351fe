import fs from 'node:fs';
import path from 'node:path';
import { InputError, oneLine } from '../errors.js';
import { packageRoot } from '../util/package-root.js';
import { type Validator, compileSchema } from '../util/schema-validation.js';

export const CONFIG_FILE = 'airlock.json';

export interface SandboxLimits {
  memoryMiB?: number;
  tmpfsMiB?: number;
  scratchMiB?: number;
  cpus?: number;
  pids?: number;
  nofile?: number;
  timeoutSeconds?: number;
  /** The largest binary a build may hand back, in MiB; it can only lower airlock's limit (1024 MiB). */
  maxOutputMiB?: number;
}

/** How releases of this module are signed (what the command line does not say). */
export interface SigningConfig {
  /** The GPG key that signs the checksums files, as --gpg-key names it; --gpg-key wins over it. */
  gpgKey?: string;
}

/** The Kubernetes executor's settings (`airlock build --executor kubernetes`). */
export interface KubernetesConfig {
  namespace?: string;
  runtimeClass?: string;
  /** The registry the sandbox image is pushed to and the pods pull it from (--registry overrides it). */
  registry?: string;
}

export interface AirlockConfig {
  /** Where the sandbox containers run; --executor and AIRLOCK_EXECUTOR override it. */
  executor?: 'docker' | 'kubernetes';
  kubernetes?: KubernetesConfig;
  toolchains?: string | string[];
  targets?: string[];
  main?: string[];
  ldflags?: string[];
  tags?: string[];
  sandbox?: SandboxLimits;
  signing?: SigningConfig;
}

let validator: Validator<AirlockConfig> | undefined;

function configValidator(): Validator<AirlockConfig> {
  validator ??= compileSchema<AirlockConfig>(
    JSON.parse(fs.readFileSync(path.join(packageRoot(), 'templates', 'airlock.schema.json'), 'utf8')) as object,
  );
  return validator;
}

/** Parses and validates airlock.json text; every problem names the field it is about. */
export function parseAirlockConfig(text: string, location: string): AirlockConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${location} is not valid JSON: ${oneLine((error as Error).message)}`, {
      hint: 'fix the syntax (templates/airlock.schema.json describes the fields)',
    });
  }
  const result = configValidator()(json);
  if (!result.ok) {
    throw new InputError(`${location}: ${result.problems[0]}`, {
      hint: 'fix the field (templates/airlock.schema.json describes every field)',
    });
  }
  return result.value;
}

/** Reads airlock.json from the module root; a module without one gets the defaults. */
export function readAirlockConfig(moduleDir: string): AirlockConfig {
  const file = path.join(moduleDir, CONFIG_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new InputError(`${file} cannot be read: ${(error as Error).message}`, { hint: 'check its permissions' });
  }
  return parseAirlockConfig(text, file);
}
