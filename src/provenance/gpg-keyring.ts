/**
 * Checking `.asc` signatures against exactly one given public key (or keyring file): the key is imported into
 * a private, temporary GnuPG home made for this check and removed after it. The user's own keyring, its
 * trust settings and its gpg.conf are never read, so no other key can make a signature pass.
 */
import fs from 'fs-extra';

import { InputError, oneLine } from '../errors.js';
import { createScratchDir, type ScratchDir } from '../util/scratch-dir.js';
import { runGpg } from './gpg-command.js';
import { type SignatureVerdict, importedFingerprints, parseStatusLines, signatureVerdict } from './gpg-status.js';

export class GpgKeyring {
  /** The primary fingerprints imported from the file: the only keys a signature may be made by. */
  readonly fingerprints: readonly string[];
  readonly #home: ScratchDir;
  readonly #env: NodeJS.ProcessEnv;

  private constructor(home: ScratchDir, fingerprints: string[], env: NodeJS.ProcessEnv) {
    this.#home = home;
    this.fingerprints = fingerprints;
    this.#env = env;
  }

  /** Imports `publicKeyFile` (armored or binary, one key or several) into a new private home. */
  static async open(publicKeyFile: string, env: NodeJS.ProcessEnv, flag = '--gpg-pub'): Promise<GpgKeyring> {
    const stat = await fs.stat(publicKeyFile).catch(() => undefined);
    if (!stat?.isFile()) {
      throw new InputError(`${flag} ${oneLine(publicKeyFile)} is not a file`, { hint: 'pass the exported public key: gpg --armor --export KEYID > release-key.asc' });
    }
    // mkdtemp makes it 0700, which gpg requires of a home; --no-autostart: checking needs no agent.
    const home = await createScratchDir('airlock-gpg');
    try {
      const run = await runGpg(['--no-autostart', '--import', '--', publicKeyFile], { env, homedir: home.path });
      const fingerprints = importedFingerprints(parseStatusLines(run.status));
      if (fingerprints.length === 0) {
        throw new InputError(`${flag} ${oneLine(publicKeyFile)} holds no OpenPGP public key`, {
          hint: 'pass the exported public key: gpg --armor --export KEYID > release-key.asc',
          ...(run.stderr !== '' ? { details: run.stderr } : {}),
        });
      }
      return new GpgKeyring(home, fingerprints, env);
    } catch (error) {
      await home.remove();
      throw error;
    }
  }

  /** Checks the detached signature `signatureFile` of `dataFile`: good, unexpired, unrevoked, and by one of this ring's keys. */
  async verify(dataFile: string, signatureFile: string): Promise<SignatureVerdict> {
    // --trust-model always: the key was given for this check; the web of trust of a fresh home says nothing.
    const run = await runGpg(['--no-autostart', '--trust-model', 'always', '--verify', '--', signatureFile, dataFile], { env: this.#env, homedir: this.#home.path });
    const verdict = signatureVerdict(parseStatusLines(run.status), this.fingerprints);
    // gpg's exit code must agree: a good verdict from a failed run is no verdict.
    if (verdict.ok && run.exitCode !== 0) return { ok: false, reason: `gpg exited with code ${run.exitCode}` };
    return verdict;
  }

  async close(): Promise<void> {
    await this.#home.remove();
  }
}
