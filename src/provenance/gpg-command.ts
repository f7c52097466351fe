/**
 * Running the host's gpg: the site's own GnuPG signs and checks, so a release verifies with `gpg --verify`
 * and nothing of airlock's. gpg is always run in batch mode with its status lines on stdout (--status-fd 1),
 * which is what airlock reads; its human messages on stderr are only shown as details.
 */
import { execa } from 'execa';

import { InputError } from '../errors.js';
import { gpgVersionOf } from './gpg-status.js';

/** The passphrase of the GPG signing key, handed to gpg on its stdin (loopback pinentry), never as an argument. */
export const GPG_PASSPHRASE_ENV = 'AIRLOCK_GPG_PASSPHRASE';
/** gpg's own variable for the keyring directory; --gpg-home wins over it. */
export const GNUPGHOME_ENV = 'GNUPGHOME';

const NO_GPG_HINT = "install GnuPG (Debian: apt-get install gnupg) so that `gpg` is on PATH, or leave out the GPG options";

export interface GpgRun {
  exitCode: number;
  /** --status-fd 1 output. */
  status: string;
  stderr: string;
}

export interface GpgRunOptions {
  env: NodeJS.ProcessEnv;
  /** The keyring directory (--homedir); gpg's default (GNUPGHOME, else ~/.gnupg) when absent. */
  homedir?: string;
  /** Bytes on gpg's stdin: the passphrase with --passphrase-fd 0. */
  input?: string;
  timeoutMs?: number;
}

/** Runs gpg with `args`; a missing gpg is bad input (exit 2), any other outcome is the caller's to judge. */
export async function runGpg(args: readonly string[], options: GpgRunOptions): Promise<GpgRun> {
  const result = await execa('gpg', [...(options.homedir !== undefined ? ['--homedir', options.homedir] : []), '--batch', '--no-tty', '--status-fd', '1', ...args], {
    env: { ...options.env, LC_ALL: 'C' },
    extendEnv: false,
    input: options.input ?? '',
    reject: false,
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 16 * 1024 * 1024,
    stripFinalNewline: false,
  });
  if (result.code === 'ENOENT' || (result.failed && result.exitCode === undefined && /ENOENT/.test(result.message ?? ''))) {
    throw new InputError('gpg is not installed: no `gpg` on PATH', { hint: NO_GPG_HINT });
  }
  if (result.timedOut) {
    throw new InputError(`gpg ${args.find((arg) => arg.startsWith('--') && !arg.includes('='))} did not finish within ${Math.round((options.timeoutMs ?? 120_000) / 1000)} s`, {
      hint: 'gpg may be waiting for a passphrase: set AIRLOCK_GPG_PASSPHRASE, or unlock the key in gpg-agent first',
    });
  }
  return { exitCode: result.exitCode ?? 1, status: String(result.stdout), stderr: String(result.stderr).trimEnd() };
}

/** The version of the host's gpg ("2.2.40"); InputError when there is none. */
export async function gpgVersion(env: NodeJS.ProcessEnv): Promise<string> {
  const result = await execa('gpg', ['--version'], { env: { ...env, LC_ALL: 'C' }, extendEnv: false, reject: false, timeout: 30_000 });
  if (result.code === 'ENOENT' || result.exitCode === undefined) throw new InputError('gpg is not installed: no `gpg` on PATH', { hint: NO_GPG_HINT });
  const version = gpgVersionOf(String(result.stdout));
  if (result.exitCode !== 0 || version === undefined) {
    throw new InputError('`gpg --version` does not name a GnuPG version', { hint: NO_GPG_HINT, ...(String(result.stderr).trim() !== '' ? { details: String(result.stderr).trimEnd() } : {}) });
  }
  return version;
}
