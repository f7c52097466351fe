/**
 * Text made safe for XML 1.0, for reports whose every string came out of a sandbox. XML 1.0 allows only tab,
 * newline, carriage return, U+0020-U+D7FF, U+E000-U+FFFD and U+10000-U+10FFFF; a document holding anything
 * else (NUL, ESC, BEL, a lone surrogate, U+FFFE) is not well-formed, and a CI system drops the whole report.
 * Such characters become U+FFFD. Markup characters are escaped as entities; CDATA is never used, so `]]>` in
 * the text needs no special case.
 */

// With the u flag a lone surrogate is a code point of its own, outside every allowed range.
const NOT_XML_1_0 = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const TEXT_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };
// In an attribute value a parser turns tab, newline and carriage return into spaces unless they are references.
const ATTRIBUTE_ESCAPES: Record<string, string> = { ...TEXT_ESCAPES, '"': '&quot;', "'": '&apos;', '\t': '&#9;', '\n': '&#10;' };

/** TEXT with every character XML 1.0 forbids replaced by U+FFFD. */
export function xmlCharacters(text: string): string {
  return text.replace(NOT_XML_1_0, '\uFFFD');
}

/** TEXT as element content. A carriage return is kept as a reference (a parser would fold CR LF into LF). */
export function xmlText(text: string): string {
  return xmlCharacters(text).replace(/[&<>\r]/g, (char) => TEXT_ESCAPES[char]!);
}

/** TEXT as a quoted attribute value (either quote). */
export function xmlAttribute(text: string): string {
  return xmlCharacters(text).replace(/[&<>"'\t\n\r]/g, (char) => ATTRIBUTE_ESCAPES[char]!);
}
