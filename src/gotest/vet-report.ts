/**
 * What `go vet -json` reports. Its standard output is a sequence of JSON objects, one per vetted package
 * (`{}` when vet found nothing), each shaped
 *
 *   { "<package ID>": { "<analyzer>": [ { "posn": "file:line:col", "end": ..., "message": "...", ... } ] } }
 *
 * where an analyzer that failed on the package has `{ "error": "..." }` instead of a list; older go commands
 * also wrote `# <package>` lines between the objects. `go vet -json` exits 0 even when it found something (so
 * the findings, not the exit code, decide), and exits non-zero with plain text on standard error when vet
 * could not run at all: a type error, a pattern that matches nothing. Both are read here, as hostile input:
 * the output comes out of the sandbox.
 */
import { capText, utf8Bytes } from './capped-text.js';

export interface VetFinding {
  /** The import path (a test variant's ID, `pkg [pkg.test]`, is reported as `pkg`). */
  package: string;
  analyzer: string;
  /** `file:line:column`; relative to the source root when it was given and the path is inside it. */
  position: string;
  message: string;
}

/** An analyzer that could not analyse a package (`{"error": ...}` in vet's JSON). */
export interface VetAnalyzerError {
  package: string;
  analyzer: string;
  message: string;
}

export interface VetReport {
  findings: VetFinding[];
  analyzerErrors: VetAnalyzerError[];
  /** Vet failed outright: it exited non-zero, or wrote something that is not its JSON. The text says why. */
  failure?: { exitCode?: number; text: string };
  /** Findings beyond the cap, counted but not kept. */
  cutFindings: number;
}

export interface VetOutput {
  stdout: string;
  stderr?: string;
  /** go vet's exit code, when it is known. */
  exitCode?: number;
}

export interface VetReportOptions {
  /** The module root as vet saw it (e.g. /work/src): positions inside it are made relative. */
  sourceRoot?: string;
  maxFindings?: number;
  /** Cap of each message and of the failure text, in UTF-8 bytes. */
  maxTextBytes?: number;
}

const DEFAULTS = { maxFindings: 10_000, maxTextBytes: 64 * 1024 };

/** A test variant's package ID, `pkg [pkg.test]`, names the package `pkg`. */
export function packageOfId(id: string): string {
  const bracket = id.indexOf(' [');
  return bracket < 0 ? id : id.slice(0, bracket);
}

/**
 * The end of the JSON value that starts at START (a `{`), found by counting braces outside strings, or -1
 * when the text ends first. JSON.parse then judges the value itself.
 */
function endOfObject(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let index = start; index < text.length; index++) {
    const char = text[index];
    if (inString) {
      if (char === '\\') index += 1;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '{' || char === '[') depth += 1;
    else if (char === '}' || char === ']') {
      depth -= 1;
      if (depth === 0) return index + 1;
    }
  }
  return -1;
}

type Piece = { kind: 'json'; value: unknown } | { kind: 'text'; text: string };

/**
 * The JSON objects and the other lines of vet's standard output, in order. Each character is scanned once:
 * a brace-balanced span that is not JSON becomes text as a whole, and an object that never closes makes the
 * rest of the output text.
 */
function splitVetOutput(text: string): Piece[] {
  const pieces: Piece[] = [];
  const pushLines = (span: string): void => {
    for (const line of span.split('\n')) if (line.trim() !== '') pieces.push({ kind: 'text', text: line });
  };
  let index = 0;
  while (index < text.length) {
    const char = text[index]!;
    if (char === ' ' || char === '\t' || char === '\n' || char === '\r') {
      index += 1;
      continue;
    }
    if (char !== '{') {
      const newline = text.indexOf('\n', index);
      const lineEnd = newline < 0 ? text.length : newline;
      pushLines(text.slice(index, lineEnd));
      index = lineEnd;
      continue;
    }
    const end = endOfObject(text, index);
    if (end < 0) {
      pushLines(text.slice(index));
      break;
    }
    try {
      pieces.push({ kind: 'json', value: JSON.parse(text.slice(index, end)) as unknown });
    } catch {
      pushLines(text.slice(index, end));
    }
    index = end;
  }
  return pieces;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function relativePosition(position: string, sourceRoot: string | undefined): string {
  if (sourceRoot === undefined || sourceRoot === '') return position;
  const root = sourceRoot.endsWith('/') ? sourceRoot : `${sourceRoot}/`;
  return position.startsWith(root) ? position.slice(root.length) : position;
}

/** Parses `go vet -json` output. Never throws. */
export function parseVetReport(output: VetOutput, options: VetReportOptions = {}): VetReport {
  const { maxFindings, maxTextBytes } = { ...DEFAULTS, ...options };
  const cap = (text: string): string => (utf8Bytes(text) > maxTextBytes ? capText(text, maxTextBytes) : text);
  const findings: VetFinding[] = [];
  const analyzerErrors: VetAnalyzerError[] = [];
  const seen = new Set<string>();
  const strayLines: string[] = [];
  let cutFindings = 0;

  for (const piece of splitVetOutput(output.stdout)) {
    if (piece.kind === 'text') {
      // `# pkg` headers are vet's own; any other line is not what `-json` writes.
      if (!piece.text.startsWith('#')) strayLines.push(piece.text);
      continue;
    }
    if (!isRecord(piece.value)) {
      strayLines.push(JSON.stringify(piece.value));
      continue;
    }
    for (const [id, analyzers] of Object.entries(piece.value)) {
      if (!isRecord(analyzers)) continue;
      const pkg = cap(packageOfId(id));
      for (const [analyzer, result] of Object.entries(analyzers)) {
        if (isRecord(result)) {
          if (typeof result.error === 'string') analyzerErrors.push({ package: pkg, analyzer: cap(analyzer), message: cap(result.error) });
          continue;
        }
        if (!Array.isArray(result)) continue;
        for (const diagnostic of result as unknown[]) {
          if (!isRecord(diagnostic) || typeof diagnostic.message !== 'string') continue;
          const finding: VetFinding = {
            package: pkg,
            analyzer: cap(analyzer),
            position: cap(relativePosition(typeof diagnostic.posn === 'string' ? diagnostic.posn : '', options.sourceRoot)),
            message: cap(diagnostic.message),
          };
          // A package and its test variant are both vetted: the same finding can come twice.
          const key = JSON.stringify([finding.package, finding.analyzer, finding.position, finding.message]);
          if (seen.has(key)) continue;
          seen.add(key);
          if (findings.length >= maxFindings) cutFindings += 1;
          else findings.push(finding);
        }
      }
    }
  }

  const report: VetReport = { findings, analyzerErrors, cutFindings };
  const stderr = output.stderr?.trim() ?? '';
  const failed = (output.exitCode !== undefined && output.exitCode !== 0) || strayLines.length > 0;
  if (failed) {
    const parts = [stderr, ...strayLines].filter((part) => part !== '');
    const text = parts.length > 0 ? parts.join('\n') : `go vet exited with status ${output.exitCode ?? 'unknown'} and wrote nothing on standard error`;
    report.failure = { text: cap(text) };
    if (output.exitCode !== undefined) report.failure.exitCode = output.exitCode;
  }
  return report;
}

/** Whether vet passed the code: it ran, found nothing and no analyzer failed. */
export function vetPassed(report: VetReport): boolean {
  return report.failure === undefined && report.findings.length === 0 && report.analyzerErrors.length === 0 && report.cutFindings === 0;
}
