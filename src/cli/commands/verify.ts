import type { Argv } from 'yargs';
import path from 'node:path';
import { VerificationError } from '../../errors.js';
import { loadPublicKey } from '../../provenance/keys.js';
import { GpgKeyring } from '../../provenance/gpg-keyring.js';
import { describeFile, describeVerified, verifyRelease } from '../../workflows/verify-release.js';
import { readVerificationPolicy } from '../../workflows/read-verification-policy.js';
import { formatTable } from '../../report/summary.js';
import { type GlobalOptions, commandContext } from '../context.js';

export async function runVerify(args: GlobalOptions & { dir: string; key?: string; gpgPub?: string; json: boolean; policy?: string }): Promise<void> {
  const context = await commandContext(args);
  const publicKey = args.key !== undefined ? loadPublicKey(path.resolve(args.key)) : undefined;
  const policy = args.policy !== undefined ? readVerificationPolicy(args.policy) : undefined;
  // A private keyring holding the given key alone, removed as soon as the release is checked.
  const gpg = args.gpgPub !== undefined ? await GpgKeyring.open(path.resolve(args.gpgPub), context.env) : undefined;
  let result: Awaited<ReturnType<typeof verifyRelease>>;
  try {
    result = await verifyRelease(args.dir, publicKey, { ...(gpg ? { gpg } : {}), ...(policy ? { policy } : {}) });
  } finally {
    await gpg?.close();
  }
  if (args.json) {
    context.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const rows = result.files.map((file) => {
      const { status, detail } = describeFile(file);
      return [status, file.file, detail];
    });
    context.stdout.write(`${formatTable([['STATUS', 'FILE', 'DETAIL'], ...rows])}\n`);
  }
  for (const warning of result.warnings) context.reporter.warn(warning);
  if (!result.signaturesChecked) {
    context.reporter.warn(`${result.gpgChecked ? "the envelopes' signatures" : 'signatures'} were not checked: pass --key with the release public key`);
  }
  const failed = result.files.filter((file) => !file.ok);
  if (failed.length > 0) {
    const first = failed[0]!;
    const check = first.checks.find((c) => c.state === 'failed')!;
    throw new VerificationError(`${failed.length} of ${result.files.length} files failed verification; first: ${first.file}: ${check.name}: ${check.detail}`, {
      hint: 'do not use this release; rebuild it, or fetch it again from its source',
    });
  }
  context.reporter.info(describeVerified(result));
}

/** `airlock verify`: its flags and arguments, typed by yargs, and its handler. */
export function verifyCommand<T extends GlobalOptions>(cli: Argv<T>): Argv<T> {
  return cli
    .command(
      'verify <dir>',
      'verify a release: checksums, signatures, provenance and what each binary records about itself',
      (y) =>
        y
          .positional('dir', { type: 'string', demandOption: true, describe: 'the output directory of a build' })
          .option('key', { type: 'string', describe: 'the public key (PEM) the release was signed with: ECDSA P-256, SM2 or Ed25519' })
          .option('gpg-pub', { type: 'string', describe: "the exported GPG public key (or keyring) the release's .asc files must be signed by, checked in a private temporary keyring" })
          .option('json', { type: 'boolean', default: false, describe: 'print the full report as JSON' })
          .option('policy', { type: 'string', describe: 'a verification policy (JSON, templates/verify-policy.schema.json): signer keys, source commit, toolchains, sandbox and modules the release must have' }),
      async (args) => runVerify(args),
    );
}
