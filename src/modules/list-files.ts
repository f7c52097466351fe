import fs from 'fs-extra';
import path from 'node:path';

/**
 * Every regular file under ROOT/RELATIVE, as "/"-separated paths relative to ROOT, in name order (directories
 * walked where they sort); symbolic links and other special files are left out. With skipUnreadable, a
 * directory that cannot be read (or does not exist) counts as empty instead of failing the walk.
 */
export async function listFiles(root: string, relative = '', options: { skipUnreadable?: boolean } = {}): Promise<string[]> {
  const read = fs.readdir(path.join(root, relative), { withFileTypes: true });
  const entries = options.skipUnreadable ? await read.catch(() => []) : await read;
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const rel = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) files.push(...(await listFiles(root, rel, options)));
    else if (entry.isFile()) files.push(rel);
  }
  return files;
}
