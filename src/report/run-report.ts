import type { BuildEvent, FailureReason, JobInfo, JobState, TimedEvent } from './events.js';
import { stamp } from './events.js';
import type { Reporter } from './reporter.js';

export const RUN_REPORT_SCHEMA = 'airlock.dev/report/v1';

export interface TargetReport extends JobInfo {
  state: JobState;
  seconds: number;
  sha256?: string;
  size?: number;
  reason?: FailureReason;
  message?: string;
}

/** `airlock build --report FILE`: what a CI system archives about a run. Documented in docs/json-events.md. */
export interface RunReport {
  schema: typeof RUN_REPORT_SCHEMA;
  airlock: string;
  module?: string;
  shard?: string;
  startedAt: string;
  finishedAt: string;
  ok: boolean;
  exitCode: number;
  error?: { message: string; hint?: string };
  outDir?: string;
  /** With a module set: the signed checksum database head and each module version's status. */
  checksumDatabase?: Omit<Extract<TimedEvent, { type: 'checksum-database' }>, 'type' | 'time'>;
  targets: TargetReport[];
}

/** Passes everything through to the reporter it wraps and keeps the build events for the report. */
export function recordEvents(inner: Reporter, now: () => Date = () => new Date()): { reporter: Reporter; events: TimedEvent[] } {
  const events: TimedEvent[] = [];
  return {
    events,
    reporter: {
      info: (message) => inner.info(message),
      warn: (message) => inner.warn(message),
      debug: (message) => inner.debug(message),
      event: (event: BuildEvent) => {
        if (event.type !== 'log') events.push(stamp(event, now()));
        inner.event(event);
      },
      close: () => inner.close(),
    },
  };
}

/** The report of a run, from its recorded events: the last state each target reached. */
export function buildRunReport(input: {
  airlockVersion: string;
  events: readonly TimedEvent[];
  startedAt: Date;
  finishedAt: Date;
  exitCode: number;
  error?: { message: string; hint?: string };
  outDir?: string;
}): RunReport {
  const plan = [...input.events].reverse().find((event): event is Extract<TimedEvent, { type: 'plan' }> => event.type === 'plan');
  const evidence = input.events.find((event): event is Extract<TimedEvent, { type: 'checksum-database' }> => event.type === 'checksum-database');
  const targets: TargetReport[] = (plan?.jobs ?? []).map((job) => {
    const last = [...input.events]
      .reverse()
      .find((event): event is Extract<TimedEvent, { type: 'job' }> => event.type === 'job' && event.id === job.id);
    return {
      ...job,
      state: last?.state ?? 'queued',
      seconds: last?.seconds ?? 0,
      ...(last?.sha256 !== undefined ? { sha256: last.sha256 } : {}),
      ...(last?.size !== undefined ? { size: last.size } : {}),
      ...(last?.reason !== undefined ? { reason: last.reason } : {}),
      ...(last?.message !== undefined ? { message: last.message } : {}),
    };
  });
  return {
    schema: RUN_REPORT_SCHEMA,
    airlock: input.airlockVersion,
    ...(plan ? { module: plan.module } : {}),
    ...(plan?.shard ? { shard: plan.shard } : {}),
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    ok: input.exitCode === 0,
    exitCode: input.exitCode,
    ...(input.error ? { error: input.error } : {}),
    ...(input.outDir !== undefined ? { outDir: input.outDir } : {}),
    ...(evidence ? { checksumDatabase: { key: evidence.key, ...(evidence.tree ? { tree: evidence.tree } : {}), allowUnproven: evidence.allowUnproven, modules: evidence.modules } } : {}),
    targets,
  };
}
