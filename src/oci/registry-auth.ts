/**
 * How a registry asks for credentials (RFC 7235 challenges in WWW-Authenticate) and the token flow of the
 * distribution spec's Bearer scheme: the client asks the realm named in the challenge for a token for the
 * repository's scope, with Basic credentials when it has them, and sends that token from then on.
 */

export interface AuthChallenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

/** The first Basic or Bearer challenge of a WWW-Authenticate value; undefined when there is none. */
export function parseAuthChallenge(header: string | null): AuthChallenge | undefined {
  if (!header) return undefined;
  const match = /^\s*(basic|bearer)\b\s*(.*)$/i.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  // key="quoted \"value\"" or key=token, separated by commas.
  for (const param of match[2]!.matchAll(/([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))/g)) {
    params[param[1]!.toLowerCase()] = param[2] !== undefined ? param[2].replace(/\\(.)/g, '$1') : param[3]!;
  }
  return { scheme: match[1]!.toLowerCase() as AuthChallenge['scheme'], params };
}

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/** The token endpoint's URL for a Bearer challenge and the scope asked for. */
export function tokenUrl(challenge: AuthChallenge, scope: string): URL {
  const realm = challenge.params.realm;
  if (!realm) throw new Error('the Bearer challenge names no realm');
  const url = new URL(realm);
  if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
  url.searchParams.set('scope', scope);
  return url;
}

/** The token of a token endpoint's answer: "token", or OAuth2's "access_token". */
export function tokenFromResponse(body: unknown): string | undefined {
  const answer = body as { token?: unknown; access_token?: unknown } | null;
  if (answer && typeof answer.token === 'string' && answer.token !== '') return answer.token;
  if (answer && typeof answer.access_token === 'string' && answer.access_token !== '') return answer.access_token;
  return undefined;
}

/** The scope a push needs on REPOSITORY. */
export function pushScope(repository: string): string {
  return `repository:${repository}:pull,push`;
}
