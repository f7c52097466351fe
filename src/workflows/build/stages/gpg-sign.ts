import fs from 'fs-extra';
import path from 'node:path';
import { checksumGroups } from '../../../plan/build-plan.js';
import { GPG_SIGNATURE_SUFFIX, GPG_SIGNED_CHECKSUMS_FILES } from '../../../release/layout.js';
import { type BuildStage, stagingOf } from '../stage.js';

/**
 * With --gpg-key: an armored detached signature (`.asc`) beside every checksums file at the top of each
 * checksum group, made by the host's gpg. It runs after every checksums file is written (SHA256SUMS, and
 * SM3SUMS where a release has one), so it signs exactly what the release publishes.
 */
export const gpgSignChecksums: BuildStage = {
  name: 'GPG signatures',
  skip: (run) => run.attestation.gpg === undefined,
  async run(run) {
    const gpg = run.attestation.gpg!;
    const staging = stagingOf(run);
    // The top level holds a SHA256SUMS of its own with --test even when the binaries are per toolchain.
    const directories = [...new Set(['', ...checksumGroups(run.build.plan).map((group) => group.directory)])];
    for (const directory of directories) {
      for (const name of GPG_SIGNED_CHECKSUMS_FILES) {
        const file = staging.pathFor(path.join(directory, name));
        if (!(await fs.pathExists(file))) continue;
        await gpg.signFile(file, `${file}${GPG_SIGNATURE_SUFFIX}`);
      }
    }
  },
};
