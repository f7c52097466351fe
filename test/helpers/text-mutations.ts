/** Line-based mutations of real files for property tests of parsers: delete, duplicate, swap or edit lines. */
import * as fc from 'fast-check';

export type Mutation =
  | { kind: 'delete'; at: number }
  | { kind: 'duplicate'; at: number }
  | { kind: 'swap'; at: number; other: number }
  | { kind: 'flip'; at: number; offset: number; char: string };

/**
 * Any one mutation; a flip puts one of the interesting characters (the empty string deletes one) or any
 * single character in place of the character at an offset of a line.
 */
export function mutationArbitrary(interestingChars: string[]): fc.Arbitrary<Mutation> {
  return fc.oneof(
    fc.record({ kind: fc.constantFrom('delete' as const, 'duplicate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), other: fc.nat() }),
    fc.record({
      kind: fc.constant('flip' as const),
      at: fc.nat(),
      offset: fc.nat(),
      char: fc.oneof(fc.constantFrom(...interestingChars), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' })),
    }),
  );
}

/** Applies the mutations in order to the lines of text; positions wrap around the current number of lines. */
export function mutateLines(text: string, mutations: readonly Mutation[]): string {
  const lines = text.split('\n');
  for (const mutation of mutations) {
    if (lines.length === 0) break;
    const at = mutation.at % lines.length;
    if (mutation.kind === 'delete') {
      lines.splice(at, 1);
    } else if (mutation.kind === 'duplicate') {
      lines.splice(at, 0, lines[at]!);
    } else if (mutation.kind === 'swap') {
      const other = mutation.other % lines.length;
      [lines[at], lines[other]] = [lines[other]!, lines[at]!];
    } else {
      const line = lines[at]!;
      const offset = mutation.offset % (line.length + 1);
      lines[at] = line.slice(0, offset) + mutation.char + line.slice(offset + 1);
    }
  }
  return lines.join('\n');
}
