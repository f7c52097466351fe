import { oneLine } from '../errors.js';

/** A syntax error in a line-oriented file (go.mod, go.sum, vendor/modules.txt), naming its 1-based line. */
export class LineSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    // The message quotes the file's text, which may hold characters a terminal takes as line breaks.
    super(`line ${line}: ${oneLine(message)}`);
  }
}
