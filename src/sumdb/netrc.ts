/**
 * Credentials from a .netrc file (`machine HOST login USER password PASS`, and `default`), as the go command
 * reads them for GOAUTH=netrc (its default): the evidence requests of `modules pack` to a site's own proxy
 * carry the same credentials as the go command's downloads.
 */
export interface NetrcEntry {
  login: string;
  password: string;
}

export function parseNetrc(text: string): Map<string, NetrcEntry> {
  const tokens = text.split(/\s+/).filter((token) => token !== '');
  const entries = new Map<string, NetrcEntry>();
  let machine: string | undefined;
  let entry: Partial<NetrcEntry> = {};
  const flush = () => {
    if (machine !== undefined && entry.login !== undefined && entry.password !== undefined && !entries.has(machine)) {
      entries.set(machine, { login: entry.login, password: entry.password });
    }
    entry = {};
  };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === 'machine') {
      flush();
      machine = tokens[++i];
    } else if (token === 'default') {
      flush();
      machine = '*';
    } else if (token === 'login' || token === 'password') {
      entry[token] = tokens[++i];
    } else if (token === 'macdef') {
      // A macro runs to the next blank line; it holds no credentials.
      flush();
      machine = undefined;
      break;
    }
  }
  flush();
  return entries;
}

/** The Authorization header for a URL's host, if the .netrc names that host (or has a default). */
export function authorizationFor(url: string, entries: ReadonlyMap<string, NetrcEntry>): string | undefined {
  const host = new URL(url).hostname;
  const entry = entries.get(host) ?? entries.get('*');
  return entry ? `Basic ${Buffer.from(`${entry.login}:${entry.password}`).toString('base64')}` : undefined;
}
