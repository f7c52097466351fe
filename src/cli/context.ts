import os from 'node:os';
import { resolveAirlockHome } from '../config/airlock-home.js';
import { type Reporter, createConsoleReporter } from '../report/reporter.js';

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

export function commandContext(options: GlobalOptions): CommandContext {
  return {
    airlockHome: resolveAirlockHome(process.env, os.homedir()),
    reporter: createConsoleReporter({ quiet: options.quiet, debug: options.debug }),
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  };
}
