/**
 * `airlock modules mirror`: verified module sets merged into one static GOPROXY tree (the download cache's
 * layout plus the checksum database's own under sumdb/<name>/) that the plain go command can use offline, as
 * `GOPROXY=file://DIR` with `GOSUMDB="sum.golang.org file://DIR/sumdb/sum.golang.org"`, or behind any static
 * web server. And `airlock modules verify --mirror`: the whole tree proven again.
 */
import { createHash } from 'node:crypto';
import fs from 'fs-extra';
import path from 'node:path';
import { InputError, VerificationError, oneLine } from '../errors.js';
import { listFiles } from '../modules/list-files.js';
import { unescapeModulePath } from '../modules/module-path.js';
import { type OpenedModuleSet, openModuleSet, readChecksumDatabaseEvidence } from '../modules/module-set.js';
import { goModHash, readModuleZip } from '../modules/module-zip.js';
import type { Reporter } from '../report/reporter.js';
import { countOf } from '../report/wording.js';
import { type EvidenceFiles, LATEST_NOTE, openTreeHead, proveRecord, tileReaderOf } from '../sumdb/evidence.js';
import { mergeEvidence } from '../sumdb/merge-evidence.js';
import { matchesPrivatePatterns } from '../sumdb/private-patterns.js';
import type { ModuleEvidenceStatus } from '../sumdb/prove-module-set.js';
import type { TreeHead } from '../sumdb/tree-head.js';
import { type VerifierKey, parseVerifierKey } from '../sumdb/verifier-key.js';
import type { ChecksumDatabaseRequest } from './build/request.js';
import { DEFAULT_CHECKSUM_DATABASE } from './prove-supply-chain.js';

/** A module version file of a GOPROXY tree: `<escaped path>/@v/<escaped version>.<info|mod|zip>`, or a version `list`. */
const PROXY_FILE = /^(.+)\/@v\/(?:(.+)\.(info|mod|zip)|list)$/;

export interface MirroredModule {
  path: string;
  version: string;
  status: ModuleEvidenceStatus;
  detail: string;
}

/** The files of one module version in a tree rooted at `root` (a set's cache/download, or a mirror). */
interface VersionFiles {
  path: string;
  version: string;
  /** Tree-relative proxy paths of the files present, by extension. */
  info?: string;
  mod?: string;
  zip?: string;
}

function versionsOf(files: readonly string[]): Map<string, VersionFiles> {
  const versions = new Map<string, VersionFiles>();
  for (const file of files) {
    const match = PROXY_FILE.exec(file);
    if (!match || match[2] === undefined) continue;
    const modulePath = unescapeModulePath(match[1]!);
    const version = unescapeModulePath(match[2]);
    const key = `${modulePath}@${version}`;
    const entry = versions.get(key) ?? { path: modulePath, version };
    entry[match[3] as 'info' | 'mod' | 'zip'] = file;
    versions.set(key, entry);
  }
  return versions;
}

/**
 * Proves each module version of a proxy tree against the checksum database evidence beside it: the record
 * proven in the tree's signed head, and the zip and go.mod hashing to the record's lines. Private modules
 * (GONOSUMDB/GOPRIVATE) are listed, not proven.
 */
async function proveTree(root: string, files: readonly string[], evidence: EvidenceFiles, key: VerifierKey, privatePatterns: string, source: string): Promise<{ tree?: TreeHead; modules: MirroredModule[] }> {
  const versions = [...versionsOf(files).values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.version < b.version ? -1 : 1));
  const hasEvidence = evidence.size > 0;
  const tree = hasEvidence ? openTreeHead(evidence, key, source) : undefined;
  const tiles = tileReaderOf(evidence, source);
  const modules: MirroredModule[] = [];
  for (const v of versions) {
    const entry = (status: ModuleEvidenceStatus, detail: string) => modules.push({ path: v.path, version: v.version, status, detail });
    if (v.mod === undefined) {
      entry('mismatch', 'the tree has no go.mod for it');
      continue;
    }
    if (v.info === undefined) {
      entry('mismatch', 'the tree has no .info for it: the go command cannot fetch it (pack the set again with this airlock)');
      continue;
    }
    const modHash = goModHash(await fs.readFile(path.join(root, v.mod)));
    const zipHash = v.zip ? (await readModuleZip(path.join(root, v.zip), v.path, v.version)).h1 : undefined;
    if (matchesPrivatePatterns(privatePatterns, v.path)) {
      entry('private', `private (GONOSUMDB/GOPRIVATE): not in the public log; go.mod ${modHash}${zipHash ? `, zip ${zipHash}` : ''}`);
      continue;
    }
    if (tree === undefined) {
      entry('no-evidence', `${source} carries no checksum database evidence`);
      continue;
    }
    const proof = proveRecord(evidence, tiles, tree, v.path, v.version, source);
    if (proof.status === 'no-evidence') {
      entry('no-evidence', proof.reason);
      continue;
    }
    if (proof.status === 'unproven') {
      entry('mismatch', `the evidence does not prove it: ${proof.reason}`);
      continue;
    }
    const logged = (goMod: boolean) => proof.record.lines.find((line) => line.goMod === goMod)?.hash;
    if (logged(true) !== modHash) {
      entry('mismatch', `its go.mod hashes to ${modHash}, the checksum database says ${logged(true) ?? 'nothing'} (record ${proof.record.id})`);
    } else if (zipHash !== undefined && logged(false) !== zipHash) {
      entry('mismatch', `its zip hashes to ${zipHash}, the checksum database says ${logged(false) ?? 'nothing'} (record ${proof.record.id})`);
    } else {
      entry('proven', `record ${proof.record.id} in the signed tree of ${tree.size} records${zipHash ? '' : ' (go.mod only)'}`);
    }
  }
  return { ...(tree ? { tree } : {}), modules };
}

function failureOf(modules: readonly MirroredModule[], allowUnproven: boolean, source: string): VerificationError | undefined {
  const bad = modules.filter((m) => m.status === 'mismatch' || (m.status === 'no-evidence' && !allowUnproven));
  if (bad.length === 0) return undefined;
  const first = bad[0]!;
  return new VerificationError(`${countOf(bad.length, 'module version')} of ${source} not proven in the Go checksum database; first: ${first.status} ${first.path}@${first.version}: ${first.detail}`, {
    hint: 'do not serve it: restore it from a trusted source, or pack the set again on a connected machine',
  });
}

async function sha256Of(file: string): Promise<string> {
  return createHash('sha256').update(await fs.readFile(file)).digest('hex');
}

/** A mirror tree's files (proxy paths), and its evidence; empty for a directory that does not exist yet or is empty. */
async function readMirror(dir: string, name: string): Promise<{ files: string[]; evidence: Map<string, Uint8Array> }> {
  if (!(await fs.pathExists(dir))) return { files: [], evidence: new Map() };
  if (!(await fs.stat(dir)).isDirectory()) throw new InputError(`${dir} is not a directory`, { hint: 'pass --into a new or empty directory, or a mirror tree airlock wrote' });
  const all = await listFiles(dir);
  if (all.length === 0) return { files: [], evidence: new Map() };
  const sumdb = `sumdb/${name}/`;
  const stray = all.find((file) => !file.startsWith(sumdb) && !PROXY_FILE.test(file));
  if (!all.includes(`${sumdb}${LATEST_NOTE}`) || stray !== undefined) {
    throw new InputError(`${dir} is not a module mirror${stray ? ` (it holds ${oneLine(stray)})` : ` (it has no ${sumdb}${LATEST_NOTE})`}`, {
      hint: 'pass a new or empty directory, or a tree `airlock modules mirror` wrote',
    });
  }
  const evidence = new Map<string, Uint8Array>();
  for (const file of all.filter((f) => f.startsWith(sumdb))) evidence.set(file.slice(sumdb.length), await fs.readFile(path.join(dir, file)));
  return { files: all.filter((file) => !file.startsWith(sumdb)), evidence };
}

export interface MirrorResult {
  tree: TreeHead;
  written: number;
  kept: number;
  modules: MirroredModule[];
}

/**
 * Merges verified module sets into the mirror tree at `into`, incrementally: a file already there with the same
 * bytes is kept; other bytes for the same module version file, or a set that fails verification, refuses the
 * whole merge before anything is written.
 */
export async function mirrorModuleSets(setFiles: readonly string[], into: string, request: ChecksumDatabaseRequest, reporter: Pick<Reporter, 'info'>): Promise<MirrorResult> {
  const key = parseVerifierKey(request.key ?? DEFAULT_CHECKSUM_DATABASE);
  const mirror = await readMirror(into, key.name);
  const opened: OpenedModuleSet[] = [];
  try {
    const sources: Array<{ name: string; root: string; files: string[]; evidence: Map<string, Uint8Array> }> = [];
    const modules: MirroredModule[] = [];
    for (const file of setFiles) {
      const set = await openModuleSet(file);
      opened.push(set);
      const root = path.join(set.dir, 'cache', 'download');
      const files = (await listFiles(root)).filter((name) => PROXY_FILE.test(name) && !name.startsWith('sumdb/'));
      const evidence = await readChecksumDatabaseEvidence(set, key.name);
      const proof = await proveTree(root, files, evidence, key, request.privatePatterns, file);
      const failure = failureOf(proof.modules, request.allowUnproven, file);
      if (failure) throw failure;
      modules.push(...proof.modules);
      sources.push({ name: file, root, files, evidence });
    }
    // Every module version file lands once: the same bytes from every source, or the merge is refused.
    const plan = new Map<string, { from: string; source: string; sha256: string }>();
    const lists = new Map<string, Set<string>>();
    for (const listFile of mirror.files.filter((file) => file.endsWith('/@v/list'))) {
      lists.set(listFile, new Set((await fs.readFile(path.join(into, listFile), 'utf8')).split('\n').filter((line) => line !== '')));
    }
    let kept = 0;
    for (const source of sources) {
      for (const file of source.files) {
        if (file.endsWith('/@v/list')) {
          const versions = lists.get(file) ?? new Set<string>();
          for (const line of (await fs.readFile(path.join(source.root, file), 'utf8')).split('\n')) if (line !== '') versions.add(line);
          lists.set(file, versions);
          continue;
        }
        const sha256 = await sha256Of(path.join(source.root, file));
        const planned = plan.get(file);
        if (planned && planned.sha256 !== sha256) {
          throw new VerificationError(`${source.name} and ${planned.source} hold different bytes for ${file}`, { hint: 'a module version never changes: one of them is forged or damaged; nothing was written' });
        }
        if (mirror.files.includes(file)) {
          if ((await sha256Of(path.join(into, file))) !== sha256) {
            throw new VerificationError(`${source.name} holds other bytes for ${file} than the mirror ${into} has`, {
              hint: 'a module version never changes: the set or the mirror is forged or damaged (`airlock modules verify --mirror`); nothing was written',
            });
          }
          if (!planned) kept++;
        }
        plan.set(file, { from: path.join(source.root, file), source: source.name, sha256 });
      }
    }
    const merged = mergeEvidence(
      [...(mirror.evidence.size > 0 ? [{ name: into, files: mirror.evidence }] : []), ...sources.map((s) => ({ name: s.name, files: s.evidence }))],
      key,
    );
    // Everything is proven and nothing conflicts: only now is anything written, each file whole (temporary name, then rename).
    let written = 0;
    const write = async (file: string, bytes: Uint8Array | string) => {
      const target = path.join(into, ...file.split('/'));
      await fs.mkdirp(path.dirname(target));
      const partial = `${target}.${process.pid}.partial`;
      await fs.writeFile(partial, bytes);
      await fs.rename(partial, target);
      written++;
    };
    for (const [file, { from }] of plan) if (!mirror.files.includes(file)) await write(file, await fs.readFile(from));
    for (const [file, versions] of lists) {
      const text = `${[...versions].sort().join('\n')}\n`;
      const current = mirror.files.includes(file) ? await fs.readFile(path.join(into, file), 'utf8') : undefined;
      if (current !== text) await write(file, text);
    }
    const sumdb = `sumdb/${key.name}`;
    for (const [file, bytes] of merged.files) {
      if (mirror.evidence.has(file) && Buffer.from(mirror.evidence.get(file)!).equals(Buffer.from(bytes))) continue;
      await write(`${sumdb}/${file}`, bytes);
    }
    reporter.info(
      `${into}: ${countOf(new Set(modules.map((m) => `${m.path}@${m.version}`)).size, 'module version')} from ${countOf(setFiles.length, 'set')}, ${written} files written, ${kept} module files already there; checksum database head ${merged.tree.size}`,
    );
    return { tree: merged.tree, written, kept, modules };
  } finally {
    for (const set of opened) await set.close();
  }
}

/** `modules verify --mirror DIR`: every module version of a mirror tree proven again against its evidence. */
export async function verifyMirror(dir: string, request: ChecksumDatabaseRequest): Promise<{ tree?: TreeHead; modules: MirroredModule[]; failure?: VerificationError }> {
  const key = parseVerifierKey(request.key ?? DEFAULT_CHECKSUM_DATABASE);
  const root = path.resolve(dir);
  if (!(await fs.pathExists(root))) throw new InputError(`${dir} does not exist`, { hint: 'pass the directory `airlock modules mirror --into` wrote' });
  const mirror = await readMirror(root, key.name);
  if (mirror.files.length === 0) throw new InputError(`${dir} is not a module mirror (it is empty)`, { hint: 'pass the directory `airlock modules mirror --into` wrote' });
  const proof = await proveTree(root, mirror.files, mirror.evidence, key, request.privatePatterns, dir);
  // The go command needs every tile of the one head at its width: the same check as when merging.
  if (mirror.evidence.size > 0) mergeEvidence([{ name: dir, files: mirror.evidence }], key);
  const failure = failureOf(proof.modules, request.allowUnproven, dir);
  return { ...proof, ...(failure ? { failure } : {}) };
}
