import path from 'node:path';
import { InputError } from '../errors.js';
import { GpgSigner } from '../provenance/gpg-signer.js';

export interface GpgArguments {
  gpgKey?: string;
  gpgHome?: string;
}

/** The --gpg-key and --gpg-home options, shared by build and merge. */
export const GPG_OPTIONS = {
  'gpg-key': {
    type: 'string',
    describe: "also sign SHA256SUMS with this key of the host's gpg, as SHA256SUMS.asc (passphrase in $AIRLOCK_GPG_PASSPHRASE, else gpg-agent's)",
  },
  'gpg-home': { type: 'string', describe: 'with --gpg-key: the GnuPG home directory holding the key (default: $GNUPGHOME, else ~/.gnupg)' },
} as const;

/**
 * The GPG signer asked for (--gpg-key, else airlock.json's signing.gpgKey), found in its keyring and tried
 * once: an unknown key, a wrong passphrase or a missing gpg stops the command here, before anything runs.
 */
export async function gpgSignerFromArguments(args: GpgArguments, env: NodeJS.ProcessEnv, configuredKey?: string): Promise<GpgSigner | undefined> {
  const keyId = args.gpgKey ?? configuredKey;
  if (keyId === undefined) {
    if (args.gpgHome !== undefined) throw new InputError('--gpg-home is given without --gpg-key', { hint: 'pass --gpg-key KEYID to sign with a key from that keyring, or leave out --gpg-home' });
    return undefined;
  }
  return GpgSigner.open({ keyId, ...(args.gpgHome !== undefined ? { home: path.resolve(args.gpgHome) } : {}), env });
}

/** What the closing line of build and merge says about the checksums' signatures. */
export function describeChecksumSignatures(signed: boolean, gpg: GpgSigner | undefined): string {
  const parts = [...(signed ? ['signed'] : []), ...(gpg ? [`GPG-signed by ${gpg.fingerprint}`] : [])];
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}
