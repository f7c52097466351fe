import fs from 'fs-extra';
import path from 'node:path';

/**
 * Every entry under `dir` that is not a directory, as sorted "sub/dir/name" paths; links are listed, never
 * followed. `regularOnly` keeps regular files alone (what a merge copies); verify wants the rest too, as a
 * link or fifo in a release is something airlock did not write.
 */
export async function listReleaseTree(dir: string, options: { regularOnly?: boolean } = {}): Promise<string[]> {
  const found: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    for (const entry of await fs.readdir(path.join(dir, relative), { withFileTypes: true })) {
      const rel = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) await walk(rel);
      else if (!options.regularOnly || entry.isFile()) found.push(rel);
    }
  };
  await walk('');
  return found.sort();
}
