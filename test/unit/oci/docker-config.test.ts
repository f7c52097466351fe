import test from 'ava';
import fs from 'node:fs/promises';
import path from 'node:path';

import { ExitCode, InputError } from '../../../src/errors.js';
import { credentialsFromDockerConfig, dockerConfigFile, readRegistryCredentials, registryHostOfKey } from '../../../src/oci/docker-config.js';
import { tempDir } from '../../helpers/host-tools.js';

const FILE = '/home/ci/.docker/config.json';
const auth = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');

test('the config file: $DOCKER_CONFIG/config.json, else ~/.docker/config.json', (t) => {
  t.is(dockerConfigFile({ DOCKER_CONFIG: '/etc/ci-docker' }, '/home/ci'), '/etc/ci-docker/config.json');
  t.is(dockerConfigFile({}, '/home/ci'), '/home/ci/.docker/config.json');
});

test('an auths key names its host however docker wrote it', (t) => {
  for (const key of ['registry.example.internal:5000', 'https://registry.example.internal:5000', 'https://registry.example.internal:5000/v1/', 'http://REGISTRY.example.internal:5000/v2/']) {
    t.is(registryHostOfKey(key), 'registry.example.internal:5000', key);
  }
});

test('credentials come from "auth" (base64 of user:password, the password may hold colons) or from username and password', (t) => {
  const text = JSON.stringify({ auths: { 'https://registry.example.internal:5000': { auth: auth('ci-bot', 'pa:ss:word') }, 'other.internal': { username: 'u', password: 'p' } } });
  t.deepEqual(credentialsFromDockerConfig(text, 'registry.example.internal:5000', FILE), { file: FILE, credentials: { username: 'ci-bot', password: 'pa:ss:word', source: FILE } });
  t.deepEqual(credentialsFromDockerConfig(text, 'other.internal', FILE).credentials, { username: 'u', password: 'p', source: FILE });
  t.deepEqual(credentialsFromDockerConfig(text, 'registry.example.internal', FILE), { file: FILE }, 'another port is another registry');
  t.deepEqual(credentialsFromDockerConfig('{}', 'registry.example.internal:5000', FILE), { file: FILE });
});

test('credential helpers, identity tokens, broken files and broken auth values are refused with a hint (exit 2)', (t) => {
  const refusals: Array<[string, RegExp]> = [
    [JSON.stringify({ credHelpers: { 'registry.example.internal:5000': 'ecr-login' } }), /credential helper docker-credential-ecr-login, which airlock does not run/],
    [JSON.stringify({ credsStore: 'desktop', auths: { 'registry.example.internal:5000': {} } }), /credential helper docker-credential-desktop/],
    [JSON.stringify({ auths: { 'registry.example.internal:5000': { identitytoken: 'x' } } }), /identity token/],
    [JSON.stringify({ auths: { 'registry.example.internal:5000': { auth: Buffer.from('no-colon').toString('base64') } } }), /is not base64 of user:password/],
    ['{"auths": ', /is not valid JSON/],
  ];
  for (const [text, message] of refusals) {
    const error = t.throws(() => credentialsFromDockerConfig(text, 'registry.example.internal:5000', FILE), { instanceOf: InputError, message });
    t.is(error?.exitCode, ExitCode.badInput);
    t.truthy(error?.hint);
  }
  t.deepEqual(credentialsFromDockerConfig(JSON.stringify({ credsStore: 'desktop' }), 'registry.example.internal:5000', FILE), { file: FILE, credsStore: 'desktop' }, 'a store alone may hold nothing for this registry');
});

test('readRegistryCredentials reads the file DOCKER_CONFIG points at; a missing file is no credentials', async (t) => {
  const dir = await tempDir(t);
  t.deepEqual(await readRegistryCredentials('127.0.0.1:5000', { DOCKER_CONFIG: dir }, '/nonexistent'), { file: path.join(dir, 'config.json') });
  await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify({ auths: { '127.0.0.1:5000': { auth: auth('a', 'b') } } }));
  t.like(await readRegistryCredentials('127.0.0.1:5000', { DOCKER_CONFIG: dir }, '/nonexistent'), { credentials: { username: 'a', password: 'b' } });
});
