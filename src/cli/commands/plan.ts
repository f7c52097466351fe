import os from 'node:os';
import { prepareBuild, releasePreparedBuild } from '../../build-pipeline.js';
import { formatTable } from '../../report/summary.js';
import { hostPlatform } from '../../plan/host-platform.js';
import { type BuildArguments, toBuildRequest } from './build.js';
import { commandContext } from '../context.js';

export async function runPlanCommand(args: Omit<BuildArguments, 'jobs'> & { json: boolean }): Promise<void> {
  const context = commandContext(args);
  const request = toBuildRequest(args, context);
  const prepared = await prepareBuild(request, hostPlatform(os.platform(), os.arch()));
  await releasePreparedBuild(prepared);
  if (args.json) {
    context.stdout.write(`${JSON.stringify(prepared.plan, null, 2)}\n`);
    return;
  }
  for (const note of prepared.notes) context.reporter.info(note);
  context.reporter.info(prepared.moduleInputs.summary);
  const images = new Map(prepared.plan.toolchains.map((toolchain) => [toolchain.version, toolchain.image]));
  const rows = prepared.plan.jobs.map((job) => [job.toolchain, job.target, job.package, job.output, images.get(job.toolchain) ?? '']);
  context.stdout.write(`${formatTable([['TOOLCHAIN', 'TARGET', 'PACKAGE', 'OUTPUT', 'IMAGE'], ...rows])}\n`);
}
