import { createRequire } from 'node:module';
import type { ErrorObject } from 'ajv';
import { oneLine } from '../errors.js';

/**
 * JSON Schema validation with ajv. Errors are turned into one line that names the field by its JSON path,
 * e.g. `targets[1]: must match pattern "^[a-z0-9]+/[a-z0-9]+$"`.
 */
export function describeSchemaError(error: ErrorObject): string {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  let field = '';
  for (const segment of segments) field += /^\d+$/.test(segment) ? `[${segment}]` : field === '' ? fieldName(segment) : `.${fieldName(segment)}`;
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return `${field === '' ? '' : `${field}.`}${fieldName(extra)}: unknown field`;
  }
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return `${field === '' ? '' : `${field}.`}${fieldName(missing)}: required field is missing`;
  }
  if (error.keyword === 'type' && (error.params as { type?: string }).type === 'integer') {
    return `${field === '' ? '(top level)' : field}: must be a whole number`;
  }
  if (error.keyword === 'minimum' || error.keyword === 'exclusiveMinimum') {
    // Say the floor in words a user acts on: the key and the smallest value accepted.
    const { limit } = error.params as { limit: number };
    const floor = error.keyword === 'minimum' ? `the smallest value accepted is ${limit}` : `it must be more than ${limit}`;
    return `${field === '' ? '(top level)' : field}: too small: ${floor}`;
  }
  return `${field === '' ? '(top level)' : field}: ${error.message ?? 'is invalid'}`;
}

/** A field name as written in a message: printable names as they are, any other (with a space, a line break...) quoted. */
function fieldName(name: string): string {
  return /^[\x21-\x7e]+$/.test(name) && !name.includes('"') ? name : oneLine(JSON.stringify(name));
}

/**
 * With oneOf/anyOf, ajv reports every branch's failure; the deepest error, and one that is not merely "wrong
 * type" for a branch the value was never meant to take, says what is really wrong.
 */
function mostSpecificFirst(errors: readonly ErrorObject[]): ErrorObject[] {
  const depth = (error: ErrorObject) => error.instancePath.split('/').length;
  const weight = (error: ErrorObject) => (error.keyword === 'oneOf' || error.keyword === 'anyOf' ? 2 : error.keyword === 'type' ? 1 : 0);
  return errors
    .map((error, index) => ({ error, index }))
    .sort((a, b) => depth(b.error) - depth(a.error) || weight(a.error) - weight(b.error) || a.index - b.index)
    .map(({ error }) => error);
}

export type Validator<T> = (value: unknown) => { ok: true; value: T } | { ok: false; problems: string[] };

export function compileSchema<T>(schema: object): Validator<T> {
  // ajv is loaded only when a schema is first compiled: most commands never validate a document (~70 ms).
  const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  return (value) => {
    if (validate(value)) return { ok: true, value: value as T };
    return { ok: false, problems: mostSpecificFirst(validate.errors ?? []).map(describeSchemaError) };
  };
}
