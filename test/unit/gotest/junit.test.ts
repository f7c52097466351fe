import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import test, { type ExecutionContext } from 'ava';

import { junitTimestamp, junitXml, junitXmlOfRuns } from '../../../src/gotest/junit.js';
import { parseTestEvents } from '../../../src/gotest/test-events.js';
import { type TestRunSummary, summarizeTestRun } from '../../../src/gotest/test-run.js';
import { FIXTURES, GO_VERSIONS, TEST_STREAMS, readStream, summaryOf, vetReportOf } from '../../helpers/go-test-fixtures.js';
import { xmlProblems } from '../../helpers/xml-well-formed.js';

// AIRLOCK_WRITE_GOLDEN=1 rewrites the golden files instead of comparing (after a deliberate change; review the diff).
const WRITE_GOLDEN = process.env.AIRLOCK_WRITE_GOLDEN === '1';

function matchesGolden(t: ExecutionContext, xml: string, name: string): void {
  const file = path.join(FIXTURES, `${name}.junit.xml`);
  if (WRITE_GOLDEN) writeFileSync(file, xml);
  t.deepEqual(xmlProblems(xml), [], `${name}: well-formed`);
  t.is(xml, readFileSync(file, 'utf8'), `${name}: equal to ${path.basename(file)}`);
}

/** The testcase elements of each testsuite, as the suite's tests attribute must count them. */
function suiteCounts(xml: string): Array<{ declared: number; cases: number; failures: number; errors: number; skipped: number; declaredFailures: number; declaredErrors: number; declaredSkipped: number }> {
  return [...xml.matchAll(/<testsuite name="[^"]*" tests="(\d+)" failures="(\d+)" errors="(\d+)" skipped="(\d+)"[^>]*?(?:\/>|>([\s\S]*?)<\/testsuite>)/g)].map((match) => {
    const body = match[5] ?? '';
    return {
      declared: Number(match[1]),
      cases: (body.match(/<testcase /g) ?? []).length,
      declaredFailures: Number(match[2]),
      failures: (body.match(/<failure /g) ?? []).length,
      declaredErrors: Number(match[3]),
      errors: (body.match(/<error /g) ?? []).length,
      declaredSkipped: Number(match[4]),
      skipped: (body.match(/<skipped>/g) ?? []).length,
    };
  });
}

function countsAgree(t: ExecutionContext, xml: string): void {
  for (const suite of suiteCounts(xml)) {
    t.is(suite.declared, suite.cases);
    t.is(suite.declaredFailures, suite.failures);
    t.is(suite.declaredErrors, suite.errors);
    t.is(suite.declaredSkipped, suite.skipped);
  }
}

for (const version of GO_VERSIONS) {
  for (const name of TEST_STREAMS) {
    test(`${name} ${version}: JUnit equal to its golden file, well-formed, counts agreeing with the cases`, (t) => {
      const xml = junitXml(summaryOf(name, version));
      matchesGolden(t, xml, `${name}.${version}`);
      countsAgree(t, xml);
    });
  }
}

test('go test with go vet -json findings: a [vet] case per package and analyzer, in the package suite', (t) => {
  const xml = junitXml(summaryOf('vet-failed', 'go1.26.8', { vet: vetReportOf('go-vet-findings', 'go1.26.8') }));
  matchesGolden(t, xml, 'vet-failed+go-vet-findings.go1.26.8');
  countsAgree(t, xml);
  t.regex(xml, /<testcase classname="example\.com\/vetfail\/printer" name="\[vet\] printf">\n {6}<failure message="2 vet findings" type="vet">printer\/printer\.go:7:22: fmt\.Sprintf format %s/);
});

test('go vet that failed outright: a [go vet] suite with a [vet failed] error', (t) => {
  const xml = junitXml(summaryOf('build-failed', 'go1.27.3', { vet: vetReportOf('go-vet-type-error', 'go1.27.3') }));
  matchesGolden(t, xml, 'build-failed+go-vet-type-error.go1.27.3');
  t.regex(xml, /<testsuite name="\[go vet\]" tests="1" failures="0" errors="1"/);
});

test('two toolchains in one file: the classname suffix keeps their tests apart', (t) => {
  const runs = GO_VERSIONS.map((version) => ({ summary: summaryOf('failing', version), classnameSuffix: ` [${version} linux/amd64]` }));
  const xml = junitXmlOfRuns(runs);
  matchesGolden(t, xml, 'failing.two-toolchains');
  const keys = [...xml.matchAll(/<testcase classname="([^"]*)" name="([^"]*)"/g)].map((match) => `${match[1]}#${match[2]}`);
  t.is(keys.length, 16);
  t.is(new Set(keys).size, 16, 'no two cases share classname and name');
  t.true(keys.includes('example.com/failing [go1.26.8 linux/amd64]#TestSub/bad'));
  t.regex(xml, /<testsuite name="example\.com\/failing \[go1\.27\.3 linux\/amd64\]"/);
  t.is(junitXml(summaryOf('failing', 'go1.26.8'), { classnameSuffix: ' [x]' }).match(/classname="example\.com\/failing \[x\]"/g)?.length, 8);
});

test('hostile text: forbidden characters become U+FFFD, markup is escaped, ]]> is harmless', (t) => {
  const xml = junitXml(summaryOf('hostile', 'go1.27.3'));
  t.deepEqual(xmlProblems(xml), []);
  t.true(xml.includes('esc \uFFFD[31mred\uFFFD[0m bel \uFFFD nul \uFFFD end'));
  t.true(xml.includes('cdata end ]]&gt; and &lt;tag attr="v"&gt; &amp; \'quote\''));
  t.true(xml.includes('a noncharacter \uFFFD \uFFFD and U+2028 \u2028'));
  t.true(xml.includes('name="TestControlNames/tab_here_&lt;and&gt;_\\x01_&amp;_&quot;quotes&quot;"'));
  // Go 1.27 marks t.Error's lines: the first is the failure's message.
  t.regex(xml, /<failure message="hostile_test\.go:14: failing with \uFFFD\]0;title\uFFFD and \uFFFD" type="">/);
});

test('a passing test shows its own output, not the framing lines; a silent one has no system-out', (t) => {
  const xml = junitXml(summaryOf('passing', 'go1.26.8'));
  t.regex(xml, /<testcase classname="example\.com\/passing\/calc" name="TestAdd" time="0\.000">\n {6}<system-out> {4}calc_test\.go:11: adding 2 and 2<\/system-out>/);
  t.regex(xml, /<testcase classname="example\.com\/passing\/calc" name="TestTable" time="0\.000"\/>/);
});

test('the output is deterministic, and the timestamp option stands in for a stream without times', (t) => {
  const summary = summaryOf('failing', 'go1.26.8');
  t.is(junitXml(summary), junitXml(summaryOf('failing', 'go1.26.8')));
  // A cached result carries no Time: what the go command replays then.
  const withoutTimes = readStream('failing', 'go1.26.8').replace(/"Time":"[^"]*",/g, '');
  const untimed = summarizeTestRun(parseTestEvents(withoutTimes));
  t.notRegex(junitXml(untimed), /timestamp=/);
  t.regex(junitXml(untimed, { timestamp: '2026-12-07T13:14:15.5+01:00' }), /timestamp="2026-12-07T12:14:15"/);
});

test('junitTimestamp: RFC 3339 to UTC seconds; anything else is left out', (t) => {
  t.is(junitTimestamp('2026-12-07T12:04:49.486381473Z'), '2026-12-07T12:04:49');
  t.is(junitTimestamp('2026-12-07T00:30:00-02:00'), '2026-12-07T02:30:00');
  t.is(junitTimestamp('2026-12-07 12:04:49Z'), undefined);
  t.is(junitTimestamp('"><x/>'), undefined);
  t.is(junitTimestamp(''), undefined);
});

test('each text is capped with a visible marker', (t) => {
  const xml = junitXml(summaryOf('timeout', 'go1.26.8'), { maxTextBytes: 600 });
  t.deepEqual(xmlProblems(xml), []);
  t.regex(xml, /<error message="unfinished" type="unfinished">\[the test did not finish: the test binary hit -timeout\]\n=== RUN {3}TestHang\/sleeps\n[^<]*\[\.\.\. \d+ bytes cut\]\n[^<]*<\/error>/);
  for (const match of xml.matchAll(/<error [^>]*>([^<]*)<\/error>/g)) t.true(Buffer.byteLength(match[1]!) < 900);
});

function manyTests(count: number): TestRunSummary {
  const lines = [JSON.stringify({ Action: 'start', Package: 'example.com/big' })];
  for (let index = 0; index < count; index++) {
    const name = `TestCase${index}`;
    lines.push(JSON.stringify({ Action: 'run', Package: 'example.com/big', Test: name }));
    lines.push(JSON.stringify({ Action: 'output', Package: 'example.com/big', Test: name, Output: `    big_test.go:1: ${'z'.repeat(3000)}\n` }));
    lines.push(JSON.stringify({ Action: index % 2 === 0 ? 'fail' : 'pass', Package: 'example.com/big', Test: name, Elapsed: 0.01 }));
  }
  lines.push(JSON.stringify({ Action: 'fail', Package: 'example.com/big', Elapsed: 1 }));
  return summarizeTestRun(parseTestEvents(lines.join('\n')));
}

test('a file over its cap first loses text, then test cases, and says so; it stays within the cap', (t) => {
  const summary = manyTests(400);
  const full = junitXml(summary);
  t.true(Buffer.byteLength(full) > 1_000_000);

  // Texts shrink: every case is still there.
  const shrunk = junitXml(summary, { maxFileBytes: 200_000 });
  t.true(Buffer.byteLength(shrunk) <= 200_000);
  t.regex(shrunk, /z+\n\[\.\.\. \d+ bytes cut\]\nz+/);
  t.is(shrunk.match(/<testcase /g)?.length, 400);
  t.deepEqual(xmlProblems(shrunk), []);

  // Cases go, and one case says how many.
  const cut = junitXml(summary, { maxFileBytes: 20_000 });
  t.true(Buffer.byteLength(cut) <= 20_000, `${Buffer.byteLength(cut)} bytes`);
  t.deepEqual(xmlProblems(cut), []);
  countsAgree(t, cut);
  t.regex(cut, /name="\[report cut\]">\n {6}<error message="report cut" type="cut">\[\.\.\. \d+ bytes cut\]: \d+ test cases of this package did not fit in the report/);
});

test('a file cut across packages ends with a suite that says how many packages went', (t) => {
  const many = Array.from({ length: 300 }, () => summaryOf('failing', 'go1.26.8')).map((summary, index) => ({ summary, classnameSuffix: ` [run ${index}]` }));
  const xml = junitXmlOfRuns(many, { maxFileBytes: 30_000 });
  t.true(Buffer.byteLength(xml) <= 30_000);
  t.deepEqual(xmlProblems(xml), []);
  countsAgree(t, xml);
  t.regex(xml, /<testsuite name="\[report cut\]" tests="1" failures="0" errors="1"[^>]*>\n {4}<testcase classname="\[report cut\]" name="\[report cut\]">\n {6}<error message="report cut" type="cut">\[\.\.\. \d+ bytes cut\]: \d+ test cases of \d+ more packages did not fit/);
});
