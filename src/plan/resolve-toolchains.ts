import semver from 'semver';
import { InputError } from '../errors.js';
import { compareGoVersions, goVersionToSemver, toolchainSatisfiesGoLine } from './go-version.js';
import { type ToolchainCandidate, selectToolchain } from './select-toolchain.js';

const IMPORT_HINT = 'import it with `airlock toolchain import goX.Y.Z.linux-amd64.tar.gz` (or its golang.org/toolchain module zip)';

/** "go1.26.8" or "1.26.8" as the canonical "go1.26.8"; undefined for anything that is not one exact version. */
function exactVersion(spec: string): string | undefined {
  const trimmed = spec.trim();
  const candidate = trimmed.startsWith('go') ? trimmed : `go${trimmed}`;
  return /^go1\.\d+\.\d+((rc|beta)\d+)?$|^go1\.\d+(rc|beta)\d+$/.test(candidate) && goVersionToSemver(candidate) ? candidate : undefined;
}

function minorLine(version: string): string {
  const parsed = semver.parse(goVersionToSemver(version));
  return parsed ? `${parsed.major}.${parsed.minor}` : version;
}

/**
 * Resolves toolchain specs against the releases airlock knows (the matrix, plus anything stored on trust).
 * An exact version selects itself; "latest" the newest stable release; a range the newest patch of each
 * minor release it matches, which is what a release matrix ("every supported Go") means.
 */
export function resolveToolchainSpecs(specs: readonly string[], known: readonly string[]): string[] {
  const selected = new Set<string>();
  const stable = known.filter((version) => !/(rc|beta)\d+$/.test(version));
  for (const raw of specs) {
    const spec = raw.trim();
    if (spec === '') {
      throw new InputError('toolchains: an empty toolchain spec selects nothing', {
        hint: 'write an exact version (1.26.8), a range (">=1.26 <1.28", "1.27.x") or "latest"',
      });
    }
    if (spec === 'latest') {
      const newest = [...stable].sort(compareGoVersions).at(-1);
      if (!newest) throw new InputError('toolchains: "latest" matches nothing: no Go release is known', { hint: IMPORT_HINT });
      selected.add(newest);
      continue;
    }
    const exact = exactVersion(spec);
    if (exact) {
      if (!known.includes(exact)) {
        throw new InputError(`toolchains: ${exact} is neither in the toolchain matrix nor stored`, {
          hint: `add it to the matrix (see \`airlock toolchain pin\`) and ${IMPORT_HINT}`,
        });
      }
      selected.add(exact);
      continue;
    }
    const range = semver.validRange(spec.replace(/\bgo(?=\d)/g, ''));
    if (range === null) {
      throw new InputError(`toolchains: ${JSON.stringify(spec)} is not a Go version, a semver range or "latest"`, {
        hint: 'write an exact version (1.26.8), a range (">=1.26 <1.28", "1.27.x") or "latest"',
      });
    }
    const matching = known.filter((version) => semver.satisfies(goVersionToSemver(version)!, range));
    if (matching.length === 0) {
      throw new InputError(`toolchains: ${JSON.stringify(spec)} matches no Go release airlock knows (known: ${[...known].sort(compareGoVersions).join(', ')})`, {
        hint: 'widen the range, or add the release to the matrix and import it',
      });
    }
    const newestPerMinor = new Map<string, string>();
    for (const version of matching) {
      const line = minorLine(version);
      const current = newestPerMinor.get(line);
      if (!current || compareGoVersions(version, current) > 0) newestPerMinor.set(line, version);
    }
    for (const version of newestPerMinor.values()) selected.add(version);
  }
  return [...selected].sort(compareGoVersions);
}

export interface ToolchainResolution<T extends ToolchainCandidate> {
  toolchains: T[];
  notes: string[];
}

/**
 * The toolchains a build uses: the resolved specs (each of which must be stored for the engine's platform),
 * minus any older than go.mod's go line; without specs, the newest stored one the module allows.
 */
export function resolveBuildToolchains<T extends ToolchainCandidate>(
  stored: readonly T[],
  options: { specs: readonly string[]; matrixVersions: readonly string[]; goLine?: string; enginePlatform: string },
): ToolchainResolution<T> {
  if (options.specs.length === 0) {
    const { toolchain, notes } = selectToolchain(stored, {
      ...(options.goLine !== undefined ? { goLine: options.goLine } : {}),
      enginePlatform: options.enginePlatform,
    });
    return { toolchains: [toolchain], notes };
  }
  const known = [...new Set([...options.matrixVersions, ...stored.map((t) => t.version)])];
  const versions = resolveToolchainSpecs(options.specs, known);
  const notes: string[] = [];
  let usable = versions;
  if (options.goLine !== undefined) {
    const goLine = options.goLine;
    usable = versions.filter((version) => {
      const ok = toolchainSatisfiesGoLine(version, goLine);
      if (!ok) notes.push(`${version} is not used: go.mod requires go ${goLine} or later`);
      return ok;
    });
    if (usable.length === 0) {
      throw new InputError(`the module requires go ${goLine} or later, and the selected toolchains (${versions.join(', ')}) are all older`, {
        hint: `select Go ${goLine} or later (--go or "toolchains" in airlock.json)`,
      });
    }
  }
  const [engineOs, engineArch] = options.enginePlatform.split('/');
  const toolchains = usable.map((version) => {
    const found = stored.find((t) => t.version === version && t.goos === engineOs && t.goarch === engineArch);
    if (!found) {
      throw new InputError(`${version} for ${options.enginePlatform} is selected but not stored`, { hint: IMPORT_HINT });
    }
    return found;
  });
  return { toolchains, notes };
}
