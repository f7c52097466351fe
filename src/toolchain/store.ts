import { randomBytes } from 'node:crypto';
import fs from 'fs-extra';
import path from 'node:path';
import { InputError } from '../errors.js';
import type { ToolchainIdentity } from './toolchain-tree.js';
import type { VerificationStatus } from './verify-pins.js';

export type ToolchainSourceKind = 'goroot' | 'archive' | 'module-zip';

/** What the store records about a toolchain, in toolchain.json beside its GOROOT. */
export interface ToolchainRecord {
  schema: 1;
  version: string;
  goos: string;
  goarch: string;
  /** h1: hash of the canonical tree (see toolchain-tree.ts) */
  treeDigest: string;
  fileCount: number;
  totalBytes: number;
  ports: string[];
  importedAt: string;
  source: { kind: ToolchainSourceKind; location: string; sha256?: string; moduleH1?: string };
  verification: { status: VerificationStatus; checks: string[]; notes: string[]; matrix: string };
}

export interface StoredToolchain extends ToolchainRecord {
  id: string;
  goroot: string;
}

export function toolchainId(identity: ToolchainIdentity): string {
  return `${identity.version}-${identity.goos}-${identity.goarch}`;
}

export class ToolchainStore {
  readonly directory: string;

  constructor(airlockHome: string) {
    this.directory = path.join(airlockHome, 'toolchains');
  }

  async list(): Promise<StoredToolchain[]> {
    if (!(await fs.pathExists(this.directory))) return [];
    const ids = (await fs.readdir(this.directory)).filter((name) => !name.startsWith('.')).sort();
    const stored: StoredToolchain[] = [];
    for (const id of ids) {
      const record = await this.readRecord(id);
      if (record) stored.push(record);
    }
    return stored;
  }

  async get(identity: ToolchainIdentity): Promise<StoredToolchain | undefined> {
    return this.readRecord(toolchainId(identity));
  }

  private async readRecord(id: string): Promise<StoredToolchain | undefined> {
    const file = path.join(this.directory, id, 'toolchain.json');
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch {
      return undefined;
    }
    let record: ToolchainRecord;
    try {
      record = JSON.parse(text) as ToolchainRecord;
    } catch {
      throw new InputError(`the toolchain store entry ${file} is not valid JSON`, {
        hint: `remove ${path.join(this.directory, id)} and import the toolchain again`,
      });
    }
    return { ...record, id, goroot: path.join(this.directory, id, 'goroot') };
  }

  /** A private directory inside the store, so the final rename stays on one file system. */
  async createStagingDirectory(): Promise<string> {
    const dir = path.join(this.directory, `.staging-${randomBytes(6).toString('hex')}`);
    await fs.mkdirp(dir);
    return dir;
  }

  /**
   * Moves a staged toolchain (a directory holding goroot/) into place. The store is unchanged unless this
   * succeeds; an identical toolchain already stored makes it a no-op.
   */
  async commit(stagingDir: string, record: ToolchainRecord): Promise<{ stored: StoredToolchain; alreadyStored: boolean }> {
    const id = toolchainId(record);
    const existing = await this.readRecord(id);
    if (existing) {
      await fs.remove(stagingDir);
      if (existing.treeDigest !== record.treeDigest) {
        throw new InputError(
          `a different ${record.version} ${record.goos}/${record.goarch} is already stored (digest ${existing.treeDigest}, this one ${record.treeDigest})`,
          { hint: `remove the stored one first with \`airlock toolchain remove ${record.version}\`` },
        );
      }
      return { stored: existing, alreadyStored: true };
    }
    await fs.writeFile(path.join(stagingDir, 'toolchain.json'), `${JSON.stringify(record, null, 2)}\n`);
    try {
      await fs.rename(stagingDir, path.join(this.directory, id));
    } catch (error) {
      // Another airlock process stored the same toolchain first: the rename finds a non-empty directory.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      return this.commit(stagingDir, record);
    }
    return { stored: { ...record, id, goroot: path.join(this.directory, id, 'goroot') }, alreadyStored: false };
  }

  async remove(id: string): Promise<void> {
    // Rename first so a half-removed toolchain is never visible under its id.
    const target = path.join(this.directory, id);
    const doomed = path.join(this.directory, `.removing-${randomBytes(6).toString('hex')}`);
    await fs.rename(target, doomed);
    await fs.remove(doomed);
  }
}
