import fs from 'fs-extra';
import path from 'node:path';
import { type BuildStage, stagingOf } from '../stage.js';

/** Binaries 0755, everything else 0644, and one modification time for all (SOURCE_DATE_EPOCH or the commit's). */
export const normaliseOutputs: BuildStage = {
  name: 'normalise file modes and times',
  async run(run) {
    const binaries = new Set(run.artifacts.map((artifact) => artifact.file));
    const epoch = run.build.run.sourceDateEpoch ?? run.source?.git?.commitTime;
    const dir = stagingOf(run).stagingDir;
    const walk = async (relative: string): Promise<void> => {
      for (const entry of await fs.readdir(path.join(dir, relative), { withFileTypes: true })) {
        const rel = relative === '' ? entry.name : `${relative}/${entry.name}`;
        const absolute = path.join(dir, rel);
        if (entry.isDirectory()) {
          await walk(rel);
          await fs.chmod(absolute, 0o755);
        } else {
          await fs.chmod(absolute, binaries.has(rel) ? 0o755 : 0o644);
        }
        if (epoch !== undefined) await fs.utimes(absolute, epoch, epoch);
      }
    };
    await walk('');
  },
};

/** Replaces the output directory with the staged one in one rename, after checking again that it is airlock's. */
export const publish: BuildStage = {
  name: 'publish',
  async run(run) {
    await stagingOf(run).publish();
  },
};
