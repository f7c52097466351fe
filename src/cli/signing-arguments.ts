import path from 'node:path';
import type { Signer } from '../provenance/dsse.js';
import { type SigningOptions, signerFromOptions } from '../provenance/signer-from-options.js';

/** The signer the command line asks for (--sign-key, --signer-command, --signer-pub), file paths resolved here. */
export function signerFromArguments(args: SigningOptions, env: NodeJS.ProcessEnv): Signer | undefined {
  return signerFromOptions(
    {
      ...(args.signKey !== undefined ? { signKey: path.resolve(args.signKey) } : {}),
      ...(args.signerCommand !== undefined ? { signerCommand: args.signerCommand } : {}),
      ...(args.signerPub !== undefined ? { signerPub: path.resolve(args.signerPub) } : {}),
    },
    env,
  );
}
