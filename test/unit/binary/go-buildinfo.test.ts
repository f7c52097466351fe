import test from 'ava';

import { buildSetting, parseModInfo, unquoteGoString } from '../../../src/binary/go-buildinfo.js';
import { VerificationError } from '../../../src/errors.js';

// Pairs of strconv.Quote(s) and s, produced by Go 1.26.
const quoted: Array<[string, string]> = [
  ['"plain"', 'plain'],
  ['"a b"', 'a b'],
  ['"tab\\there"', 'tab\there'],
  ['"quote\\"back\\\\slash"', 'quote"back\\slash'],
  ['"nl\\nline\\r"', 'nl\nline\r'],
  ['"bell\\a\\b\\f\\v"', 'bell\u0007\b\f\u000b'],
  ['"héllo wörld"', 'héllo wörld'],
  ['"\\x01\\x7f"', '\u0001\u007f'],
  ['"\\xff\\xfe bad utf8"', '\ufffd\ufffd bad utf8'],
  ['"\\u2028 sep"', '\u2028 sep'],
  ['"\\ufeff bom"', '\ufeff bom'],
  ['"emoji 🎉"', 'emoji 🎉'],
  ['"\\U0010ffff"', '\u{10ffff}'],
  ['"`tick`"', '`tick`'],
];

test('unquoteGoString inverts strconv.Quote', (t) => {
  for (const [input, expected] of quoted) t.is(unquoteGoString(input), expected, input);
});

test('unquoteGoString: escapes that denote bytes combine into UTF-8', (t) => {
  t.is(unquoteGoString('"\\xc3\\xbc"'), 'ü');
  t.is(unquoteGoString('"\\303\\274"'), 'ü');
  t.is(unquoteGoString('"\\u00fc"'), 'ü');
});

test('unquoteGoString: raw strings', (t) => {
  t.is(unquoteGoString('`a "b" \\n`'), 'a "b" \\n');
  t.is(unquoteGoString('`a\r\nb`'), 'a\nb');
});

test('unquoteGoString rejects what strconv.Unquote rejects', (t) => {
  for (const bad of [
    '',
    '"',
    'plain',
    '"unterminated',
    '"inner"quote"',
    '"line\nbreak"',
    '"\\q"',
    "\"\\'\"",
    '"\\x4"',
    '"\\xzz"',
    '"\\400"',
    '"\\12"',
    '"\\ud800"',
    '"\\U00110000"',
    '"trailing\\"',
    '`a`b`',
    "'c'",
  ]) {
    t.is(unquoteGoString(bad), null, JSON.stringify(bad));
  }
});

// runtime/debug.BuildInfo.String() output (Go 1.26) for a build info with replacements and quoted settings.
const modinfo =
  'go\tgo1.26.8\npath\texample.com/cmd/tool\nmod\texample.com\tv1.2.3\th1:abc=\n' +
  'dep\tgolang.org/x/sys\tv0.1.0\th1:sys=\ndep\texample.com/old\tv0.0.1\n=>\texample.com/new\tv0.0.2\th1:new=\n\n' +
  'dep\texample.com/local\tv0.0.0\n=>\t../local\t\t\n\n' +
  'build\t-ldflags="-s -w -X \\"main.v=1 2\\""\nbuild\t"key with space"=v\nbuild\t"k=eq"="tab\\tvalue"\n' +
  'build\tempty=\nbuild\tCGO_ENABLED=0\nbuild\tvcs.time=2024-01-02T03:04:05Z\nbuild\tuni="ü \\xff"\n';

test('parseModInfo agrees with debug.ParseBuildInfo', (t) => {
  const info = parseModInfo(modinfo);
  t.deepEqual(info, {
    path: 'example.com/cmd/tool',
    main: { path: 'example.com', version: 'v1.2.3', sum: 'h1:abc=' },
    deps: [
      { path: 'golang.org/x/sys', version: 'v0.1.0', sum: 'h1:sys=' },
      {
        path: 'example.com/old',
        version: 'v0.0.1',
        replace: { path: 'example.com/new', version: 'v0.0.2', sum: 'h1:new=' },
      },
      { path: 'example.com/local', version: 'v0.0.0', replace: { path: '../local', version: '' } },
    ],
    settings: [
      { key: '-ldflags', value: '-s -w -X "main.v=1 2"' },
      { key: 'key with space', value: 'v' },
      { key: 'k=eq', value: 'tab\tvalue' },
      { key: 'empty', value: '' },
      { key: 'CGO_ENABLED', value: '0' },
      { key: 'vcs.time', value: '2024-01-02T03:04:05Z' },
      { key: 'uni', value: 'ü \ufffd' },
    ],
  });
  t.is(buildSetting({ goVersion: 'go1.26.8', ...info }, 'k=eq'), 'tab\tvalue');
});

test('parseModInfo ignores a last line without a newline, like Go', (t) => {
  t.deepEqual(parseModInfo('path\ta\nbuild\tGOOS=linux').settings, []);
});

test('parseModInfo rejects malformed lines with VerificationError', (t) => {
  for (const bad of [
    'mod\tonly-path\n',
    'dep\ta\tb\tc\td\n',
    '=>\tx\tv1\th1:\n',
    'mod\ta\tv1\n=>\tb\tv2\n',
    'build\t\n',
    'build\t=v\n',
    'build\tnoequals\n',
    'build\tkey=has space\n',
    'build\t"unterminated=v\n',
    'build\t"k"v\n',
    'build\tk="bad\\q"\n',
  ]) {
    t.throws(() => parseModInfo(bad), { instanceOf: VerificationError }, JSON.stringify(bad));
  }
});
