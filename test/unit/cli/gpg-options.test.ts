import test from 'ava';

import { describeChecksumSignatures, gpgSignerFromArguments } from '../../../src/cli/gpg-options.js';
import { ExitCode, InputError } from '../../../src/errors.js';
import { assertGpgKeyId } from '../../../src/provenance/gpg-signer.js';

test('a --gpg-key value gpg could read as an option, or that is not one line, is refused before gpg runs', (t) => {
  for (const bad of ['', '  ', '--homedir=/tmp', '-x', 'A\nB', 'A\rB', 'A\0B']) {
    const error = t.throws(() => assertGpgKeyId(bad), { instanceOf: InputError });
    t.is(error?.exitCode, ExitCode.badInput);
    t.notRegex(error?.message ?? '', /\n/);
    t.truthy(error?.hint);
  }
  for (const good of ['CF127FD2CC148A39A285BEC3ACD6871BF742CB34', '0xACD6871BF742CB34', 'release@example.org', 'Release Team <release@example.org>']) {
    t.notThrows(() => assertGpgKeyId(good));
  }
});

test('no --gpg-key and no configured key: no GPG signer; --gpg-home alone is bad input', async (t) => {
  t.is(await gpgSignerFromArguments({}, {}), undefined);
  const error = await t.throwsAsync(gpgSignerFromArguments({ gpgHome: '/tmp' }, {}), { instanceOf: InputError });
  t.regex(error?.message ?? '', /--gpg-home is given without --gpg-key/);
});

test('a --gpg-home that is no directory is bad input, named', async (t) => {
  const error = await t.throwsAsync(gpgSignerFromArguments({ gpgKey: 'release@example.org', gpgHome: '/nonexistent/gnupg' }, {}), { instanceOf: InputError });
  t.is(error?.message, '--gpg-home /nonexistent/gnupg is not a directory');
});

test("the closing line names the checksums' signatures", (t) => {
  t.is(describeChecksumSignatures(false, undefined), '');
  t.is(describeChecksumSignatures(true, undefined), ' (signed)');
});
