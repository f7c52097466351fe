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

/**
 * Whether a file's build constraint excludes it from every build: as `go mod vendor` decides it, with every
 * tag taken as satisfied except "ignore".
 */
export function isIgnoredFile(source: string): boolean {
  const plusBuild: string[] = [];
  for (const raw of source.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('package ')) break;
    const constraint = /^\/\/go:build\s+(.*)$/.exec(line);
    if (constraint) return !evaluateConstraint(constraint[1]!);
    const old = /^\/\/\s*\+build\s+(.*)$/.exec(line);
    if (old) plusBuild.push(old[1]!);
  }
  // Old-style lines: each line must hold; a line is an OR of space-separated ANDs of comma-separated terms.
  return plusBuild.some(
    (line) => !line.trim().split(/\s+/).some((option) => option.split(',').every((term) => (term.startsWith('!') ? term.slice(1) === 'ignore' : term !== 'ignore'))),
  );
}

/** Evaluates a //go:build expression with every tag true except "ignore"; an unreadable one counts as true. */
function evaluateConstraint(expression: string): boolean {
  const tokens = expression.match(/\(|\)|!|&&|\|\||[A-Za-z0-9_.]+/g) ?? [];
  let position = 0;
  const peek = () => tokens[position];
  const parseOr = (): boolean => {
    let value = parseAnd();
    while (peek() === '||') {
      position++;
      const right = parseAnd();
      value = value || right;
    }
    return value;
  };
  const parseAnd = (): boolean => {
    let value = parseNot();
    while (peek() === '&&') {
      position++;
      const right = parseNot();
      value = value && right;
    }
    return value;
  };
  const parseNot = (): boolean => {
    const token = tokens[position++];
    if (token === '!') return !parseNot();
    if (token === '(') {
      const value = parseOr();
      position++;
      return value;
    }
    return token !== 'ignore';
  };
  try {
    return parseOr();
  } catch {
    return true;
  }
}

/** The name `go build` gives a main package's binary: its last path element, skipping a /vN suffix. */
export function binaryName(modulePath: string, packageDir: string): string {
  const importPath = packageDir === '.' ? modulePath : `${modulePath}/${packageDir.replace(/^\.\//, '')}`;
  const elements = importPath.split('/').filter((element) => element !== '');
  let name = elements.at(-1) ?? importPath;
  if (elements.length > 1 && /^v([2-9]|[1-9]\d+)$/.test(name)) name = elements.at(-2)!;
  return name;
}
