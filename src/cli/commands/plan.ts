import { describeSupplyChain } from '../../workflows/prove-supply-chain.js';
import type { Argv } from 'yargs';
import os from 'node:os';
import { prepareBuild, releasePreparedBuild } from '../../workflows/build/index.js';
import { formatTable } from '../../report/summary.js';
import { localEnginePlatform } from '../../plan/host-platform.js';
import { PLAN_FORMATS, type PlanFormat, githubMatrix, gitlabMatrix, summariseShards } from '../../plan/ci-matrix.js';
import { validateShardCount } from '../../plan/shards.js';
import { type BuildArguments, buildOptions, toBuildRequest } from './build.js';
import { commandEntry } from '../command-index.js';
import { type GlobalOptions, commandContext } from '../context.js';

export interface PlanArguments extends BuildArguments {
  json: boolean;
  format?: PlanFormat;
  shards?: number;
}

export async function runPlanCommand(args: PlanArguments): Promise<void> {
  const context = await commandContext(args);
  const format: PlanFormat = args.format ?? (args.json ? 'json' : 'table');
  const shards = args.shards === undefined ? undefined : validateShardCount(args.shards);
  const request = toBuildRequest(args, context);
  // The engine's platform, as `build` resolves for, without needing an engine to plan (a CI plan job has none).
  const prepared = await prepareBuild(request, localEnginePlatform(os.arch()));
  await releasePreparedBuild(prepared);
  const { plan } = prepared;
  switch (format) {
    case 'json':
      context.stdout.write(`${JSON.stringify(shards === undefined ? plan : { ...plan, shards: summariseShards(plan, shards) }, null, 2)}\n`);
      return;
    case 'github':
      // One line: it goes into $GITHUB_OUTPUT as `matrix=...`.
      context.stdout.write(`${JSON.stringify(githubMatrix(plan, shards ?? 1))}\n`);
      return;
    case 'gitlab':
      context.stdout.write(`${JSON.stringify(gitlabMatrix(plan, shards ?? 1), null, 2)}\n`);
      return;
    case 'table': {
      for (const note of prepared.notes) context.reporter.info(note);
      context.reporter.info(prepared.moduleInputs.summary);
      if (prepared.plan.modules?.checksumDatabase) context.reporter.info(describeSupplyChain(prepared.plan.modules.checksumDatabase));
      const images = new Map(plan.toolchains.map((toolchain) => [toolchain.version, toolchain.image]));
      const rows = plan.jobs.map((job) => [job.toolchain, job.target, job.package, job.output, images.get(job.toolchain) ?? '']);
      context.stdout.write(`${formatTable([['TOOLCHAIN', 'TARGET', 'PACKAGE', 'OUTPUT', 'IMAGE'], ...rows])}\n`);
      if (shards !== undefined) {
        const shardRows = summariseShards(plan, shards).map((shard) => [shard.shard, String(shard.jobs), shard.toolchains, shard.targets]);
        context.stdout.write(`\n${formatTable([['SHARD', 'BUILDS', 'TOOLCHAINS', 'TARGETS'], ...shardRows])}\n`);
      }
    }
  }
}

/** `airlock plan`: its flags and arguments, typed by yargs, and its handler. */
export function planCommand<T extends GlobalOptions>(cli: Argv<T>): Argv<T> {
  return cli
    .command(
      commandEntry('plan').usage,
      commandEntry('plan').describe,
      (y) =>
        buildOptions(y)
          .option('json', { type: 'boolean', default: false, describe: 'print the plan as JSON (same as --format json)' })
          .option('format', { choices: PLAN_FORMATS, describe: 'table (default), json, or a CI matrix: github (strategy.matrix) or gitlab (parallel:matrix)' })
          .option('shards', { type: 'number', describe: 'group the builds into N shards, one CI job each (`airlock build --shard I/N`)' }),
      async (args) => runPlanCommand(args),
    );
}
