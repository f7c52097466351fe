import test from 'ava';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The layering of src/ (docs/architecture.md draws it): a part may import only parts on a lower layer. Parts on
 * one layer are independent of each other. A new folder must be placed here before anything may import it.
 */
const LAYERS: ReadonlyArray<readonly string[]> = [
  ['errors.ts', 'cleanup.ts'],
  ['util'],
  ['engine', 'report', 'archive', 'binary'],
  ['modules', 'gotest', 'oci'],
  ['toolchain', 'plan', 'sumdb'],
  ['config', 'release'],
  ['provenance'],
  ['sandbox'],
  ['workflows'],
  ['cli'],
];

const srcRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src');

function layerOf(part: string): number {
  return LAYERS.findIndex((layer) => layer.includes(part));
}

async function sourceFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await sourceFiles(full)));
    else if (entry.name.endsWith('.ts')) files.push(full);
  }
  return files;
}

/** The part of src/ a file belongs to: its top folder, or its own name for a file at the top. */
function partOf(file: string): string {
  return path.relative(srcRoot, file).split(path.sep)[0]!;
}

test('every import in src/ runs down the layering: no part imports a part on its own or a higher layer', async (t) => {
  const files = await sourceFiles(srcRoot);
  t.true(files.length > 50, `found the sources in ${srcRoot}`);
  const upward: string[] = [];
  const unplaced = new Set<string>();
  let crossings = 0;
  for (const file of files) {
    const from = partOf(file);
    const text = await fs.readFile(file, 'utf8');
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = path.resolve(path.dirname(file), match[1]!.replace(/\.js$/, '.ts'));
      const to = partOf(target);
      if (to === from) continue;
      crossings += 1;
      for (const part of [from, to]) if (layerOf(part) < 0) unplaced.add(part);
      if (layerOf(to) >= layerOf(from)) upward.push(`${path.relative(srcRoot, file)} -> ${path.relative(srcRoot, target)}`);
    }
  }
  t.true(crossings > 50, 'imports between parts were read');
  t.deepEqual([...unplaced], [], 'every part of src/ has a layer (add a new folder to LAYERS and docs/architecture.md)');
  t.deepEqual(upward, [], 'imports that run up (or across) the layering');
});
