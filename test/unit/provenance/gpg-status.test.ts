import fs from 'node:fs';
import path from 'node:path';

import test from 'ava';

import {
  gpgVersionOf,
  importedFingerprints,
  parseSecretKeyListing,
  parseStatusLines,
  signatureVerdict,
  signingFailure,
  unusableForSigning,
} from '../../../src/provenance/gpg-status.js';
import { repoRoot } from '../../helpers/airlock-run.js';

/** Real output of GnuPG 2.2.40 (test/fixtures/gpg-status/README.md). */
const fixture = (name: string): string => fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'gpg-status', name), 'utf8');
const status = (name: string) => parseStatusLines(fixture(name));

const RELEASE = 'CF127FD2CC148A39A285BEC3ACD6871BF742CB34';
const OTHER = 'AAFD908171FA23FEF98E4AAA33DAAFB4C25C7CD8';
const OLD = '72F11901232947BE659300E4399BA23316C3BBFD';

test('status lines: keyword and arguments, other lines ignored', (t) => {
  t.deepEqual(parseStatusLines('gpg: Good signature\n[GNUPG:] NEWSIG\n[GNUPG:] GOODSIG ABCD Some One <a@b>\n'), [
    { keyword: 'NEWSIG', args: [] },
    { keyword: 'GOODSIG', args: ['ABCD', 'Some', 'One', '<a@b>'] },
  ]);
});

test('a good signature by the given key passes, named by its fingerprint and user id', (t) => {
  t.deepEqual(signatureVerdict(status('verify-good.txt'), [RELEASE]), { ok: true, fingerprint: RELEASE, userId: 'Release <rel@example.org>' });
  // Fingerprints compare without regard to case.
  t.true(signatureVerdict(status('verify-good.txt'), [RELEASE.toLowerCase()]).ok);
});

test('a good signature by a key other than the given one fails', (t) => {
  const verdict = signatureVerdict(status('verify-good.txt'), [OTHER]);
  t.deepEqual(verdict, { ok: false, reason: `it was made by key ${RELEASE}, which is not the key given` });
});

test('a changed file (BADSIG), another key (ERRSIG, NO_PUBKEY), an expired key, a revoked key, no signature: each fails, named', (t) => {
  const reason = (name: string, keys = [RELEASE, OTHER, OLD]) => {
    const verdict = signatureVerdict(status(name), keys);
    return verdict.ok ? 'passed' : verdict.reason;
  };
  t.regex(reason('verify-tampered.txt'), /^the signature by key ACD6871BF742CB34 \(Release <rel@example\.org>\) does not match the file/);
  t.is(reason('verify-other-key.txt', [RELEASE]), `it was made by another key (${OTHER}), not by the key given`);
  t.is(reason('verify-expired-key.txt'), 'the signing key 399BA23316C3BBFD (Old <old@example.org>) has expired');
  t.is(reason('verify-revoked-key.txt'), 'the signing key 33DAAFB4C25C7CD8 (Other <other@example.org>) has been revoked');
  t.is(reason('verify-no-signature.txt'), 'it holds no OpenPGP signature');
  t.is(reason('import-one.txt'), 'gpg found no signature in it');
});

test('every signature of a file must pass: a good one does not cover a bad one after it', (t) => {
  const both = [...status('verify-good.txt'), ...status('verify-tampered.txt')];
  t.false(signatureVerdict(both, [RELEASE]).ok);
  t.false(signatureVerdict([...status('verify-good.txt'), ...status('verify-other-key.txt')], [RELEASE]).ok);
  t.true(signatureVerdict([...status('verify-good.txt'), ...status('verify-good.txt')], [RELEASE]).ok);
});

test('a signature block without GOODSIG and VALIDSIG is not taken as good', (t) => {
  const verdict = signatureVerdict(parseStatusLines('[GNUPG:] NEWSIG\n[GNUPG:] GOODSIG ACD6871BF742CB34 Release\n'), [RELEASE]);
  t.deepEqual(verdict, { ok: false, reason: 'gpg did not report the signature as good' });
});

test('imported fingerprints come from IMPORT_OK; a file without a key imports none', (t) => {
  t.deepEqual(importedFingerprints(status('import-one.txt')), [RELEASE]);
  t.deepEqual(importedFingerprints(status('import-nothing.txt')), []);
});

test('why signing failed: bad passphrase, no pinentry, an expired key, no secret key; none when the signature was made', (t) => {
  t.is(signingFailure(status('sign-good.txt')), undefined);
  t.deepEqual(signingFailure(status('sign-bad-passphrase.txt')), { kind: 'bad-passphrase' });
  t.deepEqual(signingFailure(status('sign-no-pinentry.txt')), { kind: 'passphrase-needed' });
  t.deepEqual(signingFailure(status('sign-expired-key.txt')), { kind: 'unusable-key' });
  t.deepEqual(signingFailure(status('sign-no-secret-key.txt')), { kind: 'no-secret-key' });
  t.deepEqual(signingFailure(parseStatusLines('[GNUPG:] FAILURE sign 1\n')), { kind: 'other', code: 1 });
  t.deepEqual(signingFailure([]), { kind: 'other' });
});

test('the secret-key listing: fingerprint, validity, capabilities and user ids; an expired key is unusable', (t) => {
  const keys = parseSecretKeyListing(fixture('list-secret-keys.txt'));
  t.deepEqual(
    keys.map((key) => [key.fingerprint, key.validity, key.capabilities, key.userIds]),
    [
      [RELEASE, 'u', 'scSC', ['Release <rel@example.org>']],
      ['D44E28AC5F9704DF90B74F8EA6DF326555EC3417', 'u', 'scSC', ['Pass <pass@example.org>']],
      [OLD, 'e', 'sc', ['Old <old@example.org>']],
    ],
  );
  t.is(unusableForSigning(keys[0]!), undefined);
  t.is(unusableForSigning(keys[2]!), 'has expired');
  t.is(unusableForSigning({ ...keys[0]!, validity: 'r' }), 'has been revoked');
  t.is(unusableForSigning({ ...keys[0]!, capabilities: 'scE' }), 'has no usable signing (sub)key');
  t.deepEqual(parseSecretKeyListing(''), []);
});

test('a subkey fingerprint is not taken for the primary one', (t) => {
  const listing = [
    'sec:u:255:22:ACD6871BF742CB34:1796671050:::u:::scSC:::+::ed25519:::0:',
    `fpr:::::::::${RELEASE}:`,
    'uid:u::::1796671050::6BFE::Release <rel@example.org>::::::::::0:',
    'ssb:u:255:22:1111111111111111:1796671050::::::s:::+::ed25519::',
    'fpr:::::::::1111111111111111111111111111111111111111:',
  ].join('\n');
  t.deepEqual(parseSecretKeyListing(listing).map((key) => key.fingerprint), [RELEASE]);
});

test('the version of gpg --version', (t) => {
  t.is(gpgVersionOf('gpg (GnuPG) 2.2.40\nlibgcrypt 1.10.1\n'), '2.2.40');
  t.is(gpgVersionOf('gpg (GnuPG/MacGPG2) 2.2.41\n'), '2.2.41');
  t.is(gpgVersionOf('something else'), undefined);
});
