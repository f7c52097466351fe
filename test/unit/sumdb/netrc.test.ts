import test from 'ava';

import { authorizationFor, parseNetrc } from '../../../src/sumdb/netrc.js';
import { resolveChecksumDatabase, type Fetch } from '../../../src/sumdb/fetch-evidence.js';
import { InputError } from '../../../src/errors.js';

test('.netrc: machines, the default, and a macro ending the credentials; the first entry for a host wins', (t) => {
  const entries = parseNetrc(
    ['machine proxy.corp.example', '  login ci', '  password s3cret', 'machine proxy.corp.example login second password ignored', 'default login anon password none', 'macdef init', 'machine after login x password y'].join('\n'),
  );
  t.deepEqual(entries.get('proxy.corp.example'), { login: 'ci', password: 's3cret' });
  t.deepEqual(entries.get('*'), { login: 'anon', password: 'none' });
  t.false(entries.has('after'));
  t.is(authorizationFor('https://proxy.corp.example/sumdb/sum.golang.org/latest', entries), `Basic ${Buffer.from('ci:s3cret').toString('base64')}`);
  t.is(authorizationFor('https://other.example/x', entries), `Basic ${Buffer.from('anon:none').toString('base64')}`);
  t.is(authorizationFor('https://other.example/x', parseNetrc('machine a login b password c')), undefined);
});

/** The answers a set of proxies would give to `<proxy>/sumdb/<name>/supported`. */
function answering(statuses: Record<string, number>): { get: Fetch; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    get: async (url) => {
      asked.push(url);
      return { status: statuses[url] ?? 404, bytes: new Uint8Array() };
    },
  };
}

test('the checksum database is reached as the go command reaches it: the first proxy that supports it, else directly', async (t) => {
  const first = answering({ 'https://a.example/sumdb/sum.golang.org/supported': 404, 'https://b.example/sumdb/sum.golang.org/supported': 200 });
  t.is((await resolveChecksumDatabase('sum.golang.org', 'https://a.example,https://b.example|direct', first.get))?.base, 'https://b.example/sumdb/sum.golang.org');
  t.deepEqual(first.asked, ['https://a.example/sumdb/sum.golang.org/supported', 'https://b.example/sumdb/sum.golang.org/supported']);
  const none = answering({ 'https://a.example/sumdb/sum.golang.org/supported': 410 });
  t.is((await resolveChecksumDatabase('sum.golang.org', 'https://a.example,direct', none.get))?.base, 'https://sum.golang.org');
  // An explicit URL after the key wins, and GOSUMDB=off means no evidence.
  t.is((await resolveChecksumDatabase('sum.golang.org https://sumdb.corp.example/', 'https://a.example', none.get))?.base, 'https://sumdb.corp.example');
  t.is(await resolveChecksumDatabase('off', 'https://a.example', none.get), undefined);
  await t.throwsAsync(resolveChecksumDatabase('sum.golang.org', 'https://a.example', answering({ 'https://a.example/sumdb/sum.golang.org/supported': 500 }).get), {
    message: /answered 500 for the checksum database sum\.golang\.org/,
  });
  await t.throwsAsync(resolveChecksumDatabase('a b c', 'off'), { instanceOf: InputError });
});
