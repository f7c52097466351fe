import yargs from 'yargs';
import { runInterruptCleanup } from '../cleanup.js';
import { ExitCode, InputError } from '../errors.js';
import { airlockVersion } from '../util/package-root.js';
import { type BuildArguments, buildOptions, runBuildCommand } from './commands/build.js';
import { runDoctor } from './commands/doctor.js';
import { runKeygen } from './commands/keygen.js';
import { runPrune } from './commands/prune.js';
import { runReproduce } from './commands/reproduce.js';
import { runVerify } from './commands/verify.js';
import { runModulesPack, runModulesVerify } from './commands/modules.js';
import { runGenerateDockerfile, runGeneratePolicy, runGenerateSeccomp } from './commands/generate.js';
import { type PlanArguments, runPlanCommand } from './commands/plan.js';
import { PLAN_FORMATS } from '../plan/ci-matrix.js';
import { runToolchainImport, runToolchainList, runToolchainPin, runToolchainRemove, runToolchainVerify } from './commands/toolchain.js';
import { renderError, usageErrorMessage } from './error-output.js';
import { attachFlagValues } from './flag-values.js';

const INTERRUPT_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

function installInterruptHandlers(stderr: NodeJS.WritableStream): () => void {
  let interrupted = false;
  const handler = (signal: NodeJS.Signals) => {
    if (interrupted) {
      stderr.write('airlock: interrupted again; exiting without waiting for clean-up\n');
      process.exit(ExitCode.interrupted);
    }
    interrupted = true;
    stderr.write(`airlock: ${signal}: removing this run's containers and staged outputs\n`);
    void runInterruptCleanup().finally(() => {
      stderr.write('airlock: error: interrupted; nothing was written to the output directory\n');
      process.exit(ExitCode.interrupted);
    });
  };
  for (const signal of INTERRUPT_SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of INTERRUPT_SIGNALS) process.off(signal, handler);
  };
}

/** The one error boundary: parses arguments, runs a command and turns every outcome into an exit code. */
export async function main(argv: string[], stderr: NodeJS.WritableStream = process.stderr): Promise<number> {
  const debug = argv.includes('--debug');
  let exitCode: number = ExitCode.ok;
  let args: string[];
  try {
    args = attachFlagValues(argv);
  } catch (error) {
    const rendered = renderError(error, debug);
    stderr.write(rendered.text);
    return rendered.exitCode;
  }
  const removeHandlers = installInterruptHandlers(stderr);
  const parser = yargs(args)
    .scriptName('airlock')
    .version(airlockVersion())
    .strict()
    .exitProcess(false)
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .option('debug', { type: 'boolean', default: false, describe: 'show stack traces and engine details' })
    .option('quiet', { type: 'boolean', default: false, describe: 'print only results and errors' })
    .command(
      'build [dir]',
      'build a Go module for each target in hermetic containers',
      (y) =>
        buildOptions(y)
          .option('out', { type: 'string', describe: 'output directory (default: dist/ in the module)' })
          .option('sign-key', { type: 'string', describe: 'sign every envelope and SHA256SUMS with this private key (passphrase in $AIRLOCK_KEY_PASSPHRASE)' })
          .option('signer-command', { type: 'string', describe: 'sign with this command instead (bytes on stdin, signature on stdout), e.g. for an HSM' })
          .option('signer-pub', { type: 'string', describe: 'the public key of --signer-command, to check each signature it returns' })
          .option('sbom', { type: 'boolean', default: false, describe: 'also write a CycloneDX SBOM per artifact' })
          .option('check', { type: 'boolean', default: false, describe: 'build every target twice in fresh containers and fail if the two differ' })
          .option('cache', { type: 'boolean', default: false, describe: 'keep GOCACHE in a persistent volume per module, toolchain and target (faster rebuilds)' })
          .option('jobs', { type: 'string', describe: 'containers to run at once (default: number of CPUs)' })
          .option('shard', { type: 'string', describe: 'build only shard I/N of the plan (see `airlock plan --shards N`), for `airlock merge`' })
          .option('fail-fast', { type: 'boolean', default: false, describe: 'start no more targets once one has failed' })
          .option('json', { type: 'boolean', default: false, describe: 'print progress as JSON events, one per line, on stdout (docs/json-events.md)' })
          .option('report', { type: 'string', describe: 'write a JSON report of the run to this file, for the CI system to archive' }),
      async (args) => runBuildCommand(args as unknown as BuildArguments),
    )
    .command(
      'verify <dir>',
      'verify a release: checksums, signatures, provenance and what each binary records about itself',
      (y) =>
        y
          .positional('dir', { type: 'string', demandOption: true, describe: 'the output directory of a build' })
          .option('key', { type: 'string', describe: 'the public key (PEM) the release was signed with' })
          .option('json', { type: 'boolean', default: false, describe: 'print the full report as JSON' }),
      async (args) => runVerify(args as never),
    )
    .command(
      'merge <dirs..>',
      'combine the output directories of `airlock build --shard I/N` into one release, re-verifying every shard',
      (y) =>
        y
          .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'the output directory of every shard' })
          .option('out', { type: 'string', demandOption: true, describe: 'the directory to write the merged release to' })
          .option('key', { type: 'string', describe: 'the public key (PEM) the shards were signed with, to check their signatures' })
          .option('sign-key', { type: 'string', describe: 'sign the merged SHA256SUMS with this private key (passphrase in $AIRLOCK_KEY_PASSPHRASE)' })
          .option('signer-command', { type: 'string', describe: 'sign with this command instead (bytes on stdin, signature on stdout), e.g. for an HSM' })
          .option('signer-pub', { type: 'string', describe: 'the public key of --signer-command, to check each signature it returns' }),
      async (args) => (await import('./commands/merge.js')).runMerge(args as never),
    )
    .command(
      'reproduce <envelopes..>',
      'rebuild what provenance envelopes record and compare the bytes',
      (y) =>
        y
          .positional('envelopes', { type: 'string', array: true, demandOption: true, describe: '.intoto.jsonl files of a release' })
          .option('source', { type: 'string', demandOption: true, describe: 'the source the release was built from' })
          .option('modules', { type: 'string', describe: 'the module set, when the release was built from one' })
          .option('key', { type: 'string', describe: 'check the envelopes against this public key first' })
          .option('seccomp', { type: 'string', describe: 'the seccomp profile, when the release used a site profile' })
          .option('json', { type: 'boolean', default: false, describe: 'print the results as JSON' }),
      async (args) => runReproduce(args as never),
    )
    .command('prune', 'remove every container, volume (build caches included) and image airlock created that is not in use', {}, async (args) =>
      runPrune(args as never),
    )
    .command(
      'keygen',
      `write an ECDSA P-256 key pair for signing (the private key encrypted with $AIRLOCK_KEY_PASSPHRASE)`,
      (y) =>
        y
          .option('key', { type: 'string', default: 'airlock.key', describe: 'private key file to write' })
          .option('pub', { type: 'string', default: 'airlock.pub', describe: 'public key file to write' }),
      async (args) => runKeygen(args as never),
    )
    .command(
      'plan [dir]',
      'print the build matrix without building',
      (y) =>
        buildOptions(y)
          .option('json', { type: 'boolean', default: false, describe: 'print the plan as JSON (same as --format json)' })
          .option('format', { choices: PLAN_FORMATS, describe: 'table (default), json, or a CI matrix: github (strategy.matrix) or gitlab (parallel:matrix)' })
          .option('shards', { type: 'number', describe: 'group the builds into N shards, one CI job each (`airlock build --shard I/N`)' }),
      async (args) => runPlanCommand(args as unknown as PlanArguments),
    )
    .command(
      'init [dir]',
      "write a starter airlock.json (the module's main packages) and, with --ci, a sharded release pipeline",
      (y) =>
        y
          .positional('dir', { type: 'string', default: '.', describe: 'the Go module (the directory holding go.mod)' })
          .option('ci', { choices: ['github', 'gitlab'] as const, describe: 'also write this CI system\'s release pipeline at the repository root' })
          .option('force', { type: 'boolean', default: false, describe: 'overwrite files that already exist' }),
      async (args) => (await import('./commands/init.js')).runInit(args as never),
    )
    .command('toolchain', 'manage the Go toolchains airlock builds with', (y) =>
      y
        .command(
          'import [file]',
          'verify a Go toolchain against the matrix and store it (an official archive, a module zip or a GOROOT)',
          (c) =>
            c
              .positional('file', { type: 'string', describe: 'goX.Y.Z.<os>-<arch>.tar.gz or a golang.org/toolchain module zip' })
              .option('goroot', { type: 'string', describe: 'a local Go installation (`go env GOROOT`)' })
              .option('trust-on-first-use', { type: 'boolean', default: false, describe: 'accept a toolchain the matrix does not know (recorded as such)' }),
          async (args) => runToolchainImport(args as never),
        )
        .command(
          'pin [file]',
          'print the matrix pins of a toolchain you trust, to add it to toolchains/',
          (c) =>
            c
              .positional('file', { type: 'string', describe: 'goX.Y.Z.<os>-<arch>.tar.gz or a golang.org/toolchain module zip' })
              .option('goroot', { type: 'string', describe: 'a local Go installation' }),
          async (args) => runToolchainPin(args as never),
        )
        .command('verify', 're-check every stored toolchain against its record and the matrix', {}, async (args) =>
          runToolchainVerify(args as never),
        )
        .command('list', 'show the stored toolchains', (c) => c.option('json', { type: 'boolean', default: false }), async (args) =>
          runToolchainList(args as never),
        )
        .command('remove <release>', 'remove a stored toolchain', (c) => c.positional('release', { type: 'string', demandOption: true, describe: 'e.g. go1.26.8' }), async (args) =>
          runToolchainRemove(args as never),
        )
        .demandCommand(1, 'name a toolchain subcommand: import, pin, verify, list or remove'),
    )
    .command('generate', 'write generated files for review', (y) =>
      y
        .command(
          'dockerfile',
          "write the sandbox image's Dockerfile and build-context listing",
          (c) =>
            c
              .option('out', { type: 'string', demandOption: true, describe: 'directory to write into' })
              .option('go', { type: 'string', array: true, describe: 'Go version (default: the newest stored)' }),
          async (args) => runGenerateDockerfile(args as never),
        )
        .command(
          'policy',
          'print the sandbox policy as canonical JSON, with its digest',
          (c) => c.option('seccomp', { type: 'string', describe: 'a seccomp profile file, or engine-default' }),
          async (args) => runGeneratePolicy(args as never),
        )
        .command(
          'seccomp',
          "write airlock's seccomp profile to a file",
          (c) =>
            c
              .option('out', { type: 'string', demandOption: true, describe: 'file to write' })
              .option('force', { type: 'boolean', default: false, describe: 'overwrite the file if it exists' }),
          async (args) => runGenerateSeccomp(args as never),
        )
        .demandCommand(1, 'name what to generate: dockerfile, policy or seccomp'),
    )
    .command('modules', 'pack, and prove against go.sum, the modules a build depends on', (y) =>
      y
        .command(
          'pack [dir]',
          'on a connected machine: pack every module the build of DIR needs into one file',
          (c) =>
            c
              .positional('dir', { type: 'string', default: '.', describe: 'the Go module' })
              .option('out', { type: 'string', demandOption: true, describe: 'the module set file to write (.tar.gz)' })
              .option('force', { type: 'boolean', default: false, describe: 'overwrite the file if it exists' }),
          async (args) => runModulesPack(args as never),
        )
        .command(
          'verify [dir]',
          'prove every module (and every vendored file) against go.sum',
          (c) =>
            c
              .positional('dir', { type: 'string', default: '.', describe: 'the Go module' })
              .option('modules', { type: 'string', describe: 'a module set from `airlock modules pack`' }),
          async (args) => runModulesVerify(args as never),
        )
        .demandCommand(1, 'name a modules subcommand: pack or verify'),
    )
    .command(
      'doctor',
      'check the engine and the toolchain store; --probe also runs the escape probes in the sandbox',
      (y) =>
        y
          .option('probe', { type: 'boolean', default: false, describe: 'build and run the escape-probe suite under the exact build policy' })
          .option('seccomp', { type: 'string', describe: 'with --probe: a seccomp profile file, or engine-default, to compare' })
          .option('json', { type: 'boolean', default: false, describe: 'with --probe: print the probe results as JSON' }),
      async (args) => {
        exitCode = await runDoctor(args as never);
      },
    )
    .demandCommand(1, 'name a command')
    .fail((message, error) => {
      if (error) throw error;
      throw new InputError(usageErrorMessage(message), { hint: 'run `airlock --help` for the commands and flags' });
    });
  try {
    await parser.parseAsync();
  } catch (error) {
    const rendered = renderError(error, debug);
    stderr.write(rendered.text);
    exitCode = rendered.exitCode;
  } finally {
    removeHandlers();
  }
  return exitCode;
}
