/** A syntax error in a line-oriented file (go.mod, go.sum, vendor/modules.txt), naming its 1-based line. */
export class LineSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}
