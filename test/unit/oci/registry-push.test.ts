/**
 * pushImage against a small registry of the test's own on loopback, which answers as the distribution spec
 * says and records what it was sent: the flows (Bearer, Basic), the refusals and the error mapping. The same
 * push against the real distribution registry is in test/integration/oci-registry.test.ts.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { EngineError, ExitCode, InputError } from '../../../src/errors.js';
import { packOciArchive } from '../../../src/oci/oci-archive.js';
import { ANNOTATION_REF_NAME } from '../../../src/oci/oci-image.js';
import { type OciImageWritten, writeOciLayout } from '../../../src/oci/oci-layout.js';
import { parseRegistry, pushImage } from '../../../src/oci/registry-push.js';
import { tempDir } from '../../helpers/host-tools.js';

interface FakeOptions {
  auth?: 'none' | 'basic' | 'bearer';
  /** user:password the registry (or its token service) accepts */
  accept?: string;
  /** Answers 403 to every push once authorised. */
  forbid?: boolean;
  /** Answers a manifest PUT with this Docker-Content-Digest. */
  lieAboutManifest?: string;
  /** Where uploads go (an absolute URL prefix), for the test of uploads on another host. */
  uploadOrigin?: string;
}

interface Recorded {
  method: string;
  url: string;
  authorization?: string;
  contentLength?: string;
  transferEncoding?: string;
}

async function fakeRegistry(t: { teardown(fn: () => unknown): void }, options: FakeOptions = {}) {
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, Buffer>();
  const requests: Recorded[] = [];
  const tokens: string[] = [];
  const accept = `Basic ${Buffer.from(options.accept ?? 'ci-bot:secret').toString('base64')}`;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://x');
      requests.push({
        method: req.method!,
        url: req.url!,
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        ...(req.headers['content-length'] ? { contentLength: req.headers['content-length'] } : {}),
        ...(req.headers['transfer-encoding'] ? { transferEncoding: req.headers['transfer-encoding'] } : {}),
      });
      const body = Buffer.concat(chunks);
      if (url.pathname === '/token') {
        tokens.push(url.search);
        if (req.headers.authorization !== accept) return res.writeHead(401).end();
        return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'the-token' }));
      }
      const authorised =
        options.auth === undefined || options.auth === 'none' || (options.auth === 'basic' ? req.headers.authorization === accept : req.headers.authorization === 'Bearer the-token');
      if (!authorised) {
        const port = (server.address() as AddressInfo).port;
        const challenge = options.auth === 'basic' ? 'Basic realm="fake"' : `Bearer realm="http://127.0.0.1:${port}/token",service="fake"`;
        return res.writeHead(401, { 'www-authenticate': challenge }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      }
      if (options.forbid) return res.writeHead(403).end('{"errors":[{"code":"DENIED"}]}');
      let match: RegExpExecArray | null;
      if ((match = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url.pathname)) && req.method === 'HEAD') {
        return res.writeHead(blobs.has(match[2]!) ? 200 : 404).end();
      }
      if (/^\/v2\/(.+)\/blobs\/uploads\/$/.test(url.pathname) && req.method === 'POST') {
        return res.writeHead(202, { location: `${options.uploadOrigin ?? ''}/v2/upload/${blobs.size}?state=abc` }).end();
      }
      if (url.pathname.startsWith('/v2/upload/') && req.method === 'PUT') {
        const digest = url.searchParams.get('digest')!;
        if (`sha256:${createHash('sha256').update(body).digest('hex')}` !== digest) return res.writeHead(400).end('{"errors":[{"code":"DIGEST_INVALID"}]}');
        blobs.set(digest, body);
        return res.writeHead(201, { 'docker-content-digest': digest }).end();
      }
      if ((match = /^\/v2\/(.+)\/manifests\/(.+)$/.exec(url.pathname)) && req.method === 'PUT') {
        manifests.set(match[2]!, body);
        const digest = options.lieAboutManifest ?? `sha256:${createHash('sha256').update(body).digest('hex')}`;
        return res.writeHead(201, { 'docker-content-digest': digest }).end();
      }
      return res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, blobs, manifests, requests, tokens };
}

async function layout(t: { teardown(fn: () => unknown): void }): Promise<{ dir: string; image: OciImageWritten }> {
  const dir = path.join(await tempDir(t), 'layout');
  const image = await writeOciLayout(dir, {
    platform: { architecture: 'amd64', os: 'linux' },
    runtime: { user: '65534:65534', env: ['PATH=/usr/local/go/bin'], workingDir: '/work/src', labels: {} },
    layers: [[{ type: 'directory', path: 'tmp', mode: 0o1777 }, { type: 'file', path: 'hello', mode: 0o644, content: 'hello\n' }]],
    annotations: { [ANNOTATION_REF_NAME]: 'go1.26.8-0123456789abcdef' },
  });
  return { dir, image };
}

const CREDENTIALS = { username: 'ci-bot', password: 'secret', source: '/tmp/docker/config.json' };

test('parseRegistry: host[:port] is HTTPS, http:// must be asked for, nothing may follow the host', (t) => {
  t.deepEqual(parseRegistry('registry.example.internal:5000'), { baseUrl: 'https://registry.example.internal:5000', host: 'registry.example.internal:5000' });
  t.deepEqual(parseRegistry('http://127.0.0.1:5000'), { baseUrl: 'http://127.0.0.1:5000', host: '127.0.0.1:5000' });
  for (const bad of ['registry.example.internal/team', 'ftp://x', 'https://u:p@x', 'http://x:5000/v2/', '']) {
    t.throws(() => parseRegistry(bad), { instanceOf: InputError }, bad);
  }
});

test('a push without authentication: blobs with their length, then the manifest by digest and by tag', async (t) => {
  const registry = await fakeRegistry(t);
  const { dir, image } = await layout(t);
  const pushed = await pushImage({ registry: registry.url, repository: 'team/airlock-sandbox', archiveOrLayout: dir });
  const host = registry.url.slice('http://'.length);
  t.deepEqual(pushed, {
    reference: `${host}/team/airlock-sandbox@${image.manifest.digest}`,
    digest: image.manifest.digest,
    tag: 'go1.26.8-0123456789abcdef',
    uploaded: [image.config.digest, image.layers[0]!.digest],
    present: [],
  });
  const uploads = registry.requests.filter((r) => r.method === 'PUT' && r.url.startsWith('/v2/upload/'));
  t.deepEqual(uploads.map((r) => r.contentLength), [String(image.config.size), String(image.layers[0]!.size)], 'monolithic uploads with Content-Length, not chunked');
  t.true(uploads.every((r) => r.transferEncoding === undefined));
  t.deepEqual([...registry.manifests.keys()], [image.manifest.digest, 'go1.26.8-0123456789abcdef']);

  const again = await pushImage({ registry: registry.url, repository: 'team/airlock-sandbox', archiveOrLayout: dir, tag: 'latest-build' });
  t.deepEqual(again.uploaded, []);
  t.deepEqual(again.present, [image.config.digest, image.layers[0]!.digest], 'blobs the registry holds are not sent again');
  t.is(again.tag, 'latest-build');
});

test('an archive is pushed like its layout', async (t) => {
  const registry = await fakeRegistry(t);
  const { dir, image } = await layout(t);
  const archive = path.join(path.dirname(dir), 'image.tar');
  await packOciArchive(dir, archive);
  const pushed = await pushImage({ registry: registry.url, repository: 'airlock-sandbox', archiveOrLayout: archive });
  t.is(pushed.digest, image.manifest.digest);
  t.is(registry.blobs.size, 2);
});

test('the Bearer flow: the token service is asked for the push scope with Basic credentials, then the token is sent', async (t) => {
  const registry = await fakeRegistry(t, { auth: 'bearer' });
  const { dir } = await layout(t);
  await pushImage({ registry: registry.url, repository: 'team/airlock-sandbox', archiveOrLayout: dir, credentials: CREDENTIALS });
  t.deepEqual(registry.tokens, ['?service=fake&scope=repository%3Ateam%2Fairlock-sandbox%3Apull%2Cpush']);
  t.true(registry.requests.filter((r) => r.url.startsWith('/v2/')).slice(1).every((r) => r.authorization === 'Bearer the-token'), 'every request after the challenge carries the token');
});

test('Basic authentication is answered with the credentials', async (t) => {
  const registry = await fakeRegistry(t, { auth: 'basic' });
  const { dir, image } = await layout(t);
  const pushed = await pushImage({ registry: registry.url, repository: 'airlock-sandbox', archiveOrLayout: dir, credentials: CREDENTIALS });
  t.is(pushed.digest, image.manifest.digest);
});

test('no credentials, wrong credentials and no permission are input errors (exit 2) naming the registry', async (t) => {
  const { dir } = await layout(t);
  for (const auth of ['basic', 'bearer'] as const) {
    const registry = await fakeRegistry(t, { auth });
    const host = registry.url.slice('http://'.length);
    const none = await t.throwsAsync(pushImage({ registry: registry.url, repository: 'airlock-sandbox', archiveOrLayout: dir, credentialsFile: '/ci/.docker/config.json' }), { instanceOf: InputError });
    t.is(none?.exitCode, ExitCode.badInput);
    t.is(none?.message, `the registry ${host} asks for credentials to push to airlock-sandbox, and /ci/.docker/config.json has none for it`);
    t.regex(none?.hint ?? '', new RegExp(`docker login ${host.replace(/\./g, '\\.')}`));
    const wrong = await t.throwsAsync(pushImage({ registry: registry.url, repository: 'airlock-sandbox', archiveOrLayout: dir, credentials: { ...CREDENTIALS, password: 'wrong' } }), { instanceOf: InputError });
    t.is(wrong?.message, `the registry ${host} refused the credentials of ci-bot from /tmp/docker/config.json`);
  }
  const forbidden = await fakeRegistry(t, { forbid: true });
  const error = await t.throwsAsync(pushImage({ registry: forbidden.url, repository: 'airlock-sandbox', archiveOrLayout: dir, credentials: CREDENTIALS }), { instanceOf: InputError });
  t.regex(error?.message ?? '', /does not let ci-bot push to airlock-sandbox/);
});

test('a registry that does not answer is an engine error (exit 5) with a hint', async (t) => {
  const { dir } = await layout(t);
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const error = await t.throwsAsync(pushImage({ registry: `http://127.0.0.1:${port}`, repository: 'airlock-sandbox', archiveOrLayout: dir }), { instanceOf: EngineError });
  t.is(error?.exitCode, ExitCode.engineUnavailable);
  t.is(error?.message, `the registry 127.0.0.1:${port} does not answer: ECONNREFUSED`);
  t.regex(error?.hint ?? '', /--registry/);
});

test('a registry that stores another manifest than the one sent is refused', async (t) => {
  const registry = await fakeRegistry(t, { lieAboutManifest: `sha256:${'0'.repeat(64)}` });
  const { dir } = await layout(t);
  await t.throwsAsync(pushImage({ registry: registry.url, repository: 'airlock-sandbox', archiveOrLayout: dir }), { instanceOf: EngineError, message: /stored the manifest .* as sha256:0000/ });
});

test('an upload on another host is sent there without this registry\'s credentials', async (t) => {
  const storage = await fakeRegistry(t);
  const registry = await fakeRegistry(t, { auth: 'basic', uploadOrigin: storage.url });
  const { dir } = await layout(t);
  await pushImage({ registry: registry.url, repository: 'airlock-sandbox', archiveOrLayout: dir, credentials: CREDENTIALS });
  t.is(storage.blobs.size, 2);
  t.true(storage.requests.every((r) => r.authorization === undefined));
});

test('a path that is not an image layout or archive is an input error', async (t) => {
  const dir = await tempDir(t);
  await t.throwsAsync(pushImage({ registry: 'http://127.0.0.1:1', repository: 'sandbox', archiveOrLayout: path.join(dir, 'missing') }), { instanceOf: InputError, message: /does not exist/ });
  const notTar = path.join(dir, 'not.tar');
  await fs.writeFile(notTar, 'not a tar');
  await t.throwsAsync(pushImage({ registry: 'http://127.0.0.1:1', repository: 'sandbox', archiveOrLayout: notTar }), { instanceOf: InputError, message: /is not an image airlock can push/ });
  await t.throwsAsync(pushImage({ registry: 'http://127.0.0.1:1', repository: 'sandbox', archiveOrLayout: dir }), { instanceOf: InputError, message: /is not an image airlock can push/ });
});

test('bad repository names and tags are refused before anything is sent', async (t) => {
  const { dir } = await layout(t);
  await t.throwsAsync(pushImage({ registry: 'http://127.0.0.1:1', repository: 'Team/Sandbox', archiveOrLayout: dir }), { instanceOf: InputError, message: /not a repository name/ });
  await t.throwsAsync(pushImage({ registry: 'http://127.0.0.1:1', repository: 'sandbox', archiveOrLayout: dir, tag: '-x' }), { instanceOf: InputError, message: /not a valid tag/ });
});
