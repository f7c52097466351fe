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
