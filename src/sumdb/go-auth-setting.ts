import { InputError, oneLine } from '../errors.js';

/**
 * GOAUTH, parsed the way the go command parses it (`go help goauth`): a semicolon-separated list of `off`,
 * `netrc`, `git DIR` (DIR absolute) or a command with its arguments. Pure; the methods are run by
 * GoAuthCredentials. A setting the go command would refuse is refused here too, before anything is fetched.
 */
export type GoAuthMethod =
  | { kind: 'netrc' }
  | { kind: 'git'; dir: string }
  | { kind: 'command'; argv: readonly string[]; text: string };

const HINT = 'set GOAUTH as `go help goauth` describes it: off, netrc, git DIR or a command, separated by semicolons';

export function parseGoAuthSetting(setting: string): GoAuthMethod[] {
  const shown = oneLine(JSON.stringify(setting));
  const entries = setting.split(';').map((entry) => entry.trim());
  // The go command's default is netrc; an empty setting is that default.
  if (entries.length === 1 && entries[0] === '') return [{ kind: 'netrc' }];
  const methods: GoAuthMethod[] = [];
  for (const entry of entries) {
    const words = splitQuoted(entry, shown);
    if (words.length === 0) throw new InputError(`GOAUTH=${shown} holds an empty command`, { hint: HINT });
    const [name, ...rest] = words as [string, ...string[]];
    if (name === 'off') {
      if (entries.length !== 1) throw new InputError(`GOAUTH=${shown}: off cannot be combined with other methods`, { hint: HINT });
      return [];
    }
    if (name === 'netrc') {
      methods.push({ kind: 'netrc' });
    } else if (name === 'git') {
      const dir = rest[0];
      if (rest.length !== 1 || dir === undefined || !dir.startsWith('/')) {
        throw new InputError(`GOAUTH=${shown}: the git method needs one absolute path to a git working directory`, { hint: HINT });
      }
      methods.push({ kind: 'git', dir });
    } else {
      methods.push({ kind: 'command', argv: words, text: entry });
    }
  }
  return methods;
}

/**
 * Words separated by white space, a word optionally wrapped whole in single or double quotes, with nothing
 * unescaped inside: the rule of the go command's own splitter for GOAUTH commands.
 */
export function splitQuoted(text: string, shown: string = JSON.stringify(text)): string[] {
  const words: string[] = [];
  let rest = text.trimStart();
  while (rest !== '') {
    const quote = rest[0];
    if (quote === '"' || quote === "'") {
      const end = rest.indexOf(quote, 1);
      if (end === -1) throw new InputError(`GOAUTH=${shown} has an unterminated ${quote} quote`, { hint: HINT });
      words.push(rest.slice(1, end));
      rest = rest.slice(end + 1);
      if (rest !== '' && !/^\s/.test(rest)) throw new InputError(`GOAUTH=${shown} has a quoted word followed by more text`, { hint: HINT });
    } else {
      const end = rest.search(/\s/);
      words.push(end === -1 ? rest : rest.slice(0, end));
      rest = end === -1 ? '' : rest.slice(end);
    }
    rest = rest.trimStart();
  }
  return words;
}

/** Headers to send, by URL prefix without its `https://` and trailing slash (`host/path`), as the go command keys them. */
export type CredentialHeaders = Map<string, ReadonlyArray<readonly [string, string]>>;

/**
 * A GOAUTH command's answer: blocks of `https://` URL lines, a blank line, header lines, a blank line. A
 * malformed answer is refused whole, as the go command refuses it; the caller names the command.
 */
export function parseAuthCommandOutput(text: string): CredentialHeaders | string {
  const credentials: CredentialHeaders = new Map();
  const lines = text.split('\n');
  // The answer ends with a newline; what follows it is not a line.
  if (lines.pop() !== '') return text === '' ? credentials : 'the output does not end with a newline';
  let i = 0;
  while (i < lines.length) {
    const urls: string[] = [];
    for (; ; i++) {
      if (i >= lines.length) return 'missing empty line after URLs';
      const line = lines[i]!;
      if (line === '') break;
      if (!/^https:\/\/[^\s/]+/.test(line)) return `not an https:// URL line: ${oneLine(line).slice(0, 80)}`;
      urls.push(line);
    }
    i++;
    const headers: Array<readonly [string, string]> = [];
    for (; ; i++) {
      if (i >= lines.length) return 'missing empty line after headers';
      const line = lines[i]!;
      if (line === '') break;
      const colon = line.indexOf(': ');
      const name = colon === -1 ? '' : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 2).trim();
      if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name) || /[\u0000-\u0008\u000a-\u001f\u007f]/.test(value)) return 'invalid header line';
      headers.push([name, value]);
    }
    i++;
    for (const url of urls) credentials.set(credentialPrefix(url), headers);
  }
  return credentials;
}

/** `git credential fill`'s answer: the URL it is for (from url=, or protocol/host/path) and the user and password. */
export function parseGitCredential(text: string): { prefix: string; username: string; password: string } | undefined {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const equals = line.trim().indexOf('=');
    if (equals > 0) fields.set(line.trim().slice(0, equals), line.trim().slice(equals + 1));
  }
  let prefix: string | undefined;
  const url = fields.get('url');
  if (url !== undefined && URL.canParse(url)) prefix = url;
  else if (fields.get('protocol') && fields.get('host')) prefix = `${fields.get('protocol')}://${fields.get('host')}${fields.has('path') ? `/${fields.get('path')}` : ''}`;
  if (prefix === undefined) return undefined;
  return { prefix, username: fields.get('username') ?? '', password: fields.get('password') ?? '' };
}

export function credentialPrefix(url: string): string {
  return url.replace(/^https:\/\//, '').replace(/\/+$/, '');
}

/** The headers for a URL: those of its longest stored prefix, walking up the path one segment at a time. */
export function headersFor(url: string, credentials: CredentialHeaders): ReadonlyArray<readonly [string, string]> | undefined {
  if (!url.startsWith('https://')) return undefined;
  let prefix = credentialPrefix(url.replace(/[?#].*$/, ''));
  for (;;) {
    const headers = credentials.get(prefix);
    if (headers !== undefined) return headers;
    const slash = prefix.lastIndexOf('/');
    if (slash === -1) return undefined;
    prefix = prefix.slice(0, slash);
  }
}

export function basicAuthorization(login: string, password: string): readonly [string, string] {
  return ['Authorization', `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`];
}
