import type { Argv } from 'yargs';
import path from 'node:path';
import { InputError, VerificationError } from '../../errors.js';
import { packModuleSet } from '../../workflows/pack-modules.js';
import { readGoModule } from '../../modules/read-module.js';
import { formatTable } from '../../report/summary.js';
import { commandEntry } from '../command-index.js';
import { type GlobalOptions, commandContext } from '../context.js';
import { checkOutputFile } from '../output-file.js';
import { openModuleSet } from '../../modules/module-set.js';
import { readGoSum, readModulesTxt } from '../../modules/resolve-module-inputs.js';
import { checkVendorConsistency, describeVendorProblems } from '../../modules/vendor-consistency.js';
import { verifyModules } from '../../modules/verify-modules.js';
import { readChecksumDatabaseEvidence } from '../../modules/module-set.js';
import {
  acceptChecksumDatabaseHead,
  checksumDatabaseName,
  describeSupplyChain,
  proveSupplyChain,
  readAcceptedHead,
  supplyChainFailure,
} from '../../workflows/prove-supply-chain.js';
import { forgetHeads, listRememberedHeads } from '../../sumdb/remembered-head.js';
import { mirrorModuleSets, verifyMirror } from '../../workflows/mirror-modules.js';
import { checksumDatabaseRequest } from './build.js';

export async function runModulesPack(args: GlobalOptions & { dir: string; out: string; force: boolean; consistentWith: string[] }): Promise<void> {
  const context = await commandContext(args);
  const out = await checkOutputFile(args.out, args.force);
  const sizes = args.consistentWith.map((value) => {
    if (!/^(0|[1-9][0-9]{0,15})$/.test(value)) {
      throw new InputError(`--consistent-with ${value} is not a tree size`, { hint: 'pass the SIZE column `airlock modules trust` prints at the site' });
    }
    return Number(value);
  });
  const result = await packModuleSet(path.resolve(args.dir), out, context.reporter, { consistentWith: sizes, airlockHome: context.airlockHome });
  const withZip = result.manifest.modules.filter((m) => m.zip).length;
  context.reporter.info(
    `wrote ${result.file} (${result.bytes} bytes): ${withZip} modules with source, ${result.manifest.modules.length - withZip} go.mod files only, packed with ${result.manifest.goVersion}`,
  );
}

/** Proves every module against go.sum, and every vendored file against its verified zip; one row per module. */
export async function runModulesVerify(args: GlobalOptions & { dir: string; modules?: string; mirror?: string; allowUnproven?: boolean; checksumDatabase?: string }): Promise<void> {
  const context = await commandContext(args);
  if (args.mirror !== undefined) {
    const result = await verifyMirror(args.mirror, checksumDatabaseRequest(args, context.env));
    const rows = result.modules.map((m) => [m.status.toUpperCase(), m.path, m.version, m.detail]);
    context.stdout.write(`${formatTable([['CHECKSUM DATABASE', 'MODULE', 'VERSION', 'DETAIL'], ...rows])}\n`);
    if (result.failure) throw result.failure;
    context.reporter.info(`${args.mirror}: ${result.modules.length} module versions proven against the checksum database head ${result.tree?.size ?? 0}`);
    return;
  }
  const module = await readGoModule(args.dir);
  const goSum = await readGoSum(module.dir);
  const modulesTxt = module.hasVendor ? await readModulesTxt(module.dir) : undefined;
  if (modulesTxt) {
    const problems = checkVendorConsistency(module.goMod, modulesTxt);
    if (problems.length > 0) {
      throw new VerificationError(`vendor/ is inconsistent with go.mod: ${describeVendorProblems(problems)}`, {
        hint: 'run `go mod vendor` on a connected machine and commit the result',
      });
    }
  }
  const set = args.modules !== undefined ? await openModuleSet(args.modules) : undefined;
  try {
    const checks = await verifyModules({
      moduleDir: module.dir,
      goSum,
      ...(modulesTxt ? { modulesTxt } : {}),
      ...(set ? { setDir: set.dir, setModules: set.manifest.modules } : {}),
    });
    const rows = checks.map((check) => [check.status, check.path, check.version, check.detail]);
    context.stdout.write(`${formatTable([['STATUS', 'MODULE', 'VERSION', 'DETAIL'], ...rows])}\n`);
    const request = checksumDatabaseRequest(args, context.env);
    const proof = set
      ? proveSupplyChain(
          {
            files: await readChecksumDatabaseEvidence(set, checksumDatabaseName(request)),
            goSum,
            setModules: set.manifest.modules.map((m) => ({ path: m.path, version: m.version })),
          },
          request,
          args.modules!,
          await readAcceptedHead(context.airlockHome, request),
        )
      : undefined;
    if (proof) {
      const logRows = proof.modules.map((m) => [m.status.toUpperCase(), m.path, m.version, m.detail]);
      context.stdout.write(`\n${formatTable([['CHECKSUM DATABASE', 'MODULE', 'VERSION', 'DETAIL'], ...logRows])}\n`);
    }
    const bad = checks.filter((check) => check.status !== 'OK');
    if (bad.length > 0) {
      const first = bad[0]!;
      throw new VerificationError(`${bad.length} of ${checks.length} modules not proven against go.sum; first: ${first.status} ${first.path}@${first.version}: ${first.detail}`, {
        hint: set ? 'restore the changed files from a trusted copy, or pack the set again on a connected machine' : 'pass --modules with a set from `airlock modules pack` to prove vendor/ against go.sum',
      });
    }
    const failure = proof ? supplyChainFailure(proof) : undefined;
    if (failure) throw failure;
    context.reporter.info(`${checks.length} modules proven against go.sum${modulesTxt ? ', and every vendored file identical to its verified zip' : ''}`);
    if (proof) {
      context.reporter.info(describeSupplyChain(proof));
      await acceptChecksumDatabaseHead(context.airlockHome, proof, args.modules!);
    }
  } finally {
    await set?.close();
  }
}

/** Merges verified module sets into one static GOPROXY tree for the site's developers. */
export async function runModulesMirror(args: GlobalOptions & { sets: string[]; into: string; allowUnproven?: boolean; checksumDatabase?: string }): Promise<void> {
  const context = await commandContext(args);
  await mirrorModuleSets(
    args.sets.map((set) => path.resolve(set)),
    path.resolve(args.into),
    checksumDatabaseRequest(args, context.env),
    context.reporter,
  );
}

/** Shows, or with --reset forgets, the checksum database heads this store (AIRLOCK_HOME) has accepted. */
export async function runModulesTrust(args: GlobalOptions & { reset: boolean }): Promise<void> {
  const context = await commandContext(args);
  if (args.reset) {
    const forgotten = await forgetHeads(context.airlockHome);
    context.reporter.info(
      forgotten.length > 0
        ? `forgot the accepted head of ${forgotten.join(', ')}: the next module set is accepted as the first`
        : 'no checksum database head was remembered',
    );
    return;
  }
  const heads = await listRememberedHeads(context.airlockHome);
  if (heads.length === 0) {
    context.reporter.info(`no checksum database head accepted yet in ${context.airlockHome}`);
    return;
  }
  const rows = heads.map(({ name, head }) => [name, String(head.size), head.hash, head.acceptedAt, head.from]);
  context.stdout.write(`${formatTable([['DATABASE', 'SIZE', 'ROOT', 'ACCEPTED', 'FROM'], ...rows])}\n`);
}

/** `airlock modules`: its flags and arguments, typed by yargs, and its handler. */
export function modulesCommand<T extends GlobalOptions>(cli: Argv<T>): Argv<T> {
  return cli
    .command(
      commandEntry('modules').usage,
      commandEntry('modules').describe, (y) =>
      y
        .command(
          'pack [dir]',
          'on a connected machine: pack every module the build of DIR needs into one file',
          (c) =>
            c
              .positional('dir', { type: 'string', default: '.', describe: 'the Go module' })
              .option('out', { type: 'string', demandOption: true, describe: 'the module set file to write (.tar.gz)' })
              .option('force', { type: 'boolean', default: false, describe: 'overwrite the file if it exists' })
              .option('consistent-with', {
                type: 'string',
                default: [] as string[],
                coerce: (value: string | string[]) => [value].flat(),
                describe: "a checksum database tree size a site has accepted (`airlock modules trust` shows it): the set also carries the tiles that prove it a prefix of the set's head (repeatable)",
              }),
          async (args) => runModulesPack(args),
        )
        .command(
          'verify [dir]',
          'prove every module (and every vendored file) against go.sum',
          (c) =>
            c
              .positional('dir', { type: 'string', default: '.', describe: 'the Go module' })
              .option('modules', { type: 'string', describe: 'a module set from `airlock modules pack`' })
              .option('mirror', { type: 'string', describe: 'instead: a mirror tree from `airlock modules mirror`, every module version proven again' })
              .option('allow-unproven', { type: 'boolean', describe: 'do not fail for modules without Go checksum database evidence in the set' })
              .option('checksum-database', { type: 'string', describe: "the checksum database's verifier key, name+hash+key (default: sum.golang.org, pinned)" }),
          async (args) => runModulesVerify(args),
        )
        .command(
          'mirror <sets..>',
          'merge verified module sets into one static GOPROXY tree the go command uses offline (GOPROXY=file://DIR)',
          (c) =>
            c
              .positional('sets', { type: 'string', array: true, demandOption: true, describe: 'module sets from `airlock modules pack`' })
              .option('into', { type: 'string', demandOption: true, describe: 'the mirror directory: new, empty, or one this command wrote' })
              .option('allow-unproven', { type: 'boolean', describe: 'accept modules without Go checksum database evidence' })
              .option('checksum-database', { type: 'string', describe: "the checksum database's verifier key, name+hash+key (default: sum.golang.org, pinned)" }),
          async (args) => runModulesMirror({ ...args, sets: args.sets as string[] }),
        )
        .command(
          'trust',
          'show the Go checksum database head this store accepted last (later sets must extend it), or forget it',
          (c) => c.option('reset', { type: 'boolean', default: false, describe: 'forget the accepted heads: the next set is accepted as the first' }),
          async (args) => runModulesTrust(args),
        )
        .demandCommand(1, 'name a modules subcommand: pack, verify, mirror or trust'),
    );
}
