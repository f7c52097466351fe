/**
 * What gpg says, read from its machine interface only: the `[GNUPG:] KEYWORD args` lines of --status-fd and
 * the colon-separated listings of --with-colons (doc/DETAILS in GnuPG). gpg's human text is translated and
 * changes between versions; these lines are its documented contract. Everything here is pure.
 */

export interface StatusLine {
  keyword: string;
  args: string[];
}

const STATUS_PREFIX = '[GNUPG:] ';

/** The status lines of gpg's --status-fd output; any other line (there should be none) is ignored. */
export function parseStatusLines(text: string): StatusLine[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(STATUS_PREFIX))
    .map((line) => {
      const [keyword = '', ...args] = line.slice(STATUS_PREFIX.length).trimEnd().split(' ');
      return { keyword, args };
    });
}

/** libgpg-error codes (the low 16 bits of an error value in FAILURE and ERROR lines) that airlock tells apart. */
const GPG_ERR_BAD_PASSPHRASE = 11;
const GPG_ERR_NO_SECKEY = 17;
const GPG_ERR_UNUSABLE_SECKEY = 54;
const GPG_ERR_NO_PIN_ENTRY = 85;
const GPG_ERR_CANCELED = 99;

function errorCode(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value) & 0xffff;
}

/** Why gpg made no signature, from its status lines: the one fact the user can act on. */
export type SigningFailure =
  | { kind: 'bad-passphrase' }
  /** The key is protected and no passphrase could be asked for (no terminal, no pinentry, or it was cancelled). */
  | { kind: 'passphrase-needed' }
  | { kind: 'no-secret-key' }
  | { kind: 'unusable-key' }
  | { kind: 'other'; code?: number };

/** Undefined when gpg says it created a signature (SIG_CREATED) and reports no failure. */
export function signingFailure(lines: readonly StatusLine[]): SigningFailure | undefined {
  const failure = lines.find((line) => line.keyword === 'FAILURE');
  if (failure === undefined && lines.some((line) => line.keyword === 'SIG_CREATED')) return undefined;
  if (lines.some((line) => line.keyword === 'BAD_PASSPHRASE')) return { kind: 'bad-passphrase' };
  const invalidSigner = lines.find((line) => line.keyword === 'INV_SGNR');
  const code = errorCode(failure?.args[1]);
  if (code === GPG_ERR_BAD_PASSPHRASE) return { kind: 'bad-passphrase' };
  if (code === GPG_ERR_NO_SECKEY) return { kind: 'no-secret-key' };
  // gpg 2.2 reports an expired key as INV_SGNR 9 ("no secret key") with FAILURE 54: the error code decides.
  if (code === GPG_ERR_UNUSABLE_SECKEY) return { kind: 'unusable-key' };
  if (invalidSigner !== undefined) return invalidSigner.args[0] === '9' ? { kind: 'no-secret-key' } : { kind: 'unusable-key' };
  if (code === GPG_ERR_NO_PIN_ENTRY || code === GPG_ERR_CANCELED || lines.some((line) => line.keyword === 'PINENTRY_LAUNCHED')) {
    return { kind: 'passphrase-needed' };
  }
  return { kind: 'other', ...(code !== undefined ? { code } : {}) };
}

/** The primary fingerprints gpg --import reports as imported or unchanged (IMPORT_OK). */
export function importedFingerprints(lines: readonly StatusLine[]): string[] {
  const found = lines.filter((line) => line.keyword === 'IMPORT_OK' && line.args[1] !== undefined).map((line) => line.args[1]!.toUpperCase());
  return [...new Set(found)];
}

/** What one detached signature file says, checked against the keys that may have made it. */
export type SignatureVerdict =
  | { ok: true; fingerprint: string; userId: string }
  | { ok: false; reason: string };

/** Text from a status line's user id: gpg escapes it already (%XX); it is kept to one line all the same. */
function userIdOf(args: readonly string[]): string {
  return args.slice(1).join(' ');
}

/**
 * Judges `gpg --verify --status-fd` output. Every signature in the file must be good (GOODSIG and VALIDSIG),
 * made by a key that has neither expired nor been revoked, and by one of `fingerprints` (primary keys; a
 * signing subkey's signature counts for its primary, as gpg reports it in VALIDSIG's last field). Anything
 * else fails, with the reason named.
 */
export function signatureVerdict(lines: readonly StatusLine[], fingerprints: readonly string[]): SignatureVerdict {
  const allowed = new Set(fingerprints.map((fingerprint) => fingerprint.toUpperCase()));
  // One block per signature, each opened by NEWSIG.
  const blocks: StatusLine[][] = [];
  for (const line of lines) {
    if (line.keyword === 'NEWSIG') blocks.push([]);
    else blocks.at(-1)?.push(line);
  }
  if (blocks.length === 0) {
    return { ok: false, reason: lines.some((line) => line.keyword === 'NODATA') ? 'it holds no OpenPGP signature' : 'gpg found no signature in it' };
  }
  let good: { fingerprint: string; userId: string } | undefined;
  for (const block of blocks) {
    const find = (keyword: string) => block.find((line) => line.keyword === keyword);
    const bad = find('BADSIG');
    if (bad) return { ok: false, reason: `the signature by key ${bad.args[0]} (${userIdOf(bad.args)}) does not match the file: the file was changed, or the signature is of another file` };
    const revoked = find('REVKEYSIG');
    if (revoked) return { ok: false, reason: `the signing key ${revoked.args[0]} (${userIdOf(revoked.args)}) has been revoked` };
    const expiredKey = find('EXPKEYSIG');
    if (expiredKey) return { ok: false, reason: `the signing key ${expiredKey.args[0]} (${userIdOf(expiredKey.args)}) has expired` };
    const expiredSignature = find('EXPSIG');
    if (expiredSignature) return { ok: false, reason: `the signature by key ${expiredSignature.args[0]} has expired` };
    const error = find('ERRSIG');
    if (error) {
      const issuer = error.args[6] ?? error.args[0] ?? 'an unknown key';
      return find('NO_PUBKEY') || error.args[5] === '9'
        ? { ok: false, reason: `it was made by another key (${issuer}), not by the key given` }
        : { ok: false, reason: `gpg cannot check the signature by ${issuer} (error ${error.args[5] ?? '?'}: unsupported algorithm or damaged signature)` };
    }
    const goodSignature = find('GOODSIG');
    const valid = find('VALIDSIG');
    if (!goodSignature || !valid) return { ok: false, reason: 'gpg did not report the signature as good' };
    const primary = (valid.args[9] ?? valid.args[0] ?? '').toUpperCase();
    if (!allowed.has(primary)) return { ok: false, reason: `it was made by key ${primary}, which is not the key given` };
    good ??= { fingerprint: primary, userId: userIdOf(goodSignature.args) };
  }
  return { ok: true, ...good! };
}

/** A secret key from `gpg --list-secret-keys --with-colons`. */
export interface SecretKeyListing {
  /** The primary key's fingerprint. */
  fingerprint: string;
  /** Field 2 of the sec record: e expired, r revoked, d disabled, i invalid; anything else is usable. */
  validity: string;
  /** Field 12: the capital letters are what the whole key can do (S: sign). */
  capabilities: string;
  userIds: string[];
}

/** The secret keys of a colon listing, each with its fingerprint and user ids. */
export function parseSecretKeyListing(text: string): SecretKeyListing[] {
  const keys: SecretKeyListing[] = [];
  let current: SecretKeyListing | undefined;
  let awaitingFingerprint = false;
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    const type = fields[0];
    if (type === 'sec') {
      current = { fingerprint: '', validity: fields[1] ?? '', capabilities: fields[11] ?? '', userIds: [] };
      keys.push(current);
      awaitingFingerprint = true;
    } else if (type === 'ssb') {
      awaitingFingerprint = false;
    } else if (type === 'fpr' && current !== undefined && awaitingFingerprint) {
      current.fingerprint = (fields[9] ?? '').toUpperCase();
      awaitingFingerprint = false;
    } else if (type === 'uid' && current !== undefined) {
      current.userIds.push(fields[9] ?? '');
    }
  }
  return keys.filter((key) => key.fingerprint !== '');
}

/** Why a listed key cannot sign a release, or undefined when it can. */
export function unusableForSigning(key: SecretKeyListing): string | undefined {
  if (key.validity === 'r') return 'has been revoked';
  if (key.validity === 'e') return 'has expired';
  if (key.validity === 'd') return 'is disabled';
  if (key.validity === 'i') return 'is invalid';
  if (!key.capabilities.includes('S')) return 'has no usable signing (sub)key';
  return undefined;
}

/** The version line of `gpg --version`: "gpg (GnuPG) 2.2.40" gives "2.2.40". */
export function gpgVersionOf(versionOutput: string): string | undefined {
  return /^gpg \(GnuPG[^)]*\) (\S+)/m.exec(versionOutput)?.[1];
}
