import { AirlockError, ExitCode, oneLine } from '../errors.js';

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
    // A library's own words (OpenSSL's "bad decrypt", say) add nothing for the user, but may for a bug report.
    if (debug && error.cause instanceof Error) lines.push(`caused by: ${error.cause.message}`);
    return { text: `${lines.join('\n')}\n`, exitCode: error.exitCode };
  }
  const message = error instanceof Error ? error.message : String(error);
  const lines = [`airlock: internal error: ${message}; this is a bug in airlock, please report it with the output of --debug`];
  if (debug && error instanceof Error && error.stack) lines.push(error.stack);
  return { text: `${lines.join('\n')}\n`, exitCode: ExitCode.internal };
}

const INVALID_CHOICE = /^\s*Argument: (.+), Given: (.+), Choices: (.+)$/;

/**
 * A yargs usage message on one line. Its "Invalid values:" message lists each bad choice on a line of its own
 * ("Argument: format, Given: "xml", Choices: "table", "json""); that becomes "--format xml is not one of table, json".
 */
export function usageErrorMessage(message: string): string {
  const lines = message.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  if (lines[0] === 'Invalid values:' && lines.length > 1) {
    const choices = lines.slice(1).map((line) => {
      const match = INVALID_CHOICE.exec(line);
      if (!match) return line;
      return `--${match[1]!} ${unquote(match[2]!)} is not one of ${match[3]!.split(', ').map(unquote).join(', ')}`;
    });
    return oneLine(choices.join('; '));
  }
  return oneLine(lines.join(' '));
}

function unquote(text: string): string {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'string' || typeof value === 'number' ? String(value) : text;
  } catch {
    return text;
  }
}
