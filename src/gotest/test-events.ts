/**
 * The `go test -json` stream (test2json's TestEvent lines, and since Go 1.24 the go command's build events),
 * parsed as hostile input: the stream comes out of the sandbox, where test code wrote into it, and a stream
 * can be cut (a killed run) or have stderr mixed in. Nothing in it makes the parser throw:
 * - a line that is not a JSON object with a string Action is kept as raw text, attributed to no package;
 * - a field of the wrong type is dropped; an action this parser does not know is counted and skipped;
 * - names are capped, and all output and raw text kept together is capped (the events stay, their output
 *   goes), with the bytes that were not kept counted.
 *
 * Fields, as `go doc cmd/test2json` documents them (Go 1.27): Time, Action, Package, Test, Elapsed, Output,
 * OutputType (Go 1.27), FailedBuild (Go 1.24), Key and Value (`attr`, Go 1.25), Path (`artifacts`, Go 1.26);
 * build events carry ImportPath, Action and Output.
 */
import { capText, utf8Bytes } from './capped-text.js';

export const TEST_ACTIONS = [
  'start', // the test binary is about to run (the first event of a package)
  'run',
  'pause',
  'cont',
  'pass',
  'bench', // a benchmark logged output and did not fail
  'fail',
  'output',
  'skip', // a test skipped, or a package without tests
  'build-output', // Go 1.24: a compiler or vet message while building the test binary (ImportPath, not Package)
  'build-fail', // Go 1.24: the build of ImportPath failed
  'attr', // Go 1.25: t.Attr(Key, Value)
  'artifacts', // Go 1.26: t.ArtifactDir with -artifacts (Path)
] as const;

export type TestAction = (typeof TEST_ACTIONS)[number];

export interface TestEvent {
  action: TestAction;
  /** As the go command wrote it (RFC 3339 with nanoseconds); absent for a cached result and for build events. */
  time?: string;
  package?: string;
  /** The test, subtest (`TestX/sub`), example or benchmark; absent for events of the package itself. */
  test?: string;
  /** Seconds, on pass and fail. */
  elapsed?: number;
  output?: string;
  /** Go 1.27, on output: `frame` (=== RUN, --- FAIL ...), `error` (t.Error, t.Fatal), `error-continue`. */
  outputType?: string;
  /** On a package's fail: the ID of the package whose build failed (`pkg [pkg.test]`), matching a build event's importPath. */
  failedBuild?: string;
  /** On build-output and build-fail. */
  importPath?: string;
  key?: string;
  value?: string;
  path?: string;
}

export type TestStreamEntry = { kind: 'event'; event: TestEvent } | { kind: 'text'; text: string };

export interface TestEventStream {
  /** Events and raw text lines, in the stream's order. */
  entries: TestStreamEntry[];
  /** Output and raw text not kept, in UTF-8 bytes, because the stream's cap was reached. */
  cutBytes: number;
  /** JSON objects whose Action this parser does not know (a newer go command's), left out. */
  unknownActions: number;
}

export interface TestEventLimits {
  /** Output and raw text kept from the whole stream, in UTF-8 bytes. */
  maxRetainedBytes?: number;
  /** Names (package, test, import path, attribute) longer than this are cut, with a marker. */
  maxNameBytes?: number;
}

export const DEFAULT_TEST_EVENT_LIMITS: Required<TestEventLimits> = {
  maxRetainedBytes: 64 * 1024 * 1024,
  maxNameBytes: 4096,
};

const KNOWN_ACTIONS: ReadonlySet<string> = new Set(TEST_ACTIONS);

type NameField = 'package' | 'test' | 'failedBuild' | 'importPath' | 'key' | 'value' | 'path' | 'outputType';

// test2json's field names, and the name each has here.
const NAME_FIELDS: ReadonlyArray<readonly [string, NameField]> = [
  ['Package', 'package'],
  ['Test', 'test'],
  ['FailedBuild', 'failedBuild'],
  ['ImportPath', 'importPath'],
  ['Key', 'key'],
  ['Value', 'value'],
  ['Path', 'path'],
  ['OutputType', 'outputType'],
];

function parseJsonObject(line: string): Record<string, unknown> | undefined {
  // Only a line that starts like an object is tried: stderr text and cut lines fall through cheaply.
  if (!line.trimStart().startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    // Not JSON (or nested deeper than the engine parses): raw text.
    return undefined;
  }
}

/** Parses a `go test -json` stream. Never throws. */
export function parseTestEvents(text: string, limits: TestEventLimits = {}): TestEventStream {
  const { maxRetainedBytes, maxNameBytes } = { ...DEFAULT_TEST_EVENT_LIMITS, ...limits };
  const entries: TestStreamEntry[] = [];
  let retained = 0;
  let cutBytes = 0;
  let unknownActions = 0;

  // Output and raw text share one budget; once it is spent, what follows is counted, not kept.
  const keep = (piece: string): string => {
    const size = utf8Bytes(piece);
    if (retained + size <= maxRetainedBytes) {
      retained += size;
      return piece;
    }
    const room = maxRetainedBytes - retained;
    const kept = room > 64 ? capText(piece, room) : '';
    const keptBytes = utf8Bytes(kept);
    retained += keptBytes;
    cutBytes += size - keptBytes;
    return kept;
  };
  const name = (value: string): string => (utf8Bytes(value) > maxNameBytes ? capText(value, maxNameBytes) : value);

  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    // The newline ending the stream leaves an empty last piece: nothing was there.
    if (line === '' || (index === lines.length - 1 && line.trim() === '')) continue;
    const object = parseJsonObject(line);
    if (object === undefined || typeof object.Action !== 'string') {
      entries.push({ kind: 'text', text: keep(`${line}\n`) });
      continue;
    }
    if (!KNOWN_ACTIONS.has(object.Action)) {
      unknownActions += 1;
      continue;
    }
    const event: TestEvent = { action: object.Action as TestAction };
    if (typeof object.Time === 'string') event.time = name(object.Time);
    for (const [field, key] of NAME_FIELDS) {
      const value = object[field];
      if (typeof value === 'string') event[key] = name(value);
    }
    if (typeof object.Elapsed === 'number' && Number.isFinite(object.Elapsed) && object.Elapsed >= 0) event.elapsed = object.Elapsed;
    if (typeof object.Output === 'string') event.output = keep(object.Output);
    entries.push({ kind: 'event', event });
  }
  return { entries, cutBytes, unknownActions };
}

/** The events of a stream, without its raw text. */
export function eventsOf(stream: TestEventStream): TestEvent[] {
  return stream.entries.flatMap((entry) => (entry.kind === 'event' ? [entry.event] : []));
}
