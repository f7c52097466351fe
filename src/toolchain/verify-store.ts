import { findPins, type ToolchainMatrix } from './matrix.js';
import { readToolchainTree } from './read-tree.js';
import type { StoredToolchain, ToolchainStore } from './store.js';

export interface StoredToolchainCheck {
  toolchain: StoredToolchain;
  ok: boolean;
  status: 'OK' | 'MISMATCH' | 'UNPINNED';
  detail: string;
}

/** Re-hashes every stored toolchain and compares it with what was recorded at import and with the matrix. */
export async function verifyStoredToolchains(store: ToolchainStore, matrix: ToolchainMatrix): Promise<StoredToolchainCheck[]> {
  const checks: StoredToolchainCheck[] = [];
  for (const toolchain of await store.list()) {
    let digest: string;
    try {
      digest = (await readToolchainTree(toolchain.goroot)).digest;
    } catch (error) {
      checks.push({ toolchain, ok: false, status: 'MISMATCH', detail: `cannot be read: ${(error as Error).message}` });
      continue;
    }
    if (digest !== toolchain.treeDigest) {
      checks.push({ toolchain, ok: false, status: 'MISMATCH', detail: `recorded ${toolchain.treeDigest}, now ${digest}` });
      continue;
    }
    const pins = findPins(matrix, toolchain.version, `${toolchain.goos}/${toolchain.goarch}`);
    if (!pins) {
      checks.push({ toolchain, ok: true, status: 'UNPINNED', detail: `${digest} (trust on first use: not in the matrix)` });
    } else if (pins.treeDigest !== digest) {
      checks.push({ toolchain, ok: false, status: 'MISMATCH', detail: `matrix pins ${pins.treeDigest}, stored tree is ${digest}` });
    } else {
      checks.push({ toolchain, ok: true, status: 'OK', detail: digest });
    }
  }
  return checks;
}
