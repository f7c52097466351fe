import { AirlockError, InterruptedError } from '../../errors.js';
import { runScheduled } from '../../sandbox/job-scheduler.js';
import { failureReason } from '../build/index.js';
import { sha256Hex } from '../../util/hash.js';
import { type TestRun, type TestStage, reportText } from './run.js';
import type { TestJob } from './resolve.js';

/** A test run's JSON stream is kept whole up to this size; a suite that prints more is cut (and so reported). */
export const MAX_TEST_OUTPUT_BYTES = 256 * 1024 * 1024;

/**
 * Runs the vet and test jobs, --jobs at a time, in workers of each toolchain's image. A failing test or a vet
 * finding is a result, read later; a sandbox limit, the engine or an interrupt fails the job, and the run.
 */
export const runTestJobs: TestStage = {
  name: 'run go vet and go test',
  async run(run) {
    const { jobs } = run.test;
    run.reporter.event({
      type: 'plan',
      module: run.build.plan.module.path,
      purpose: 'test',
      jobs: jobs.map((job) => ({ id: job.id, output: job.output, target: job.target, toolchain: job.toolchain, package: `go ${job.kind} ${run.test.selection.packages.join(' ')}` })),
    });
    // One slot per toolchain (at most --jobs): its worker runs go vet for each target, then go test, with one
    // build cache, so the packages vet compiled are not compiled again; the go command uses every CPU itself.
    const toolchains = new Set(jobs.map((job) => job.toolchain)).size;
    await runScheduled(jobs, Math.min(run.build.run.jobs, toolchains), async (job) => {
      const since = Date.now();
      const progress = (state: 'preparing-image' | 'running' | 'done' | 'failed' | 'skipped', extra: Record<string, unknown> = {}) =>
        run.reporter.event({ type: 'job', id: job.id, output: job.output, state, seconds: (Date.now() - since) / 1000, ...extra });
      if (run.tracker.isClosed) {
        progress('skipped', { reason: 'interrupted' });
        return;
      }
      try {
        const report = await runJob(run, job, () => progress('running'), () => progress('preparing-image'));
        progress('done', { sha256: sha256Hex(report), size: Buffer.byteLength(report) });
      } catch (error) {
        if (!(error instanceof AirlockError)) throw error;
        run.failures.push(error);
        progress('failed', { reason: failureReason(error), message: error.message });
        if (jobs.length > 1 && !(error instanceof InterruptedError)) run.reporter.warn(`${job.output}: ${error.message}`);
      }
    });
    if (run.failures.length > 0) throw run.failures[0]!;
  },
};

/** Runs one job and keeps what it printed; returns its report as written to the output directory. */
async function runJob(run: TestRun, job: TestJob, running: () => void, preparing: () => void): Promise<string> {
  const { image, toolchain } = run.build.toolchains.get(job.toolchain)!;
  preparing();
  const ensured = await run.images.ensure(
    image,
    toolchain.goroot,
    () => run.reporter.info(`building the sandbox image ${image.tag} from ${job.toolchain} (once per toolchain)`),
    () => run.reporter.info(`waiting for another airlock process building the sandbox image ${image.tag}`),
  );
  if (ensured.built && !run.imagesBuilt.includes(ensured.tag)) run.imagesBuilt.push(ensured.tag);
  running();
  run.reporter.info(`go ${job.kind} ${job.label}`);
  const startedOn = new Date();
  const result = await run.pool.run(job.toolchain, (worker) =>
    worker.runCommand({
      command: job.command,
      action: `go ${job.kind}`,
      label: job.label,
      ...(job.cacheVolume ? { persistentCache: true } : {}),
      ...(job.kind === 'vet' ? { keepBuildCache: true } : {}),
      maxOutputBytes: MAX_TEST_OUTPUT_BYTES,
    }),
  );
  const record = { job, ...result, startedOn, finishedOn: new Date() };
  run.results.push(record);
  return reportText(record);
}
