/**
 * A test run as JUnit XML, for the test report views of GitLab first and Jenkins second. What each reads
 * (docs/reference: go-test-in-the-sandbox.md, section 2):
 * - GitLab takes a test's suite from testcase@classname, drops a test whose classname and name it already
 *   saw, and shows the element text of failure, error and skipped (it ignores failure@message). Files must
 *   stay under 30 MB.
 * - Jenkins reads testsuite@name, @timestamp and @time, failure@message as the error details and the
 *   element text as the stack trace, and splits classname at its last dot into package and class
 *   (`example.com/m/pkg` shows as package `example`, class `com/m/pkg`: a display quirk, nothing is lost).
 *
 * The layout: one testsuite per Go package (name = import path); one testcase per test and subtest
 * (classname = import path, name = `TestX/sub`); failures no test shows get a case of their own
 * (`[build failed]`, `[vet] printf`, `[package failed]`, `[package unfinished]`, `[vet failed]`). A failed
 * test is a failure; a test that panicked or never finished is an error. Output is text content, escaped for
 * XML 1.0 (never CDATA), capped per element and for the whole file with a visible "[... N bytes cut]".
 * The output depends only on its input: times and timestamps come from the stream (or the options).
 */
import { capText, cutMarker, utf8Bytes } from './capped-text.js';
import {
  GO_VET_PACKAGE,
  PSEUDO_TESTS,
  type PackageResult,
  type TestAttribute,
  type TestResult,
  type TestRunSummary,
  packagePseudoTest,
  vetFindingsByPackage,
} from './test-run.js';
import { type VetAnalyzerError, type VetFinding } from './vet-report.js';
import { xmlAttribute, xmlText } from './xml-text.js';

export interface JunitOptions {
  /**
   * Appended to every classname and suite name, e.g. " [go1.26.8 linux/amd64]": GitLab keeps only the first
   * of two tests with the same classname and name, so runs of several toolchains in one file need it.
   */
  classnameSuffix?: string;
  /** The suite timestamp for packages whose stream has no time (a cached result), as RFC 3339. */
  timestamp?: string;
  /** Cap of each failure, error and skipped text, in UTF-8 bytes. */
  maxTextBytes?: number;
  /** Cap of a passing test's system-out (Jenkins itself keeps 500 characters at each end of it). */
  maxPassingOutputBytes?: number;
  /** Cap of the whole file (GitLab refuses 30 MB and more). */
  maxFileBytes?: number;
}

export interface JunitRun {
  summary: TestRunSummary;
  /** This run's classname suffix (see JunitOptions.classnameSuffix). */
  classnameSuffix?: string;
}

export const DEFAULT_JUNIT_LIMITS = {
  maxTextBytes: 64 * 1024,
  maxPassingOutputBytes: 4 * 1024,
  maxFileBytes: 25 * 1000 * 1000,
};

/** The suite that holds the stream's stray text: it belongs to no package. */
export const OUTSIDE_PACKAGES = '[outside packages]';

type Outcome =
  | { kind: 'passed' }
  | { kind: 'failure' | 'error'; message: string; type: string; text: string }
  | { kind: 'skipped'; text: string };

interface Case {
  classname: string;
  name: string;
  time?: number;
  outcome: Outcome;
  properties: TestAttribute[];
  systemOut?: string;
}

interface Suite {
  name: string;
  timestamp?: string;
  time: number;
  cases: Case[];
  systemOut?: string;
}

interface Caps {
  text: number;
  passingOutput: number;
}

// Lines go test writes around a test's own output; a passing test with nothing else printed nothing.
const FRAMING_LINE = /^(=== (RUN|PAUSE|CONT|NAME|ATTR|ARTIFACTS) .*|\s*--- (PASS|FAIL|SKIP|BENCH): .*)$/;

function withoutFraming(output: string): string {
  return output
    .split('\n')
    .filter((line) => !FRAMING_LINE.test(line))
    .join('\n')
    .replace(/^\n+|\s+$/g, '');
}

/**
 * An RFC 3339 time as JUnit's timestamp (ISO 8601 in UTC, to the second, without a zone: the form of the Ant
 * schema). Undefined for anything else, so a hostile time never reaches the report.
 */
export function junitTimestamp(time: string): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(time);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second, , zone] = match;
  let millis = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
  if (zone !== 'Z') {
    const sign = zone!.startsWith('-') ? -1 : 1;
    millis -= sign * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(4, 6))) * 60_000;
  }
  if (!Number.isFinite(millis)) return undefined;
  const iso = new Date(millis).toISOString();
  return /^\d{4}-/.test(iso) ? iso.slice(0, 19) : undefined;
}

function seconds(value: number | undefined): string {
  return (value !== undefined && Number.isFinite(value) && value >= 0 ? value : 0).toFixed(3);
}

function testOutcome(test: TestResult, pkg: PackageResult, failedSubtestsOf: ReadonlyMap<string, string[]>): Outcome {
  switch (test.status) {
    case 'passed':
      return { kind: 'passed' };
    case 'skipped':
      return { kind: 'skipped', text: test.output };
    case 'failed': {
      // A panic is not an assertion that failed: the test binary died here, and the package's later tests with it.
      if (test.panicked) return { kind: 'error', message: 'panic', type: 'panic', text: `${test.output}${laterTestsNote(pkg)}` };
      const failedSubtests = failedSubtestsOf.get(test.name) ?? [];
      if (failedSubtests.length === 0) return { kind: 'failure', message: test.firstError ?? 'Failed', type: '', text: test.output };
      const shown = failedSubtests.slice(0, MAX_LISTED_SUBTESTS).join(', ');
      const more = failedSubtests.length > MAX_LISTED_SUBTESTS ? ` and ${failedSubtests.length - MAX_LISTED_SUBTESTS} more` : '';
      // A test fails when a subtest does: say so when that is all its own output shows.
      const message = test.firstError ?? (withoutFraming(test.output) === '' ? 'subtests failed' : 'Failed');
      return { kind: 'failure', message, type: '', text: `${test.output}[failed subtests: ${shown}${more}]` };
    }
    case 'unfinished':
      return { kind: 'error', message: 'unfinished', type: 'unfinished', text: `${unfinishedReason(pkg)}\n${test.output}` };
  }
}

const MAX_LISTED_SUBTESTS = 20;

/** The failed direct subtests of each test of PKG (`TestX/a` of `TestX`, not `TestX/a/b`), by the parent's name. */
function failedSubtestsByParent(pkg: PackageResult): Map<string, string[]> {
  const byParent = new Map<string, string[]>();
  for (const test of pkg.tests) {
    const slash = test.name.lastIndexOf('/');
    if (test.status !== 'failed' || slash < 0) continue;
    const parent = test.name.slice(0, slash);
    const list = byParent.get(parent);
    if (list === undefined) byParent.set(parent, [test.name]);
    else list.push(test.name);
  }
  return byParent;
}

function laterTestsNote(pkg: PackageResult): string {
  return `\n[the test binary of ${pkg.importPath} died here: tests after this one did not run and are not listed]`;
}

function unfinishedReason(pkg: PackageResult): string {
  if (pkg.timedOut) return '[the test did not finish: the test binary hit -timeout]';
  if (pkg.status === 'unfinished') return '[the test did not finish: the go test stream ended first]';
  return '[the test did not finish: the test binary exited while it ran]';
}

function packageCase(pkg: PackageResult, classname: string): Case | undefined {
  const pseudo = packagePseudoTest(pkg);
  if (pseudo === undefined) return undefined;
  const base = { classname, name: pseudo, properties: [] };
  switch (pseudo) {
    case PSEUDO_TESTS.buildFailed:
      return pkg.failedVet
        ? { ...base, outcome: { kind: 'error', message: 'vet failed', type: 'vet', text: pkg.buildOutput } }
        : { ...base, outcome: { kind: 'error', message: 'build failed', type: 'build', text: pkg.buildOutput } };
    case PSEUDO_TESTS.packageFailed:
      return { ...base, time: pkg.elapsed, outcome: { kind: 'error', message: 'package failed outside any test', type: 'package', text: pkg.output } };
    default:
      return {
        ...base,
        outcome: { kind: 'error', message: 'package unfinished', type: 'unfinished', text: `[the go test stream ended before the package finished]\n${pkg.output}` },
      };
  }
}

function vetCase(classname: string, analyzer: string, findings: readonly VetFinding[], errors: readonly VetAnalyzerError[]): Case {
  const lines = [...findings.map((finding) => `${finding.position}: ${finding.message}`), ...errors.map((error) => `analyzer failed: ${error.message}`)];
  const outcome: Outcome =
    findings.length > 0
      ? { kind: 'failure', message: `${findings.length} vet finding${findings.length === 1 ? '' : 's'}`, type: 'vet', text: lines.join('\n') }
      : { kind: 'error', message: 'vet analyzer failed', type: 'vet', text: lines.join('\n') };
  return { classname, name: PSEUDO_TESTS.vet(analyzer), outcome, properties: [] };
}

function testCase(test: TestResult, pkg: PackageResult, classname: string, failedSubtestsOf: ReadonlyMap<string, string[]>): Case {
  const result: Case = { classname, name: test.name, outcome: testOutcome(test, pkg, failedSubtestsOf), properties: test.attributes };
  if (test.elapsed !== undefined) result.time = test.elapsed;
  if (test.status === 'passed') {
    const own = withoutFraming(test.output);
    if (own !== '') result.systemOut = own;
  }
  return result;
}

/** The suites of one run, before any cap. */
function suitesOf(run: JunitRun, fallbackTimestamp: string | undefined): Suite[] {
  const { summary } = run;
  const suffix = run.classnameSuffix ?? '';
  const vetByPackage = vetFindingsByPackage(summary.vetFindings);
  const vetErrorsByPackage = new Map<string, Map<string, VetAnalyzerError[]>>();
  for (const error of summary.vetAnalyzerErrors) {
    let analyzers = vetErrorsByPackage.get(error.package);
    if (analyzers === undefined) vetErrorsByPackage.set(error.package, (analyzers = new Map()));
    const list = analyzers.get(error.analyzer);
    if (list === undefined) analyzers.set(error.analyzer, [error]);
    else list.push(error);
  }

  const suites: Suite[] = [];
  const suiteOf = new Map<string, Suite>();
  for (const pkg of summary.packages) {
    const classname = `${pkg.importPath}${suffix}`;
    const failedSubtestsOf = failedSubtestsByParent(pkg);
    const cases = pkg.tests.map((test) => testCase(test, pkg, classname, failedSubtestsOf));
    const extra = packageCase(pkg, classname);
    if (extra !== undefined) cases.push(extra);
    const suite: Suite = { name: classname, time: pkg.elapsed ?? 0, cases };
    const timestamp = junitTimestamp(pkg.startTime ?? fallbackTimestamp ?? '');
    if (timestamp !== undefined) suite.timestamp = timestamp;
    // The package's own output explains a package that did not pass; of one that passed it is "PASS, ok".
    if (pkg.status !== 'passed' && pkg.status !== 'skipped' && pkg.output !== '') suite.systemOut = pkg.output;
    suites.push(suite);
    suiteOf.set(pkg.importPath, suite);
  }

  // Vet findings join their package's suite; a package vet saw and go test did not gets a suite of its own.
  const vetPackages = new Set([...vetByPackage.keys(), ...vetErrorsByPackage.keys()]);
  for (const importPath of vetPackages) {
    const classname = `${importPath}${suffix}`;
    let suite = suiteOf.get(importPath);
    if (suite === undefined) {
      suite = { name: classname, time: 0, cases: [] };
      const timestamp = junitTimestamp(fallbackTimestamp ?? '');
      if (timestamp !== undefined) suite.timestamp = timestamp;
      suites.push(suite);
      suiteOf.set(importPath, suite);
    }
    const findings = vetByPackage.get(importPath) ?? new Map<string, VetFinding[]>();
    const errors = vetErrorsByPackage.get(importPath) ?? new Map<string, VetAnalyzerError[]>();
    for (const analyzer of new Set([...findings.keys(), ...errors.keys()])) {
      suite.cases.push(vetCase(classname, analyzer, findings.get(analyzer) ?? [], errors.get(analyzer) ?? []));
    }
  }

  if (summary.vetFailure !== undefined) {
    const classname = `${GO_VET_PACKAGE}${suffix}`;
    suites.push({
      name: classname,
      time: 0,
      cases: [{ classname, name: PSEUDO_TESTS.vetFailed, properties: [], outcome: { kind: 'error', message: 'go vet failed', type: 'vet', text: summary.vetFailure } }],
    });
  }

  const outside = [summary.strayText, summary.streamCutBytes > 0 ? `[${summary.streamCutBytes} bytes of test output were not kept: the stream's cap]` : '']
    .filter((part) => part !== '')
    .join('\n');
  if (outside !== '') suites.push({ name: `${OUTSIDE_PACKAGES}${suffix}`, time: 0, cases: [], systemOut: outside });
  return suites;
}

function element(name: string, text: string, attributes = ''): string {
  return `<${name}${attributes}>${xmlText(text)}</${name}>`;
}

function renderCase(test: Case, caps: Caps): string {
  const time = test.time === undefined ? '' : ` time="${seconds(test.time)}"`;
  const parts: string[] = [`    <testcase classname="${xmlAttribute(test.classname)}" name="${xmlAttribute(test.name)}"${time}>`];
  if (test.properties.length > 0) {
    parts.push('      <properties>');
    for (const property of test.properties) parts.push(`        <property name="${xmlAttribute(property.key)}" value="${xmlAttribute(capText(property.value, caps.text))}"/>`);
    parts.push('      </properties>');
  }
  const outcome = test.outcome;
  if (outcome.kind === 'failure' || outcome.kind === 'error') {
    parts.push(`      ${element(outcome.kind, capText(outcome.text, caps.text), ` message="${xmlAttribute(outcome.message)}" type="${xmlAttribute(outcome.type)}"`)}`);
  } else if (outcome.kind === 'skipped') {
    parts.push(`      ${element('skipped', capText(outcome.text, caps.text))}`);
  }
  if (test.systemOut !== undefined && caps.passingOutput > 0) parts.push(`      ${element('system-out', capText(test.systemOut, caps.passingOutput))}`);
  if (parts.length === 1) return `${parts[0]!.slice(0, -1)}/>`;
  parts.push('    </testcase>');
  return parts.join('\n');
}

interface Tally {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

function tallyOf(cases: readonly Case[]): Tally {
  const tally = { tests: cases.length, failures: 0, errors: 0, skipped: 0 };
  for (const test of cases) {
    if (test.outcome.kind === 'failure') tally.failures += 1;
    else if (test.outcome.kind === 'error') tally.errors += 1;
    else if (test.outcome.kind === 'skipped') tally.skipped += 1;
  }
  return tally;
}

function tallyAttributes(tally: Tally): string {
  return ` tests="${tally.tests}" failures="${tally.failures}" errors="${tally.errors}" skipped="${tally.skipped}"`;
}

function renderSuite(suite: Suite, renderedCases: readonly string[], cases: readonly Case[], caps: Caps): string {
  const timestamp = suite.timestamp === undefined ? '' : ` timestamp="${suite.timestamp}"`;
  const open = `  <testsuite name="${xmlAttribute(suite.name)}"${tallyAttributes(tallyOf(cases))} time="${seconds(suite.time)}"${timestamp}>`;
  const out = suite.systemOut === undefined ? [] : [`    ${element('system-out', capText(suite.systemOut, caps.text))}`];
  if (renderedCases.length === 0 && out.length === 0) return `${open.slice(0, -1)}/>`;
  return [open, ...renderedCases, ...out, '  </testsuite>'].join('\n');
}

const HEADER = '<?xml version="1.0" encoding="UTF-8"?>';
// Room kept for the lines that close the file, and for each case that says what was cut.
const CLOSING_RESERVE = 1024;
const MARKER_RESERVE = 4096;
const REPORT_CUT = '[report cut]';
const MIN_FILE_BYTES = 16 * 1024;

function cutCase(classname: string, cases: number, bytes: number, what: string): Case {
  const text = `${cutMarker(bytes)}: ${cases} test case${cases === 1 ? '' : 's'} ${what} did not fit in the report; the go test -json stream has them`;
  // The classname is capped so that the case fits the room kept for it, whatever the package is called.
  return { classname: capText(classname, 256), name: REPORT_CUT, properties: [], outcome: { kind: 'error', message: 'report cut', type: 'cut', text } };
}

/**
 * SUITES as a JUnit file within MAX_BYTES, or undefined when they do not fit and CUT_CASES is false. With
 * CUT_CASES, the cases (and suites) past the budget are left out, and an error case says what went.
 */
function render(suites: readonly Suite[], caps: Caps, maxBytes: number, cutCases: boolean): string | undefined {
  const budget = maxBytes - utf8Bytes(HEADER) - CLOSING_RESERVE - (cutCases ? MARKER_RESERVE : 0);
  const rendered: string[] = [];
  const all: Case[] = [];
  let used = 0;
  let time = 0;
  let cutSuites = { suites: 0, cases: 0, bytes: 0 };
  for (const suite of suites) {
    const caseTexts = suite.cases.map((test) => renderCase(test, caps));
    const shellSize = utf8Bytes(renderSuite(suite, [], [], caps)) + 1;
    if (used + shellSize > budget) {
      if (!cutCases) return undefined;
      cutSuites = {
        suites: cutSuites.suites + 1,
        cases: cutSuites.cases + suite.cases.length,
        bytes: cutSuites.bytes + shellSize + caseTexts.reduce((sum, text) => sum + utf8Bytes(text) + 1, 0),
      };
      continue;
    }
    used += shellSize;
    const kept: Case[] = [];
    const keptTexts: string[] = [];
    let cut = { cases: 0, bytes: 0 };
    for (const [index, text] of caseTexts.entries()) {
      const size = utf8Bytes(text) + 1;
      if (used + size + (cutCases ? MARKER_RESERVE : 0) > budget) {
        if (!cutCases) return undefined;
        cut = { cases: cut.cases + 1, bytes: cut.bytes + size };
        continue;
      }
      used += size;
      kept.push(suite.cases[index]!);
      keptTexts.push(text);
    }
    if (cut.cases > 0) {
      const marker = cutCase(suite.name, cut.cases, cut.bytes, 'of this package');
      const markerText = renderCase(marker, caps);
      used += utf8Bytes(markerText) + 1;
      kept.push(marker);
      keptTexts.push(markerText);
    }
    rendered.push(renderSuite(suite, keptTexts, kept, caps));
    all.push(...kept);
    time += suite.time;
  }
  if (cutSuites.suites > 0) {
    const marker = cutCase(REPORT_CUT, cutSuites.cases, cutSuites.bytes, `of ${cutSuites.suites} more package${cutSuites.suites === 1 ? '' : 's'}`);
    rendered.push(renderSuite({ name: REPORT_CUT, time: 0, cases: [marker] }, [renderCase(marker, caps)], [marker], caps));
    all.push(marker);
  }
  const open = `<testsuites name="go test"${tallyAttributes(tallyOf(all))} time="${seconds(time)}">`;
  const body = rendered.length === 0 ? [`${open.slice(0, -1)}/>`] : [open, ...rendered, '</testsuites>'];
  return [HEADER, ...body, ''].join('\n');
}

/** Several runs (e.g. one per toolchain) as one JUnit file, each with its own classname suffix. */
export function junitXmlOfRuns(runs: readonly JunitRun[], options: JunitOptions = {}): string {
  const limits = { ...DEFAULT_JUNIT_LIMITS, ...options };
  // Below this a file could not even say what was cut.
  const maxFileBytes = Math.max(limits.maxFileBytes, MIN_FILE_BYTES);
  const suites = runs.flatMap((run) => suitesOf(run, options.timestamp));
  const caps: Caps = { text: limits.maxTextBytes, passingOutput: limits.maxPassingOutputBytes };
  // First with the caps asked for, then with smaller ones; only when even that is too big do cases go.
  for (const attempt of [caps, { text: Math.min(caps.text, 4096), passingOutput: Math.min(caps.passingOutput, 256) }, { text: 512, passingOutput: 0 }]) {
    const xml = render(suites, attempt, maxFileBytes, false);
    if (xml !== undefined) return xml;
  }
  return render(suites, { text: 512, passingOutput: 0 }, maxFileBytes, true)!;
}

/** One run as a JUnit file. */
export function junitXml(summary: TestRunSummary, options: JunitOptions = {}): string {
  const run: JunitRun = { summary };
  if (options.classnameSuffix !== undefined) run.classnameSuffix = options.classnameSuffix;
  return junitXmlOfRuns([run], options);
}
