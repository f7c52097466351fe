/** Small facts about Go source files that airlock reads without a Go toolchain on the host. */

/** The package name a file declares, or undefined when it has no package clause. */
export function packageName(source: string): string | undefined {
  const withoutBlockComments = source.replace(/\/\*[\s\S]*?\*\//g, ' ');
  for (const raw of withoutBlockComments.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (line === '') continue;
    const match = /^package\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(line);
    return match?.[1];
  }
  return undefined;
}

/** Whether a //go:build line before the package clause excludes the file from every build ("ignore"). */
export function isIgnoredFile(source: string): boolean {
  for (const raw of source.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('package ')) return false;
    const constraint = /^\/\/go:build\s+(.*)$/.exec(line);
    if (constraint) return /^ignore\b/.test(constraint[1]!.trim());
  }
  return false;
}

/** The name `go build` gives a main package's binary: its last path element, skipping a /vN suffix. */
export function binaryName(modulePath: string, packageDir: string): string {
  const importPath = packageDir === '.' ? modulePath : `${modulePath}/${packageDir.replace(/^\.\//, '')}`;
  const elements = importPath.split('/').filter((element) => element !== '');
  let name = elements.at(-1) ?? importPath;
  if (elements.length > 1 && /^v[2-9]\d*$/.test(name)) name = elements.at(-2)!;
  return name;
}
