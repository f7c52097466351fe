import { Writable } from 'node:stream';
import test from 'ava';
import fc from 'fast-check';
import { createLogUpdate } from 'log-update';

import { failureReason } from '../../../src/workflows/build/index.js';
import { BuildError, EngineError, InputError, InterruptedError, VerificationError } from '../../../src/errors.js';
import { type BuildEvent, formatPlainEvent, stamp, stripControlCharacters } from '../../../src/report/events.js';
import { renderLiveView } from '../../../src/report/live-view.js';
import { chooseReporterMode, createReporter } from '../../../src/report/reporter.js';
import { runInterruptCleanup } from '../../../src/cleanup.js';
import { RUN_REPORT_SCHEMA, buildRunReport, recordEvents } from '../../../src/report/run-report.js';
import { SandboxLimitError } from '../../../src/sandbox/worker.js';

const AT = new Date('2026-11-24T09:00:00.000Z');
const JOBS = [
  { id: 'go1.26.8-tool-linux-amd64', output: 'tool_linux_amd64', target: 'linux/amd64', toolchain: 'go1.26.8', package: '.' },
  { id: 'go1.26.8-tool-windows-amd64', output: 'tool_windows_amd64.exe', target: 'windows/amd64', toolchain: 'go1.26.8', package: '.' },
];

function collect(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

const EVENTS: BuildEvent[] = [
  { type: 'plan', module: 'example.com/tool', jobs: JOBS, shard: '1/2' },
  { type: 'job', id: JOBS[0]!.id, output: JOBS[0]!.output, state: 'building', seconds: 0.1 },
  { type: 'log', level: 'warn', message: 'tool_windows_amd64.exe: go build failed' },
  { type: 'job', id: JOBS[1]!.id, output: JOBS[1]!.output, state: 'failed', seconds: 2.5, reason: 'timeout', message: 'timed out after 900s' },
  { type: 'job', id: JOBS[0]!.id, output: JOBS[0]!.output, state: 'done', seconds: 3.25, sha256: 'ab'.repeat(32), size: 1234 },
];

test('plain lines: ISO time, one line per state change, no control characters (golden)', (t) => {
  const lines = EVENTS.map((event) => formatPlainEvent(stamp(event, AT))).filter((line) => line !== undefined);
  t.snapshot(lines);
  for (const line of lines) t.notRegex(line!, /[\u0000-\u001f\u007f]/);
});

test('control characters in messages never reach plain output', (t) => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (message) => {
      const line = formatPlainEvent(stamp({ type: 'log', level: 'info', message }, AT))!;
      return !/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(line);
    }),
    { numRuns: 500 },
  );
  t.is(stripControlCharacters('\u001b[31mred\u001b[0m\r\nnext'), 'red\nnext');
});

test('the JSON reporter writes one parseable event per line on stdout, with a time', (t) => {
  const out = collect();
  const reporter = createReporter({ mode: 'json', stdout: out.stream, now: () => AT });
  reporter.info('hello');
  for (const event of EVENTS) reporter.event(event);
  reporter.event({ type: 'result', ok: false, exitCode: 3, error: '1 of 2 builds failed' });
  const lines = out.text().trimEnd().split('\n');
  t.is(lines.length, EVENTS.length + 2);
  const parsed = lines.map((line) => JSON.parse(line) as { time: string; type: string });
  t.true(parsed.every((event) => event.time === AT.toISOString()));
  t.deepEqual(
    parsed.map((event) => event.type),
    ['log', 'plan', 'job', 'log', 'job', 'job', 'result'],
  );
});

test('plain reporter with --quiet keeps failures and warnings only', (t) => {
  const err = collect();
  const reporter = createReporter({ mode: 'plain', quiet: true, stream: err.stream, now: () => AT });
  reporter.info('not shown');
  for (const event of EVENTS) reporter.event(event);
  reporter.warn('shown');
  t.snapshot(err.text());
});

test('the live view: one line per target with state and time, then counts', (t) => {
  const view = renderLiveView(
    [
      { ...JOBS[0]!, state: 'building', startedAt: 1000 },
      { ...JOBS[1]!, state: 'failed', startedAt: 1000, endedAt: 3500, detail: 'timeout' },
      { ...JOBS[0]!, id: 'x', output: 'tool_darwin_arm64', state: 'queued' },
    ],
    5000,
  );
  t.snapshot(view);
  t.is(view.split('\n').length, 4);
});

test('the live view is chosen only on a terminal, outside CI, without --quiet or --json', (t) => {
  t.is(chooseReporterMode({ json: false, quiet: false, isTTY: true, env: {} }), 'live');
  t.is(chooseReporterMode({ json: false, quiet: false, isTTY: false, env: {} }), 'plain');
  t.is(chooseReporterMode({ json: false, quiet: false, isTTY: true, env: { CI: 'true' } }), 'plain');
  t.is(chooseReporterMode({ json: false, quiet: true, isTTY: true, env: {} }), 'plain');
  t.is(chooseReporterMode({ json: false, quiet: false, isTTY: true, env: { TERM: 'dumb' } }), 'plain');
  t.is(chooseReporterMode({ json: true, quiet: false, isTTY: true, env: {} }), 'json');
  // A pseudo-terminal nobody gave a size: the live view would be clipped to nothing.
  t.is(chooseReporterMode({ json: false, quiet: false, isTTY: true, rows: 0, env: {} }), 'plain');
  t.is(chooseReporterMode({ json: false, quiet: false, isTTY: true, rows: 40, env: {} }), 'live');
});

test('the run report keeps the last state of every target (golden)', (t) => {
  const sink = createReporter({ mode: 'json', stdout: collect().stream });
  const recorder = recordEvents(sink, () => AT);
  for (const event of EVENTS) recorder.reporter.event(event);
  const report = buildRunReport({
    airlockVersion: '0.1.0',
    events: recorder.events,
    startedAt: AT,
    finishedAt: new Date(AT.getTime() + 4000),
    exitCode: 3,
    error: { message: '1 of 2 builds failed', hint: 'see the errors above' },
    outDir: '/work/dist',
  });
  t.is(report.schema, RUN_REPORT_SCHEMA);
  t.false(report.ok);
  t.deepEqual(
    report.targets.map((target) => [target.output, target.state, target.reason ?? '']),
    [
      ['tool_linux_amd64', 'done', ''],
      ['tool_windows_amd64.exe', 'failed', 'timeout'],
    ],
  );
  t.snapshot(report);
});

test('a failed target is reported as what killed it', (t) => {
  for (const limit of ['timeout', 'out-of-memory', 'disk-full', 'pids-limit', 'nofile-limit'] as const) {
    t.is(failureReason(new SandboxLimitError({ limit, message: `stopped by ${limit}`, hint: 'raise it' })), limit);
  }
  t.is(failureReason(new BuildError('compile error')), 'build-failed');
  t.is(failureReason(new VerificationError('not static')), 'verification-failed');
  t.is(failureReason(new EngineError('gone')), 'engine');
  t.is(failureReason(new InterruptedError('stop')), 'interrupted');
  t.is(failureReason(new InputError('bad')), 'build-failed');
});

test('the live reporter redraws one line per target in place on a terminal and leaves the last state on screen', (t) => {
  const out = collect();
  const terminal = Object.assign(out.stream, { isTTY: true, columns: 100, rows: 40 });
  const reporter = createReporter({ mode: 'live', stream: terminal, createLogUpdate });
  reporter.event(EVENTS[0]!);
  reporter.info('building . for linux/amd64 with go1.26.8');
  reporter.event(EVENTS[1]!);
  reporter.event(EVENTS[3]!);
  reporter.event(EVENTS[4]!);
  reporter.close();
  const text = out.text();
  // Cursor movement and line erasing: the view is redrawn, not appended.
  t.regex(text, /\u001b\[\d*[AGK]/);
  t.regex(text, /airlock: building \. for linux\/amd64 with go1\.26\.8\n/);
  t.regex(text, /✔ tool_linux_amd64\s+done\s+\d+\.\ds\s+sha256 abababababab/);
  t.regex(text, /✘ tool_windows_amd64\.exe\s+failed\s+\d+\.\ds\s+timeout/);
  t.regex(text, /1\/2 done, 0 running, 0 queued, 1 failed/);
});

test('an interrupt ends the live view: a target still building shows failed (interrupted), a queued one skipped', async (t) => {
  const out = collect();
  const terminal = Object.assign(out.stream, { isTTY: true, columns: 100, rows: 40 });
  const reporter = createReporter({ mode: 'live', stream: terminal, createLogUpdate });
  reporter.event(EVENTS[0]!);
  reporter.event(EVENTS[1]!);
  await runInterruptCleanup();
  const text = out.text();
  t.regex(text, /✘ tool_linux_amd64\s+failed\s+\d+\.\ds\s+interrupted/);
  t.regex(text, /tool_windows_amd64\.exe\s+skipped\s+interrupted/);
  t.regex(text, /0\/2 done, 0 running, 0 queued, 1 failed/);
  // The view is finished: nothing is drawn after it, even if events still arrive.
  const length = text.length;
  reporter.event({ type: 'job', id: JOBS[0]!.id, output: JOBS[0]!.output, state: 'building', seconds: 1 });
  reporter.close();
  t.is(out.text().length, length);
});

test('with a module set, the report carries the checksum database head and each module version status', (t) => {
  const recorder = recordEvents(createReporter({ mode: 'json', stdout: collect().stream }), () => AT);
  recorder.reporter.event({
    type: 'checksum-database',
    key: 'sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8',
    tree: { size: 73014680, hash: 'jb6Q4HD+QFUKiN6tAeB33WCIT4sm6ygfUN2r6ZMT5yQ=' },
    allowUnproven: false,
    modules: [
      { path: 'github.com/google/uuid', version: 'v1.6.0', status: 'proven', record: 22152757 },
      { path: 'git.corp.example/lib', version: 'v1.0.0', status: 'private' },
    ],
  });
  for (const event of EVENTS) recorder.reporter.event(event);
  const report = buildRunReport({ airlockVersion: '0.1.0', events: recorder.events, startedAt: AT, finishedAt: AT, exitCode: 0 });
  t.deepEqual(report.checksumDatabase?.tree, { size: 73014680, hash: 'jb6Q4HD+QFUKiN6tAeB33WCIT4sm6ygfUN2r6ZMT5yQ=' });
  t.deepEqual(
    report.checksumDatabase?.modules.map((m) => `${m.path}@${m.version} ${m.status}`),
    ['github.com/google/uuid@v1.6.0 proven', 'git.corp.example/lib@v1.0.0 private'],
  );
  // Not a line of plain output: the build logs its own summary line.
  t.is(formatPlainEvent({ ...recorder.events[0]!, time: AT.toISOString() }), undefined);
});
