import fs from 'fs-extra';
import { SHARD_MANIFEST_FILE } from '../../../plan/shards.js';
import { type BuildStage, stagingOf } from '../stage.js';

/** With --shard: the manifest `airlock merge` checks the shards of one plan against. */
export const writeShardManifest: BuildStage = {
  name: 'shard manifest',
  skip: (run) => run.build.shard === undefined,
  async run(run) {
    await fs.writeFile(stagingOf(run).pathFor(SHARD_MANIFEST_FILE), `${JSON.stringify(run.build.shard, null, 2)}\n`);
  },
};
