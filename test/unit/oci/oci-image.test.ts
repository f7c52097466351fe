import test from 'ava';

import { OciMediaType, imageConfig, imageIndex, imageManifest, isSha256Digest, jsonBlob } from '../../../src/oci/oci-image.js';

const LAYER = { mediaType: OciMediaType.layer, digest: `sha256:${'a'.repeat(64)}`, size: 1024 };
const RUNTIME = { user: '65534:65534', env: ['PATH=/usr/local/go/bin'], workingDir: '/work/src', labels: { 'airlock.managed': 'true', 'airlock.b': '2', 'airlock.a': '1' } };

test('the config, manifest and index are canonical JSON: sorted keys, no spaces, no time, the same bytes every time (golden)', (t) => {
  const config = imageConfig({ architecture: 'arm64', os: 'linux' }, RUNTIME, [LAYER.digest]);
  const manifest = imageManifest(config.descriptor, [LAYER]);
  const index = imageIndex([{ ...manifest.descriptor, platform: { architecture: 'arm64', os: 'linux' }, annotations: { 'org.opencontainers.image.ref.name': 'go1.26.8-0123456789abcdef' } }]);
  for (const blob of [config, manifest, index]) {
    const text = blob.bytes.toString('utf8');
    t.is(text, JSON.stringify(JSON.parse(text)), 'no insignificant whitespace');
    t.notRegex(text, /created|history/);
    t.true(isSha256Digest(blob.descriptor.digest));
    t.is(blob.descriptor.size, blob.bytes.length);
  }
  t.is(
    config.bytes.toString(),
    '{"architecture":"arm64","config":{"Env":["PATH=/usr/local/go/bin"],"Labels":{"airlock.a":"1","airlock.b":"2","airlock.managed":"true"},"User":"65534:65534","WorkingDir":"/work/src"},"os":"linux","rootfs":{"diff_ids":["sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],"type":"layers"}}',
  );
  t.snapshot({ config: config.bytes.toString(), manifest: manifest.bytes.toString(), index: index.bytes.toString() }, 'documents');
  t.snapshot([config.descriptor, manifest.descriptor, index.descriptor], 'descriptors');
  t.deepEqual(imageManifest(config.descriptor, [LAYER]).bytes, manifest.bytes);
});

test('the manifest names its config and layers by media type, digest and size only', (t) => {
  const config = jsonBlob(OciMediaType.config, { x: 1 });
  const manifest = JSON.parse(imageManifest({ ...config.descriptor, annotations: { a: 'b' }, platform: { architecture: 'amd64', os: 'linux' } }, [LAYER]).bytes.toString()) as Record<string, unknown>;
  t.deepEqual(manifest, { config: config.descriptor, layers: [LAYER], mediaType: OciMediaType.manifest, schemaVersion: 2 });
});
