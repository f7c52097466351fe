import type { Argv } from 'yargs';
import path from 'node:path';
import { InputError, VerificationError } from '../../errors.js';
import type { SigningOptions } from '../../provenance/signer-from-options.js';
import { signerFromArguments } from '../signing-arguments.js';
import { checkVerificationSummaryTarget, writeVerificationSummary } from '../../workflows/write-verification-summary.js';
import { loadPublicKey } from '../../provenance/keys.js';
import { GpgKeyring } from '../../provenance/gpg-keyring.js';
import { describeFile, describeVerified, verifyRelease } from '../../workflows/verify-release.js';
import { readVerificationPolicy } from '../../workflows/read-verification-policy.js';
import { formatTable } from '../../report/summary.js';
import { commandEntry } from '../command-index.js';
import { type GlobalOptions, commandContext } from '../context.js';

interface VerifyArguments extends GlobalOptions, SigningOptions {
  dir: string;
  key?: string;
  gpgPub?: string;
  json: boolean;
  policy?: string;
  vsa?: string;
}

export async function runVerify(args: VerifyArguments): Promise<void> {
  const context = await commandContext(args);
  const publicKey = args.key !== undefined ? loadPublicKey(path.resolve(args.key)) : undefined;
  const policy = args.policy !== undefined ? readVerificationPolicy(args.policy) : undefined;
  // Everything about --vsa is checked before the release is: a summary that cannot be written fails first.
  const summarySigner =
    args.vsa !== undefined
      ? signerFromArguments(args, context.env)
      : undefined;
  if (args.vsa === undefined && (args.signKey !== undefined || args.signerCommand !== undefined)) {
    throw new InputError('--sign-key and --signer-command sign the verification summary: they need --vsa FILE', { hint: 'add --vsa FILE, or leave the signing flags out' });
  }
  const summaryTarget = args.vsa !== undefined ? checkVerificationSummaryTarget(args.vsa, args.dir, summarySigner) : undefined;
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
  if (summaryTarget !== undefined) {
    // Written whatever the verdict: a FAILED summary is a record a deployment system keeps too.
    await writeVerificationSummary(summaryTarget, result, summarySigner!, args.policy);
    context.reporter.info(`wrote the verification summary (${result.ok ? 'PASSED' : 'FAILED'}, signed) to ${summaryTarget}`);
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
      commandEntry('verify').usage,
      commandEntry('verify').describe,
      (y) =>
        y
          .positional('dir', { type: 'string', demandOption: true, describe: 'the output directory of a build' })
          .option('key', { type: 'string', describe: 'the public key (PEM) the release was signed with: ECDSA P-256, SM2 or Ed25519' })
          .option('gpg-pub', { type: 'string', describe: "the exported GPG public key (or keyring) the release's .asc files must be signed by, checked in a private temporary keyring" })
          .option('json', { type: 'boolean', default: false, describe: 'print the full report as JSON' })
          .option('policy', { type: 'string', describe: 'a verification policy (JSON, templates/verify-policy.schema.json): signer keys, source repository, commit and tag, toolchains, sandbox and modules the release must have' })
          .option('vsa', { type: 'string', describe: 'write a signed SLSA Verification Summary Attestation of the result (PASSED or FAILED) to this file' })
          .option('sign-key', { type: 'string', describe: "sign the --vsa summary with this private key, the verifier's (passphrase in $AIRLOCK_KEY_PASSPHRASE)" })
          .option('signer-command', { type: 'string', describe: 'sign the --vsa summary with this command instead (bytes on stdin, signature on stdout)' })
          .option('signer-pub', { type: 'string', describe: 'the public key of --signer-command, to check each signature it returns' }),
      async (args) => runVerify(args),
    );
}
