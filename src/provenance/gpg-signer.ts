/**
 * Signing checksums files with a site's GPG key: an armored detached signature (`SHA256SUMS.asc`) made by the
 * host's gpg, the kind `gpg --verify SHA256SUMS.asc SHA256SUMS` checks. The key is resolved and tried once
 * before a build starts, so an unknown key or a wrong passphrase stops it before any container runs.
 */
import fs from 'fs-extra';
import path from 'node:path';

import { InputError, oneLine } from '../errors.js';
import { createScratchDir } from '../util/scratch-dir.js';
import { GNUPGHOME_ENV, GPG_PASSPHRASE_ENV, type GpgRun, runGpg } from './gpg-command.js';
import { type SecretKeyListing, type SigningFailure, parseSecretKeyListing, parseStatusLines, signingFailure, unusableForSigning } from './gpg-status.js';

export interface GpgSigningOptions {
  /** What --gpg-key (or airlock.json's signing.gpgKey) names: a fingerprint, key id or user id. */
  keyId: string;
  /** --gpg-home: the keyring directory; GNUPGHOME (else ~/.gnupg) when absent. */
  home?: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Checks a --gpg-key value before gpg sees it: gpg would read a leading `-` as an option, and a line break
 * could never name one key.
 */
export function assertGpgKeyId(keyId: string, flag = '--gpg-key'): void {
  if (keyId.trim() === '') throw new InputError(`${flag} is empty`, { hint: `pass ${flag} the fingerprint of the signing key (gpg --list-secret-keys shows it)` });
  if (/[\n\r\0]/.test(keyId)) throw new InputError(`${flag} ${oneLine(JSON.stringify(keyId))} is not one line`, { hint: `pass ${flag} the key's fingerprint` });
  if (keyId.startsWith('-')) throw new InputError(`${flag} ${oneLine(keyId)} starts with "-"`, { hint: `pass ${flag} the key's fingerprint, key id or user id` });
}

function keyringName(home: string | undefined, env: NodeJS.ProcessEnv): string {
  if (home !== undefined) return home;
  return env[GNUPGHOME_ENV] !== undefined && env[GNUPGHOME_ENV] !== '' ? `GNUPGHOME (${env[GNUPGHOME_ENV]})` : 'the default keyring (~/.gnupg)';
}

/** The failure of a signing attempt as the error the user gets: what went wrong and what to do. */
function signingError(failure: SigningFailure, fingerprint: string, passphraseGiven: boolean, run: GpgRun): InputError {
  const details = run.stderr === '' ? undefined : run.stderr;
  switch (failure.kind) {
    case 'bad-passphrase':
      return new InputError(`the passphrase in ${GPG_PASSPHRASE_ENV} does not unlock GPG key ${fingerprint}`, {
        hint: `set ${GPG_PASSPHRASE_ENV} to the key's passphrase`,
        details,
      });
    case 'passphrase-needed':
      return new InputError(`GPG key ${fingerprint} needs a passphrase and gpg-agent could not ask for it${passphraseGiven ? '' : ` (${GPG_PASSPHRASE_ENV} is not set)`}`, {
        hint: `set ${GPG_PASSPHRASE_ENV} to the key's passphrase (airlock hands it to gpg on its stdin), or unlock the key in gpg-agent first`,
        details,
      });
    case 'no-secret-key':
      return new InputError(`gpg has no secret key for ${fingerprint}`, { hint: 'import the secret key into the keyring, or pass --gpg-home DIR with the keyring that holds it', details });
    case 'unusable-key':
      return new InputError(`GPG key ${fingerprint} cannot sign (expired, revoked or without a signing subkey)`, { hint: 'renew the key, or pass --gpg-key a key that can sign', details });
    case 'other':
      return new InputError(`gpg could not sign with key ${fingerprint}${failure.code !== undefined ? ` (gpg error ${failure.code})` : ''}`, {
        hint: 'run `gpg --detach-sign --local-user KEY FILE` by hand to see what gpg needs',
        details,
      });
  }
}

/**
 * The one usable secret key --gpg-key names (`gpg --list-secret-keys --with-colons KEYID`), without using it:
 * what `airlock doctor` checks, and the first step of opening a signer.
 */
export async function findGpgSigningKey(options: GpgSigningOptions): Promise<{ key: SecretKeyListing; home: string | undefined }> {
  assertGpgKeyId(options.keyId);
  let home: string | undefined;
  if (options.home !== undefined) {
    home = path.resolve(options.home);
    const stat = await fs.stat(home).catch(() => undefined);
    if (!stat?.isDirectory()) throw new InputError(`--gpg-home ${options.home} is not a directory`, { hint: 'pass --gpg-home the GnuPG home directory that holds the signing key' });
  }
  const keyring = oneLine(keyringName(home, options.env));
  const listing = await runGpg(['--with-colons', '--list-secret-keys', '--', options.keyId], { env: options.env, ...(home !== undefined ? { homedir: home } : {}) });
  const keys = parseSecretKeyListing(listing.status);
  if (keys.length === 0) {
    throw new InputError(`GPG key ${oneLine(options.keyId)}: no such secret key in ${keyring}`, {
      hint: 'list the keys with `gpg --list-secret-keys`, and pass --gpg-home DIR (or set GNUPGHOME) for the keyring that holds the key',
      // gpg's own words (an unreadable home, say) are shown above the error line; airlock never parses them.
      ...(listing.stderr !== '' ? { details: listing.stderr } : {}),
    });
  }
  if (keys.length > 1) {
    throw new InputError(`GPG key ${oneLine(options.keyId)} names ${keys.length} secret keys in ${keyring}: ${keys.map((key) => key.fingerprint).join(', ')}`, {
      hint: 'pass --gpg-key the fingerprint of the one to sign with',
    });
  }
  const key = keys[0]!;
  const unusable = unusableForSigning(key);
  if (unusable !== undefined) {
    throw new InputError(`GPG key ${key.fingerprint} (${oneLine(key.userIds[0] ?? 'no user id')}) ${unusable}`, { hint: 'renew the key (gpg --quick-set-expire), or pass --gpg-key a key that can sign' });
  }
  return { key, home };
}

/** A GPG key that was found in the keyring and has signed once (the passphrase works): it signs checksums files. */
export class GpgSigner {
  readonly fingerprint: string;
  readonly userId: string;
  readonly #home: string | undefined;
  readonly #env: NodeJS.ProcessEnv;

  private constructor(fingerprint: string, userId: string, home: string | undefined, env: NodeJS.ProcessEnv) {
    this.fingerprint = fingerprint;
    this.userId = userId;
    this.#home = home;
    this.#env = env;
  }

  /**
   * Finds the key (`gpg --list-secret-keys --with-colons KEYID`: exactly one usable secret key) and signs an
   * empty input once, so that a missing key, a wrong passphrase or a missing gpg is bad input up front.
   */
  static async open(options: GpgSigningOptions): Promise<GpgSigner> {
    const { key, home } = await findGpgSigningKey(options);
    const signer = new GpgSigner(key.fingerprint, oneLine(key.userIds[0] ?? ''), home, options.env);
    // An empty file signed in a private directory: the key and its passphrase work, or the build stops here.
    // Never --output /dev/null: gpg removes its output file when signing fails, and as root that is /dev/null.
    const probe = await createScratchDir('airlock-gpg-probe');
    try {
      const input = path.join(probe.path, 'probe');
      await fs.writeFile(input, '');
      await signer.#sign(input, `${input}.asc`);
    } finally {
      await probe.remove();
    }
    return signer;
  }

  /** Writes `output`, an armored detached signature of `file`. */
  async signFile(file: string, output: string): Promise<void> {
    await this.#sign(file, output);
  }

  async #sign(file: string, output: string): Promise<void> {
    const passphrase = this.#env[GPG_PASSPHRASE_ENV];
    // Loopback pinentry: gpg reads the passphrase from its stdin (fd 0), so it is never on a command line.
    const loopback = passphrase !== undefined ? ['--pinentry-mode', 'loopback', '--passphrase-fd', '0'] : [];
    const run = await runGpg([...loopback, '--yes', '--local-user', this.fingerprint, '--armor', '--detach-sign', '--output', output, '--', file], {
      env: this.#env,
      ...(this.#home !== undefined ? { homedir: this.#home } : {}),
      ...(passphrase !== undefined ? { input: `${passphrase}\n` } : {}),
    });
    const failure = signingFailure(parseStatusLines(run.status));
    if (failure !== undefined || run.exitCode !== 0) throw signingError(failure ?? { kind: 'other' }, this.fingerprint, passphrase !== undefined, run);
  }
}
