import type { Argv } from 'yargs';
import { InputError, VerificationError } from '../../errors.js';
import { formatTable } from '../../report/summary.js';
import { classifyToolchainSource, computePins, importToolchain } from '../../toolchain/import-toolchain.js';
import { defaultMatrixPath, loadToolchainMatrix } from '../../toolchain/matrix.js';
import { ToolchainStore } from '../../toolchain/store.js';
import { verifyStoredToolchains } from '../../toolchain/verify-store.js';
import { commandEntry } from '../command-index.js';
import { type GlobalOptions, commandContext } from '../context.js';
import { countOf } from '../../report/wording.js';

const SOURCE_HINT =
  'run `airlock toolchain import --goroot "$(go env GOROOT)"`, or pass an official goX.Y.Z.linux-amd64.tar.gz or a golang.org/toolchain module zip';

async function resolveSource(args: { file?: string; goroot?: string }) {
  if ((args.file === undefined) === (args.goroot === undefined)) {
    throw new InputError('name exactly one toolchain: FILE or --goroot DIR', { hint: SOURCE_HINT });
  }
  if (args.goroot !== undefined) {
    const source = await classifyToolchainSource(args.goroot);
    if (source.kind !== 'goroot') throw new InputError(`--goroot ${args.goroot} is not a directory`, { hint: SOURCE_HINT });
    return source;
  }
  return classifyToolchainSource(args.file!);
}

export async function runToolchainImport(args: GlobalOptions & { file?: string; goroot?: string; trustOnFirstUse: boolean }): Promise<void> {
  const context = await commandContext(args);
  const source = await resolveSource(args);
  const matrix = loadToolchainMatrix(defaultMatrixPath(context.env));
  const result = await importToolchain(new ToolchainStore(context.airlockHome), source, { matrix, trustOnFirstUse: args.trustOnFirstUse });
  const t = result.toolchain;
  if (t.verification.status === 'trust-on-first-use') {
    context.reporter.warn(`${t.version} ${t.goos}/${t.goarch} is not in the toolchain matrix: stored on trust-on-first-use, and recorded as such`);
  }
  for (const note of result.notes) context.reporter.info(note);
  context.reporter.info(
    `${result.alreadyStored ? 'already stored' : 'imported'}: ${t.version} ${t.goos}/${t.goarch} ${t.treeDigest} (${t.verification.status}; ${t.fileCount} files, ${t.ports.length} ports)`,
  );
}

export async function runToolchainPin(args: GlobalOptions & { file?: string; goroot?: string }): Promise<void> {
  const context = await commandContext(args);
  const { version, pins } = await computePins(await resolveSource(args));
  context.stdout.write(`${JSON.stringify({ version, platforms: [pins] }, null, 2)}\n`);
}

export async function runToolchainVerify(args: GlobalOptions): Promise<void> {
  const context = await commandContext(args);
  const matrix = loadToolchainMatrix(defaultMatrixPath(context.env));
  const checks = await verifyStoredToolchains(new ToolchainStore(context.airlockHome), matrix);
  if (checks.length === 0) {
    context.reporter.info(`no toolchains stored in ${context.airlockHome}`);
    return;
  }
  const rows = checks.map((check) => [check.status, check.toolchain.version, `${check.toolchain.goos}/${check.toolchain.goarch}`, check.detail]);
  context.stdout.write(`${formatTable([['STATUS', 'VERSION', 'PLATFORM', 'DETAIL'], ...rows])}\n`);
  const bad = checks.filter((check) => !check.ok);
  if (bad.length > 0) {
    throw new VerificationError(`${countOf(bad.length, 'stored toolchain')} failed verification: ${bad.map((c) => c.toolchain.id).join(', ')}`, {
      hint: 'remove them with `airlock toolchain remove VERSION` and import them again from a trusted source',
    });
  }
}

export async function runToolchainList(args: GlobalOptions & { json: boolean }): Promise<void> {
  const context = await commandContext(args);
  const toolchains = await new ToolchainStore(context.airlockHome).list();
  if (args.json) {
    context.stdout.write(`${JSON.stringify(toolchains, null, 2)}\n`);
    return;
  }
  if (toolchains.length === 0) {
    context.reporter.info(`no toolchains stored in ${context.airlockHome}; ${SOURCE_HINT}`);
    return;
  }
  const rows = toolchains.map((t) => [t.version, `${t.goos}/${t.goarch}`, t.treeDigest, t.verification.status, t.source.kind, t.importedAt]);
  context.stdout.write(`${formatTable([['VERSION', 'PLATFORM', 'DIGEST', 'VERIFIED', 'SOURCE', 'IMPORTED'], ...rows])}\n`);
}

export async function runToolchainRemove(args: GlobalOptions & { release: string }): Promise<void> {
  const context = await commandContext(args);
  const store = new ToolchainStore(context.airlockHome);
  const wanted = args.release.startsWith('go') ? args.release : `go${args.release}`;
  const matches = (await store.list()).filter((t) => t.version === wanted);
  if (matches.length === 0) {
    throw new InputError(`${wanted} is not stored`, { hint: 'see what is stored with `airlock toolchain list`' });
  }
  for (const toolchain of matches) {
    await store.remove(toolchain.id);
    context.reporter.info(`removed ${toolchain.id}`);
  }
}

/** `airlock toolchain`: its flags and arguments, typed by yargs, and its handler. */
export function toolchainCommand<T extends GlobalOptions>(cli: Argv<T>): Argv<T> {
  return cli
    .command(
      commandEntry('toolchain').usage,
      commandEntry('toolchain').describe, (y) =>
      y
        .command(
          'import [file]',
          'verify a Go toolchain against the matrix and store it (an official archive, a module zip or a GOROOT)',
          (c) =>
            c
              .positional('file', { type: 'string', describe: 'goX.Y.Z.<os>-<arch>.tar.gz or a golang.org/toolchain module zip' })
              .option('goroot', { type: 'string', describe: 'a local Go installation (`go env GOROOT`)' })
              .option('trust-on-first-use', { type: 'boolean', default: false, describe: 'accept a toolchain the matrix does not know (recorded as such)' }),
          async (args) => runToolchainImport(args),
        )
        .command(
          'pin [file]',
          'print the matrix pins of a toolchain you trust, to add it to toolchains/',
          (c) =>
            c
              .positional('file', { type: 'string', describe: 'goX.Y.Z.<os>-<arch>.tar.gz or a golang.org/toolchain module zip' })
              .option('goroot', { type: 'string', describe: 'a local Go installation' }),
          async (args) => runToolchainPin(args),
        )
        .command('verify', 're-check every stored toolchain against its record and the matrix', (y) => y, async (args) =>
          runToolchainVerify(args),
        )
        .command('list', 'show the stored toolchains', (c) => c.option('json', { type: 'boolean', default: false }), async (args) =>
          runToolchainList(args),
        )
        .command('remove <release>', 'remove a stored toolchain', (c) => c.positional('release', { type: 'string', demandOption: true, describe: 'e.g. go1.26.8' }), async (args) =>
          runToolchainRemove(args),
        )
        .demandCommand(1, 'name a toolchain subcommand: import, pin, verify, list or remove'),
    );
}
