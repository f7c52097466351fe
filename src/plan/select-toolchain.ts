import { InputError } from '../errors.js';
import { compareGoVersions, goVersionToSemver, toolchainSatisfiesGoLine } from './go-version.js';

export interface ToolchainCandidate {
  version: string;
  goos: string;
  goarch: string;
}

export interface ToolchainSelection<T extends ToolchainCandidate> {
  toolchain: T;
  notes: string[];
}

/**
 * Picks the toolchain for a build: the requested version, or the newest stored one that runs on the engine's
 * platform and is not older than the module's go line.
 */
export function selectToolchain<T extends ToolchainCandidate>(
  stored: readonly T[],
  options: { requested?: string; goLine?: string; enginePlatform: string },
): ToolchainSelection<T> {
  const notes: string[] = [];
  const [engineOs, engineArch] = options.enginePlatform.split('/');
  const runnable = stored.filter((toolchain) => toolchain.goos === engineOs && toolchain.goarch === engineArch);
  const importHint = 'import one with `airlock toolchain import --goroot "$(go env GOROOT)"` or `airlock toolchain import goX.Y.Z.linux-amd64.tar.gz`';
  if (runnable.length === 0) {
    throw new InputError(
      stored.length === 0
        ? 'no Go toolchain is stored'
        : `no stored Go toolchain runs on the engine's platform ${options.enginePlatform} (stored: ${stored.map((t) => `${t.version} ${t.goos}/${t.goarch}`).join(', ')})`,
      { hint: importHint },
    );
  }
  let candidates = runnable;
  if (options.requested !== undefined) {
    const wanted = options.requested.startsWith('go') ? options.requested : `go${options.requested}`;
    if (!goVersionToSemver(wanted)) {
      throw new InputError(`--go ${options.requested} is not a Go version`, { hint: 'write it like 1.26.8 or go1.26.8' });
    }
    candidates = runnable.filter((toolchain) => compareGoVersions(toolchain.version, wanted) === 0);
    if (candidates.length === 0) {
      throw new InputError(`Go ${wanted} is not stored (stored: ${runnable.map((t) => t.version).join(', ')})`, { hint: importHint });
    }
  }
  if (options.goLine !== undefined) {
    const goLine = options.goLine;
    const tooOld = candidates.filter((toolchain) => !toolchainSatisfiesGoLine(toolchain.version, goLine));
    for (const toolchain of tooOld) notes.push(`${toolchain.version} is not used: go.mod requires go ${goLine} or later`);
    candidates = candidates.filter((toolchain) => toolchainSatisfiesGoLine(toolchain.version, goLine));
    if (candidates.length === 0) {
      throw new InputError(`the module requires go ${goLine} or later, and no such toolchain is ${options.requested ? 'selected' : 'stored'}`, {
        hint: `import Go ${goLine} or later into the store; ${importHint}`,
      });
    }
  }
  const newest = [...candidates].sort((a, b) => compareGoVersions(b.version, a.version))[0]!;
  return { toolchain: newest, notes };
}
