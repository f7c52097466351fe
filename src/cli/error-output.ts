import { AirlockError, ExitCode } from '../errors.js';

export interface RenderedError {
  text: string;
  exitCode: number;
}

/** How a failure is shown: the tool's own output first, then one line saying what is wrong and what to do. */
export function renderError(error: unknown, debug: boolean): RenderedError {
  if (error instanceof AirlockError) {
    const lines: string[] = [];
    if (error.details && error.details.trim() !== '') lines.push(error.details.replace(/\s+$/, ''));
    lines.push(`airlock: error: ${error.message}${error.hint ? `; ${error.hint}` : ''}`);
    if (debug && error.stack) lines.push(error.stack);
    return { text: `${lines.join('\n')}\n`, exitCode: error.exitCode };
  }
  const message = error instanceof Error ? error.message : String(error);
  const lines = [`airlock: internal error: ${message}; this is a bug in airlock, please report it with the output of --debug`];
  if (debug && error instanceof Error && error.stack) lines.push(error.stack);
  return { text: `${lines.join('\n')}\n`, exitCode: ExitCode.internal };
}
