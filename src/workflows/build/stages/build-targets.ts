import { AirlockError, BuildError, EngineError, InputError, InterruptedError, VerificationError } from '../../../errors.js';
import type { FailureReason, JobState } from '../../../report/events.js';
import type { Reporter } from '../../../report/reporter.js';
import { runScheduled } from '../../../sandbox/job-scheduler.js';
import { SandboxLimitError } from '../../../sandbox/worker.js';
import { formatShard } from '../../../plan/shards.js';
import type { BuildJob } from '../resolve.js';
import type { BuildStage } from '../stage.js';
import { buildJob } from './build-job.js';

export type JobProgress = (state: JobState, extra?: { sha256?: string; size?: number; reason?: FailureReason; message?: string }) => void;

/**
 * Runs every job of the plan, --jobs at a time, each slot keeping to one toolchain's worker while it has work
 * (job-scheduler). A failed job does not stop the others, unless --fail-fast; an interrupt stops new starts.
 * The run fails after the last job with one error for all failures.
 */
export const buildTargets: BuildStage = {
  name: 'build the targets',
  async run(run) {
    const { plan, jobs, run: settings } = run.build;
    const started = new Set<string>();
    let stopping: string | undefined;
    run.reporter.event({
      type: 'plan',
      module: plan.module.path,
      jobs: jobs.map(({ id, output, target, toolchain, package: pkg }) => ({ id, output, target, toolchain, package: pkg })),
      ...(run.build.shard ? { shard: formatShard(run.build.shard.shard) } : {}),
    });
    await runScheduled(jobs, settings.jobs, async (job, index, release) => {
      const progress = jobProgress(run.reporter, job);
      // Interrupted: the clean-up has begun, so nothing new may start.
      if (run.tracker.isClosed) {
        progress('skipped', { reason: 'interrupted' });
        return;
      }
      if (stopping !== undefined) {
        progress('skipped', { reason: 'skipped', message: `--fail-fast: ${stopping} failed` });
        return;
      }
      started.add(job.id);
      try {
        const artifact = await buildJob(run, job, index, progress, release);
        run.artifacts.push(artifact);
        progress('done', { sha256: artifact.sha256, size: artifact.size });
      } catch (error) {
        if (!(error instanceof AirlockError)) throw error;
        run.failures.push(error);
        progress('failed', { reason: failureReason(error), message: error.message });
        // An interrupt fails every running target alike; the failed line above says so once per target.
        if (jobs.length > 1 && !(error instanceof InterruptedError)) run.reporter.warn(`${job.output}: ${error.message}`);
        // Queued jobs then end at once as skipped; running ones finish.
        if (settings.failFast) stopping ??= job.output;
      }
    });
    // No later stage runs a sandbox: the workers go now, while the outputs are attested and published (the
    // run's clean-up waits for this and reports what could not be removed).
    void run.pool.closeAll().catch(() => undefined);
    const { failures } = run;
    if (failures.length > 0) throw failures.length === 1 && started.size === jobs.length ? failures[0]! : combineFailures(failures, jobs.length, started.size);
  },
};

/** Reports one job's state changes, with the seconds since it left the queue. */
function jobProgress(reporter: Reporter, job: BuildJob): JobProgress {
  const since = Date.now();
  return (state, extra = {}) => reporter.event({ type: 'job', id: job.id, output: job.output, state, seconds: (Date.now() - since) / 1000, ...extra });
}

/** What the report and the JSON stream say a failed target died of. */
export function failureReason(error: AirlockError): FailureReason {
  if (error instanceof SandboxLimitError) return error.limit;
  if (error instanceof VerificationError) return 'verification-failed';
  if (error instanceof EngineError) return 'engine';
  if (error instanceof InterruptedError) return 'interrupted';
  return 'build-failed';
}

function combineFailures(failures: AirlockError[], total: number, attempted: number): AirlockError {
  // An engine that failed every target is the run's one cause: say that, with its exit code.
  if (failures.every((failure) => failure instanceof EngineError)) return failures[0]!;
  // So is one piece of bad input that stopped every target alike (a Kubernetes cluster without the sandbox
  // image, say): one message and its exit code, not N copies of it under "N builds failed".
  if (failures.every((failure) => failure instanceof InputError && failure.message === failures[0]!.message)) return failures[0]!;
  const skipped = total - attempted;
  const message = `${failures.length} of ${total} builds failed${skipped > 0 ? ` (${skipped} not started: --fail-fast)` : ''}`;
  const details = failures.map((failure) => [`--- ${failure.message}`, failure.details ?? ''].join('\n').trim()).join('\n');
  const Kind = failures.every((failure) => failure instanceof VerificationError) ? VerificationError : BuildError;
  return new Kind(message, { hint: failures[0]!.hint ?? 'see the errors above', details });
}
