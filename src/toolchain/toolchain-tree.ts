/**
 * The canonical form of a Go toolchain tree. Its digest is the Go "h1:" directory hash of the tree as the
 * golang.org/toolchain module lays it out, so one value pins every form of a release: the module zip the go
 * command downloads (the value go.sum and the Go checksum database hold), an official archive and an
 * unpacked GOROOT.
 */

/** Top-level directories of a binary distribution that the toolchain module leaves out. */
const EXCLUDED_TOP_LEVEL = new Set(['api', 'doc', 'misc', 'test']);

export interface ToolchainIdentity {
  /** e.g. "go1.26.8" */
  version: string;
  goos: string;
  goarch: string;
}

export function toolchainModuleVersion(id: ToolchainIdentity): string {
  return `v0.0.1-${id.version}.${id.goos}-${id.goarch}`;
}

export function toolchainModulePrefix(id: ToolchainIdentity): string {
  return `golang.org/toolchain@${toolchainModuleVersion(id)}`;
}

/** Whether a GOROOT-relative path (forward slashes) belongs to the canonical toolchain tree. */
export function isCanonicalToolchainPath(relativePath: string): boolean {
  const top = relativePath.split('/', 1)[0] ?? '';
  return !(relativePath.includes('/') && EXCLUDED_TOP_LEVEL.has(top));
}

/** The module zip stores every go.mod as _go.mod, so the toolchain's own packages stay out of module mode. */
export function toModuleFileName(relativePath: string): string {
  const slash = relativePath.lastIndexOf('/');
  const base = relativePath.slice(slash + 1);
  return base === 'go.mod' ? `${relativePath.slice(0, slash + 1)}_go.mod` : relativePath;
}

export function fromModuleFileName(relativePath: string): string {
  const slash = relativePath.lastIndexOf('/');
  const base = relativePath.slice(slash + 1);
  return base === '_go.mod' ? `${relativePath.slice(0, slash + 1)}go.mod` : relativePath;
}

/** Files under bin/ and pkg/tool/ are the executables; the go command sets exactly these modes too. */
export function canonicalFileMode(relativePath: string): number {
  return relativePath.startsWith('bin/') || relativePath.startsWith('pkg/tool/') ? 0o755 : 0o644;
}
