import yargs, { type Argv } from 'yargs';
import { runInterruptCleanup } from '../cleanup.js';
import { ExitCode, InputError } from '../errors.js';
import { airlockVersion } from '../util/package-root.js';
import { COMMAND_INDEX, type CommandName, selectedCommand } from './command-index.js';
import type { GlobalOptions } from './context.js';
import { renderError, usageErrorMessage } from './error-output.js';
import { attachFlagValues } from './flag-values.js';

/** A command adds itself (arguments, flags, handler) to the parser; a handler may set the exit code. */
type RegisterCommand = <T extends GlobalOptions>(cli: Argv<T>, setExitCode: (code: number) => void) => Argv<T>;

/** Each command's module, loaded only when that command runs (see command-index.ts). */
const COMMAND_MODULES: Record<CommandName, () => Promise<RegisterCommand>> = {
  build: async () => (await import('./commands/build.js')).buildCommand,
  test: async () => (await import('./commands/test.js')).testCommand,
  verify: async () => (await import('./commands/verify.js')).verifyCommand,
  merge: async () => (await import('./commands/merge.js')).mergeCommand,
  reproduce: async () => (await import('./commands/reproduce.js')).reproduceCommand,
  prune: async () => (await import('./commands/prune.js')).pruneCommand,
  keygen: async () => (await import('./commands/keygen.js')).keygenCommand,
  plan: async () => (await import('./commands/plan.js')).planCommand,
  init: async () => (await import('./commands/init.js')).initCommand,
  toolchain: async () => (await import('./commands/toolchain.js')).toolchainCommand,
  generate: async () => (await import('./commands/generate.js')).generateCommand,
  modules: async () => (await import('./commands/modules.js')).modulesCommand,
  doctor: async () => (await import('./commands/doctor.js')).doctorCommand,
};

/**
 * The command being run, in full, and every other one as its name and description only, which is all
 * `--help` shows of them.
 */
async function registerCommands<T extends GlobalOptions>(cli: Argv<T>, args: readonly string[], setExitCode: (code: number) => void): Promise<Argv<T>> {
  const selected = selectedCommand(args);
  const register = selected === undefined ? undefined : await COMMAND_MODULES[selected]();
  return COMMAND_INDEX.reduce(
    (parser, entry) => (entry.name === selected && register ? register(parser, setExitCode) : parser.command(entry.usage, entry.describe)),
    cli,
  );
}

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
  const base = yargs(args)
    .scriptName('airlock')
    .version(airlockVersion())
    .strict()
    .exitProcess(false)
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .option('debug', { type: 'boolean', default: false, describe: 'show stack traces and engine details' })
    .option('quiet', { type: 'boolean', default: false, describe: 'print only results and errors' });
  // Each command declares its own flags and handler in its module (commands/), loaded when it runs.
  const setExitCode = (code: number) => {
    exitCode = code;
  };
  try {
    const parser = (await registerCommands(base, args, setExitCode))
      .demandCommand(1, 'name a command')
      .fail((message, error) => {
        if (error) throw error;
        throw new InputError(usageErrorMessage(message), { hint: 'run `airlock --help` for the commands and flags' });
      });
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
