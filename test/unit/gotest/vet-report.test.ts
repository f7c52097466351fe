import { readFileSync } from 'node:fs';

import test from 'ava';

import { packageOfId, parseVetReport, vetPassed } from '../../../src/gotest/vet-report.js';
import { GO_VERSIONS, VET_SOURCE_ROOT, fixturePath, vetReportOf } from '../../helpers/go-test-fixtures.js';

for (const version of GO_VERSIONS) {
  test(`${version} go vet -json with findings (exit 0): one finding per diagnostic, positions made relative`, (t) => {
    const report = vetReportOf('go-vet-findings', version);
    t.deepEqual(report, {
      findings: [
        { package: 'example.com/vetfail/printer', analyzer: 'printf', position: 'printer/printer.go:7:22', message: 'fmt.Sprintf format %s has arg n of wrong type int' },
        {
          package: 'example.com/vetfail/printer',
          analyzer: 'printf',
          position: 'printer/printer_test.go:10:19',
          message: 'fmt.Sprintf format %d has arg "many" of wrong type string',
        },
      ],
      analyzerErrors: [],
      cutFindings: 0,
    });
    t.false(vetPassed(report));
  });

  test(`${version} go vet -json without findings: {} per package, passed`, (t) => {
    const report = vetReportOf('go-vet-clean', version);
    t.deepEqual(report, { findings: [], analyzerErrors: [], cutFindings: 0 });
    t.true(vetPassed(report));
  });

  test(`${version} go vet that cannot type-check fails outright with its stderr text`, (t) => {
    const report = vetReportOf('go-vet-type-error', version);
    t.deepEqual(report.findings, []);
    t.deepEqual(report.failure, {
      exitCode: 1,
      text: [
        '# example.com/buildfail/broken',
        '# [example.com/buildfail/broken]',
        'vet: broken/broken_test.go:6:17: cannot use Two() (value of type int) as string value in variable declaration',
      ].join('\n'),
    });
    t.false(vetPassed(report));
  });

  test(`${version} go vet of a pattern that matches nothing fails outright`, (t) => {
    const report = vetReportOf('go-vet-bad-pattern', version);
    t.deepEqual(report.failure, { exitCode: 1, text: 'stat /tmp/wt-gotest-mods/passing/nosuchdir: directory not found' });
  });
}

test('the exit code alone decides nothing when vet wrote findings, and a non-zero one without text still fails', (t) => {
  const stdout = readFileSync(fixturePath('go-vet-findings', 'go1.26.8', 'json'), 'utf8');
  t.is(parseVetReport({ stdout }).findings.length, 2);
  t.deepEqual(parseVetReport({ stdout: '', exitCode: 2 }).failure, { exitCode: 2, text: 'go vet exited with status 2 and wrote nothing on standard error' });
});

test('`# pkg` lines between the objects (older go commands) are skipped; other text is a failure', (t) => {
  const stdout = readFileSync(fixturePath('go-vet-findings', 'go1.26.8', 'json'), 'utf8');
  const withHeaders = `# example.com/vetfail/clean\n${stdout.replace('{\n\t"example', '# example.com/vetfail/printer\n{\n\t"example')}`;
  const report = parseVetReport({ stdout: withHeaders, exitCode: 0 }, { sourceRoot: `${VET_SOURCE_ROOT}/` });
  t.is(report.findings.length, 2);
  t.is(report.findings[0]!.position, 'printer/printer.go:7:22');
  t.is(report.failure, undefined);

  const withNoise = parseVetReport({ stdout: `${stdout}panic: something\n{"unclosed": [`, exitCode: 0 });
  t.is(withNoise.findings.length, 2);
  t.deepEqual(withNoise.failure, { exitCode: 0, text: 'panic: something\n{"unclosed": [' });
});

test('an analyzer error object (the shape vet writes when an analyzer fails) is kept apart from findings', (t) => {
  const report = parseVetReport({ stdout: '{"example.com/m/p [example.com/m/p.test]": {"printf": {"error": "analysis failed"}, "tests": "odd"}}\n', exitCode: 0 });
  t.deepEqual(report.analyzerErrors, [{ package: 'example.com/m/p', analyzer: 'printf', message: 'analysis failed' }]);
  t.false(vetPassed(report));
});

test('the same finding from a package and its test variant is kept once; findings past the cap are counted', (t) => {
  const diagnostic = { posn: '/src/p/p.go:1:1', message: 'm' };
  const stdout = [{ 'example.com/p': { printf: [diagnostic] } }, { 'example.com/p [example.com/p.test]': { printf: [diagnostic, { ...diagnostic, posn: '/src/p/p.go:2:1' }] } }]
    .map((object) => JSON.stringify(object))
    .join('\n');
  t.is(parseVetReport({ stdout }).findings.length, 2);
  const capped = parseVetReport({ stdout }, { maxFindings: 1 });
  t.is(capped.findings.length, 1);
  t.is(capped.cutFindings, 1);
});

test('packageOfId names a test variant by its package', (t) => {
  t.is(packageOfId('example.com/p [example.com/p.test]'), 'example.com/p');
  t.is(packageOfId('example.com/p_test [example.com/p.test]'), 'example.com/p_test');
  t.is(packageOfId('example.com/p'), 'example.com/p');
});
