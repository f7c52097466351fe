import type { createLogUpdate } from 'log-update';
import { type BuildEvent, type JobInfo, formatPlainEvent, stamp, stripControlCharacters } from './events.js';
import { type LiveJob, renderLiveView } from './live-view.js';
import { onInterrupt } from '../cleanup.js';

/**
 * How stages tell the user what is happening. Messages go to stderr so stdout stays machine-readable; with
 * --json, every message and event goes to stdout as one JSON object per line instead.
 */
export interface Reporter {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
  /** Progress of a build: drives the live view, the plain lines and the JSON stream. */
  event(event: BuildEvent): void;
  /** Ends the live view, leaving its last state on the screen. */
  close(): void;
}

export type ReporterMode = 'plain' | 'live' | 'json';

export interface ReporterOptions {
  mode?: ReporterMode;
  quiet?: boolean;
  debug?: boolean;
  stream?: NodeJS.WritableStream;
  stdout?: NodeJS.WritableStream;
  now?: () => Date;
  /** log-update's factory, which the live view needs; loaded only for a terminal (it costs ~60 ms to import). */
  createLogUpdate?: typeof createLogUpdate;
}

/**
 * The live view only on an interactive terminal outside CI; plain lines everywhere else. A terminal that
 * reports no size (0 rows, as a pseudo-terminal nobody sized does) gets plain lines too: a view redrawn in
 * zero rows would show nothing at all.
 */
export function chooseReporterMode(options: { json: boolean; quiet: boolean; isTTY: boolean; rows?: number; env: NodeJS.ProcessEnv }): ReporterMode {
  if (options.json) return 'json';
  const ci = options.env.CI !== undefined && options.env.CI !== '' && options.env.CI !== 'false' && options.env.CI !== '0';
  const sized = options.rows === undefined || options.rows > 0;
  return options.isTTY && sized && !ci && !options.quiet && options.env.TERM !== 'dumb' ? 'live' : 'plain';
}

export function createReporter(options: ReporterOptions = {}): Reporter {
  switch (options.mode ?? 'plain') {
    case 'json':
      return jsonReporter(options);
    case 'live':
      return liveReporter(options);
    case 'plain':
      return plainReporter(options);
  }
}

function plainReporter(options: ReporterOptions): Reporter {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? (() => new Date());
  const write = (event: BuildEvent) => {
    const line = formatPlainEvent(stamp(event, now()));
    if (line !== undefined) stream.write(`${line}\n`);
  };
  return {
    info: (message) => {
      if (!options.quiet) write({ type: 'log', level: 'info', message });
    },
    warn: (message) => write({ type: 'log', level: 'warn', message }),
    debug: (message) => {
      if (options.debug) write({ type: 'log', level: 'debug', message });
    },
    event: (event) => {
      if (!options.quiet || (event.type === 'job' && event.state === 'failed')) write(event);
    },
    close: () => undefined,
  };
}

function jsonReporter(options: ReporterOptions): Reporter {
  const stdout = options.stdout ?? process.stdout;
  const now = options.now ?? (() => new Date());
  const write = (event: BuildEvent) => stdout.write(`${JSON.stringify(stamp(event, now()))}\n`);
  return {
    info: (message) => write({ type: 'log', level: 'info', message }),
    warn: (message) => write({ type: 'log', level: 'warn', message }),
    debug: (message) => {
      if (options.debug) write({ type: 'log', level: 'debug', message });
    },
    event: write,
    close: () => undefined,
  };
}

function liveReporter(options: ReporterOptions): Reporter {
  const stream = (options.stream ?? process.stderr) as NodeJS.WriteStream;
  if (!options.createLogUpdate) throw new Error('the live view needs log-update: pass createLogUpdate');
  const view = options.createLogUpdate(stream, { showCursor: true });
  const jobs: LiveJob[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  // On an interrupt the process exits from the signal handler: end the view first, so no line is left
  // claiming a target is still building.
  const stopOnInterrupt = onInterrupt(async () => {
    for (const job of jobs) {
      if (job.state === 'done' || job.state === 'failed' || job.state === 'skipped') continue;
      job.state = job.state === 'queued' ? 'skipped' : 'failed';
      job.endedAt = Date.now();
      job.detail = 'interrupted';
    }
    close();
  }, { first: true });
  const render = () => {
    if (jobs.length > 0 && !closed) view(renderLiveView(jobs, Date.now(), stream.columns ?? 120));
  };
  const persist = (line: string) => {
    if (!closed) view.clear();
    stream.write(`${line}\n`);
    render();
  };
  return {
    info: (message) => {
      if (!options.quiet) persist(`airlock: ${stripControlCharacters(message)}`);
    },
    warn: (message) => persist(`airlock: warning: ${stripControlCharacters(message)}`),
    debug: (message) => {
      if (options.debug) persist(`airlock: debug: ${stripControlCharacters(message)}`);
    },
    event: (event) => {
      if (event.type === 'plan') {
        jobs.splice(0, jobs.length, ...event.jobs.map((job: JobInfo) => ({ ...job, state: 'queued' as const })));
        timer ??= setInterval(render, 200).unref();
      } else if (event.type === 'job') {
        const job = jobs.find((candidate) => candidate.id === event.id);
        if (!job) return;
        job.state = event.state;
        if (event.state !== 'queued') job.startedAt ??= Date.now() - event.seconds * 1000;
        if (event.state === 'done' || event.state === 'failed' || event.state === 'skipped') {
          job.endedAt = Date.now();
          job.detail = event.state === 'done' ? `sha256 ${(event.sha256 ?? '').slice(0, 12)}` : event.reason;
        }
      }
      render();
    },
    close,
  };
  function close(): void {
    if (closed) return;
    stopOnInterrupt();
    if (timer) clearInterval(timer);
    render();
    closed = true;
    view.done();
  }
}

export const silentReporter: Reporter = {
  info: () => undefined,
  warn: () => undefined,
  debug: () => undefined,
  event: () => undefined,
  close: () => undefined,
};
