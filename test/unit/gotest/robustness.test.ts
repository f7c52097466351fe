/**
 * The gotest parsers read what came out of a sandbox: whatever the bytes, they return (never throw), what
 * they keep stays within its caps, and the JUnit file made of it is well-formed XML 1.0.
 */
import { readFileSync } from 'node:fs';

import test from 'ava';
import * as fc from 'fast-check';

import { junitXml } from '../../../src/gotest/junit.js';
import { testTableRows } from '../../../src/gotest/summary-table.js';
import { parseTestEvents } from '../../../src/gotest/test-events.js';
import { summarizeTestRun } from '../../../src/gotest/test-run.js';
import { parseVetReport } from '../../../src/gotest/vet-report.js';
import { GO_VERSIONS, TEST_STREAMS, VET_OUTPUTS, fixturePath, readStream } from '../../helpers/go-test-fixtures.js';
import { assertProperty } from '../../helpers/properties.js';
import { jsonMutationsOf, textMutationsOf } from '../../helpers/robustness-macros.js';
import { AWKWARD_TEXT, arbitraryText } from '../../helpers/robustness.js';
import { xmlProblems } from '../../helpers/xml-well-formed.js';

const REAL_STREAMS = GO_VERSIONS.flatMap((version) => TEST_STREAMS.map((name) => readStream(name, version)));
// Single events of the real streams, for the JSON mutations (which mutate one JSON document).
const REAL_EVENTS = REAL_STREAMS.flatMap((text) => text.split('\n').filter((line) => line.startsWith('{'))).filter((_, index) => index % 7 === 0);
const REAL_VET = GO_VERSIONS.flatMap((version) => VET_OUTPUTS.map((name) => readFileSync(fixturePath(name, version, 'json'), 'utf8'))).filter((text) => text !== '');
// vet writes one JSON object per package; the JSON mutations take one document at a time.
const REAL_VET_OBJECTS = REAL_VET.flatMap((text) => text.split(/\n(?=\{)/));

const TOKENS = ['{"Action":"', 'run', 'pass', 'fail', 'output', 'skip', 'build-output', '","Package":"p', '","Test":"T', '/', '","Output":"', '\\u0000', '\\ud800', '"}', '\n', '"Elapsed":1e999', 'null', ']]>', '&', '<', '\u0000', '\u001b'];

/** Everything the pipeline makes of TEXT, checked: no throw, caps kept, a well-formed report. */
function pipelineHolds(text: string, vetText: string): boolean {
  const stream = parseTestEvents(text, { maxRetainedBytes: 20_000 });
  const vet = parseVetReport({ stdout: vetText, stderr: text.slice(0, 100), exitCode: text.length % 3 }, { maxTextBytes: 500 });
  const summary = summarizeTestRun(stream, { vet, limits: { maxTestOutputBytes: 300, maxPackageOutputBytes: 300, maxStrayTextBytes: 300 } });
  for (const pkg of summary.packages) for (const result of pkg.tests) if (Buffer.byteLength(result.output) > 300 + 60) throw new Error(`test output over its cap: ${result.output.length}`);
  const xml = junitXml(summary, { maxFileBytes: 40_000, timestamp: '2026-12-07T12:00:00Z' });
  const problems = xmlProblems(xml);
  if (problems.length > 0) throw new Error(`not well-formed: ${problems.join('; ')}`);
  if (Buffer.byteLength(xml) > 40_000) throw new Error(`over the file cap: ${Buffer.byteLength(xml)}`);
  testTableRows(summary);
  return true;
}

test('random text never throws and always makes a well-formed report', (t) => {
  assertProperty(
    t,
    fc.property(arbitraryText(TOKENS), arbitraryText(['{', '}', '[', ']', '"', 'posn', 'message', '# p', '\n']), pipelineHolds),
    { numRuns: 300 },
  );
});

test('mutated real streams and vet output never throw and always make a well-formed report', (t) => {
  assertProperty(
    t,
    fc.property(textMutationsOf(REAL_STREAMS, [...TOKENS, ...AWKWARD_TEXT]), textMutationsOf(REAL_VET, ['{', '}', '"error"']), pipelineHolds),
    { numRuns: 150 },
  );
});

test('real events with hostile values never throw and always make a well-formed report', (t) => {
  assertProperty(
    t,
    fc.property(fc.array(jsonMutationsOf(REAL_EVENTS), { minLength: 1, maxLength: 20 }), jsonMutationsOf(REAL_VET_OBJECTS), (events, vet) => pipelineHolds(events.map((event) => event.replace(/\n/g, ' ')).join('\n'), vet)),
    { numRuns: 150 },
  );
});
