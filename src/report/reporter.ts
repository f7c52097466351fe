/** How stages tell the user what is happening. Messages go to stderr so stdout stays machine-readable. */
export interface Reporter {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

export interface ConsoleReporterOptions {
  quiet?: boolean;
  debug?: boolean;
  stream?: NodeJS.WritableStream;
}

export function createConsoleReporter(options: ConsoleReporterOptions = {}): Reporter {
  const stream = options.stream ?? process.stderr;
  const write = (line: string) => stream.write(`${line}\n`);
  return {
    info: (message) => {
      if (!options.quiet) write(`airlock: ${message}`);
    },
    warn: (message) => write(`airlock: warning: ${message}`),
    debug: (message) => {
      if (options.debug) write(`airlock: debug: ${message}`);
    },
  };
}

export const silentReporter: Reporter = { info: () => undefined, warn: () => undefined, debug: () => undefined };
