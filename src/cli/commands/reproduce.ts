import { checksumDatabaseRequest } from './build.js';
import type { Argv } from 'yargs';
import path from 'node:path';
import { connectEngine } from '../../engine/docker-engine.js';
import { VerificationError } from '../../errors.js';
import { loadPublicKey } from '../../provenance/keys.js';
import { type ReproduceResult, readRecordedBuild, reproduceArtifact } from '../../workflows/reproduce.js';
import { formatTable } from '../../report/summary.js';
import { commandEntry } from '../command-index.js';
import { type GlobalOptions, commandContext } from '../context.js';

export async function runReproduce(
  args: GlobalOptions & { envelopes: string[]; source: string; modules?: string; key?: string; seccomp?: string; json: boolean; allowUnproven?: boolean; checksumDatabase?: string },
): Promise<void> {
  const context = await commandContext(args);
  const publicKey = args.key !== undefined ? loadPublicKey(path.resolve(args.key)) : undefined;
  // Read and check every envelope first, so a bad one stops the run before any build.
  const recorded = [];
  for (const envelope of args.envelopes) recorded.push(await readRecordedBuild(path.resolve(envelope), publicKey));
  const engine = await connectEngine(context.env);
  const info = await engine.info();
  const results: ReproduceResult[] = [];
  for (const record of recorded) {
    context.reporter.info(`rebuilding ${record.artifact.name} (${record.go}, ${record.goos}/${record.goarch})`);
    results.push(
      await reproduceArtifact(
        engine,
        info,
        record,
        {
          sourceDir: path.resolve(args.source),
          airlockHome: context.airlockHome,
          ...(args.modules !== undefined ? { modulesFile: path.resolve(args.modules), checksumDatabase: checksumDatabaseRequest(args, context.env) } : {}),
          ...(args.seccomp !== undefined ? { seccomp: args.seccomp } : {}),
          ...(publicKey ? { publicKey } : {}),
        },
        context.reporter,
      ),
    );
  }
  if (args.json) {
    context.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  } else {
    const rows = results.map((r) => [r.status, r.artifact, r.status === 'REPRODUCED' ? `sha256 ${r.actual}` : r.differences.join('; ')]);
    context.stdout.write(`${formatTable([['STATUS', 'ARTIFACT', 'DETAIL'], ...rows])}\n`);
  }
  const different = results.filter((r) => r.status === 'DIFFERENT');
  if (different.length > 0) {
    throw new VerificationError(`${different.length} of ${results.length} artifacts were not reproduced: ${different.map((r) => r.artifact).join(', ')}`, {
      hint: 'do not use these binaries; what differs, with every digest, is in the report above',
    });
  }
  context.reporter.info(`all ${results.length} artifacts reproduced bit for bit`);
}

/** `airlock reproduce`: its flags and arguments, typed by yargs, and its handler. */
export function reproduceCommand<T extends GlobalOptions>(cli: Argv<T>): Argv<T> {
  return cli
    .command(
      commandEntry('reproduce').usage,
      commandEntry('reproduce').describe,
      (y) =>
        y
          .positional('envelopes', { type: 'string', array: true, demandOption: true, describe: '.intoto.jsonl files of a release' })
          .option('source', { type: 'string', demandOption: true, describe: 'the source the release was built from' })
          .option('modules', { type: 'string', describe: 'the module set, when the release was built from one' })
          .option('allow-unproven', { type: 'boolean', describe: 'with --modules: rebuild even when modules have no Go checksum database evidence in the set' })
          .option('checksum-database', { type: 'string', describe: "with --modules: the checksum database's verifier key (default: sum.golang.org, pinned)" })
          .option('key', { type: 'string', describe: 'check the envelopes against this public key first' })
          .option('seccomp', { type: 'string', describe: 'the seccomp profile, when the release used a site profile' })
          .option('json', { type: 'boolean', default: false, describe: 'print the results as JSON' }),
      async (args) => runReproduce(args),
    );
}
