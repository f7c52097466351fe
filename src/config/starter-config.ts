import { InputError } from '../errors.js';
import { compareGoVersions, toolchainSatisfiesGoLine } from '../plan/go-version.js';
import type { AirlockConfig } from './airlock-config.js';

/** What `airlock init` builds for unless told otherwise: the platforms most releases ship. */
export const STARTER_TARGETS: readonly string[] = ['linux/amd64', 'linux/arm64', 'darwin/arm64', 'windows/amd64'];

export type StarterConfig = AirlockConfig & { $schema?: string };

export interface StarterConfigInput {
  /** The module as the user named it, for messages. */
  module: string;
  /** The module's main packages (findMainPackages). */
  mains: readonly string[];
  /** go.mod's `go` line. */
  goLine?: string;
  /** Go releases airlock can verify ("go1.27.3"), e.g. the toolchain matrix's. */
  knownReleases: readonly string[];
  /** Where airlock.schema.json is, relative to the module, for editors; left out when undefined. */
  schemaRef?: string;
  targets?: readonly string[];
}

export interface StarterConfigResult {
  config: StarterConfig;
  /** What was chosen and why, for the user. */
  notes: string[];
}

const isStable = (version: string) => !/(rc|beta)\d+$/.test(version);

/**
 * The newest stable known release the module's go line allows. A starter pins one exact toolchain: every
 * runner of a sharded release must resolve the same plan, and a range would follow whatever each one stores.
 */
function pinnedToolchain(knownReleases: readonly string[], goLine: string | undefined): string | undefined {
  return knownReleases
    .filter(isStable)
    .filter((version) => goLine === undefined || toolchainSatisfiesGoLine(version, goLine))
    .sort(compareGoVersions)
    .at(-1);
}

/** The airlock.json `airlock init` writes: the module's main packages, common targets, one pinned toolchain. */
export function starterConfig(input: StarterConfigInput): StarterConfigResult {
  if (input.mains.length === 0) {
    throw new InputError(`${input.module} has no main package: neither the module root nor any cmd/* directory is package main`, {
      hint: 'add a main package (e.g. cmd/tool/main.go), then run `airlock init` again',
    });
  }
  const notes: string[] = [];
  const config: StarterConfig = {};
  if (input.schemaRef !== undefined) config.$schema = input.schemaRef;
  const toolchain = pinnedToolchain(input.knownReleases, input.goLine);
  if (toolchain !== undefined) {
    config.toolchains = toolchain.replace(/^go/, '');
    const why = input.goLine !== undefined ? ` go.mod (go ${input.goLine}) allows` : '';
    notes.push(`toolchains: pinned ${toolchain}, the newest release in the toolchain matrix${why}; import it on every build machine`);
  } else {
    notes.push(
      `toolchains: left out, no release in the toolchain matrix is${input.goLine !== undefined ? ` go ${input.goLine} or later` : ' stable'}; ` +
        'builds use the newest stored toolchain the module allows',
    );
  }
  config.targets = [...(input.targets ?? STARTER_TARGETS)];
  config.main = [...input.mains];
  return { config, notes };
}

/** airlock.json text: two-space JSON, as the README shows it, with a final newline. */
export function renderStarterConfig(config: StarterConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}
