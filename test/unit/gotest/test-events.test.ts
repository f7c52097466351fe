import test from 'ava';

import { TEST_ACTIONS, eventsOf, parseTestEvents } from '../../../src/gotest/test-events.js';
import { GO_VERSIONS, TEST_STREAMS, readStream } from '../../helpers/go-test-fixtures.js';

test('every captured go test stream parses into events only, one per line (the merged one aside)', (t) => {
  for (const version of GO_VERSIONS) {
    for (const name of TEST_STREAMS) {
      if (name === 'build-failed-stderr-merged') continue;
      const text = readStream(name, version);
      const stream = parseTestEvents(text);
      const lines = text.split('\n').filter((line) => line !== '').length;
      t.is(stream.entries.length, lines, `${name} ${version}`);
      t.true(
        stream.entries.every((entry) => entry.kind === 'event'),
        `${name} ${version}: no raw text`,
      );
      t.is(stream.cutBytes, 0);
      t.is(stream.unknownActions, 0);
    }
  }
});

test('the fields of real events: package, test, elapsed, output, OutputType, FailedBuild, build events, attr, artifacts', (t) => {
  const passing = eventsOf(parseTestEvents(readStream('passing', 'go1.27.3')));
  t.deepEqual(passing[0], { action: 'start', time: '2026-12-07T12:08:13.662972098Z', package: 'example.com/passing/calc' });
  const frame = passing.find((event) => event.action === 'output' && event.test === 'TestAdd');
  t.deepEqual(frame, {
    action: 'output',
    time: frame!.time!,
    package: 'example.com/passing/calc',
    test: 'TestAdd',
    output: '=== RUN   TestAdd\n',
    outputType: 'frame',
  });
  t.deepEqual(
    passing.filter((event) => event.action === 'attr').map(({ key, value, test: name }) => ({ key, value, name })),
    [{ key: 'issue', value: '42', name: 'TestAttr' }],
  );
  const artifacts = passing.find((event) => event.action === 'artifacts');
  t.is(artifacts?.test, 'TestArtifact');
  // go1.27.3 names the directory after the package and test (go1.26.8 used a number alone).
  t.is(artifacts?.path, '/tmp/wt-gotest-artifacts/_artifacts/calc/TestArtifact/1201102566');
  const packagePass = passing.filter((event) => event.action === 'pass' && event.test === undefined);
  t.deepEqual(
    packagePass.map((event) => event.package),
    ['example.com/passing/calc', 'example.com/passing/words'],
  );
  t.true(packagePass.every((event) => typeof event.elapsed === 'number'));

  const build = eventsOf(parseTestEvents(readStream('build-failed', 'go1.26.8')));
  t.deepEqual(build[0], {
    action: 'build-output',
    importPath: 'example.com/buildfail/broken [example.com/buildfail/broken.test]',
    output: '# example.com/buildfail/broken [example.com/buildfail/broken.test]\n',
  });
  t.deepEqual(build[3], { action: 'build-fail', importPath: 'example.com/buildfail/broken [example.com/buildfail/broken.test]' });
  const fail = build.find((event) => event.action === 'fail');
  t.is(fail?.failedBuild, 'example.com/buildfail/broken [example.com/buildfail/broken.test]');
  t.is(fail?.elapsed, 0);
});

test('every action a real stream uses is one the parser knows', (t) => {
  const seen = new Set<string>();
  for (const version of GO_VERSIONS) for (const name of TEST_STREAMS) for (const event of eventsOf(parseTestEvents(readStream(name, version)))) seen.add(event.action);
  t.deepEqual(
    [...seen].sort(),
    ['artifacts', 'attr', 'build-fail', 'build-output', 'cont', 'fail', 'output', 'pass', 'pause', 'run', 'skip', 'start'],
  );
  t.true([...seen].every((action) => (TEST_ACTIONS as readonly string[]).includes(action)));
});

test('stderr merged into the stream stays raw text, in its place, attributed to no package', (t) => {
  const stream = parseTestEvents(readStream('build-failed-stderr-merged', 'go1.26.8'));
  const texts = stream.entries.flatMap((entry) => (entry.kind === 'text' ? [entry.text] : []));
  t.deepEqual(texts, [
    '# example.com/buildfail/broken [example.com/buildfail/broken.test]\n',
    'broken/broken_test.go:6:17: cannot use Two() (value of type int) as string value in variable declaration\n',
    'broken/broken_test.go:7:6: undefined: undefinedHelper\n',
  ]);
  t.is(stream.entries[0]!.kind, 'text');
  t.is(eventsOf(stream).length, 11);
});

test('a stream cut in the middle of a line keeps the cut line as text', (t) => {
  const text = readStream('failing', 'go1.26.8');
  const cutAt = text.indexOf('"Action":"fail"');
  const stream = parseTestEvents(text.slice(0, cutAt + 5));
  const last = stream.entries.at(-1)!;
  t.is(last.kind, 'text');
  t.true(last.kind === 'text' && last.text.endsWith('"Acti\n'));
  t.is(eventsOf(stream).filter((event) => event.action === 'fail').length, 0);
});

test('fields of the wrong type are dropped, lines that are not an object with a string Action are text, unknown actions are counted', (t) => {
  const stream = parseTestEvents(
    [
      '{"Action":"run","Package":7,"Test":"TestA","Elapsed":"1"}',
      '{"Action":"pass","Package":"p","Test":"TestA","Elapsed":-1,"Output":null}',
      '{"Action":"pass","Package":"p","Elapsed":1e999}',
      '{"Action":42}',
      '[1,2]',
      'null',
      '{"Action":"future-thing","Package":"p"}',
      '{"Action":"output","Package":"p","__proto__":{"polluted":true},"Output":"x\\n"}',
      '',
    ].join('\n'),
  );
  t.deepEqual(stream.entries, [
    { kind: 'event', event: { action: 'run', test: 'TestA' } },
    { kind: 'event', event: { action: 'pass', package: 'p', test: 'TestA' } },
    { kind: 'event', event: { action: 'pass', package: 'p' } },
    { kind: 'text', text: '{"Action":42}\n' },
    { kind: 'text', text: '[1,2]\n' },
    { kind: 'text', text: 'null\n' },
    { kind: 'event', event: { action: 'output', package: 'p', output: 'x\n' } },
  ]);
  t.is(stream.unknownActions, 1);
  t.is(({} as Record<string, unknown>).polluted, undefined);
});

test('output past the stream cap is counted, not kept; the events stay', (t) => {
  const text = readStream('hostile', 'go1.26.8');
  const full = parseTestEvents(text);
  const capped = parseTestEvents(text, { maxRetainedBytes: 2000 });
  t.is(eventsOf(capped).length, eventsOf(full).length);
  const kept = eventsOf(capped).reduce((sum, event) => sum + Buffer.byteLength(event.output ?? ''), 0);
  const all = eventsOf(full).reduce((sum, event) => sum + Buffer.byteLength(event.output ?? ''), 0);
  t.true(kept <= 2000);
  t.is(capped.cutBytes, all - kept);
  t.true(capped.cutBytes > 10_000);
});

test('a name longer than the cap is cut with a marker', (t) => {
  const stream = parseTestEvents(JSON.stringify({ Action: 'run', Package: 'p', Test: `Test${'x'.repeat(10_000)}` }), { maxNameBytes: 256 });
  const name = eventsOf(stream)[0]!.test!;
  t.true(Buffer.byteLength(name) <= 256);
  t.regex(name, /\[\.\.\. \d+ bytes cut\]/);
});
