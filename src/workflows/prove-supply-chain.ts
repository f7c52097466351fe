import { VerificationError } from '../errors.js';
import type { ModuleSetEvidence } from '../modules/resolve-module-inputs.js';
import type { PlanChecksumDatabase } from '../plan/build-plan.js';
import { countOf } from '../report/wording.js';
import { proveModuleSet } from '../sumdb/prove-module-set.js';
import { type RememberedHead, readRememberedHead, rememberHead } from '../sumdb/remembered-head.js';
import { parseVerifierKey } from '../sumdb/verifier-key.js';
import type { ChecksumDatabaseRequest } from './build/request.js';

export const DEFAULT_CHECKSUM_DATABASE = 'sum.golang.org';

/** The name of the database whose evidence is read from a set: the key's, which is the site's choice, never the set's. */
export function checksumDatabaseName(request: ChecksumDatabaseRequest | undefined): string {
  return parseVerifierKey(request?.key ?? DEFAULT_CHECKSUM_DATABASE).name;
}

/** Pure: proves a module set's modules and go.sum in the Go checksum database, offline, from the evidence it carries. */
export function proveSupplyChain(
  evidence: ModuleSetEvidence,
  request: ChecksumDatabaseRequest,
  source: string,
  remembered?: { size: number; hash: string },
): PlanChecksumDatabase {
  const key = parseVerifierKey(request.key ?? DEFAULT_CHECKSUM_DATABASE);
  const proof = proveModuleSet({
    evidence: evidence.files,
    key,
    goSum: evidence.goSum,
    setModules: evidence.setModules,
    privatePatterns: request.privatePatterns,
    source,
    ...(remembered ? { remembered } : {}),
  });
  return {
    key: key.text,
    ...(proof.database ? { tree: proof.database.tree } : {}),
    allowUnproven: request.allowUnproven,
    modules: proof.modules.map((m) => ({ path: m.path, version: m.version, status: m.status, ...(m.record !== undefined ? { record: m.record } : {}), detail: m.detail })),
  };
}

/**
 * Why the proof stops a build, if it does: any module that disagrees with the log (always), or modules without
 * evidence (unless --allow-unproven).
 */
export function supplyChainFailure(proof: PlanChecksumDatabase): VerificationError | undefined {
  const mismatched = proof.modules.filter((m) => m.status === 'mismatch');
  if (mismatched.length > 0) {
    const first = mismatched[0]!;
    return new VerificationError(
      `${countOf(mismatched.length, 'module')} disagree${mismatched.length === 1 ? 's' : ''} with the Go checksum database; first: ${first.path}@${first.version}: ${first.detail}`,
      { hint: 'do not build from this go.sum and module set: restore both from a trusted source, or pack the set again on a connected machine' },
    );
  }
  const unproven = proof.modules.filter((m) => m.status === 'no-evidence');
  if (unproven.length > 0 && !proof.allowUnproven) {
    const first = unproven[0]!;
    return new VerificationError(
      `${countOf(unproven.length, 'module')} ${unproven.length === 1 ? 'is' : 'are'} not proven in the Go checksum database; first: ${first.path}@${first.version}: ${first.detail}`,
      {
        hint: 'pack the set again with `airlock modules pack` (it carries the evidence), name private modules in GONOSUMDB, or pass --allow-unproven to trust go.sum alone (recorded in the provenance)',
      },
    );
  }
  return undefined;
}

/** One line for the log: what was proven, against which signed head. */
export function describeSupplyChain(proof: PlanChecksumDatabase): string {
  const count = (status: string) => proof.modules.filter((m) => m.status === status).length;
  const name = proof.key.split('+')[0];
  const parts = [`${countOf(count('proven'), 'module version')} proven in ${name}'s signed tree of ${proof.tree?.size ?? 0} records`];
  if (count('private') > 0) parts.push(`${count('private')} private (GONOSUMDB/GOPRIVATE), trusted by go.sum only`);
  if (count('no-evidence') > 0) parts.push(`${count('no-evidence')} without evidence, allowed by --allow-unproven`);
  return parts.join('; ');
}

/** After a set's proof passed: this store remembers its head, when it is the largest so far. */
export async function acceptChecksumDatabaseHead(airlockHome: string, proof: PlanChecksumDatabase | undefined, source: string): Promise<void> {
  if (proof?.tree === undefined) return;
  await rememberHead(airlockHome, parseVerifierKey(proof.key).name, proof.tree, source);
}

/** The head this store accepted last for the database `request` names, if any. */
export function readAcceptedHead(airlockHome: string, request: ChecksumDatabaseRequest | undefined): Promise<RememberedHead | undefined> {
  return readRememberedHead(airlockHome, checksumDatabaseName(request));
}
