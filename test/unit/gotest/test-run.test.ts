import test from 'ava';

import { parseTestEvents } from '../../../src/gotest/test-events.js';
import { type PackageResult, type TestRunSummary, summarizeTestRun } from '../../../src/gotest/test-run.js';
import { GO_VERSIONS, readStream, summaryOf, vetReportOf } from '../../helpers/go-test-fixtures.js';

/** A package's tests as `name status` strings, in order. */
function testStatuses(pkg: PackageResult): string[] {
  return pkg.tests.map((result) => `${result.name} ${result.status}`);
}

function packageStatuses(summary: TestRunSummary): string[] {
  return summary.packages.map((pkg) => `${pkg.importPath} ${pkg.status}`);
}

for (const version of GO_VERSIONS) {
  test(`${version} passing: every test, subtest, example and benchmark passed; attributes kept`, (t) => {
    const summary = summaryOf('passing', version);
    t.is(summary.result, 'PASSED');
    t.deepEqual(summary.resultReasons, []);
    t.deepEqual(packageStatuses(summary), ['example.com/passing/calc passed', 'example.com/passing/words passed']);
    t.deepEqual(summary.counts, { total: 13, passed: 13, failed: 0, skipped: 0, unfinished: 0 });
    const calc = summary.packages[0]!;
    t.deepEqual(testStatuses(calc), [
      'TestAdd passed',
      'TestTable passed',
      'TestTable/small passed',
      'TestTable/large passed',
      'TestTable/with_space passed',
      'TestNested passed',
      'TestNested/outer passed',
      'TestNested/outer/inner passed',
      'TestAttr passed',
      'TestArtifact passed',
      'ExampleAdd passed',
      // No terminal event: the go command reports a benchmark's result as output. Its package passed.
      'BenchmarkAdd passed',
    ]);
    t.deepEqual(calc.tests.find((result) => result.name === 'TestAttr')!.attributes, [{ key: 'issue', value: '42' }]);
    t.regex(calc.tests[0]!.output, /calc_test\.go:\d+: adding 2 and 2\n/);
    t.is(calc.tests[0]!.elapsed, 0);
    t.true(calc.elapsed! > 0);
    t.is(calc.startTime?.slice(0, 11), '2026-12-07T');
    t.deepEqual(summary.passedTests.slice(0, 3), ['example.com/passing/calc#TestAdd', 'example.com/passing/calc#TestTable', 'example.com/passing/calc#TestTable/small']);
    t.is(summary.passedTests.length, 13);
    t.deepEqual(summary.failedTests, []);
    t.deepEqual(summary.warnedTests, []);
    t.is(summary.strayText, '');
  });

  test(`${version} failing: failed tests and subtests, parents failed with them`, (t) => {
    const summary = summaryOf('failing', version);
    t.is(summary.result, 'FAILED');
    t.deepEqual(summary.resultReasons, ['5 tests failed']);
    t.deepEqual(packageStatuses(summary), ['example.com/failing failed']);
    t.deepEqual(testStatuses(summary.packages[0]!), [
      'TestPasses passed',
      'TestFails failed',
      'TestSub failed',
      'TestSub/good passed',
      'TestSub/bad failed',
      'TestSub/deep failed',
      'TestSub/deep/bad failed',
      'TestSub/deep/good passed',
    ]);
    t.deepEqual(summary.failedTests, [
      'example.com/failing#TestFails',
      'example.com/failing#TestSub',
      'example.com/failing#TestSub/bad',
      'example.com/failing#TestSub/deep',
      'example.com/failing#TestSub/deep/bad',
    ]);
    t.deepEqual(summary.passedTests, ['example.com/failing#TestPasses', 'example.com/failing#TestSub/good', 'example.com/failing#TestSub/deep/good']);
    const fails = summary.packages[0]!.tests[1]!;
    t.regex(fails.output, /expected 1, got 2\n.*and a second complaint\n--- FAIL: TestFails/s);
    // Go 1.27 says which output lines are t.Error's.
    t.is(fails.firstError, version === 'go1.27.3' ? 'fail_test.go:8: expected 1, got 2' : undefined);
  });

  test(`${version} skips: skipped tests warn, a package without test files does not`, (t) => {
    const summary = summaryOf('skips', version);
    t.is(summary.result, 'WARNED');
    t.deepEqual(summary.resultReasons, ['2 tests skipped']);
    t.deepEqual(packageStatuses(summary), ['example.com/skips/notests skipped', 'example.com/skips/skipping passed']);
    t.true(summary.packages[0]!.noTestFiles);
    t.deepEqual(summary.packages[0]!.tests, []);
    t.deepEqual(summary.packageCounts, { passed: 1, failed: 0, skipped: 1, 'build-failed': 0, unfinished: 0 });
    t.deepEqual(testStatuses(summary.packages[1]!), [
      'TestSkipped skipped',
      'TestSomeSkipped passed',
      'TestSomeSkipped/runs passed',
      'TestSomeSkipped/skipped skipped',
      'TestRuns passed',
    ]);
    t.deepEqual(summary.warnedTests, ['example.com/skips/skipping#TestSkipped', 'example.com/skips/skipping#TestSomeSkipped/skipped']);
    t.deepEqual(summary.failedTests, []);
    t.regex(summary.packages[1]!.tests[0]!.output, /needs the network/);
  });

  test(`${version} panic: the panicking test failed, the tests after it are absent, the package is flagged`, (t) => {
    const summary = summaryOf('panic', version);
    t.is(summary.result, 'FAILED');
    t.deepEqual(summary.resultReasons, ['1 test failed', 'a panic stopped the tests of 1 package']);
    t.deepEqual(packageStatuses(summary), ['example.com/panics/boom failed', 'example.com/panics/fine passed']);
    const boom = summary.packages[0]!;
    t.deepEqual(testStatuses(boom), ['TestBefore passed', 'TestPanics failed']);
    t.true(boom.panicked);
    t.false(boom.timedOut);
    t.true(boom.tests[1]!.panicked);
    t.regex(boom.tests[1]!.output, /panic: assignment to entry in nil map/);
    t.deepEqual(summary.failedTests, ['example.com/panics/boom#TestPanics']);
  });

  test(`${version} timeout: the tests running at -timeout are unfinished, not passed`, (t) => {
    const summary = summaryOf('timeout', version);
    t.is(summary.result, 'FAILED');
    t.deepEqual(summary.resultReasons, ['2 tests did not finish', '1 package hit the test timeout']);
    t.deepEqual(packageStatuses(summary), ['example.com/timeout failed']);
    t.deepEqual(testStatuses(summary.packages[0]!), ['TestQuick passed', 'TestHang unfinished', 'TestHang/sleeps unfinished']);
    t.true(summary.packages[0]!.timedOut);
    t.is(summary.packages[0]!.tests[2]!.elapsed, undefined);
    t.regex(summary.packages[0]!.tests[2]!.output, /panic: test timed out after 2s/);
    t.deepEqual(summary.counts, { total: 3, passed: 1, failed: 0, skipped: 0, unfinished: 2 });
    t.deepEqual(summary.failedTests, ['example.com/timeout#TestHang', 'example.com/timeout#TestHang/sleeps']);
  });

  test(`${version} build failure: the compiler's text from the build events, the other package passed`, (t) => {
    const summary = summaryOf('build-failed', version);
    t.is(summary.result, 'FAILED');
    t.deepEqual(summary.resultReasons, ['1 package did not build']);
    t.deepEqual(packageStatuses(summary), ['example.com/buildfail/broken build-failed', 'example.com/buildfail/ok passed']);
    const broken = summary.packages[0]!;
    t.false(broken.failedVet);
    t.is(
      broken.buildOutput,
      [
        '# example.com/buildfail/broken [example.com/buildfail/broken.test]',
        'broken/broken_test.go:6:17: cannot use Two() (value of type int) as string value in variable declaration',
        'broken/broken_test.go:7:6: undefined: undefinedHelper',
        '',
      ].join('\n'),
    );
    t.deepEqual(summary.failedTests, ['example.com/buildfail/broken#[build failed]']);
    t.deepEqual(summary.passedTests, ['example.com/buildfail/ok#TestOK']);
  });

  test(`${version} build failure with the compiler's text on stderr, merged: still build-failed, the text is stray`, (t) => {
    const summary = summaryOf('build-failed-stderr-merged', version);
    t.deepEqual(packageStatuses(summary), ['example.com/buildfail/broken build-failed', 'example.com/buildfail/ok passed']);
    t.regex(summary.packages[0]!.buildOutput, /^FAIL\texample\.com\/buildfail\/broken \[build failed\]\n\[the stream holds no build output for this package/);
    t.regex(summary.strayText, /^# example\.com\/buildfail\/broken \[example\.com\/buildfail\/broken\.test\]\nbroken\/broken_test\.go:6:17: cannot use/);
    t.is(summary.result, 'FAILED');
  });

  test(`${version} a finding of go test's vet checks is a build failure flagged as vet`, (t) => {
    const summary = summaryOf('vet-failed', version);
    t.deepEqual(packageStatuses(summary), ['example.com/vetfail/clean passed', 'example.com/vetfail/printer build-failed']);
    const printer = summary.packages[1]!;
    t.true(printer.failedVet);
    t.regex(printer.buildOutput, /^# example\.com\/vetfail\/printer\n# \[example\.com\/vetfail\/printer\]\nprinter\/printer\.go:7:22: fmt\.Sprintf format %s has arg n of wrong type int\n/);
    t.deepEqual(summary.resultReasons, ['1 package failed the vet checks of go test']);
    t.deepEqual(summary.failedTests, ['example.com/vetfail/printer#[build failed]']);
  });

  test(`${version} go vet -json findings fail the run and are listed per package and analyzer`, (t) => {
    const summary = summaryOf('passing', version, { vet: vetReportOf('go-vet-findings', version) });
    t.is(summary.result, 'FAILED');
    t.deepEqual(summary.resultReasons, ['go vet found 2 problems']);
    t.deepEqual(summary.failedTests, ['example.com/vetfail/printer#[vet] printf']);
    t.is(summary.vetFindings.length, 2);

    const clean = summaryOf('passing', version, { vet: vetReportOf('go-vet-clean', version) });
    t.is(clean.result, 'PASSED');

    const broken = summaryOf('build-failed', version, { vet: vetReportOf('go-vet-type-error', version) });
    t.deepEqual(broken.resultReasons, ['1 package did not build', 'go vet failed']);
    t.deepEqual(broken.failedTests, ['example.com/buildfail/broken#[build failed]', '[go vet]#[vet failed]']);
    t.regex(broken.vetFailure ?? '', /vet: broken\/broken_test\.go:6:17: cannot use Two\(\)/);
  });

  test(`${version} hostile output and names are kept as go wrote them (escaping is the report's job)`, (t) => {
    const summary = summaryOf('hostile', version);
    t.deepEqual(testStatuses(summary.packages[0]!), [
      'TestHostileOutput failed',
      'TestControlNames passed',
      'TestControlNames/tab_here_<and>_\\x01_&_"quotes" skipped',
      'TestLoud passed',
    ]);
    const output = summary.packages[0]!.tests[0]!.output;
    t.true(output.includes('esc \u001b[31mred\u001b[0m bel \u0007 nul \u0000 end'));
    t.true(output.includes('invalid utf-8: \uFFFD\uFFFD\uFFFD and a noncharacter \uFFFE \uFFFF'));
    t.deepEqual(summary.warnedTests, ['example.com/hostile#TestControlNames/tab_here_<and>_\\x01_&_"quotes"']);
  });

  test(`${version} example-failed: an Example with wrong output failed, with got and want`, (t) => {
    const summary = summaryOf('example-failed', version);
    t.deepEqual(testStatuses(summary.packages[0]!), ['ExampleGreet failed', 'ExampleGreet_unordered passed']);
    t.regex(summary.packages[0]!.tests[0]!.output, /got:\nHello, world\nwant:\nHello, World\n/);
    t.deepEqual(summary.failedTests, ['example.com/example#ExampleGreet']);
  });

  test(`${version} -count=2: a test that failed once and passed once failed`, (t) => {
    const summary = summaryOf('flaky-count-2', version);
    t.deepEqual(testStatuses(summary.packages[0]!), ['TestFlaky failed', 'TestSteady passed']);
    t.is(summary.packages[0]!.tests[0]!.output.match(/=== RUN {3}TestFlaky\n/g)?.length, 2);
    t.regex(summary.packages[0]!.tests[0]!.output, /the first run fails/);
    t.deepEqual(summary.failedTests, ['example.com/flaky#TestFlaky']);
    t.deepEqual(summary.counts, { total: 2, passed: 1, failed: 1, skipped: 0, unfinished: 0 });
  });
}

test('a stream cut inside a test: the running tests and the package are unfinished', (t) => {
  const text = readStream('passing', 'go1.26.8');
  const cut = text.slice(0, text.indexOf('\n', text.indexOf('"Action":"pass","Package":"example.com/passing/calc","Test":"TestTable/small"')) + 1);
  const summary = summarizeTestRun(parseTestEvents(cut));
  t.deepEqual(packageStatuses(summary), ['example.com/passing/calc unfinished']);
  t.deepEqual(testStatuses(summary.packages[0]!), [
    'TestAdd passed',
    'TestTable unfinished',
    'TestTable/small passed',
    'TestTable/large unfinished',
    'TestTable/with_space unfinished',
  ]);
  t.is(summary.result, 'FAILED');
  t.deepEqual(summary.resultReasons, ['3 tests did not finish', '1 package did not finish']);
});

test('a stream cut between tests: the package is unfinished and a pseudo-test says so', (t) => {
  const text = readStream('passing', 'go1.26.8');
  const cut = text.slice(0, text.indexOf('\n', text.indexOf('"Action":"pass","Package":"example.com/passing/calc","Test":"TestAdd"')) + 1);
  const summary = summarizeTestRun(parseTestEvents(cut));
  t.deepEqual(packageStatuses(summary), ['example.com/passing/calc unfinished']);
  t.deepEqual(testStatuses(summary.packages[0]!), ['TestAdd passed']);
  t.deepEqual(summary.failedTests, ['example.com/passing/calc#[package unfinished]']);
  t.deepEqual(summary.resultReasons, ['1 package did not finish']);
});

test('a stream cut in the benchmark: the benchmark is unfinished, as its package never passed', (t) => {
  const text = readStream('passing', 'go1.26.8');
  const cut = text.slice(0, text.indexOf('"Output":"PASS\\n"'));
  const calc = summarizeTestRun(parseTestEvents(cut)).packages[0]!;
  t.is(calc.tests.at(-1)!.name, 'BenchmarkAdd');
  t.is(calc.tests.at(-1)!.status, 'unfinished');
});

test('a failed package that no test explains gets a pseudo-test with its output', (t) => {
  // The boom package of the panic stream, without its test events: what a panic in init or TestMain leaves.
  const text = readStream('panic', 'go1.26.8')
    .split('\n')
    .filter((line) => !line.includes('"Test":'))
    .join('\n');
  const summary = summarizeTestRun(parseTestEvents(text));
  t.deepEqual(packageStatuses(summary), ['example.com/panics/boom failed', 'example.com/panics/fine passed']);
  t.deepEqual(summary.failedTests, ['example.com/panics/boom#[package failed]']);
  t.deepEqual(summary.resultReasons, ['1 package failed outside any test']);
});

test('an empty stream is a failed run: nothing was tested', (t) => {
  const summary = summarizeTestRun(parseTestEvents(''));
  t.is(summary.result, 'FAILED');
  t.deepEqual(summary.resultReasons, ['the stream holds no package']);
});

test('each test keeps at most its cap of output: the start and the end, around a marker', (t) => {
  const summary = summaryOf('hostile', 'go1.26.8', { limits: { maxTestOutputBytes: 1000 } });
  const loud = summary.packages[0]!.tests.find((result) => result.name === 'TestLoud')!;
  t.true(Buffer.byteLength(loud.output) <= 1000 + 40);
  t.regex(loud.output, /^=== RUN {3}TestLoud\n {4}hostile_test\.go:\d+: 0 x+\n/);
  t.regex(loud.output, /\n\[\.\.\. \d+ bytes cut\]\n/);
  t.regex(loud.output, /--- PASS: TestLoud \(\d\.\d\ds\)\n$/);
});

test('package output, stray text and attributes are capped too', (t) => {
  const events = [
    { Action: 'start', Package: 'p' },
    ...Array.from({ length: 100 }, (_, index) => ({ Action: 'attr', Package: 'p', Test: 'TestA', Key: `k${index}`, Value: 'v' })),
    { Action: 'output', Package: 'p', Output: 'y'.repeat(5000) },
    { Action: 'pass', Package: 'p' },
  ];
  const text = `${'stray '.repeat(2000)}\n${events.map((event) => JSON.stringify(event)).join('\n')}\n`;
  const summary = summarizeTestRun(parseTestEvents(text), { limits: { maxPackageOutputBytes: 500, maxStrayTextBytes: 300, maxAttributes: 3 } });
  t.true(Buffer.byteLength(summary.packages[0]!.output) < 600);
  t.true(Buffer.byteLength(summary.strayText) < 400);
  t.regex(summary.strayText, /bytes cut/);
  t.is(summary.packages[0]!.tests[0]!.attributes.length, 3);
});
