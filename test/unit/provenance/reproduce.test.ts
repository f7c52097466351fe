import test from 'ava';
import { buildCacheVolume, sourceExcludes } from '../../../src/build-pipeline.js';
import { describeSourceChanges } from '../../../src/provenance/reproduce.js';

test('describeSourceChanges names changed, new and missing files, sorted', (t) => {
  const recorded = { 'main.go': 'a'.repeat(64), 'go.mod': 'b'.repeat(64), 'old.go': 'c'.repeat(64) };
  const current = { 'main.go': 'd'.repeat(64), 'go.mod': 'b'.repeat(64), 'new.go': 'e'.repeat(64) };
  t.deepEqual(describeSourceChanges(recorded, current), [
    `main.go changed (sha256 ${'a'.repeat(12)}… recorded, ${'d'.repeat(12)}… now)`,
    'new.go is new',
    'old.go is missing',
  ]);
  t.deepEqual(describeSourceChanges(recorded, { ...recorded }), []);
});

test('sourceExcludes names the output directory only when it lies inside the module', (t) => {
  t.deepEqual(sourceExcludes('/src/mod', '/src/mod/dist'), ['dist']);
  t.deepEqual(sourceExcludes('/src/mod', '/src/mod/out/release'), ['out/release']);
  t.deepEqual(sourceExcludes('/src/mod', '/tmp/release'), []);
  t.deepEqual(sourceExcludes('/src/mod', '/src/module-sibling'), []);
});

test('a build cache volume is per toolchain and module, and stable', (t) => {
  const a = buildCacheVolume('h1:AAA', 'example.com/hello');
  t.regex(a, /^airlock-gocache-[0-9a-f]{20}$/);
  t.is(buildCacheVolume('h1:AAA', 'example.com/hello'), a);
  t.not(buildCacheVolume('h1:BBB', 'example.com/hello'), a);
  t.not(buildCacheVolume('h1:AAA', 'example.com/other'), a);
});
