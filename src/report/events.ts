import { countOf } from './wording.js';

/**
 * What a build tells the outside world as it goes: the stream behind the live view, the plain log lines and
 * `--json` (one event per line). The shapes are documented in docs/json-events.md; change them only by adding.
 */
/** `running`: a go vet or go test job of `airlock test` (a build job is `building`). */
export type JobState = 'queued' | 'preparing-image' | 'building' | 'running' | 'verifying' | 'done' | 'failed' | 'skipped';

/** Why a target failed, for the report and the CI system: more precise than the exit code. */
export type FailureReason =
  | 'build-failed'
  | 'timeout'
  | 'out-of-memory'
  | 'disk-full'
  | 'pids-limit'
  | 'nofile-limit'
  | 'verification-failed'
  | 'engine'
  | 'interrupted'
  | 'skipped';

export interface JobInfo {
  id: string;
  output: string;
  target: string;
  toolchain: string;
  package: string;
}

/** A module version's status in the Go checksum database proof (see README, Dependencies). */
export interface ModuleEvidenceInfo {
  path: string;
  version: string;
  status: 'proven' | 'mismatch' | 'private' | 'no-evidence';
  record?: number;
}

export type BuildEvent =
  | { type: 'plan'; module: string; jobs: JobInfo[]; shard?: string; purpose?: 'test' }
  | { type: 'job'; id: string; output: string; state: JobState; seconds: number; sha256?: string; size?: number; reason?: FailureReason; message?: string }
  | { type: 'log'; level: 'info' | 'warn' | 'debug'; message: string }
  | { type: 'checksum-database'; key: string; tree?: { size: number; hash: string }; allowUnproven: boolean; modules: ModuleEvidenceInfo[] }
  | { type: 'result'; ok: boolean; exitCode: number; outDir?: string; error?: string; hint?: string };

export type TimedEvent = BuildEvent & { time: string };

export function stamp(event: BuildEvent, now: Date): TimedEvent {
  return { time: now.toISOString(), ...event };
}

/**
 * Terminal control characters never reach plain output, whatever a message carries (a compiler's colours,
 * say); line breaks and tabs stay, as a compiler's multi-line messages need them.
 */
export function stripControlCharacters(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}

const STATE_WORDS: Record<JobState, string> = {
  queued: 'queued',
  'preparing-image': 'preparing image',
  building: 'building',
  running: 'running',
  verifying: 'verifying',
  done: 'done',
  failed: 'failed',
  skipped: 'skipped',
};

export function describeState(state: JobState): string {
  return STATE_WORDS[state];
}

/** One plain log line: ISO time, then what happened; no colours, no cursor movement. */
export function formatPlainEvent(event: TimedEvent): string | undefined {
  const prefix = `${event.time} airlock:`;
  switch (event.type) {
    case 'plan':
      return `${prefix} plan: ${countOf(event.jobs.length, event.purpose === 'test' ? 'vet and test job' : 'build')} of ${event.module}${event.shard ? ` (shard ${event.shard})` : ''}`;
    case 'job': {
      if (event.state === 'queued') return undefined;
      const extra =
        event.state === 'done'
          ? ` (${event.size ?? 0} bytes, sha256 ${(event.sha256 ?? '').slice(0, 12)})`
          : event.state === 'failed' || event.state === 'skipped'
            ? `: ${event.reason ?? 'failed'}${event.message ? `: ${event.message}` : ''}`
            : '';
      return stripControlCharacters(`${prefix} ${event.output}: ${describeState(event.state)} after ${event.seconds.toFixed(1)}s${extra}`);
    }
    case 'log':
      return stripControlCharacters(`${prefix} ${event.level === 'info' ? '' : event.level === 'warn' ? 'warning: ' : 'debug: '}${event.message}`);
    case 'result':
    case 'checksum-database':
      return undefined;
  }
}
