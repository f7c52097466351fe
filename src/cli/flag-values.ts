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
