import os from 'node:os';
import { resolveAirlockHome } from '../config/airlock-home.js';
import { type Reporter, chooseReporterMode, createReporter } from '../report/reporter.js';

export interface GlobalOptions {
  debug: boolean;
  quiet: boolean;
}

export interface CommandContext {
  airlockHome: string;
  reporter: Reporter;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** `events`: the command streams its progress as JSON lines on stdout (build --json). */
export async function commandContext(options: GlobalOptions, { events = false }: { events?: boolean } = {}): Promise<CommandContext> {
  const mode = chooseReporterMode({ json: events, quiet: options.quiet, isTTY: process.stderr.isTTY === true, rows: process.stderr.rows, env: process.env });
  return {
    airlockHome: resolveAirlockHome(process.env, os.homedir()),
    reporter: createReporter({
      mode,
      quiet: options.quiet,
      debug: options.debug,
      ...(mode === 'live' ? { createLogUpdate: (await import('log-update')).createLogUpdate } : {}),
    }),
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  };
}
