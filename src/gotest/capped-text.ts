/**
 * Text with a size cap, for output a test run writes: a test may print gigabytes, and everything airlock keeps
 * of it (in memory, in a report) must stay bounded. What is cut is never cut silently: a visible
 * "[... N bytes cut]" marker stands where the text was. Sizes are UTF-8 bytes, as the text is in a file.
 */

export function cutMarker(bytes: number): string {
  return `[... ${bytes} bytes cut]`;
}

/** Bytes of TEXT in UTF-8 (a lone surrogate counts 3, as Node writes it as U+FFFD). */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** UTF-8 bytes of the code point at INDEX and how many code units it takes. */
function codePointAt(text: string, index: number): { bytes: number; units: number } {
  const code = text.charCodeAt(index);
  if (code < 0x80) return { bytes: 1, units: 1 };
  if (code < 0x800) return { bytes: 2, units: 1 };
  if (isHighSurrogate(code) && index + 1 < text.length && isLowSurrogate(text.charCodeAt(index + 1))) return { bytes: 4, units: 2 };
  return { bytes: 3, units: 1 };
}

/** The longest start of TEXT within MAX_BYTES, never splitting a surrogate pair. Reads at most MAX_BYTES code units. */
export function headWithin(text: string, maxBytes: number): string {
  let bytes = 0;
  let index = 0;
  while (index < text.length) {
    const point = codePointAt(text, index);
    if (bytes + point.bytes > maxBytes) break;
    bytes += point.bytes;
    index += point.units;
  }
  return text.slice(0, index);
}

/** The longest end of TEXT within MAX_BYTES, never splitting a surrogate pair. */
export function tailWithin(text: string, maxBytes: number): string {
  let bytes = 0;
  let index = text.length;
  while (index > 0) {
    const low = text.charCodeAt(index - 1);
    const units = isLowSurrogate(low) && index >= 2 && isHighSurrogate(text.charCodeAt(index - 2)) ? 2 : 1;
    const size = units === 2 ? 4 : low < 0x80 ? 1 : low < 0x800 ? 2 : 3;
    if (bytes + size > maxBytes) break;
    bytes += size;
    index -= units;
  }
  return text.slice(index);
}

/** TEXT within MAX_BYTES: its start and its end around a cut marker (the end of a failure's output is often the point). */
export function capText(text: string, maxBytes: number): string {
  const total = utf8Bytes(text);
  if (total <= maxBytes) return text;
  const budget = Math.max(0, maxBytes - 40);
  const head = headWithin(text, Math.ceil(budget / 2));
  const tail = tailWithin(text, Math.floor(budget / 2));
  return joinAroundCut(head, total - utf8Bytes(head) - utf8Bytes(tail), tail);
}

function joinAroundCut(fullHead: string, fullCut: number, fullTail: string): string {
  if (fullCut <= 0) return fullHead + fullTail;
  let head = fullHead;
  let tail = fullTail;
  let cut = fullCut;
  // Where a line ends near the cut, cut there too, so that no half line shows on either side of the marker.
  const headEnd = head.lastIndexOf('\n');
  if (headEnd >= 0 && headEnd >= head.length * 0.75) {
    cut += utf8Bytes(head.slice(headEnd + 1));
    head = head.slice(0, headEnd + 1);
  }
  const tailStart = tail.indexOf('\n');
  if (tailStart >= 0 && tailStart < tail.length - 1 && tailStart <= tail.length * 0.25) {
    cut += utf8Bytes(tail.slice(0, tailStart + 1));
    tail = tail.slice(tailStart + 1);
  }
  const before = head === '' || head.endsWith('\n') ? '' : '\n';
  return `${head}${before}${cutMarker(cut)}\n${tail}`;
}

/**
 * Text appended piece by piece that keeps its first HEAD and last TAIL bytes and counts what falls between. It
 * holds at most HEAD + TAIL bytes (plus one piece while it is appended), however much is appended.
 */
export class CappedText {
  #head = '';
  #headBytes = 0;
  #headFull = false;
  #tail: string[] = [];
  #tailBytes = 0;
  #cut = 0;

  constructor(
    readonly headBytes: number,
    readonly tailBytes: number,
  ) {}

  /** A cap of MAX_BYTES, half kept from the start and half from the end. */
  static within(maxBytes: number): CappedText {
    return new CappedText(Math.ceil(maxBytes / 2), Math.floor(maxBytes / 2));
  }

  append(piece: string): void {
    if (piece === '') return;
    let rest = piece;
    if (!this.#headFull) {
      const taken = headWithin(rest, this.headBytes - this.#headBytes);
      this.#head += taken;
      this.#headBytes += utf8Bytes(taken);
      rest = rest.slice(taken.length);
      if (rest === '') return;
      this.#headFull = true;
    }
    this.#tail.push(rest);
    this.#tailBytes += utf8Bytes(rest);
    while (this.#tailBytes > this.tailBytes) {
      const first = this.#tail[0]!;
      const firstBytes = utf8Bytes(first);
      const excess = this.#tailBytes - this.tailBytes;
      if (firstBytes <= excess) {
        this.#tail.shift();
        this.#tailBytes -= firstBytes;
        this.#cut += firstBytes;
      } else {
        const kept = tailWithin(first, firstBytes - excess);
        const dropped = firstBytes - utf8Bytes(kept);
        this.#tail[0] = kept;
        this.#tailBytes -= dropped;
        this.#cut += dropped;
      }
    }
  }

  /** Bytes appended but not kept. */
  get cutBytes(): number {
    return this.#cut;
  }

  get isEmpty(): boolean {
    return this.#head === '' && this.#tail.length === 0 && this.#cut === 0;
  }

  toString(): string {
    return joinAroundCut(this.#head, this.#cut, this.#tail.join(''));
  }
}
