import type { Argv } from 'yargs';
import path from 'node:path';
import { InputError } from '../../errors.js';
import { KEY_ALGORITHMS, type KeyAlgorithm, PASSPHRASE_ENV, publicKeyFingerprint, loadPublicKey, writeKeyPair } from '../../provenance/keys.js';
import { commandEntry } from '../command-index.js';
import { type GlobalOptions, commandContext } from '../context.js';

export async function runKeygen(args: GlobalOptions & { key: string; pub: string; algorithm?: KeyAlgorithm }): Promise<void> {
  const context = await commandContext(args);
  const passphrase = context.env[PASSPHRASE_ENV];
  if (!passphrase) {
    throw new InputError(`${PASSPHRASE_ENV} is not set`, { hint: `export ${PASSPHRASE_ENV} with the passphrase that encrypts the private key, then run keygen again` });
  }
  const algorithm = args.algorithm ?? 'p256';
  await writeKeyPair(path.resolve(args.key), path.resolve(args.pub), passphrase, algorithm);
  context.reporter.info(`wrote the ${algorithm === 'sm2' ? 'SM2' : 'ECDSA P-256'} private key ${args.key} (encrypted, mode 0600) and the public key ${args.pub} (sha256 ${publicKeyFingerprint(loadPublicKey(path.resolve(args.pub)))})`);
}

/** `airlock keygen`: its flags and arguments, typed by yargs, and its handler. */
export function keygenCommand<T extends GlobalOptions>(cli: Argv<T>): Argv<T> {
  return cli
    .command(
      commandEntry('keygen').usage,
      commandEntry('keygen').describe,
      (y) =>
        y
          .option('algorithm', { choices: KEY_ALGORITHMS, default: 'p256' as KeyAlgorithm, describe: 'p256: ECDSA P-256 with SHA-256; sm2: SM2 with SM3 (GB/T 32918), for sites that require national commercial cryptography' })
          .option('key', { type: 'string', default: 'airlock.key', describe: 'private key file to write' })
          .option('pub', { type: 'string', default: 'airlock.pub', describe: 'public key file to write' }),
      async (args) => runKeygen(args),
    );
}
