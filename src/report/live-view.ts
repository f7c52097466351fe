import { type JobInfo, type JobState, describeState } from './events.js';

export interface LiveJob extends JobInfo {
  state: JobState;
  /** When the job left the queue (ms since epoch), or when it ended for finished jobs. */
  startedAt?: number;
  endedAt?: number;
  detail?: string;
}

const MARKS: Record<JobState, string> = {
  queued: '·',
  'preparing-image': '…',
  building: '…',
  running: '…',
  verifying: '…',
  done: '✔',
  failed: '✘',
  skipped: '-',
};

function elapsed(job: LiveJob, now: number): string {
  if (job.startedAt === undefined) return '';
  return `${(((job.endedAt ?? now) - job.startedAt) / 1000).toFixed(1)}s`;
}

/** The live view's text: one line per target with its state and elapsed time, then a count line. */
export function renderLiveView(jobs: readonly LiveJob[], now: number, width = 120): string {
  const nameWidth = Math.max(...jobs.map((job) => job.output.length), 4);
  const lines = jobs.map((job) => {
    const line = `${MARKS[job.state]} ${job.output.padEnd(nameWidth)}  ${describeState(job.state).padEnd(15)} ${elapsed(job, now).padStart(7)}${job.detail ? `  ${job.detail}` : ''}`;
    return line.length > width ? `${line.slice(0, width - 1)}…` : line;
  });
  const count = (state: JobState) => jobs.filter((job) => job.state === state).length;
  const running = jobs.length - count('queued') - count('done') - count('failed') - count('skipped');
  lines.push(`${count('done')}/${jobs.length} done, ${running} running, ${count('queued')} queued${count('failed') > 0 ? `, ${count('failed')} failed` : ''}`);
  return lines.join('\n');
}
