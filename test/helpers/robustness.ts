/**
 * Property-test support for the robustness suite (test/unit/robustness): the contract every parser of
 * untrusted input must keep, and mutations of real inputs (text, JSON and bytes) that try to break it.
 *
 * The contract: a parser returns normally, or throws an AirlockError whose message is one line. Anything else
 * (a TypeError, a RangeError, a SyntaxError, an error from zlib, yauzl or the file system) would reach the
 * CLI as an internal error, so the properties rethrow it and fast-check reports the smallest input doing it.
 *
 * robustness-macros.ts holds the tests every text format repeats, as ava macros.
 */
import * as fc from 'fast-check';

import { AirlockError } from '../../src/errors.js';
import { type Mutation, mutateLines, mutationArbitrary } from './text-mutations.js';

// A failing property reports the error the parser threw, not only the input.
fc.configureGlobal({ ...fc.readConfigureGlobal(), includeErrorInReport: true });

/** Line breaks a terminal would honour; a user-facing message must not hold any. */
const LINE_BREAK = /[\n\r\v\f\u0085\u2028\u2029]/;

export function isOneLine(text: string): boolean {
  return !LINE_BREAK.test(text);
}

/** Rethrows ERROR unless it is an AirlockError with a one-line message, so that fast-check reports the input. */
export function requireCleanFailure(error: unknown): void {
  if (!(error instanceof AirlockError)) {
    const description = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new Error(`not an AirlockError: ${description}`, { cause: error });
  }
  if (!isOneLine(error.message)) throw new Error(`${error.name} message spans lines: ${JSON.stringify(error.message)}`, { cause: error });
  if (error.hint !== undefined && !isOneLine(error.hint)) throw new Error(`${error.name} hint spans lines: ${JSON.stringify(error.hint)}`, { cause: error });
}

/** Runs PARSE; true when it returned, false when it failed cleanly; throws when it failed any other way. */
export function parsesOrFailsCleanly(parse: () => unknown): boolean {
  try {
    parse();
    return true;
  } catch (error) {
    requireCleanFailure(error);
    return false;
  }
}

export async function parsesOrFailsCleanlyAsync(parse: () => Promise<unknown>): Promise<boolean> {
  try {
    await parse();
    return true;
  } catch (error) {
    requireCleanFailure(error);
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Text

/** Numbers no parser should choke on: past 2^53, past 2^64, past a double, negative, fractional, exponent. */
export const HUGE_NUMBERS = [
  '9007199254740993',
  '18446744073709551616',
  '99999999999999999999999999999999999999',
  '1e309',
  '-1',
  '-0',
  '0.5',
  '1e-400',
  '0x7fffffff',
  '4294967296',
];

/** Characters that trip naive string handling: line and paragraph separators, BOM, NUL, lone surrogates, emoji. */
export const AWKWARD_TEXT = ['\0', '\u2028', '\u2029', '\u0085', '\uFEFF', '\uD800', '\uDFFF', '😀', 'é', 'İ', '\u200B', '\x1b[2J', '\t', '\r', '\v', '\f'];

export type TextMutation =
  | { kind: 'line'; mutation: Mutation }
  | { kind: 'insert-line'; at: number; line: string }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'truncate'; at: number }
  | { kind: 'byte-flip'; at: number; xor: number };

const awkwardString = fc.oneof(
  fc.constantFrom(...HUGE_NUMBERS, ...AWKWARD_TEXT),
  fc.string({ maxLength: 12, unit: 'binary' }),
  fc.string({ maxLength: 12, unit: 'grapheme' }),
  fc.constant('x'.repeat(1000)),
);

/** One text mutation: the line mutations of text-mutations.ts, inserted lines and strings, truncation, flipped UTF-8 bits. */
export function textMutationArbitrary(lineTokens: readonly string[] = []): fc.Arbitrary<TextMutation> {
  const line = lineTokens.length === 0 ? awkwardString : fc.oneof(fc.constantFrom(...lineTokens), awkwardString);
  return fc.oneof(
    { weight: 3, arbitrary: mutationArbitrary(['', ' ', '\t', '"', '\\', '/', '0', ...AWKWARD_TEXT]).map((mutation) => ({ kind: 'line' as const, mutation })) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('insert-line' as const), at: fc.nat(), line }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: awkwardString }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('byte-flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }) },
  );
}

export function applyTextMutation(text: string, mutation: TextMutation): string {
  switch (mutation.kind) {
    case 'line':
      return mutateLines(text, [mutation.mutation]);
    case 'insert-line': {
      const lines = text.split('\n');
      lines.splice(mutation.at % (lines.length + 1), 0, mutation.line);
      return lines.join('\n');
    }
    case 'insert': {
      const at = mutation.at % (text.length + 1);
      return text.slice(0, at) + mutation.text + text.slice(at);
    }
    case 'truncate':
      return text.slice(0, mutation.at % (text.length + 1));
    case 'byte-flip': {
      // As a file holding damaged UTF-8 would read with readFile(file, 'utf8').
      const bytes = Buffer.from(text, 'utf8');
      if (bytes.length === 0) return text;
      const at = mutation.at % bytes.length;
      bytes[at] = bytes[at]! ^ mutation.xor;
      return bytes.toString('utf8');
    }
  }
}

export function applyTextMutations(text: string, mutations: readonly TextMutation[]): string {
  return mutations.reduce(applyTextMutation, text);
}

/** Random text as a user might feed it: arbitrary code units, graphemes, or lines built from tokens. */
export function arbitraryText(tokens: readonly string[] = []): fc.Arbitrary<string> {
  const choices: Array<fc.Arbitrary<string>> = [
    fc.string({ maxLength: 300, unit: 'binary' }),
    fc.string({ maxLength: 300, unit: 'grapheme' }),
    fc.array(awkwardString, { maxLength: 30 }).map((parts) => parts.join('\n')),
  ];
  if (tokens.length > 0) choices.push(fc.array(fc.constantFrom(...tokens), { maxLength: 60 }).map((parts) => parts.join('')));
  return fc.oneof(...choices);
}

// ---------------------------------------------------------------------------------------------------------
// JSON

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** JSON values that are legal but hostile: huge and odd numbers, awkward strings, keys that shadow Object.prototype. */
const hostileJsonText = fc.constantFrom(
  '1e308',
  '-1',
  '0',
  '0.5',
  '9007199254740993',
  '""',
  '"\\n"',
  '"\\u0000"',
  '"\\u2028"',
  '"\\ud800"',
  '{"toString": 1, "valueOf": 1}',
  '{"__proto__": {"polluted": true}}',
  '{"constructor": {"prototype": 1}}',
  `${'['.repeat(2000)}${']'.repeat(2000)}`,
  JSON.stringify('x'.repeat(20000)),
  JSON.stringify(Array.from({ length: 2000 }, (_, i) => i)),
);

export type JsonMutation =
  | { kind: 'replace'; at: number; valueText: string }
  | { kind: 'delete'; at: number }
  | { kind: 'duplicate'; at: number }
  | { kind: 'add-key'; at: number; key: string; valueText: string };

export function jsonMutationArbitrary(): fc.Arbitrary<JsonMutation> {
  const valueText = fc.oneof(hostileJsonText, fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)));
  const key = fc.oneof(fc.constantFrom('__proto__', 'toString', 'constructor', '$schema', '', 'a\nb'), fc.string({ maxLength: 10 }));
  return fc.oneof(
    fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), valueText }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('add-key' as const), at: fc.nat(), key, valueText }),
  );
}

interface Slot {
  parent: Json[] | { [key: string]: Json };
  key: string | number;
}

/**
 * Mutations reach at most this deep. The hostile values include 2000-deep arrays; descending into them (and
 * nesting one inside another) would overflow V8's stack in this helper, not in the code under test.
 */
const MAX_MUTATION_DEPTH = 64;

function slots(value: Json, found: Slot[] = [], depth = 0): Slot[] {
  if (depth >= MAX_MUTATION_DEPTH) return found;
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      found.push({ parent: value, key: index });
      slots(item, found, depth + 1);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      found.push({ parent: value, key });
      slots(value[key]!, found, depth + 1);
    }
  }
  return found;
}

function containers(value: Json, found: Array<{ [key: string]: Json }> = [], depth = 0): Array<{ [key: string]: Json }> {
  if (depth >= MAX_MUTATION_DEPTH) return found;
  if (Array.isArray(value)) for (const item of value) containers(item, found, depth + 1);
  else if (value !== null && typeof value === 'object') {
    found.push(value);
    for (const key of Object.keys(value)) containers(value[key]!, found, depth + 1);
  }
  return found;
}

/** Sets an own property, even one named __proto__ (plain assignment would change the prototype instead). */
function define(target: object, key: string | number, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** structuredClone overflows V8's stack on the 2000-deep hostile arrays; the JSON round trip does not. */
function cloneJson(value: Json): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

/** Applies the mutations to a copy of the JSON document in TEXT and returns the new text. */
export function mutateJsonText(text: string, mutations: readonly JsonMutation[]): string {
  const root = JSON.parse(text) as Json;
  for (const mutation of mutations) {
    if (mutation.kind === 'add-key') {
      const objects = containers(root);
      if (objects.length === 0) continue;
      define(objects[mutation.at % objects.length]!, mutation.key, JSON.parse(mutation.valueText) as Json);
      continue;
    }
    const all = slots(root);
    if (all.length === 0) continue;
    const { parent, key } = all[mutation.at % all.length]!;
    if (mutation.kind === 'replace') {
      define(parent, key, JSON.parse(mutation.valueText) as Json);
    } else if (mutation.kind === 'delete') {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
    } else if (Array.isArray(parent)) {
      parent.splice(key as number, 0, cloneJson(parent[key as number]!));
    } else {
      define(parent, `${key}`, cloneJson(parent[key as string]!));
    }
  }
  return JSON.stringify(root, null, 2);
}

// ---------------------------------------------------------------------------------------------------------
// Bytes

export type ByteMutation =
  | { kind: 'flip'; at: number; xor: number }
  | { kind: 'set'; at: number; bytes: number[] }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'truncate'; at: number };

/** Byte patterns that make header fields huge, zero, negative or all-ones. */
const HOSTILE_WORDS = [
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0xff, 0xff, 0xff, 0x7f],
  [0x00, 0x00, 0x00, 0x80],
  [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
  [0xff, 0xff],
  [0x01],
  [0x00],
];

/**
 * One byte mutation at an offset chosen from HOTSPOTS (offsets worth aiming at: headers, tables, the
 * build info) plus a small spread, or anywhere in the first LENGTH bytes.
 */
export function byteMutationArbitrary(length: number, hotspots: readonly number[] = [0]): fc.Arbitrary<ByteMutation> {
  const near = fc.tuple(fc.constantFrom(...hotspots), fc.integer({ min: -64, max: 512 })).map(([spot, delta]) => Math.max(0, spot + delta));
  const at = fc.oneof({ weight: 3, arbitrary: near }, { weight: 1, arbitrary: fc.nat(Math.max(0, length - 1)) });
  const bytes = fc.oneof(fc.constantFrom(...HOSTILE_WORDS), fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }));
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), at, xor: fc.integer({ min: 1, max: 255 }) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), at, bytes }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), at, bytes }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), at, length: fc.integer({ min: 1, max: 64 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at }) },
  );
}

/** A mutated copy of BYTES (the original is never changed). */
export function mutateBytes(bytes: Uint8Array, mutations: readonly ByteMutation[]): Buffer {
  let out = Buffer.from(bytes);
  for (const mutation of mutations) {
    if (out.length === 0) break;
    const at = mutation.at % out.length;
    switch (mutation.kind) {
      case 'flip':
        out[at] = out[at]! ^ mutation.xor;
        break;
      case 'set':
        for (let i = 0; i < mutation.bytes.length && at + i < out.length; i++) out[at + i] = mutation.bytes[i]!;
        break;
      case 'insert':
        out = Buffer.concat([out.subarray(0, at), Buffer.from(mutation.bytes), out.subarray(at)]);
        break;
      case 'delete':
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + mutation.length)]);
        break;
      case 'truncate':
        out = out.subarray(0, at);
        break;
    }
  }
  return out;
}

/** Every offset at which NEEDLE occurs in HAYSTACK (for aiming mutations at a structure). */
export function offsetsOf(haystack: Uint8Array, needle: Uint8Array | string, limit = 16): number[] {
  const buffer = Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength);
  const found: number[] = [];
  let at = buffer.indexOf(needle);
  while (at >= 0 && found.length < limit) {
    found.push(at);
    at = buffer.indexOf(needle, at + 1);
  }
  return found;
}
