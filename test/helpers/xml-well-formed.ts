/**
 * A strict check that a document is well-formed XML 1.0, for the subset airlock writes (a declaration,
 * elements with double-quoted attributes, escaped text; no comments, CDATA, DTD or processing instructions
 * beyond the declaration). It returns the problems it found, so that a property test can run it on every
 * generated report without an XML parser dependency. xmllint checks the golden files as well, by hand.
 */
const NOT_XML_1_0 = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const NAME = '[A-Za-z_][A-Za-z0-9._-]*';
const ATTRIBUTE = new RegExp(`\\s+(${NAME})="([^"<]*)"`, 'g');
const TAG = new RegExp(`<(/?)(${NAME})((?:\\s+${NAME}="[^"<]*")*)\\s*(/?)>`, 'y');
const REFERENCE = /&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);/y;

export function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const bad = NOT_XML_1_0.exec(xml);
  if (bad !== null) problems.push(`character U+${bad[0].codePointAt(0)!.toString(16)} at ${bad.index}`);
  if (xml.includes('<![CDATA[')) problems.push('CDATA');
  const declaration = '<?xml version="1.0" encoding="UTF-8"?>\n';
  if (!xml.startsWith(declaration)) problems.push('no XML declaration');
  const stack: string[] = [];
  let roots = 0;
  let index = xml.startsWith(declaration) ? declaration.length : 0;
  while (index < xml.length && problems.length < 10) {
    const char = xml[index];
    if (char === '<') {
      TAG.lastIndex = index;
      const tag = TAG.exec(xml);
      if (tag === null) {
        problems.push(`markup that is not a tag at ${index}: ${JSON.stringify(xml.slice(index, index + 40))}`);
        break;
      }
      const [whole, closing, name, attributes, selfClosing] = tag;
      if (closing === '/') {
        if (attributes !== '' || selfClosing === '/') problems.push(`odd end tag at ${index}`);
        if (stack.pop() !== name) problems.push(`</${name}> closes the wrong element at ${index}`);
      } else {
        if (stack.length === 0) roots += 1;
        const seen = new Set<string>();
        for (const [, attribute, value] of attributes!.matchAll(ATTRIBUTE)) {
          if (seen.has(attribute!)) problems.push(`attribute ${attribute} twice at ${index}`);
          seen.add(attribute!);
          problems.push(...referenceProblems(value!, index));
        }
        if (selfClosing !== '/') stack.push(name!);
      }
      index += whole.length;
    } else if (char === '&') {
      REFERENCE.lastIndex = index;
      const reference = REFERENCE.exec(xml);
      if (reference === null) {
        problems.push(`bare & at ${index}`);
        break;
      }
      index += reference[0].length;
    } else {
      if (stack.length === 0 && !/\s/.test(char!)) problems.push(`text outside the root at ${index}`);
      if (char === '>' && xml.slice(index - 2, index) === ']]') problems.push(`]]> in text at ${index}`);
      index += 1;
    }
  }
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(' ')}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}

function referenceProblems(value: string, at: number): string[] {
  const stripped = value.replace(/&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);/g, '');
  return stripped.includes('&') ? [`bare & in an attribute at ${at}`] : [];
}
