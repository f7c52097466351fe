import fs from 'node:fs';
import path from 'node:path';
import { InputError, oneLine } from '../errors.js';
import type { VerificationPolicy } from '../provenance/verification-policy.js';
import { packageRoot } from '../util/package-root.js';
import { type Validator, compileSchema } from '../util/schema-validation.js';

const HINT = 'fix the policy file (templates/verify-policy.schema.json describes every field; README has an example)';

let validator: Validator<VerificationPolicy> | undefined;

/** Reads and checks a --policy file: anything but a valid policy is bad input (exit 2), one line naming the file. */
export function readVerificationPolicy(file: string): VerificationPolicy {
  let text: string;
  try {
    text = fs.readFileSync(path.resolve(file), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(oneLine(`the policy file ${file} ${code === 'ENOENT' ? 'does not exist' : `cannot be read: ${(error as Error).message}`}`), { hint: 'check the path given to --policy' });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(oneLine(`the policy file ${file} is not JSON: ${(error as Error).message}`), { hint: HINT });
  }
  validator ??= compileSchema<VerificationPolicy>(JSON.parse(fs.readFileSync(path.join(packageRoot(), 'templates', 'verify-policy.schema.json'), 'utf8')) as object);
  const result = validator(value);
  if (!result.ok) throw new InputError(oneLine(`the policy file ${file} is not a verification policy: ${result.problems[0]}`), { hint: HINT });
  for (const [field, pattern] of [['source.gitCommit', result.value.source?.gitCommit], ['source.gitTag', result.value.source?.gitTag]] as const) {
    if (pattern === undefined) continue;
    try {
      new RegExp(pattern);
    } catch (error) {
      throw new InputError(oneLine(`the policy file ${file} is not a verification policy: ${field} is not a regular expression: ${(error as Error).message}`), { hint: HINT });
    }
  }
  return result.value;
}
