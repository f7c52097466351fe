import type { Argv } from 'yargs';
import path from 'node:path';
import { mergeRelease } from '../../workflows/merge-release.js';
import { InputError } from '../../errors.js';
import { type SignatureAlgorithm, signatureAlgorithm } from '../../provenance/dsse.js';
import { loadPublicKey } from '../../provenance/keys.js';
import { signerFromArguments } from '../signing-arguments.js';
import { formatTable } from '../../report/summary.js';
import { commandEntry } from '../command-index.js';
import { type GlobalOptions, commandContext } from '../context.js';
import { countOf } from '../../report/wording.js';
import { GpgKeyring } from '../../provenance/gpg-keyring.js';
import { type GpgArguments, GPG_OPTIONS, describeChecksumSignatures, gpgSignerFromArguments } from '../gpg-options.js';

export interface MergeArguments extends GlobalOptions, GpgArguments {
  gpgPub?: string;
  dirs: string[];
  out: string;
  key?: string;
  signKey?: string;
  signerCommand?: string;
  signerPub?: string;
}

const ALGORITHM_NAMES: Record<SignatureAlgorithm, string> = { 'ecdsa-p256-sha256': 'an ECDSA P-256', 'sm2-sm3': 'an SM2', ed25519: 'an Ed25519' };

/** `airlock merge DIR... --out DIR`: the shards of one plan, re-verified, as one release. */
export async function runMerge(args: MergeArguments): Promise<void> {
  const context = await commandContext(args);
  const publicKey = args.key !== undefined ? loadPublicKey(path.resolve(args.key)) : undefined;
  const signer = signerFromArguments(args, context.env);
  const shardAlgorithm = publicKey === undefined ? undefined : signatureAlgorithm(publicKey);
  if (shardAlgorithm !== undefined && signer?.algorithm !== undefined && signer.algorithm !== shardAlgorithm) {
    const flag = args.signKey !== undefined ? `--sign-key ${args.signKey}` : `--signer-pub ${args.signerPub}`;
    throw new InputError(`${flag} is ${ALGORITHM_NAMES[signer.algorithm]} key, but the shards' --key ${args.key} is ${ALGORITHM_NAMES[shardAlgorithm]} key`, {
      hint: `sign the merged release with the same kind of key as its shards (${ALGORITHM_NAMES[shardAlgorithm]} key), so the whole release verifies with one key`,
    });
  }
  const gpg = await gpgSignerFromArguments(args, context.env);
  const gpgKeyring = args.gpgPub !== undefined ? await GpgKeyring.open(path.resolve(args.gpgPub), context.env) : undefined;
  let outcome: Awaited<ReturnType<typeof mergeRelease>>;
  try {
    outcome = await mergeRelease(
      { dirs: args.dirs, out: path.resolve(args.out), ...(publicKey ? { publicKey } : {}), ...(signer ? { signer } : {}), ...(gpg ? { gpg } : {}), ...(gpgKeyring ? { gpgKeyring } : {}) },
      context.reporter,
    );
  } finally {
    await gpgKeyring?.close();
  }
  const { plan } = outcome;
  const shardOf = new Map(plan.shards.map((shard) => [shard.realPath, shard.manifest.shard]));
  const rows = plan.files
    .filter((file) => file.kind === 'binary')
    .map((file) => {
      const shard = shardOf.get(file.shardDir)!;
      return [file.file, `${shard.index}/${shard.count}`, file.sha256 ?? ''];
    });
  context.stdout.write(`${formatTable([['FILE', 'SHARD', 'SHA256'], ...rows])}\n`);
  const binaries = plan.files.filter((file) => file.kind === 'binary').length;
  const sums = plan.layout === 'flat' ? 'SHA256SUMS' : 'a SHA256SUMS per toolchain';
  context.reporter.info(
    `merged ${countOf(plan.count, 'shard')}: ${countOf(binaries, 'binary', 'binaries')}, their provenance${plan.sbom ? ', SBOMs' : ''}${plan.testRun ? `, the test run of ${plan.testRun.dir}` : ''} and ${sums}` +
      `${describeChecksumSignatures(outcome.signed, gpg)} to ${outcome.outDir}`,
  );
}

/** `airlock merge`: its flags and arguments, typed by yargs, and its handler. */
export function mergeCommand<T extends GlobalOptions>(cli: Argv<T>): Argv<T> {
  return cli
    .command(
      commandEntry('merge').usage,
      commandEntry('merge').describe,
      (y) =>
        y
          .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'the output directory of every shard, and optionally of the `airlock test` run whose attestation joins the release' })
          .option('out', { type: 'string', demandOption: true, describe: 'the directory to write the merged release to' })
          .option('key', { type: 'string', describe: 'the public key (PEM) the shards were signed with, to check their signatures' })
          .option('sign-key', { type: 'string', describe: 'sign the merged SHA256SUMS with this private key (passphrase in $AIRLOCK_KEY_PASSPHRASE)' })
          .option('signer-command', { type: 'string', describe: 'sign with this command instead (bytes on stdin, signature on stdout), e.g. for an HSM' })
          .option('signer-pub', { type: 'string', describe: 'the public key of --signer-command, to check each signature it returns' })
          .options(GPG_OPTIONS)
          .option('gpg-pub', { type: 'string', describe: "the GPG public key the shards' SHA256SUMS.asc are signed with, to check them (and, with --gpg-key, the merged ones)" }),
      async (args) => runMerge(args),
    );
}
