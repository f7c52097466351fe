import fs from 'fs-extra';
import path from 'node:path';
import type { PlanJob } from '../plan/build-plan.js';
import { ENVELOPE_SUFFIX, SBOM_SUFFIX } from '../release/layout.js';
import { canonicalJson } from '../util/canonical-json.js';
import { sha256Hex } from '../util/hash.js';
import { IN_TOTO_PAYLOAD_TYPE, type Signer, serializeEnvelope, signEnvelope } from './dsse.js';
import { buildCycloneDxSbom } from './sbom.js';
import { type ProvenanceInput, buildProvenanceStatement } from './statement.js';

export interface AttestationRequest {
  /** Where the artifact lies, and its path relative to the output directory. */
  file: string;
  job: PlanJob;
  sha256: string;
  /** Everything the statement records except the artifact itself and its SBOM. */
  provenance: Omit<ProvenanceInput, 'artifact' | 'sbom'>;
  sbom: boolean;
  airlockVersion: string;
}

export interface WrittenAttestation {
  envelope: string;
  /** The SBOM file's name and digest, when one was written (it is listed in SHA256SUMS). */
  sbom?: { name: string; sha256: string };
}

/**
 * Writes an artifact's SBOM (optional) and its provenance statement as a DSSE envelope on one line of
 * <artifact>.intoto.jsonl, signed when a signer is given.
 */
export async function writeAttestation(request: AttestationRequest, signer: Signer | undefined): Promise<WrittenAttestation> {
  const name = path.posix.basename(request.job.output);
  let sbom: WrittenAttestation['sbom'];
  if (request.sbom) {
    const document = buildCycloneDxSbom({
      artifact: { name, sha256: request.sha256 },
      module: { path: request.provenance.module.path },
      goos: request.job.goos,
      goarch: request.job.goarch,
      goVersion: request.job.toolchain,
      modules: request.provenance.modules.list,
      airlockVersion: request.airlockVersion,
    });
    const bytes = `${JSON.stringify(document, null, 2)}\n`;
    const sbomName = `${name}${SBOM_SUFFIX}`;
    await fs.writeFile(path.join(path.dirname(request.file), sbomName), bytes);
    sbom = { name: sbomName, sha256: sha256Hex(bytes) };
  }
  const statement = buildProvenanceStatement({
    ...request.provenance,
    artifact: { name, sha256: request.sha256 },
    ...(sbom ? { sbom } : {}),
  });
  const envelope = await signEnvelope(Buffer.from(canonicalJson(statement)), IN_TOTO_PAYLOAD_TYPE, signer);
  const envelopeFile = `${request.file}${ENVELOPE_SUFFIX}`;
  await fs.writeFile(envelopeFile, serializeEnvelope(envelope));
  return { envelope: envelopeFile, ...(sbom ? { sbom } : {}) };
}
