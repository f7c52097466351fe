import test, { type ExecutionContext } from 'ava';
import { type CliResult, engineReachable } from './airlock-run.js';

export * from './airlock-run.js';

const reachable = await engineReachable();
const underCi = process.env.CI === 'true' || process.env.CI === '1';

/**
 * Registers a test that needs the real engine. Without one it is skipped on a developer machine, and fails
 * under CI=true, where a missing engine must never pass silently.
 */
export function integration(title: string, implementation: (t: ExecutionContext) => Promise<void>): void {
  if (reachable) {
    test.serial(title, async (t) => {
      t.timeout(10 * 60 * 1000);
      await implementation(t);
    });
  } else if (underCi) {
    test(title, (t) => t.fail('no container engine is reachable and CI=true: integration tests must run here'));
  } else {
    test.skip(title, () => undefined);
  }
}


/** Asserts the CLI failed the way users must see failures: one error line, the exit code, no stack trace. */
export function assertCleanFailure(t: ExecutionContext, result: CliResult, exitCode: number, pattern: RegExp): void {
  t.is(result.exitCode, exitCode, result.stderr);
  const errorLines = result.stderr.split('\n').filter((line) => line.startsWith('airlock: error:'));
  t.is(errorLines.length, 1, result.stderr);
  t.regex(errorLines[0] ?? '', pattern);
  t.notRegex(result.stderr, /^\s+at .+:\d+:\d+\)?$/m, 'no stack trace without --debug');
}
