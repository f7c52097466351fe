/** Small facts about Go source files that airlock reads without a Go toolchain on the host. */

/** The package name a file declares, or undefined when it has no package clause. */
export function packageName(source: string): string | undefined {
  const match = /^\s*package\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(stripLeadingComments(source));
  return match?.[1];
}

/** Removes the comments before the first token; a line comment may contain "/*" without opening anything. */
function stripLeadingComments(source: string): string {
  let i = 0;
  for (;;) {
    while (i < source.length && /\s/.test(source[i]!)) i++;
    if (source.startsWith('//', i)) {
      const end = source.indexOf('\n', i);
      i = end < 0 ? source.length : end + 1;
    } else if (source.startsWith('/*', i)) {
      const end = source.indexOf('*/', i + 2);
      i = end < 0 ? source.length : end + 2;
    } else {
      return source.slice(i);
    }
  }
}

/** Whether a //go:build line before the package clause excludes the file from every build ("ignore"). */
export function isIgnoredFile(source: string): boolean {
  for (const raw of source.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('package ')) return false;
    const constraint = /^\/\/go:build\s+(.*)$/.exec(line);
    if (constraint) return /^ignore\b/.test(constraint[1]!.trim());
    if (/^\/\/ \+build\s+ignore\b/.test(line)) return true;
  }
  return false;
}

/** The name `go build` gives a main package's binary: its last path element, skipping a /vN suffix. */
export function binaryName(modulePath: string, packageDir: string): string {
  const importPath = packageDir === '.' ? modulePath : `${modulePath}/${packageDir.replace(/^\.\//, '')}`;
  const elements = importPath.split('/').filter((element) => element !== '');
  let name = elements.at(-1) ?? importPath;
  if (elements.length > 1 && /^v([2-9]|[1-9]\d+)$/.test(name)) name = elements.at(-2)!;
  return name;
}
