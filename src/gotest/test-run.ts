/**
 * A `go test -json` run folded into what it means: per package, each test and subtest with its status,
 * time and (capped) output; the package's own status; counts; and the run's result as the in-toto
 * test-result predicate words it (PASSED, WARNED, FAILED), with the test names it lists.
 *
 * The stream is not trusted to be complete. What go test leaves out when things go wrong is decided here:
 * - a test that panics gets its fail event, but the tests after it in its package never get a run event:
 *   they are absent from the stream, and so from this summary (the package is failed, and flagged panicked);
 * - a test running when -timeout hits never gets a terminal event, only its package does: it is unfinished;
 * - a stream cut short (a killed go command) leaves tests and packages without one: unfinished too.
 * Unfinished is never passed: it fails the run.
 */
import { CappedText, capText } from './capped-text.js';
import { type TestEvent, type TestEventStream } from './test-events.js';
import { type VetAnalyzerError, type VetFinding, type VetReport } from './vet-report.js';

export type TestStatus = 'passed' | 'failed' | 'skipped' | 'unfinished';

export type PackageStatus =
  | 'passed'
  | 'failed'
  /** No test files, or every test filtered out: nothing ran. */
  | 'skipped'
  /** The test binary did not build: a compile error, or a finding of the vet checks go test runs. */
  | 'build-failed'
  /** The stream holds no terminal event for the package: it was cut while the package ran. */
  | 'unfinished';

export type RunResult = 'PASSED' | 'WARNED' | 'FAILED';

export interface TestAttribute {
  key: string;
  value: string;
}

export interface TestResult {
  /** As go reports it: `TestX`, `TestX/sub`, `ExampleY`, `BenchmarkZ`. */
  name: string;
  status: TestStatus;
  /** Seconds, from the terminal event. */
  elapsed?: number;
  /** All the test printed, framing lines included (=== RUN, --- FAIL), capped with a marker. */
  output: string;
  /** Its output shows a panic (`panic: ` at the start of a line): the test binary died in this test. */
  panicked: boolean;
  /** The first line of t.Error or t.Fatal, trimmed, where go says which lines those are (OutputType, Go 1.27). */
  firstError?: string;
  /** t.Attr (Go 1.25). */
  attributes: TestAttribute[];
}

export interface TestCounts {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  unfinished: number;
}

export interface PackageResult {
  /** The import path. */
  importPath: string;
  status: PackageStatus;
  /** In the order they started. */
  tests: TestResult[];
  counts: TestCounts;
  /** Seconds, from the terminal event. */
  elapsed?: number;
  /** When the package's first event happened, as the stream says (absent for a cached result). */
  startTime?: string;
  /** Output of the package itself, not of a test (PASS, FAIL, ok lines, a panic outside any test), capped. */
  output: string;
  /** For build-failed: what the compiler or vet said (build-output events), or else the package's output. */
  buildOutput: string;
  /** Build-failed by a finding of the vet checks go test runs (the go command heads vet's output `# [pkg]`). */
  failedVet: boolean;
  /** `[no test files]`. */
  noTestFiles: boolean;
  /** A panic killed the test binary: the tests after the panicking one never ran and are not listed. */
  panicked: boolean;
  /** The test binary hit -timeout (`panic: test timed out`). */
  timedOut: boolean;
}

export interface TestRunSummary {
  /** In the order they first appear in the stream. */
  packages: PackageResult[];
  /** Over all packages. */
  counts: TestCounts;
  packageCounts: Record<PackageStatus, number>;
  vetFindings: VetFinding[];
  vetAnalyzerErrors: VetAnalyzerError[];
  /** go vet could not run (a type error, a bad pattern): its text. */
  vetFailure?: string;
  result: RunResult;
  /** Why the result is not PASSED, one phrase each ("2 tests failed"). Empty when it is PASSED. */
  resultReasons: string[];
  /** For the in-toto test-result predicate: `importpath#TestName/sub`. */
  passedTests: string[];
  /** Failed and unfinished tests, and the pseudo-tests of failures no test shows (see PSEUDO_TESTS). */
  failedTests: string[];
  /** Skipped tests. */
  warnedTests: string[];
  /** Raw text of the stream (lines that were not events, output events without a package), capped. */
  strayText: string;
  /** Output bytes the stream parser did not keep (its cap). */
  streamCutBytes: number;
}

/**
 * Names for failures that no test of the package shows: the JUnit report gives each a test case, and the
 * predicate lists it among failedTests, so a policy that wants failedTests empty sees it.
 */
export const PSEUDO_TESTS = {
  buildFailed: '[build failed]',
  packageFailed: '[package failed]',
  packageUnfinished: '[package unfinished]',
  vet: (analyzer: string): string => `[vet] ${analyzer}`,
  vetFailed: '[vet failed]',
} as const;

/** The package the run-level vet failure is reported under: it belongs to no package. */
export const GO_VET_PACKAGE = '[go vet]';

export interface TestRunLimits {
  /** Output kept per test, in UTF-8 bytes, half from its start and half from its end. */
  maxTestOutputBytes?: number;
  /** Output kept per package, and its build output. */
  maxPackageOutputBytes?: number;
  /** Raw text kept from the stream. */
  maxStrayTextBytes?: number;
  /** Attributes kept per test. */
  maxAttributes?: number;
}

export const DEFAULT_TEST_RUN_LIMITS: Required<TestRunLimits> = {
  maxTestOutputBytes: 256 * 1024,
  maxPackageOutputBytes: 256 * 1024,
  maxStrayTextBytes: 64 * 1024,
  maxAttributes: 64,
};

const FIRST_ERROR_BYTES = 512;
const NO_BUILD_EVENTS_NOTE =
  '[the stream holds no build output for this package: the go command wrote it to standard error (GODEBUG=gotestjsonbuildtext=1, or a go command before 1.24)]';
const PANIC_LINE = /(^|\n)panic: /;
const TIMEOUT_LINE = /(^|\n)panic: test timed out after /;
// The go command heads the output of its vet step `# [pkg]`, the compiler's `# pkg`.
const VET_HEADER_LINE = /^# \[/m;
const BUILD_FAILED_LINE = /\[(build|setup) failed\]/;
const NO_TEST_FILES_LINE = /\[no test files\]/;

interface TestState {
  name: string;
  status: TestStatus | 'running';
  /** The worst outcome of earlier runs of the same test (-count=N runs each test N times). */
  earlier?: TestStatus;
  elapsed?: number;
  output: CappedText;
  panicked: boolean;
  firstError?: string;
  attributes: TestAttribute[];
}

interface PackageState {
  importPath: string;
  tests: Map<string, TestState>;
  terminal?: 'pass' | 'fail' | 'skip';
  elapsed?: number;
  startTime?: string;
  failedBuild?: string;
  output: CappedText;
  sawBuildFailedLine: boolean;
  noTestFiles: boolean;
  panicked: boolean;
  timedOut: boolean;
}

function emptyCounts(): TestCounts {
  return { total: 0, passed: 0, failed: 0, skipped: 0, unfinished: 0 };
}

function addCount(counts: TestCounts, status: TestStatus): void {
  counts.total += 1;
  counts[status] += 1;
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * What became of a test that never got a terminal event. In a package that passed, that is a benchmark (the
 * go command reports its result line as output, with no pass event); anywhere else the test did not finish.
 */
function finalStatus(test: TestState, pkg: PackageState): TestStatus {
  const last = test.status !== 'running' ? test.status : pkg.terminal === 'pass' && test.name.startsWith('Benchmark') ? 'passed' : 'unfinished';
  return test.earlier === undefined ? last : worse(test.earlier, last);
}

const SEVERITY: Record<TestStatus, number> = { passed: 0, skipped: 1, failed: 2, unfinished: 3 };

/** Of two outcomes of one test, the one that must not be hidden by the other. */
function worse(a: TestStatus, b: TestStatus): TestStatus {
  return SEVERITY[a] >= SEVERITY[b] ? a : b;
}

function packageStatus(pkg: PackageState): PackageStatus {
  switch (pkg.terminal) {
    case 'pass':
      return 'passed';
    case 'skip':
      return 'skipped';
    case 'fail':
      return pkg.failedBuild !== undefined || pkg.sawBuildFailedLine ? 'build-failed' : 'failed';
    case undefined:
      return 'unfinished';
  }
}

export interface SummarizeOptions {
  vet?: VetReport;
  limits?: TestRunLimits;
}

/** Folds a parsed `go test -json` stream (and the `go vet -json` report, when vet ran) into a summary. Never throws. */
export function summarizeTestRun(stream: TestEventStream, options: SummarizeOptions = {}): TestRunSummary {
  const limits = { ...DEFAULT_TEST_RUN_LIMITS, ...options.limits };
  const packages = new Map<string, PackageState>();
  const buildOutputs = new Map<string, CappedText>();
  const stray = CappedText.within(limits.maxStrayTextBytes);

  const packageState = (importPath: string): PackageState => {
    let pkg = packages.get(importPath);
    if (pkg === undefined) {
      pkg = {
        importPath,
        tests: new Map(),
        output: CappedText.within(limits.maxPackageOutputBytes),
        sawBuildFailedLine: false,
        noTestFiles: false,
        panicked: false,
        timedOut: false,
      };
      packages.set(importPath, pkg);
    }
    return pkg;
  };
  const testState = (pkg: PackageState, name: string): TestState => {
    let test = pkg.tests.get(name);
    if (test === undefined) {
      test = { name, status: 'running', output: CappedText.within(limits.maxTestOutputBytes), panicked: false, attributes: [] };
      pkg.tests.set(name, test);
    }
    return test;
  };

  for (const entry of stream.entries) {
    if (entry.kind === 'text') stray.append(entry.text);
    else applyEvent(entry.event);
  }

  function applyEvent(event: TestEvent): void {
    if (event.action === 'build-output' || event.action === 'build-fail') {
      if (event.importPath === undefined) return;
      let text = buildOutputs.get(event.importPath);
      if (text === undefined) {
        text = CappedText.within(limits.maxPackageOutputBytes);
        buildOutputs.set(event.importPath, text);
      }
      if (event.output !== undefined) text.append(event.output);
      return;
    }
    if (event.package === undefined) {
      if (event.output !== undefined) stray.append(event.output);
      return;
    }
    const pkg = packageState(event.package);
    if (pkg.startTime === undefined && event.time !== undefined) pkg.startTime = event.time;
    const output = event.output ?? '';
    if (output !== '' && PANIC_LINE.test(output)) {
      pkg.panicked = true;
      if (TIMEOUT_LINE.test(output)) pkg.timedOut = true;
    }
    if (event.test === undefined) {
      applyPackageEvent(pkg, event, output);
      return;
    }
    const test = testState(pkg, event.test);
    switch (event.action) {
      case 'run':
        // The same test again: a later pass must not hide an earlier failure.
        if (test.status !== 'running') test.earlier = test.earlier === undefined ? test.status : worse(test.earlier, test.status);
        test.status = 'running';
        break;
      case 'output':
        test.output.append(output);
        if (PANIC_LINE.test(output)) test.panicked = true;
        if (test.firstError === undefined && event.outputType === 'error' && output.trim() !== '') test.firstError = capText(output.trim(), FIRST_ERROR_BYTES);
        break;
      case 'pass':
      case 'bench':
        test.status = 'passed';
        break;
      case 'fail':
        test.status = 'failed';
        break;
      case 'skip':
        test.status = 'skipped';
        break;
      case 'attr':
        if (test.attributes.length < limits.maxAttributes) test.attributes.push({ key: event.key ?? '', value: event.value ?? '' });
        break;
      default:
        // pause, cont, start, artifacts: nothing to keep.
        break;
    }
    if (event.elapsed !== undefined && (event.action === 'pass' || event.action === 'fail' || event.action === 'skip')) test.elapsed = event.elapsed;
  }

  function applyPackageEvent(pkg: PackageState, event: TestEvent, output: string): void {
    switch (event.action) {
      case 'output':
        pkg.output.append(output);
        if (BUILD_FAILED_LINE.test(output)) pkg.sawBuildFailedLine = true;
        if (NO_TEST_FILES_LINE.test(output)) pkg.noTestFiles = true;
        break;
      case 'pass':
      case 'fail':
      case 'skip':
        pkg.terminal = event.action;
        if (event.elapsed !== undefined) pkg.elapsed = event.elapsed;
        if (event.failedBuild !== undefined) pkg.failedBuild = event.failedBuild;
        break;
      default:
        break;
    }
  }

  const summaryPackages = [...packages.values()].map((pkg) => packageResult(pkg, buildOutputs));
  return finishSummary(summaryPackages, stream, options.vet, stray);
}

function packageResult(pkg: PackageState, buildOutputs: ReadonlyMap<string, CappedText>): PackageResult {
  const counts = emptyCounts();
  const tests = [...pkg.tests.values()].map((state): TestResult => {
    const test: TestResult = {
      name: state.name,
      status: finalStatus(state, pkg),
      output: state.output.toString(),
      panicked: state.panicked,
      attributes: state.attributes,
    };
    if (state.elapsed !== undefined) test.elapsed = state.elapsed;
    if (state.firstError !== undefined) test.firstError = state.firstError;
    addCount(counts, test.status);
    return test;
  });
  const status = packageStatus(pkg);
  const output = pkg.output.toString();
  // The build events are keyed by the ID of the package that failed to build: this package's test variant, or
  // a dependency it could not build without. Without them (GODEBUG=gotestjsonbuildtext=1, or a go command
  // before 1.24) the compiler wrote to standard error, and the package's own output is all there is.
  let buildOutput = '';
  if (status === 'build-failed') {
    const built = pkg.failedBuild === undefined ? undefined : buildOutputs.get(pkg.failedBuild);
    buildOutput = built === undefined || built.isEmpty ? `${output}${NO_BUILD_EVENTS_NOTE}` : built.toString();
  }
  const result: PackageResult = {
    importPath: pkg.importPath,
    status,
    tests,
    counts,
    output,
    buildOutput,
    failedVet: status === 'build-failed' && VET_HEADER_LINE.test(buildOutput),
    noTestFiles: pkg.noTestFiles,
    panicked: pkg.panicked,
    timedOut: pkg.timedOut,
  };
  if (pkg.elapsed !== undefined) result.elapsed = pkg.elapsed;
  if (pkg.startTime !== undefined) result.startTime = pkg.startTime;
  return result;
}

/**
 * The pseudo-test standing for a package's failure when none of its tests shows it (a build failure, a panic
 * outside any test, a cut stream), or undefined when its tests tell the story.
 */
export function packagePseudoTest(pkg: PackageResult): string | undefined {
  if (pkg.status === 'build-failed') return PSEUDO_TESTS.buildFailed;
  if (pkg.status !== 'failed' && pkg.status !== 'unfinished') return undefined;
  if (pkg.counts.failed > 0 || pkg.counts.unfinished > 0) return undefined;
  return pkg.status === 'failed' ? PSEUDO_TESTS.packageFailed : PSEUDO_TESTS.packageUnfinished;
}

/** The analyzers of FINDINGS by package, in the order they first appear. */
export function vetFindingsByPackage(findings: readonly VetFinding[]): Map<string, Map<string, VetFinding[]>> {
  const byPackage = new Map<string, Map<string, VetFinding[]>>();
  for (const finding of findings) {
    let analyzers = byPackage.get(finding.package);
    if (analyzers === undefined) byPackage.set(finding.package, (analyzers = new Map()));
    let list = analyzers.get(finding.analyzer);
    if (list === undefined) analyzers.set(finding.analyzer, (list = []));
    list.push(finding);
  }
  return byPackage;
}

function finishSummary(packages: PackageResult[], stream: TestEventStream, vet: VetReport | undefined, stray: CappedText): TestRunSummary {
  const counts = emptyCounts();
  const packageCounts: Record<PackageStatus, number> = { passed: 0, failed: 0, skipped: 0, 'build-failed': 0, unfinished: 0 };
  const passedTests: string[] = [];
  const failedTests: string[] = [];
  const warnedTests: string[] = [];
  for (const pkg of packages) {
    packageCounts[pkg.status] += 1;
    for (const test of pkg.tests) {
      addCount(counts, test.status);
      const name = `${pkg.importPath}#${test.name}`;
      if (test.status === 'passed') passedTests.push(name);
      else if (test.status === 'skipped') warnedTests.push(name);
      else failedTests.push(name);
    }
    const pseudo = packagePseudoTest(pkg);
    if (pseudo !== undefined) failedTests.push(`${pkg.importPath}#${pseudo}`);
  }

  const vetFindings = vet?.findings ?? [];
  const vetAnalyzerErrors = vet?.analyzerErrors ?? [];
  // One name per package and analyzer, as the JUnit report has one case for each.
  const vetNames = new Set<string>();
  for (const [pkg, analyzers] of vetFindingsByPackage(vetFindings)) {
    for (const analyzer of analyzers.keys()) vetNames.add(`${pkg}#${PSEUDO_TESTS.vet(analyzer)}`);
  }
  for (const error of vetAnalyzerErrors) vetNames.add(`${error.package}#${PSEUDO_TESTS.vet(error.analyzer)}`);
  failedTests.push(...vetNames);
  if (vet?.failure !== undefined) failedTests.push(`${GO_VET_PACKAGE}#${PSEUDO_TESTS.vetFailed}`);

  const reasons: string[] = [];
  if (packages.length === 0) reasons.push('the stream holds no package');
  if (counts.failed > 0) reasons.push(`${plural(counts.failed, 'test', 'tests')} failed`);
  if (counts.unfinished > 0) reasons.push(`${plural(counts.unfinished, 'test', 'tests')} did not finish`);
  const failedVet = packages.filter((pkg) => pkg.failedVet).length;
  const failedBuild = packageCounts['build-failed'] - failedVet;
  if (failedBuild > 0) reasons.push(`${plural(failedBuild, 'package', 'packages')} did not build`);
  if (failedVet > 0) reasons.push(`${plural(failedVet, 'package', 'packages')} failed the vet checks of go test`);
  const panicked = packages.filter((pkg) => pkg.panicked && !pkg.timedOut).length;
  if (panicked > 0) reasons.push(`a panic stopped the tests of ${plural(panicked, 'package', 'packages')}`);
  const timedOut = packages.filter((pkg) => pkg.timedOut).length;
  if (timedOut > 0) reasons.push(`${plural(timedOut, 'package', 'packages')} hit the test timeout`);
  const failedAlone = packages.filter((pkg) => packagePseudoTest(pkg) === PSEUDO_TESTS.packageFailed).length;
  if (failedAlone > 0) reasons.push(`${plural(failedAlone, 'package', 'packages')} failed outside any test`);
  if (packageCounts.unfinished > 0) reasons.push(`${plural(packageCounts.unfinished, 'package', 'packages')} did not finish`);
  const vetCount = vetFindings.length + (vet?.cutFindings ?? 0);
  if (vetCount > 0) reasons.push(`go vet found ${plural(vetCount, 'problem', 'problems')}`);
  if (vetAnalyzerErrors.length > 0) reasons.push(`${plural(vetAnalyzerErrors.length, 'vet analyzer', 'vet analyzers')} failed`);
  if (vet?.failure !== undefined) reasons.push('go vet failed');
  const failed = reasons.length > 0;
  // A skipped test is a warning; a package without test files is not: there was nothing in it to run.
  if (!failed && counts.skipped > 0) reasons.push(`${plural(counts.skipped, 'test', 'tests')} skipped`);

  const summary: TestRunSummary = {
    packages,
    counts,
    packageCounts,
    vetFindings,
    vetAnalyzerErrors,
    result: failed ? 'FAILED' : counts.skipped > 0 ? 'WARNED' : 'PASSED',
    resultReasons: reasons,
    passedTests,
    failedTests,
    warnedTests,
    strayText: stray.toString(),
    streamCutBytes: stream.cutBytes,
  };
  if (vet?.failure !== undefined) summary.vetFailure = vet.failure.text;
  return summary;
}
