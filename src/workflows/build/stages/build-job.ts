import fs from 'fs-extra';
import { describeBinaryDifference } from '../../../binary/binary-difference.js';
import { checkStaticExecutable } from '../../../binary/static-check.js';
import { VerificationError } from '../../../errors.js';
import { type WorkerBuildRequest, runInFreshWorker } from '../../../sandbox/worker.js';
import type { BuildJob } from '../resolve.js';
import type { BuildRun, BuiltArtifact } from '../run.js';
import { stagingOf } from '../stage.js';
import { workerOpenRequest } from '../worker-request.js';
import type { JobProgress } from './build-targets.js';

/**
 * One job: its toolchain's image (built once), the build in a worker, the binary out into staging, with
 * --check a second build in a fresh container compared byte for byte, then the static-binary check.
 */
export async function buildJob(run: BuildRun, job: BuildJob, index: number, progress: JobProgress, releaseSlot: () => void): Promise<BuiltArtifact> {
  const { build, reporter } = run;
  const { image, toolchain } = build.toolchains.get(job.toolchain)!;
  progress('preparing-image');
  const ensured = await run.images.ensure(
    image,
    toolchain.goroot,
    () => reporter.info(`building the sandbox image ${image.tag} from ${job.toolchain} (once per toolchain)`),
    () => reporter.info(`waiting for another airlock process building the sandbox image ${image.tag}`),
  );
  if (ensured.built && !run.imagesBuilt.includes(ensured.tag)) run.imagesBuilt.push(ensured.tag);
  const started = Date.now();
  const startedOn = new Date();
  reporter.info(`building ${job.label}`);
  const hostOutputPath = await stagingOf(run).directoryFor(job.output);
  const request: WorkerBuildRequest = {
    command: job.command,
    outputName: job.outputName,
    ...(job.cacheVolume ? { persistentCache: true } : {}),
    hostOutputPath,
    maxOutputBytes: job.maxOutputBytes,
    label: job.label,
  };
  progress('building');
  const built = await run.pool.run(job.toolchain, (worker) => worker.build(request));
  // The build is over: the slot's next build starts while this binary is copied out and checked. A --check
  // build keeps its slot, as its second build is still to come; with --fail-fast a failed check must stop
  // the next build from starting.
  if (!build.run.check && !build.run.failFast) releaseSlot();
  const received = await built.output;
  progress('verifying');
  const bytes = await fs.readFile(hostOutputPath);
  if (build.run.check) await checkReproducible(run, job, index, request, bytes);
  const linkage = checkStaticExecutable(bytes);
  if (!linkage.static) {
    throw new VerificationError(`${job.output} is not a static binary: ${linkage.reason ?? 'unknown reason'}`, {
      hint: 'airlock only accepts static binaries; remove cgo from the build (it runs with CGO_ENABLED=0)',
    });
  }
  return {
    file: job.output,
    target: job.target,
    package: job.package,
    toolchain: job.toolchain,
    size: bytes.length,
    sha256: received.sha256,
    seconds: (Date.now() - started) / 1000,
    job,
    ...(built.placement ? { placement: built.placement } : {}),
    startedOn,
    finishedOn: new Date(),
  };
}

/** The reproducibility check: the same job again in a fresh container must give the same bytes. */
async function checkReproducible(run: BuildRun, job: BuildJob, index: number, request: WorkerBuildRequest, bytes: Buffer): Promise<void> {
  const again = `${request.hostOutputPath}.check`;
  const open = await workerOpenRequest(run, job.toolchain, `airlock-${run.runId}-${index}-check`);
  await runInFreshWorker(run.engine, run.tracker, run.build.policy, open, { ...request, hostOutputPath: again, label: `${job.label} (check)` }, run.guard);
  const second = await fs.readFile(again);
  await fs.remove(again);
  if (!second.equals(bytes)) {
    throw new VerificationError(`${job.output} is not reproducible: two builds in fresh containers differ (${describeBinaryDifference(bytes, second).join('; ')})`, {
      hint: 'look for inputs that change between runs: time, randomness or environment read at build time (go:generate output, embedded files, -ldflags -X values)',
    });
  }
  run.reporter.info(`checked ${job.output}: a second build in a fresh container is byte-identical`);
}
