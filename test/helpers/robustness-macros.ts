/**
 * The skeleton the robustness suite repeats for every text input airlock reads (go.mod, go.sum, modules.txt,
 * airlock.json, the toolchain matrix, SHA256SUMS), as ava macros: the real inputs parse; random text, and
 * text or JSON mutations of the real inputs, parse or fail as the format allows; the file reader the CLI
 * calls fails on a damaged file only with a one-line InputError.
 *
 * A format says how its parser may fail (failsAllowably) and, optionally, what a result must look like
 * (checkResult). Both throw an Error describing the breach, so that fast-check reports the smallest input.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import test, { type ExecutionContext } from 'ava';
import * as fc from 'fast-check';

import { InputError } from '../../src/errors.js';
import { tempDir } from './host-tools.js';
import { assertAsyncProperty, assertProperty } from './properties.js';
import { applyTextMutations, isOneLine, jsonMutationArbitrary, mutateJsonText, requireCleanFailure, textMutationArbitrary } from './robustness.js';
import { mutateLines, mutationArbitrary } from './text-mutations.js';

export interface TextFormat<T = unknown> {
  /** The file, in titles: "go.mod". */
  name: string;
  /** The inputs the mutations start from, in titles: "real go.mod files", "the shipped matrix". */
  inputs: string;
  /** The only failure allowed, in titles: "a one-line GoModSyntaxError naming a line". */
  failure: string;
  parse: (text: string) => T;
  /** Returns when ERROR, thrown by parse(TEXT), is a failure the format allows; throws otherwise. */
  failsAllowably: (error: unknown, text: string) => void;
  /** Returns when RESULT, returned by parse(TEXT), is sane; throws otherwise. */
  checkResult?(result: T, text: string): void; // (method syntax: a TextFormat<GoMod> is a TextFormat)
}

/** One stream of texts for a property, with its number of runs (each stream is its own fast-check run). */
export interface TextSource {
  texts: fc.Arbitrary<string>;
  numRuns: number;
}

/** Parses TEXT: returns when the result is sane or the parser failed as the format allows, throws otherwise. */
export function parsesOrFailsAllowably<T>(format: TextFormat<T>, text: string): void {
  let result: T;
  try {
    result = format.parse(text);
  } catch (error) {
    format.failsAllowably(error, text);
    return;
  }
  format.checkResult?.(result, text);
}

/**
 * The failure of the go.mod, go.sum and modules.txt parsers: their own syntax error (which the file readers
 * wrap in an InputError), with a one-line message, naming a line the text has.
 */
export function syntaxErrorOnALine(errorClass: new (...args: never[]) => Error & { line: number }): TextFormat['failsAllowably'] {
  return (error, text) => {
    if (!(error instanceof errorClass)) {
      const description = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new Error(`not a ${errorClass.name}: ${description}`, { cause: error });
    }
    if (!isOneLine(error.message)) throw new Error(`message spans lines: ${JSON.stringify(error.message)}`, { cause: error });
    const lines = text.split('\n').length;
    if (!(Number.isInteger(error.line) && error.line >= 1 && error.line <= lines)) throw new Error(`${errorClass.name} names line ${error.line} of a text of ${lines}`, { cause: error });
  };
}

/** A failure robustness.ts allows (an AirlockError with a one-line message and hint) of ERROR_CLASS only. */
export function cleanFailureOf(errorClass: new (...args: never[]) => Error): (error: unknown) => void {
  return (error) => {
    requireCleanFailure(error);
    if (!(error instanceof errorClass)) throw new Error(`not a ${errorClass.name}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`, { cause: error });
  };
}

/** The failure of the readers of airlock's own files, and of every file reader: a one-line InputError, no other AirlockError. */
export const requireInputError = cleanFailureOf(InputError);

/** Texts: each of REAL with 1 to MAX_MUTATIONS of robustness.ts's text mutations (which insert LINES among others). */
export function textMutationsOf(real: readonly string[], lines: readonly string[] = [], maxMutations = 6): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...real), fc.array(textMutationArbitrary(lines), { minLength: 1, maxLength: maxMutations }))
    .map(([text, mutations]) => applyTextMutations(text, mutations));
}

/** Texts: each of REAL with 1 to MAX_MUTATIONS of text-mutations.ts's line mutations (flipping in INTERESTING characters). */
export function lineMutationsOf(real: readonly string[], interesting: string[], maxMutations = 6): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...real), fc.array(mutationArbitrary(interesting), { minLength: 1, maxLength: maxMutations }))
    .map(([text, mutations]) => mutateLines(text, mutations));
}

/** Texts: each of REAL, JSON, with 1 to MAX_MUTATIONS of robustness.ts's JSON mutations (hostile values, odd keys). */
export function jsonMutationsOf(real: readonly string[], maxMutations = 4): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom(...real), fc.array(jsonMutationArbitrary(), { minLength: 1, maxLength: maxMutations })).map(([text, mutations]) => mutateJsonText(text, mutations));
}

function holdsForEverySource(t: ExecutionContext, format: TextFormat, sources: readonly TextSource[]): void {
  t.true(sources.length > 0, 'at least one source of texts');
  for (const [index, { texts, numRuns }] of sources.entries()) {
    assertProperty(
      t,
      fc.property(texts, (text) => parsesOrFailsAllowably(format, text)),
      { numRuns },
      `source ${index + 1} of ${sources.length}: every text parses or fails with ${format.failure}`,
    );
  }
}

/** The inputs the mutations start from parse, into a sane result: the properties below start from real inputs. */
export const realInputsParse = test.macro<[TextFormat, readonly string[]]>({
  exec(t, format, real) {
    t.true(real.length > 0, 'at least one real input');
    for (const [index, text] of real.entries()) {
      t.notThrows(() => format.checkResult?.(format.parse(text), text), `${format.name} input ${index + 1} of ${real.length}`);
    }
  },
  title: (provided, format) => provided ?? `the inputs the mutations start from parse: ${format.inputs}`,
});

/** Random text parses or fails as the format allows. */
export const randomTextParsesOrFailsAllowably = test.macro<[TextFormat, readonly TextSource[]]>({
  exec: (t, format, sources) => holdsForEverySource(t, format, sources),
  title: (provided, format) => provided ?? `property: random text parses or fails with ${format.failure}`,
});

/** Text mutations of the real inputs parse or fail as the format allows. */
export const mutationsParseOrFailAllowably = test.macro<[TextFormat, readonly TextSource[]]>({
  exec: (t, format, sources) => holdsForEverySource(t, format, sources),
  title: (provided, format) => provided ?? `property: text mutations of ${format.inputs} parse or fail with ${format.failure}`,
});

/** JSON mutations of the real inputs parse or fail as the format allows. */
export const jsonMutationsParseOrFailAllowably = test.macro<[TextFormat, readonly TextSource[]]>({
  exec: (t, format, sources) => holdsForEverySource(t, format, sources),
  title: (provided, format) => provided ?? `property: JSON mutations (hostile values, unknown and odd keys) of ${format.inputs} parse or fail with ${format.failure}`,
});

export interface FileReader {
  /** The reader's name, in titles: "readGoModule". */
  name: string;
  /** Where the file lies in the directory the reader is given: "go.mod", "vendor/modules.txt". */
  file: string;
  read: (dir: string) => unknown;
}

/**
 * The file reader the CLI calls, on a directory whose file is a damaged real input, returns or fails with a
 * one-line InputError (nothing else: no other AirlockError, no TypeError, no error of the file system).
 */
export const damagedFileFailsWithInputError = test.macro<[FileReader, TextSource]>({
  async exec(t, reader, damaged) {
    const dir = await tempDir(t);
    const file = path.join(dir, ...reader.file.split('/'));
    await fs.mkdir(path.dirname(file), { recursive: true });
    await assertAsyncProperty(
      t,
      fc.asyncProperty(damaged.texts, async (text) => {
        await fs.writeFile(file, text);
        try {
          await reader.read(dir);
        } catch (error) {
          requireInputError(error);
        }
      }),
      { numRuns: damaged.numRuns },
    );
  },
  title: (provided, reader) => provided ?? `property: ${reader.name} of a damaged ${reader.file} fails only with a one-line InputError`,
});
