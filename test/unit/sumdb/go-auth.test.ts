import test from 'ava';
import { execa } from 'execa';
import fc from 'fast-check';
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../../../src/errors.js';
import { GoAuthCredentials } from '../../../src/sumdb/go-auth.js';
import { headersFor, parseAuthCommandOutput, parseGitCredential, parseGoAuthSetting, splitQuoted } from '../../../src/sumdb/go-auth-setting.js';

test('GOAUTH settings parse as the go command parses them: the default, off, netrc, git DIR, commands with quoted words', (t) => {
  t.deepEqual(parseGoAuthSetting(''), [{ kind: 'netrc' }]);
  t.deepEqual(parseGoAuthSetting('off'), []);
  t.deepEqual(parseGoAuthSetting('netrc; git /srv/creds ;/usr/bin/site-auth --realm "corp proxy"'), [
    { kind: 'netrc' },
    { kind: 'git', dir: '/srv/creds' },
    { kind: 'command', argv: ['/usr/bin/site-auth', '--realm', 'corp proxy'], text: '/usr/bin/site-auth --realm "corp proxy"' },
  ]);
  t.deepEqual(splitQuoted(`a 'b c' "d'e"  f`), ['a', 'b c', "d'e", 'f']);
});

test('GOAUTH settings the go command refuses are refused, each naming what is wrong (exit 2)', (t) => {
  for (const [setting, reason] of [
    ['netrc;;git /x', /holds an empty command/],
    ['off;netrc', /off cannot be combined/],
    ['git', /needs one absolute path/],
    ['git relative/dir', /needs one absolute path/],
    ['git /a /b', /needs one absolute path/],
    ['cmd "unterminated', /unterminated " quote/],
    ["cmd 'a'b", /quoted word followed by more text/],
  ] as const) {
    const error = t.throws(() => parseGoAuthSetting(setting), { instanceOf: InputError });
    t.regex(error.message, reason, setting);
    t.is(error.exitCode, 2);
  }
});

test("a GOAUTH command's answer: URL blocks and their headers, by prefix; malformed answers refused whole", (t) => {
  const answer = 'https://example.com\nhttps://example.net/api/\n\nAuthorization: Basic dG9rZW4=\n\nhttps://another-example.org/\n\nExample: Data\nX-Two:  spaced \n\n';
  const parsed = parseAuthCommandOutput(answer);
  if (typeof parsed === 'string') return t.fail(parsed);
  t.deepEqual([...parsed.keys()], ['example.com', 'example.net/api', 'another-example.org']);
  t.deepEqual(headersFor('https://example.net/api/v1/x', parsed), [['Authorization', 'Basic dG9rZW4=']]);
  t.deepEqual(headersFor('https://another-example.org/sumdb/sum.golang.org/latest', parsed), [
    ['Example', 'Data'],
    ['X-Two', 'spaced'],
  ]);
  t.is(headersFor('https://example.net/other', parsed), undefined, 'a prefix matches whole path segments only');
  t.is(headersFor('http://example.com/', parsed), undefined, 'never over plain http');
  t.deepEqual(parseAuthCommandOutput(''), new Map());
  t.is(parseAuthCommandOutput('https://a.example\n\nAuthorization: x\n'), 'missing empty line after headers');
  t.is(parseAuthCommandOutput('https://a.example\n'), 'missing empty line after URLs');
  t.regex(parseAuthCommandOutput('http://a.example\n\nA: b\n\n') as string, /not an https:\/\/ URL line/);
  t.is(parseAuthCommandOutput('https://a.example\n\nno colon here\n\n'), 'invalid header line');
  t.is(parseAuthCommandOutput('https://a.example\n\nA: b'), 'the output does not end with a newline');
});

test('no answer crashes the parser: any text gives credentials or a reason', (t) => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom('https://a.example', 'h', ':', ' ', 'A: b', '\n', '\n\n', '/', 'é') }), (text) => {
      const parsed = parseAuthCommandOutput(text);
      return typeof parsed === 'string' || parsed instanceof Map;
    }),
  );
  t.pass();
});

test("git credential fill's answer gives the URL prefix and the user and password", (t) => {
  t.deepEqual(parseGitCredential('protocol=https\nhost=proxy.example:8443\nusername=site\npassword=s3cret\n'), {
    prefix: 'https://proxy.example:8443',
    username: 'site',
    password: 's3cret',
  });
  t.deepEqual(parseGitCredential('url=https://proxy.example/mod\nusername=u\npassword=p\n'), { prefix: 'https://proxy.example/mod', username: 'u', password: 'p' });
  t.is(parseGitCredential('username=u\npassword=p\n'), undefined);
});

async function scratch(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-goauth-'));
  t.teardown(() => fs.remove(dir));
  return dir;
}

test('a real GOAUTH command: run once with no argument, then with the refused URL and the response on its standard input; earlier methods win', async (t) => {
  const dir = await scratch(t);
  const log = path.join(dir, 'calls.log');
  const command = path.join(dir, 'site-auth.mjs');
  await fs.writeFile(
    command,
    `import fs from 'node:fs';
const url = process.argv[2];
const input = fs.readFileSync(0, 'utf8');
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ url: url ?? null, input }) + '\\n');
if (url) process.stdout.write(url.split('/').slice(0, 3).join('/') + '\\n\\nAuthorization: Bearer for-' + url.split('/')[2] + '\\n\\n');
else process.stdout.write('https://early.example\\n\\nAuthorization: Bearer early\\n\\n');
`,
  );
  const netrc = path.join(dir, 'netrc');
  await fs.writeFile(netrc, 'machine early.example login n password p\nmachine only-netrc.example login n password p\n');
  const previous = process.env.NETRC;
  process.env.NETRC = netrc;
  t.teardown(() => {
    if (previous === undefined) delete process.env.NETRC;
    else process.env.NETRC = previous;
  });
  const credentials = new GoAuthCredentials(parseGoAuthSetting(`node ${command}; netrc`));
  t.deepEqual(await credentials.headersFor('https://early.example/sumdb/latest'), [['Authorization', 'Bearer early']], 'the command comes first in GOAUTH, so it wins over .netrc');
  t.deepEqual(await credentials.headersFor('https://only-netrc.example/x'), [['Authorization', `Basic ${Buffer.from('n:p').toString('base64')}`]]);
  t.is(await credentials.headersFor('https://late.example/sumdb/latest'), undefined);
  const retried = await credentials.afterRefusal('https://late.example/sumdb/latest', { status: 401, statusText: 'Unauthorized', headers: [['www-authenticate', 'Bearer']] });
  t.true(retried);
  t.deepEqual(await credentials.headersFor('https://late.example/tile/8/0/000'), [['Authorization', 'Bearer for-late.example']]);
  const calls = (await fs.readFile(log, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { url: string | null; input: string });
  t.deepEqual(calls, [
    { url: null, input: '' },
    { url: 'https://late.example/sumdb/latest', input: 'HTTP/1.1 401 Unauthorized\nwww-authenticate: Bearer\n\n' },
  ]);
  t.false(await credentials.afterRefusal('http://plain.example/', { status: 401, statusText: 'Unauthorized', headers: [] }), 'never over plain http');
});

test('a GOAUTH command that fails or prints nonsense gives nothing, and says why', async (t) => {
  const credentials = new GoAuthCredentials(parseGoAuthSetting(`sh -c 'exit 3'; sh -c 'echo nonsense'`));
  t.is(await credentials.headersFor('https://proxy.example/x'), undefined);
  t.is(credentials.failures.length, 2);
  t.regex(credentials.failures.join('\n'), /GOAUTH command sh -c 'exit 3' failed/);
  t.regex(credentials.failures.join('\n'), /GOAUTH command sh -c 'echo nonsense' printed an answer airlock cannot read: not an https:\/\/ URL line: nonsense/);
});

test("GOAUTH=git DIR: after a refusal, 'git credential fill' in DIR with the site's credential helper gives Basic credentials for the URL's prefix", async (t) => {
  const dir = await scratch(t);
  const repo = path.join(dir, 'creds');
  await execa('git', ['init', '-q', repo]);
  const store = path.join(dir, 'git-credentials');
  await fs.writeFile(store, 'https://site:s3cret@proxy.example:8443\n');
  await execa('git', ['config', 'credential.helper', `store --file=${store}`], { cwd: repo });
  const credentials = new GoAuthCredentials(parseGoAuthSetting(`git ${repo}`));
  t.is(await credentials.headersFor('https://proxy.example:8443/sumdb/sum.golang.org/latest'), undefined, 'git is asked only for a refused URL');
  t.true(await credentials.afterRefusal('https://proxy.example:8443/sumdb/sum.golang.org/latest', { status: 401, statusText: 'Unauthorized', headers: [] }));
  t.deepEqual(await credentials.headersFor('https://proxy.example:8443/sumdb/sum.golang.org/tile/8/0/001'), [['Authorization', `Basic ${Buffer.from('site:s3cret').toString('base64')}`]]);
  // No stored credential and no terminal: git fails at once instead of prompting.
  const none = new GoAuthCredentials(parseGoAuthSetting(`git ${repo}`));
  t.false(await none.afterRefusal('https://elsewhere.example/x', { status: 401, statusText: 'Unauthorized', headers: [] }));
  t.regex(none.failures[0] ?? '', /gave no credential for https:\/\/elsewhere\.example\/x/);
});
