/**
 * GONOSUMDB / GOPRIVATE matching, as the go command matches (golang.org/x/mod/module.MatchPrefixPatterns): a
 * comma-separated list of path.Match globs, each matched against the leading elements of a module path,
 * as many elements as the pattern has.
 */
export function matchesPrivatePatterns(patterns: string, modulePath: string): boolean {
  for (const raw of patterns.split(',')) {
    const pattern = raw.trim().replace(/\/+$/, '');
    if (pattern === '') continue;
    const elements = pattern.split('/').length;
    const parts = modulePath.split('/');
    if (parts.length < elements) continue;
    const regex = globToRegExp(pattern);
    if (regex !== undefined && regex.test(parts.slice(0, elements).join('/'))) return true;
  }
  return false;
}

/** Go's path.Match syntax (`*`, `?`, `[...]` with `^` negation, `\` escapes; none crosses `/`), or undefined when malformed. */
function globToRegExp(pattern: string): RegExp | undefined {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '\\') {
      if (++i >= pattern.length) return undefined;
      out += escapeRegExp(pattern[i]!);
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) return undefined;
      let body = pattern.slice(i + 1, end);
      const negated = body.startsWith('^');
      if (negated) body = body.slice(1);
      out += `[${negated ? '^/' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`;
      i = end;
    } else out += escapeRegExp(c);
  }
  try {
    return new RegExp(`^${out}$`);
  } catch {
    return undefined;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
