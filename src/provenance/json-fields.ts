/**
 * Reading fields of JSON that arrived from outside (a provenance statement airlock did not necessarily write):
 * any field may hold any JSON value, including objects whose "toString" key makes String() throw.
 */
import { oneLine } from '../errors.js';

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A JSON value as text for a message: strings as they are, anything else as JSON; always one line. */
export function jsonText(value: unknown): string {
  return oneLine(typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)));
}
