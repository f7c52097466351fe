/**
 * SHA256SUMS, as `airlock verify` reads it from a release it has not yet trusted, never crashes airlock:
 * parseSha256Sums returns entries or throws a one-line VerificationError, and never names a file outside
 * the release directory.
 */
import { createHash } from 'node:crypto';

import test from 'ava';

import { type ChecksumEntry, formatSha256Sums, parseSha256Sums } from '../../../src/release/checksums.js';
import { VerificationError } from '../../../src/errors.js';
import { type TextFormat, cleanFailureOf, mutationsParseOrFailAllowably, randomTextParsesOrFailsAllowably, realInputsParse, textMutationsOf } from '../../helpers/robustness-macros.js';
import { arbitraryText } from '../../helpers/robustness.js';

const digest = (text: string) => createHash('sha256').update(text).digest('hex');
const REAL = formatSha256Sums(
  ['tool_linux_amd64', 'tool_linux_amd64.intoto.jsonl', 'tool_linux_amd64.cdx.json', 'tool_windows_amd64.exe', 'tool_darwin_arm64'].map((name) => ({
    name,
    sha256: digest(name),
  })),
);
const LINES = [...REAL.split('\n'), `${digest('x')}  ../../etc/passwd`, `${digest('x')} */dev/zero`, `${digest('x')}  a/../../b`];
const TOKENS = [digest('a'), ' ', '  ', ' *', 'tool', '/', '..', '\n', '\r\n', '\\', 'f'];

const escapes = (name: string) => name.startsWith('/') || name.split('/').includes('..');

const SHA256SUMS: TextFormat<ChecksumEntry[]> = {
  name: 'SHA256SUMS',
  inputs: 'a real SHA256SUMS',
  failure: 'a one-line VerificationError',
  parse: parseSha256Sums,
  failsAllowably: cleanFailureOf(VerificationError),
  checkResult(entries) {
    for (const entry of entries) if (escapes(entry.name)) throw new Error(`accepted ${entry.name}`);
  },
};

test(realInputsParse, SHA256SUMS, [REAL]);
test('property: random text gives entries inside the directory, or a one-line VerificationError', randomTextParsesOrFailsAllowably, SHA256SUMS, [
  { texts: arbitraryText(TOKENS), numRuns: 500 },
]);
test('property: mutations of a real SHA256SUMS give entries inside the directory, or a one-line VerificationError', mutationsParseOrFailAllowably, SHA256SUMS, [
  { texts: textMutationsOf([REAL], LINES, 6), numRuns: 500 },
]);

test('a name leading out of the directory is refused: verify would otherwise hash any file, or read /dev/zero forever', (t) => {
  for (const name of ['../../etc/passwd', '/dev/zero', 'a/../../b', '..']) {
    const error = t.throws(() => parseSha256Sums(`${digest('x')}  ${name}\n`), { instanceOf: VerificationError }, name);
    t.is(error?.message, `line 1 names ${JSON.stringify(name)}, outside the release directory`);
  }
  t.deepEqual(parseSha256Sums(`${digest('x')}  sub/dir/..file\n`), [{ sha256: digest('x'), name: 'sub/dir/..file' }]);
});
