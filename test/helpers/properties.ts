/**
 * Property tests as ava assertions. fc.assert throws when a property fails, so `fc.assert(...); t.pass()` did
 * check something, but read as a test that always passes. These make the property the test's assertion: it
 * fails with fast-check's report (the seed, the shrunk counterexample and the error it threw).
 */
import type { ExecutionContext } from 'ava';
import * as fc from 'fast-check';

const HOLDS = 'the property holds for every generated input';

/** Asserts that PROPERTY holds on every input fast-check generates (parameters.numRuns of them, 100 by default). */
export function assertProperty<Ts>(t: ExecutionContext, property: fc.IProperty<Ts>, parameters?: fc.Parameters<Ts>, message = HOLDS): void {
  t.notThrows(() => fc.assert(property, parameters), message);
}

/** assertProperty for an asynchronous property. */
export async function assertAsyncProperty<Ts>(t: ExecutionContext, property: fc.IAsyncProperty<Ts>, parameters?: fc.Parameters<Ts>, message = HOLDS): Promise<void> {
  await t.notThrowsAsync(() => fc.assert(property, parameters), message);
}
