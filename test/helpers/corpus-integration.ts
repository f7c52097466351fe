/** Registering integration tests on corpus programs (test/helpers/corpus.ts), with a skip or failure when the cache is missing. */
import test, { type ExecutionContext } from 'ava';
import { integration } from './airlock-cli.js';
import { corpusMissing } from './corpus.js';

export * from './corpus.js';

const underCi = process.env.CI === 'true' || process.env.CI === '1';

/**
 * An integration test on corpus programs. Without their cache it is skipped on a developer machine, with the
 * reason in its title, and fails under CI=true, where a missing corpus must never pass silently.
 */
export function corpusIntegration(title: string, names: readonly string[], implementation: (t: ExecutionContext) => Promise<void>): void {
  const missing = corpusMissing(names);
  if (missing === undefined) integration(title, implementation);
  else if (underCi) test(title, (t) => t.fail(`CI=true and ${missing}`));
  else test.skip(`${title} [skipped: ${missing}]`, () => undefined);
}

