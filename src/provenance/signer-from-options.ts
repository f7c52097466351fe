import { InputError } from '../errors.js';
import type { Signer } from './dsse.js';
import { PASSPHRASE_ENV, loadPrivateKey, loadPublicKey } from './keys.js';
import { CommandSigner, KeySigner } from './signers.js';

export interface SigningOptions {
  signKey?: string;
  signerCommand?: string;
  signerPub?: string;
}

/** The signer a build was asked for: an offline key file, a command (an HSM), or none (unsigned statements). */
export function signerFromOptions(options: SigningOptions, env: NodeJS.ProcessEnv): Signer | undefined {
  if (options.signKey !== undefined && options.signerCommand !== undefined) {
    throw new InputError('--sign-key and --signer-command exclude each other', { hint: 'sign with a key file or with a command, not both' });
  }
  if (options.signKey !== undefined) return new KeySigner(loadPrivateKey(options.signKey, env[PASSPHRASE_ENV]));
  if (options.signerCommand !== undefined) {
    return new CommandSigner(options.signerCommand, options.signerPub !== undefined ? loadPublicKey(options.signerPub) : undefined);
  }
  return undefined;
}
