import { InputError } from '../errors.js';

/** Options whose values are Go flag strings, which start with '-' as often as not (`--ldflags "-s -w"`). */
export const GO_FLAG_OPTIONS = ['--ldflags', '--tags'] as const;

/**
 * Joins `--ldflags VALUE` into `--ldflags=VALUE`, so that the next argument is the value even when it starts
 * with '-', as `go build -ldflags "-s -w"` takes it; yargs would read "-s -w" as short flags. Nothing after
 * `--` is touched.
 */
export function attachFlagValues(argv: readonly string[], options: readonly string[] = GO_FLAG_OPTIONS): string[] {
  const result: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      result.push(...argv.slice(i));
      break;
    }
    if (!options.includes(arg)) {
      result.push(arg);
      continue;
    }
    if (i + 1 >= argv.length || argv[i + 1] === '--') {
      throw new InputError(`${arg} needs a value`, {
        hint: arg === '--ldflags' ? 'write it like go build takes it: --ldflags "-s -w"' : 'write it like --tags netgo,osusergo',
      });
    }
    result.push(`${arg}=${argv[i + 1]!}`);
    i++;
  }
  return result;
}

/** The value of --jobs: a positive whole number of containers. */
export function parseJobs(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? undefined : String(value).trim();
  if (text === undefined) {
    throw new InputError('--jobs is given more than once', { hint: 'pass it once, e.g. --jobs 4' });
  }
  if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new InputError(`--jobs ${text === '' ? '""' : text} is not a positive whole number`, { hint: 'pass how many containers may run at once, e.g. --jobs 4' });
  }
  return Number(text);
}

/** A Go duration as go test's -timeout takes it (time.ParseDuration), e.g. 90s, 10m, 1h30m. */
export function parseGoDuration(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (!/^(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h)(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))*$/.test(text) && text !== '0') {
    throw new InputError(`${flag} ${value} is not a duration`, { hint: `write it as go test takes it, like ${flag} 90s or ${flag} 10m` });
  }
  return text;
}

/**
 * go test's -run and -skip: one regular expression per level of test name, split at slashes outside brackets.
 * Each is checked with JavaScript's regular expressions, which refuse what RE2 refuses for the common mistakes
 * (unbalanced brackets and parentheses, a dangling repeat); RE2's own syntax that JavaScript lacks (flag groups,
 * (?P<name>)) is rewritten first, so a valid Go expression is never refused. Anything Go would still refuse
 * fails in the sandbox, reported by go test.
 */
export function parseTestPattern(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  for (const level of splitTestPattern(value)) {
    try {
      new RegExp(asJavaScriptSyntax(level));
    } catch (error) {
      throw new InputError(`${flag} ${value} is not a valid regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`, {
        hint: `write it as go test takes it, like ${flag} '^TestServer$' or ${flag} 'TestIn/UTC'`,
      });
    }
  }
  return value;
}

function splitTestPattern(value: string): string[] {
  const levels: string[] = [];
  let depth = 0;
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    if (char === '\\' && i + 1 < value.length) {
      current += char + value[++i]!;
      continue;
    }
    if (char === '[') depth++;
    else if (char === ']' && depth > 0) depth--;
    if (char === '/' && depth === 0) {
      levels.push(current);
      current = '';
    } else current += char;
  }
  levels.push(current);
  return levels;
}

/** RE2 spellings JavaScript lacks, turned into ones it takes: (?i) and (?i:...) flag groups, (?P<name>...). */
function asJavaScriptSyntax(re2: string): string {
  return re2.replace(/\(\?P</g, '(?<').replace(/\(\?[imsU-]+\)/g, '').replace(/\(\?[imsU-]+:/g, '(?:');
}
