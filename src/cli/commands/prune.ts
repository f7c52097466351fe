import type { Argv } from 'yargs';
import { connectEngine } from '../../engine/docker-engine.js';
import { pruneAirlockResources } from '../../sandbox/prune.js';
import { commandEntry } from '../command-index.js';
import { type GlobalOptions, commandContext } from '../context.js';

export async function runPrune(args: GlobalOptions): Promise<void> {
  const context = await commandContext(args);
  const engine = await connectEngine(context.env);
  const report = await pruneAirlockResources(engine);
  const lines = [
    ...report.containers.map((name) => `removed container ${name}`),
    ...report.volumes.map((name) => `removed volume ${name}`),
    ...report.images.map((name) => `removed image ${name}`),
    ...report.inUse.map((what) => `kept ${what}: in use`),
  ];
  context.stdout.write(lines.length > 0 ? `${lines.join('\n')}\n` : 'nothing to remove\n');
}

/** `airlock prune`: its flags and arguments, typed by yargs, and its handler. */
export function pruneCommand<T extends GlobalOptions>(cli: Argv<T>): Argv<T> {
  return cli
    .command(
      commandEntry('prune').usage,
      commandEntry('prune').describe, (y) => y, async (args) =>
      runPrune(args),
    );
}
