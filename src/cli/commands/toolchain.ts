import { InputError } from '../../errors.js';
import { formatTable } from '../../report/summary.js';
import { importToolchainFromArchive, importToolchainFromGoroot } from '../../toolchain/import-toolchain.js';
import { ToolchainStore } from '../../toolchain/store.js';
import { type GlobalOptions, commandContext } from '../context.js';

export async function runToolchainImport(args: GlobalOptions & { file?: string; goroot?: string }): Promise<void> {
  const context = commandContext(args);
  const store = new ToolchainStore(context.airlockHome);
  if ((args.file === undefined) === (args.goroot === undefined)) {
    throw new InputError('toolchain import needs exactly one of FILE or --goroot DIR', {
      hint: 'run `airlock toolchain import --goroot "$(go env GOROOT)"` or `airlock toolchain import go1.X.Y.linux-amd64.tar.gz`',
    });
  }
  const result = args.goroot !== undefined
    ? await importToolchainFromGoroot(store, args.goroot)
    : await importToolchainFromArchive(store, args.file!);
  const toolchain = result.toolchain;
  context.reporter.info(
    `${result.alreadyStored ? 'already stored' : 'imported'}: ${toolchain.version} ${toolchain.goos}/${toolchain.goarch} ${toolchain.treeDigest} (${toolchain.fileCount} files, ${toolchain.ports.length} ports)`,
  );
}

export async function runToolchainList(args: GlobalOptions & { json: boolean }): Promise<void> {
  const context = commandContext(args);
  const toolchains = await new ToolchainStore(context.airlockHome).list();
  if (args.json) {
    context.stdout.write(`${JSON.stringify(toolchains, null, 2)}\n`);
    return;
  }
  if (toolchains.length === 0) {
    context.reporter.info(`no toolchains stored in ${context.airlockHome}; import one with \`airlock toolchain import --goroot "$(go env GOROOT)"\``);
    return;
  }
  const rows = toolchains.map((t) => [t.version, `${t.goos}/${t.goarch}`, t.treeDigest, t.verification.status, t.source.kind, t.importedAt]);
  context.stdout.write(`${formatTable([['VERSION', 'PLATFORM', 'DIGEST', 'VERIFIED', 'SOURCE', 'IMPORTED'], ...rows])}\n`);
}

export async function runToolchainRemove(args: GlobalOptions & { version: string }): Promise<void> {
  const context = commandContext(args);
  const store = new ToolchainStore(context.airlockHome);
  const wanted = args.version.startsWith('go') ? args.version : `go${args.version}`;
  const matches = (await store.list()).filter((t) => t.version === wanted);
  if (matches.length === 0) {
    throw new InputError(`${wanted} is not stored`, { hint: 'see what is stored with `airlock toolchain list`' });
  }
  for (const toolchain of matches) {
    await store.remove(toolchain.id);
    context.reporter.info(`removed ${toolchain.id}`);
  }
}
