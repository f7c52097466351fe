/**
 * The name, usage and one-line description of every command, and how to load it. Kept apart from the
 * command modules so that starting airlock loads only the command it runs: `--version` and `--help` load
 * none, `plan` and `verify` never load the engine client. The order is --help's.
 */
export interface CommandEntry {
  name: string;
  usage: string;
  describe: string;
}

export const COMMAND_INDEX = [
  { name: 'build', usage: 'build [dir]', describe: 'build a Go module for each target in hermetic containers' },
  {
    name: 'test',
    usage: 'test [dir]',
    describe: 'run go vet and go test of a Go module in the sandbox, offline, with JUnit and a signed test-result attestation',
  },
  {
    name: 'verify',
    usage: 'verify <dir>',
    describe: 'verify a release: checksums, signatures, provenance and what each binary records about itself',
  },
  {
    name: 'merge',
    usage: 'merge <dirs..>',
    describe: 'combine the output directories of `airlock build --shard I/N` (and of one `airlock test`) into one release, re-verifying each',
  },
  { name: 'reproduce', usage: 'reproduce <envelopes..>', describe: 'rebuild what provenance envelopes record and compare the bytes' },
  {
    name: 'prune',
    usage: 'prune',
    describe: 'remove every container, volume (build caches included) and image airlock created that is not in use',
  },
  {
    name: 'keygen',
    usage: 'keygen',
    describe:
      'write an ECDSA P-256 (or, with --algorithm sm2, SM2) key pair for signing (the private key encrypted with $AIRLOCK_KEY_PASSPHRASE)',
  },
  { name: 'plan', usage: 'plan [dir]', describe: 'print the build matrix without building' },
  {
    name: 'init',
    usage: 'init [dir]',
    describe: "write a starter airlock.json (the module's main packages) and, with --ci, a sharded release pipeline",
  },
  { name: 'toolchain', usage: 'toolchain', describe: 'manage the Go toolchains airlock builds with' },
  { name: 'generate', usage: 'generate', describe: 'write generated files for review' },
  { name: 'modules', usage: 'modules', describe: 'pack, and prove against go.sum, the modules a build depends on' },
  {
    name: 'doctor',
    usage: 'doctor [dir]',
    describe:
      "check the engine and the toolchain store (and gpg, when the module's airlock.json names a GPG key); --probe also runs the escape probes in the sandbox",
  },
] as const satisfies readonly CommandEntry[];

export type CommandName = (typeof COMMAND_INDEX)[number]['name'];

export function commandEntry(name: CommandName): CommandEntry {
  const entry = COMMAND_INDEX.find((candidate) => candidate.name === name);
  if (!entry) throw new Error(`no command ${name}`);
  return entry;
}

/**
 * The command an argument list runs: its first word that is not a flag (global flags take no value, and
 * attachFlagValues has already joined every other flag to its value). Undefined for `--version`, `--help`
 * or a word that names no command.
 */
export function selectedCommand(args: readonly string[]): CommandName | undefined {
  const word = args.find((arg) => !arg.startsWith('-'));
  return COMMAND_INDEX.find((entry) => entry.name === word)?.name;
}
