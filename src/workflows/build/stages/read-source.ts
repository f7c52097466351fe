import { readGitFacts } from '../../../provenance/git-source.js';
import { OutputStaging } from '../../../release/output-directory.js';
import path from 'node:path';
import { listSourceTree, packSourceTreeToFile } from '../../../sandbox/source-tree.js';
import { createScratchDir } from '../../../util/scratch-dir.js';
import type { BuildStage } from '../stage.js';

/**
 * Lists the source the sandbox will get (never an airlock output directory), packs it once into the tar every
 * worker's source volume is filled from, digesting the very bytes packed, reads the git facts for the
 * provenance, then opens the staging directory. In that order: staging is created in the module's directory
 * tree only once the source listing is done.
 */
export const readSource: BuildStage = {
  name: 'read the source',
  async run(run) {
    const { module, run: settings } = run.build;
    // listSourceTree adds the earlier outputs it finds to the exclusions, so what is sent is what is listed.
    const options = { exclude: [...settings.sourceExclude] };
    const source = await listSourceTree(module.dir, options);
    for (const output of source.outputs) run.reporter.info(`not sending ${output}/ to the sandbox: an airlock output directory`);
    const scratch = await createScratchDir('airlock-source');
    run.scratchDirs.push(scratch);
    const archive = path.join(scratch.path, 'source.tar');
    const [digest, git] = await Promise.all([packSourceTreeToFile(module.dir, source.entries, archive), readGitFacts(module.dir)]);
    run.source = { digest, git, exclude: options.exclude, archive, entries: source.entries };
    run.staging = await OutputStaging.create(settings.outDir, module.dir);
  },
};
