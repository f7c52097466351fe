const GOARCH_BY_NODE_ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  ia32: '386',
  arm: 'arm',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};

/** Node's platform and arch names as a Go GOOS/GOARCH pair. */
export function hostPlatform(platform: string, arch: string): string {
  const goos = platform === 'win32' ? 'windows' : platform === 'sunos' ? 'solaris' : platform;
  return `${goos}/${GOARCH_BY_NODE_ARCH[arch] ?? arch}`;
}

/**
 * The platform a build on this host runs on when no engine is asked: airlock's sandboxes are Linux containers,
 * and a local engine (Docker Desktop or Podman's machine on macOS and Windows too) runs them on the host's
 * architecture. `airlock plan` resolves for it, so it plans what `airlock build` builds against a local engine.
 */
export function localEnginePlatform(arch: string): { os: string; arch: string } {
  return { os: 'linux', arch: GOARCH_BY_NODE_ARCH[arch] ?? arch };
}
