import test from 'ava';

import { parseAuthChallenge, pushScope, tokenFromResponse, tokenUrl } from '../../../src/oci/registry-auth.js';

test('Bearer and Basic challenges are read with their parameters, quoted or not', (t) => {
  t.deepEqual(parseAuthChallenge('Bearer realm="https://auth.example.internal/token",service="registry.example.internal",scope="repository:airlock-sandbox:pull"'), {
    scheme: 'bearer',
    params: { realm: 'https://auth.example.internal/token', service: 'registry.example.internal', scope: 'repository:airlock-sandbox:pull' },
  });
  t.deepEqual(parseAuthChallenge('Basic realm="Registry Realm"'), { scheme: 'basic', params: { realm: 'Registry Realm' } });
  t.deepEqual(parseAuthChallenge('bearer Realm=https://a.internal/t, service="s \\"q\\""'), { scheme: 'bearer', params: { realm: 'https://a.internal/t', service: 's "q"' } });
  t.is(parseAuthChallenge('Negotiate'), undefined);
  t.is(parseAuthChallenge(null), undefined);
});

test('the token URL carries the service and the push scope; the token is "token" or "access_token"', (t) => {
  const url = tokenUrl({ scheme: 'bearer', params: { realm: 'https://auth.example.internal/token?x=1', service: 'reg' } }, pushScope('team/airlock-sandbox'));
  t.is(url.toString(), 'https://auth.example.internal/token?x=1&service=reg&scope=repository%3Ateam%2Fairlock-sandbox%3Apull%2Cpush');
  t.throws(() => tokenUrl({ scheme: 'bearer', params: {} }, 'x'));
  t.is(tokenFromResponse({ token: 'a', access_token: 'b' }), 'a');
  t.is(tokenFromResponse({ access_token: 'b' }), 'b');
  t.is(tokenFromResponse({ token: '' }), undefined);
  t.is(tokenFromResponse(null), undefined);
});
