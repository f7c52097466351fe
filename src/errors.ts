/**
 * Every failure a user can cause or meet is an AirlockError: it carries a one-line message (what is wrong),
 * a hint (what to do) and the exit code the CLI returns. Anything else reaching the CLI is a bug.
 */
export const ExitCode = {
  ok: 0,
  internal: 1,
  badInput: 2,
  buildFailed: 3,
  verificationFailed: 4,
  engineUnavailable: 5,
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface AirlockErrorOptions {
  hint?: string;
  /** Tool output that explains the failure (e.g. the compiler's messages), shown after the message. */
  details?: string;
  cause?: unknown;
}

export abstract class AirlockError extends Error {
  abstract readonly exitCode: ExitCodeValue;
  readonly hint: string | undefined;
  readonly details: string | undefined;

  constructor(message: string, options: AirlockErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options.hint;
    this.details = options.details;
  }
}

/** The user asked for something that cannot be done as asked: bad flags, bad paths, bad files. */
export class InputError extends AirlockError {
  override readonly name = 'InputError';
  readonly exitCode = ExitCode.badInput;
}

/** The go command (or the sandbox around it) failed for a target. */
export class BuildError extends AirlockError {
  override readonly name = 'BuildError';
  readonly exitCode = ExitCode.buildFailed;
}

/** An input or output did not match what it must be (digest mismatch, non-static binary, bad signature). */
export class VerificationError extends AirlockError {
  override readonly name = 'VerificationError';
  readonly exitCode = ExitCode.verificationFailed;
}

/** No container engine answers, or it refuses what airlock needs. */
export class EngineError extends AirlockError {
  override readonly name = 'EngineError';
  readonly exitCode = ExitCode.engineUnavailable;
}

export class InterruptedError extends AirlockError {
  override readonly name = 'InterruptedError';
  readonly exitCode = ExitCode.interrupted;
}

export function isAirlockError(value: unknown): value is AirlockError {
  return value instanceof AirlockError;
}

const CONTROL_CHARACTERS = /[\u0000-\u0008\u000a-\u001f\u007f\u0085\u2028\u2029]/g;
const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\v': '\\v', '\f': '\\f', '\b': '\\b', '\0': '\\0' };

/**
 * Foreign text (a library's error message, a name read from a file) made fit for a one-line message: line
 * breaks and other control characters are escaped as in a JSON string; everything else is left as it is.
 */
export function oneLine(text: string): string {
  return text.replace(CONTROL_CHARACTERS, (ch) => ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
