import { VerificationError } from '../errors.js';
import type { GoSumEntry } from '../modules/go-sum.js';
import { checkRememberedHead } from './remembered-head.js';
import { type EvidenceFiles, openTreeHead, proveRecord, tileReaderOf } from './evidence.js';
import { matchesPrivatePatterns } from './private-patterns.js';
import type { TreeHead } from './tree-head.js';
import type { VerifierKey } from './verifier-key.js';

/**
 * proven: every go.sum line of the version is a line of its record, proven in the signed tree.
 * mismatch: go.sum and the log disagree, or the evidence for it does not prove (damaged or forged).
 * private: matched by GONOSUMDB/GOPRIVATE: not in the public log; trusted by go.sum alone.
 * no-evidence: the set carries nothing for it.
 */
export type ModuleEvidenceStatus = 'proven' | 'mismatch' | 'private' | 'no-evidence';

export interface ModuleEvidence {
  path: string;
  version: string;
  status: ModuleEvidenceStatus;
  /** The record's index in the log, when proven. */
  record?: number;
  detail: string;
}

export interface SupplyChainProof {
  /** The database and the signed head everything was proven against; absent when the set carries no evidence. */
  database?: { key: string; tree: { size: number; hash: string } };
  modules: ModuleEvidence[];
}

export interface ModuleSetProofInput {
  /** The set's evidence files for `key`'s database, by protocol path; empty when it has none. */
  evidence: EvidenceFiles;
  key: VerifierKey;
  goSum: readonly GoSumEntry[];
  /** The module versions the set carries. */
  setModules: ReadonlyArray<{ path: string; version: string }>;
  /** GONOSUMDB (or GOPRIVATE) of the verifying site, never the set's own. */
  privatePatterns: string;
  source: string;
  /** The largest head this store accepted before: the set's head must extend it (see remembered-head.ts). */
  remembered?: { size: number; hash: string };
}

function byModule(a: { path: string; version: string }, b: { path: string; version: string }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : a.version < b.version ? -1 : a.version > b.version ? 1 : 0;
}

/**
 * Proves, offline, every module version in go.sum and in the set against the checksum database evidence the
 * set carries: one signed head, each version's record proven in it through the tiles, and each go.sum line
 * equal to a line of that record. Pure: the evidence is passed in.
 */
export function proveModuleSet(input: ModuleSetProofInput): SupplyChainProof {
  const versions = new Map<string, { path: string; version: string }>();
  for (const entry of [...input.goSum, ...input.setModules]) versions.set(`${entry.path}@${entry.version}`, { path: entry.path, version: entry.version });
  const wanted = [...versions.values()].sort(byModule);
  const privateOnes = (m: { path: string }) => matchesPrivatePatterns(input.privatePatterns, m.path);
  const hasEvidence = [...input.evidence.keys()].length > 0;
  if (!hasEvidence) {
    return {
      modules: wanted.map((m) =>
        privateOnes(m)
          ? { ...m, status: 'private', detail: 'private (GONOSUMDB/GOPRIVATE): not in the public log; trusted by go.sum only' }
          : { ...m, status: 'no-evidence', detail: 'the module set carries no checksum database evidence (packed by an earlier airlock?)' },
      ),
    };
  }
  const tree: TreeHead = openTreeHead(input.evidence, input.key, input.source);
  const tiles = tileReaderOf(input.evidence, input.source);
  const verdict = checkRememberedHead(input.remembered, tree, tiles, input.source);
  if (!verdict.ok) throw new VerificationError(verdict.reason, { hint: verdict.hint });
  const modules = wanted.map((m): ModuleEvidence => {
    if (privateOnes(m)) return { ...m, status: 'private', detail: 'private (GONOSUMDB/GOPRIVATE): not in the public log; trusted by go.sum only' };
    const proof = proveRecord(input.evidence, tiles, tree, m.path, m.version, input.source);
    if (proof.status === 'no-evidence') return { ...m, status: 'no-evidence', detail: proof.reason };
    if (proof.status === 'unproven') return { ...m, status: 'mismatch', detail: `the evidence does not prove it: ${proof.reason}` };
    for (const line of input.goSum.filter((e) => e.path === m.path && e.version === m.version)) {
      const logged = proof.record.lines.find((l) => l.goMod === line.goMod);
      if (logged === undefined || logged.hash !== line.hash) {
        const what = line.goMod ? `${m.version}/go.mod` : m.version;
        return {
          ...m,
          status: 'mismatch',
          record: proof.record.id,
          detail: `go.sum says ${m.path} ${what} ${line.hash}, the checksum database says ${logged?.hash ?? 'nothing'} (record ${proof.record.id})`,
        };
      }
    }
    return { ...m, status: 'proven', record: proof.record.id, detail: `record ${proof.record.id} in the signed tree of ${tree.size} records` };
  });
  return { database: { key: input.key.text, tree: { size: tree.size, hash: tree.hash.toString('base64') } }, modules };
}
