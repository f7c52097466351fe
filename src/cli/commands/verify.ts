import path from 'node:path';
import { VerificationError } from '../../errors.js';
import { loadPublicKey } from '../../provenance/keys.js';
import { verifyRelease } from '../../provenance/verify-release.js';
import { formatTable } from '../../report/summary.js';
import { type GlobalOptions, commandContext } from '../context.js';

export async function runVerify(args: GlobalOptions & { dir: string; key?: string; json: boolean }): Promise<void> {
  const context = await commandContext(args);
  const publicKey = args.key !== undefined ? loadPublicKey(path.resolve(args.key)) : undefined;
  const result = await verifyRelease(args.dir, publicKey);
  if (args.json) {
    context.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const rows = result.files.map((file) => {
      const failed = file.checks.find((check) => !check.ok);
      return [file.ok ? 'OK' : 'FAILED', file.file, failed ? `${failed.name}: ${failed.detail}` : file.checks.map((check) => check.name).join(', ')];
    });
    context.stdout.write(`${formatTable([['STATUS', 'FILE', 'DETAIL'], ...rows])}\n`);
  }
  const failed = result.files.filter((file) => !file.ok);
  if (failed.length > 0) {
    const first = failed[0]!;
    const check = first.checks.find((c) => !c.ok)!;
    throw new VerificationError(`${failed.length} of ${result.files.length} files failed verification; first: ${first.file}: ${check.name}: ${check.detail}`, {
      hint: 'do not use this release; rebuild it, or fetch it again from its source',
    });
  }
  if (!result.signaturesChecked) context.reporter.warn('signatures were not checked: pass --key with the release public key');
  context.reporter.info(`verified ${result.files.length} files in ${result.directory}`);
}
