import path from 'node:path';
import { checksumGroups } from '../../../plan/build-plan.js';
import { RELEASE_MANIFEST_FILE } from '../../../release/layout.js';
import { writeChecksumFiles, writeReleaseManifest } from '../../release-signatures.js';
import { type BuildStage, stagingOf } from '../stage.js';

/**
 * A SHA256SUMS per checksum group (the output directory, or each toolchain's), listing binaries and SBOMs, and
 * at the top level the test run's reports (`build --test`); signed with a signer. An SM2 signer adds SM3SUMS.
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
      await writeChecksumFiles(stagingOf(run).pathFor(group.directory), entries, signer);
    }
  },
};

/** RELEASE-MANIFEST, last before the files are normalised: every file of the release, signed with a signer. */
export const writeManifest: BuildStage = {
  name: RELEASE_MANIFEST_FILE.toLowerCase().replace('-', ' '),
  async run(run) {
    await writeReleaseManifest(stagingOf(run).stagingDir, run.attestation.signer);
  },
};
