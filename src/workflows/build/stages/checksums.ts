import fs from 'fs-extra';
import path from 'node:path';
import { checksumGroups } from '../../../plan/build-plan.js';
import { signDetached } from '../../../provenance/signers.js';
import { formatSha256Sums } from '../../../release/checksums.js';
import { CHECKSUMS_FILE, SIGNATURE_SUFFIX } from '../../../release/layout.js';
import { type BuildStage, stagingOf } from '../stage.js';

/**
 * A SHA256SUMS per checksum group (the output directory, or each toolchain's), listing binaries and SBOMs, and
 * at the top level the test run's reports (`build --test`); signed with a signer.
 */
export const writeChecksums: BuildStage = {
  name: 'checksums and signatures',
  async run(run) {
    const { signer } = run.attestation;
    const groups = checksumGroups(run.build.plan).map((group) => ({ ...group, extra: group.directory === '' ? run.testRunFiles : [] }));
    if (run.testRunFiles.length > 0 && !groups.some((group) => group.directory === '')) groups.unshift({ directory: '', jobs: [], extra: run.testRunFiles });
    for (const group of groups) {
      const entries = group.jobs.flatMap((job) => {
        const artifact = run.artifacts.find((candidate) => candidate.file === job.output)!;
        const sbom = run.sboms.get(job.output);
        return [{ name: path.posix.basename(job.output), sha256: artifact.sha256 }, ...(sbom ? [sbom] : [])];
      });
      entries.push(...group.extra);
      const sumsFile = stagingOf(run).pathFor(path.join(group.directory, CHECKSUMS_FILE));
      const sums = formatSha256Sums(entries);
      await fs.writeFile(sumsFile, sums);
      if (signer) await fs.writeFile(`${sumsFile}${SIGNATURE_SUFFIX}`, await signDetached(Buffer.from(sums), signer));
    }
  },
};
