import { VerificationError, oneLine } from '../errors.js';

/** One go.sum line as the checksum database records it. */
export interface RecordLine {
  path: string;
  /** The version, without /go.mod. */
  version: string;
  goMod: boolean;
  hash: string;
  /** The line as written, without its newline. */
  text: string;
}

export interface LookupRecord {
  /** The record's index in the log. */
  id: number;
  /** The record text exactly (its go.sum lines, each ending in a newline): what the leaf hash covers. */
  text: string;
  lines: RecordLine[];
  /** The signed tree note that came with the record; not signed with it, so only a hint. */
  note: string;
}

const RECORD_LINE = /^(\S+) (\S+?)(\/go\.mod)? (h1:[A-Za-z0-9+/]{43}=)$/;

/**
 * Reads a lookup response (`<id>\n<record text>\n<signed tree note>`). Nothing in it is trusted yet: the id and
 * text are proven only by the Merkle proof against a signed tree, and the note is checked on its own.
 */
export function parseLookupRecord(bytes: Uint8Array, source: string): LookupRecord {
  const fail = (why: string) => new VerificationError(`${source}: ${why}`, { hint: 'the checksum database evidence is damaged; pack the module set again' });
  const content = Buffer.from(bytes).toString('utf8');
  const firstLine = content.indexOf('\n');
  const idText = content.slice(0, firstLine);
  if (firstLine < 0 || !/^(0|[1-9][0-9]{0,15})$/.test(idText) || !Number.isSafeInteger(Number(idText))) throw fail('the record id is not a number');
  const end = content.indexOf('\n\n', firstLine + 1);
  if (end < 0) throw fail('the record has no blank line after its text');
  const text = content.slice(firstLine + 1, end + 1);
  const lines: RecordLine[] = [];
  for (const line of text.slice(0, -1).split('\n')) {
    const match = RECORD_LINE.exec(line);
    if (!match) throw fail(`the record holds a line that is not a go.sum line: ${oneLine(JSON.stringify(line.slice(0, 80)))}`);
    lines.push({ path: match[1]!, version: match[2]!, goMod: match[3] !== undefined, hash: match[4]!, text: line });
  }
  return { id: Number(idText), text, lines, note: content.slice(end + 2) };
}

/** A lookup file as airlock stores it: the record, then the one tree note the set is proven against. */
export function formatLookupRecord(record: Pick<LookupRecord, 'id' | 'text'>, note: string): string {
  return `${record.id}\n${record.text}\n${note}`;
}
