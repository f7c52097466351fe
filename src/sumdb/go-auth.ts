import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { oneLine } from '../errors.js';
import {
  type CredentialHeaders,
  type GoAuthMethod,
  basicAuthorization,
  credentialPrefix,
  headersFor,
  parseAuthCommandOutput,
  parseGitCredential,
} from './go-auth-setting.js';
import { type NetrcEntry, authorizationFor, parseNetrc } from './netrc.js';

export type HeaderList = ReadonlyArray<readonly [string, string]>;

/** What an HTTP client asks of a credential source: headers for a URL, and another try after a 4xx. */
export interface RequestCredentials {
  headersFor(url: string): Promise<HeaderList | undefined>;
  /** Runs the URL-specific methods after the server refused `url`; true when there is something new to try. */
  afterRefusal(url: string, response: { status: number; statusText: string; headers: Iterable<[string, string]> }): Promise<boolean>;
}

/**
 * The credentials the go command would send under GOAUTH, so that the checksum database requests of `modules
 * pack` reach a site's own proxy exactly as the go command's module downloads do. As in the go command: every
 * method runs once before the first request (commands with no argument, git not at all); after a 4xx answer the
 * commands run again with the URL as an argument and the response's status and headers on their standard
 * input, and git runs `git credential fill` for the URL; earlier methods in the list win.
 *
 * Not done, on purpose: `git credential approve/reject` (airlock does not update a site's credential helper) and
 * git's terminal prompt (GIT_TERMINAL_PROMPT=0: a pack in CI must fail, not wait for a password).
 */
export class GoAuthCredentials implements RequestCredentials {
  private readonly table: CredentialHeaders = new Map();
  private netrc: Map<string, NetrcEntry> | undefined;
  private started: Promise<void> | undefined;
  /** Why a method gave nothing, for the error of a request that stays refused. */
  readonly failures: string[] = [];

  constructor(private readonly methods: readonly GoAuthMethod[]) {}

  async headersFor(url: string): Promise<HeaderList | undefined> {
    if (!url.startsWith('https://')) return undefined;
    await (this.started ??= this.run(undefined, undefined));
    const found = headersFor(url, this.table);
    if (found !== undefined) return found;
    // airlock's earlier rule, kept: a .netrc machine also matches its host on any port.
    const authorization = this.netrc ? authorizationFor(url, this.netrc) : undefined;
    return authorization === undefined ? undefined : [['Authorization', authorization]];
  }

  async afterRefusal(url: string, response: { status: number; statusText: string; headers: Iterable<[string, string]> }): Promise<boolean> {
    if (!url.startsWith('https://') || !this.methods.some((method) => method.kind !== 'netrc')) return false;
    const before = JSON.stringify(await this.headersFor(url));
    let stdin = `HTTP/1.1 ${response.status} ${response.statusText}\n`;
    for (const [name, value] of response.headers) stdin += `${name}: ${value}\n`;
    await this.run(url, `${stdin}\n`);
    return JSON.stringify(await this.headersFor(url)) !== before;
  }

  private async run(url: string | undefined, stdin: string | undefined): Promise<void> {
    // Reversed, so that what an earlier method stores for a prefix overwrites a later one's.
    for (const method of [...this.methods].reverse()) {
      if (method.kind === 'netrc') {
        if (url === undefined) await this.readNetrc();
      } else if (method.kind === 'git') {
        if (url !== undefined) await this.runGit(method.dir, url);
      } else {
        await this.runCommand(method, url, stdin);
      }
    }
  }

  private async readNetrc(): Promise<void> {
    const file = process.env.NETRC || path.join(os.homedir(), '.netrc');
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) return;
    this.netrc = parseNetrc(text);
    for (const [machine, entry] of this.netrc) if (machine !== '*') this.table.set(machine, [basicAuthorization(entry.login, entry.password)]);
  }

  private async runGit(dir: string, url: string): Promise<void> {
    const result = await execa('git', ['credential', 'fill'], { cwd: dir, input: `url=${url}\n`, reject: false, env: { GIT_TERMINAL_PROMPT: '0' } });
    const credential = result.exitCode === 0 ? parseGitCredential(result.stdout) : undefined;
    if (credential === undefined || !url.startsWith(credential.prefix)) {
      this.failures.push(`GOAUTH git ${dir}: 'git credential fill' gave no credential for ${url}${result.exitCode === 0 ? '' : `: ${oneLine(result.stderr).slice(0, 200)}`}`);
      return;
    }
    this.table.set(credentialPrefix(credential.prefix), [basicAuthorization(credential.username, credential.password)]);
  }

  private async runCommand(method: Extract<GoAuthMethod, { kind: 'command' }>, url: string | undefined, stdin: string | undefined): Promise<void> {
    const [file, ...args] = method.argv as [string, ...string[]];
    const result = await execa(file, url === undefined ? args : [...args, url], { input: stdin ?? '', reject: false, stripFinalNewline: false });
    if (result.exitCode !== 0 || result.failed) {
      this.failures.push(`GOAUTH command ${method.text} failed: ${oneLine(result.stderr || (result.shortMessage ?? '')).slice(0, 200)}`);
      return;
    }
    const parsed = parseAuthCommandOutput(result.stdout);
    if (typeof parsed === 'string') {
      this.failures.push(`GOAUTH command ${method.text} printed an answer airlock cannot read: ${parsed}`);
      return;
    }
    for (const [prefix, headers] of parsed) {
      if (headers.length === 0) this.table.delete(prefix);
      else this.table.set(prefix, headers);
    }
  }
}
