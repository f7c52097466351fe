import { connectEngine } from '../../engine/docker-engine.js';
import { pruneAirlockResources } from '../../sandbox/prune.js';
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
