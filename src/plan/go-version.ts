import semver from 'semver';

/** "go1.26.8" / "1.26" / "go1.27rc1" as a semver version, for ordering and range matching. */
export function goVersionToSemver(goVersion: string): string | undefined {
  const match = /^(?:go)?1\.(\d+)(?:\.(\d+))?(?:(rc|beta)(\d+))?$/.exec(goVersion.trim());
  if (!match) return undefined;
  const [, minor, patch, pre, preNumber] = match;
  const base = `1.${minor}.${patch ?? '0'}`;
  if (pre) return `${base}-${pre}.${preNumber}`;
  // A bare language version such as "1.27" sorts before 1.27rc1 and 1.27.0, as the go command orders them.
  return patch === undefined ? `${base}-0` : base;
}

export function compareGoVersions(a: string, b: string): number {
  const sa = goVersionToSemver(a);
  const sb = goVersionToSemver(b);
  if (!sa || !sb) throw new Error(`not a Go version: ${sa ? b : a}`);
  return semver.compare(sa, sb);
}

/** Whether a toolchain may build a module whose go.mod says `go <goLine>` (the toolchain must not be older). */
export function toolchainSatisfiesGoLine(toolchainVersion: string, goLine: string): boolean {
  return compareGoVersions(toolchainVersion, goLine) >= 0;
}
