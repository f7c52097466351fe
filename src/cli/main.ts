import yargs, { type Argv } from 'yargs';
import { runInterruptCleanup } from '../cleanup.js';
import { ExitCode, InputError } from '../errors.js';
import { airlockVersion } from '../util/package-root.js';
import { buildCommand } from './commands/build.js';
import { doctorCommand } from './commands/doctor.js';
import { generateCommand } from './commands/generate.js';
import { initCommand } from './commands/init.js';
import { keygenCommand } from './commands/keygen.js';
import { mergeCommand } from './commands/merge.js';
import { modulesCommand } from './commands/modules.js';
import { planCommand } from './commands/plan.js';
import { pruneCommand } from './commands/prune.js';
import { reproduceCommand } from './commands/reproduce.js';
import { testCommand } from './commands/test.js';
import { toolchainCommand } from './commands/toolchain.js';
import { verifyCommand } from './commands/verify.js';
import type { GlobalOptions } from './context.js';
import { renderError, usageErrorMessage } from './error-output.js';
import { attachFlagValues } from './flag-values.js';

/** A command adds itself (arguments, flags, handler) to the parser; a handler may set the exit code. */
type RegisterCommand = <T extends GlobalOptions>(cli: Argv<T>, setExitCode: (code: number) => void) => Argv<T>;

const COMMANDS: readonly RegisterCommand[] = [
  buildCommand,
  testCommand,
  verifyCommand,
  mergeCommand,
  reproduceCommand,
  pruneCommand,
  keygenCommand,
  planCommand,
  initCommand,
  toolchainCommand,
  generateCommand,
  modulesCommand,
  doctorCommand,
];

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
  // Each command declares its own flags and handler in its module (commands/); the order is --help's.
  const setExitCode = (code: number) => {
    exitCode = code;
  };
  const parser = COMMANDS.reduce((cli, register) => register(cli, setExitCode), base)
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
