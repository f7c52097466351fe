import test from 'ava';

import { CappedText, capText, cutMarker, headWithin, tailWithin } from '../../../src/gotest/capped-text.js';
import { xmlAttribute, xmlCharacters, xmlText } from '../../../src/gotest/xml-text.js';

test('capText keeps short text as it is, and the start and end of long text around a marker', (t) => {
  t.is(capText('short', 100), 'short');
  const long = `${'a'.repeat(500)}\n${'b'.repeat(500)}\n`;
  const capped = capText(long, 200);
  t.true(Buffer.byteLength(capped) <= 200 + 30);
  t.regex(capped, /^a+\n\[\.\.\. \d+ bytes cut\]\nb+\n$/);
  const cut = Number(/\[\.\.\. (\d+) bytes cut\]/.exec(capped)![1]);
  t.is(cut + capped.length - cutMarker(cut).length - 2, long.length);
});

test('cuts count UTF-8 bytes and never split a surrogate pair', (t) => {
  t.is(headWithin('😀😀', 5), '😀');
  t.is(tailWithin('😀😀', 7), '😀');
  t.is(headWithin('ééé', 3), 'é');
  t.is(tailWithin('x😀', 3), '');
});

test('CappedText keeps its head and tail whatever is appended, and counts the rest', (t) => {
  const text = new CappedText(10, 10);
  for (let index = 0; index < 1000; index++) text.append(`${index},`);
  t.is(text.toString(), `0,1,2,3,4,\n${cutMarker(text.cutBytes)}\n7,998,999,`);
  t.is(text.cutBytes, 3890 - 20);
  const small = CappedText.within(100);
  small.append('all of it');
  t.is(small.toString(), 'all of it');
  t.is(small.cutBytes, 0);
});

test('XML 1.0: forbidden characters become U+FFFD, markup is escaped, never CDATA', (t) => {
  t.is(xmlCharacters('a\u0000b\u0007c\u001bd\u000be\u000cf'), 'a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\uFFFDf');
  t.is(xmlCharacters('tab\tnl\ncr\r'), 'tab\tnl\ncr\r');
  t.is(xmlCharacters('lone \uD800 and \uDFFF, pair 😀'), 'lone \uFFFD and \uFFFD, pair 😀');
  t.is(xmlCharacters('\uFFFE\uFFFF\uFFFD\u2028\u007f'), '\uFFFD\uFFFD\uFFFD\u2028\u007f');
  t.is(xmlText(']]> <a href="x">&amp;</a>\r\n'), ']]&gt; &lt;a href="x"&gt;&amp;amp;&lt;/a&gt;&#13;\n');
  t.is(xmlAttribute(`"quoted" 'single' <&>\ttab\nline`), '&quot;quoted&quot; &apos;single&apos; &lt;&amp;&gt;&#9;tab&#10;line');
});
