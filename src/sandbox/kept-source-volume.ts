import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'fs-extra';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';
import type { ContainerEngine } from '../engine/engine.js';
import { tryMachineLock } from '../util/machine-lock.js';
import { LABEL_MANAGED, SandboxPaths, type SandboxPolicy } from './policy.js';
import type { ResourceTracker } from './resource-tracker.js';
import { fillVolume } from './shared-volumes.js';
import type { SourceEntry } from './source-tree.js';

/**
 * With --cache, a module's source stays in the engine between runs: one volume per module directory (and
 * airlock home and host), brought up to date at the start of each run by sending only what changed, instead of
 * filling a fresh volume with the whole tree every time (golangci-lint's 54 MB in 8,076 files took seconds).
 *
 * What the volume holds is recorded on the host, in the airlock home, once a fill or update has completed: the
 * tree digest, every entry's type and every file's sha256, and the generation label the volume was created
 * with. The record is deleted before the volume is touched, so an interrupted update leaves no record and the
 * next run fills the volume afresh. A run uses the volume only when the record's generation is the volume's
 * (a volume removed by `prune` and made again by someone else is not the one recorded) and, after the update,
 * the record's digest is the digest of the tree this run packed: what the provenance records is what the
 * sandbox reads. Entries that disappeared or changed type make the volume start again empty (the engine's API
 * can add and replace files in a volume but not delete them).
 *
 * A run holds the volume's machine lock until it ends. A second run of the same module at the same time does
 * not wait: it uses a volume of its own for that run, as without --cache.
 */

export const LABEL_SOURCE_GENERATION = 'airlock.source.generation';
const RECORD_SCHEMA = 'airlock/kept-source-volume/v1';

export interface KeptSourceRecord {
  schema: typeof RECORD_SCHEMA;
  volume: string;
  generation: string;
  /** The source tree digest (dirHash form, hex) of what the volume holds. */
  digest: string;
  /** Every entry of the tree in the volume, by path: its type. */
  entries: Record<string, SourceEntry['type']>;
  /** Every file and link, by path: the sha256 the tree digest was made of. */
  files: Record<string, string>;
}

export interface SourceTreeState {
  digest: string;
  entries: readonly SourceEntry[];
  files: Readonly<Record<string, string>>;
}

export type SourceSync =
  | { kind: 'reuse' }
  | { kind: 'update'; paths: string[] }
  | { kind: 'refill'; reason: string };

/** Pure: what must be sent for the volume the record describes (or none) to hold `current`. */
export function planSourceSync(record: KeptSourceRecord | undefined, current: SourceTreeState): SourceSync {
  if (!record) return { kind: 'refill', reason: 'no volume is recorded' };
  const now = new Map(current.entries.map((entry) => [entry.path, entry.type]));
  for (const [name, type] of Object.entries(record.entries)) {
    const present = now.get(name);
    if (present === undefined) return { kind: 'refill', reason: `${name} was removed` };
    if (present !== type) return { kind: 'refill', reason: `${name} is now a ${present}` };
  }
  if (record.digest === current.digest && now.size === Object.keys(record.entries).length) return { kind: 'reuse' };
  // New entries, and files whose bytes changed; a new directory's parents are sent before it, as listed.
  const paths = current.entries
    .filter((entry) => !(entry.path in record.entries) || (entry.type !== 'directory' && record.files[entry.path] !== current.files[entry.path]))
    .map((entry) => entry.path);
  return { kind: 'update', paths };
}

/** The kept volume of one module directory, for one airlock home on one host (so no two records describe one volume). */
export function keptSourceVolumeName(hostname: string, airlockHome: string, moduleDir: string): string {
  const key = createHash('sha256').update(`${hostname}\0${path.resolve(airlockHome)}\0${path.resolve(moduleDir)}`).digest('hex');
  return `airlock-src-${key.slice(0, 24)}`;
}

/** The entries of a tar archive whose names are in `names`, as a new tar stream of the same headers and bytes. */
export function selectFromArchive(archive: string, names: ReadonlySet<string>): Readable {
  const extract = tarStream.extract();
  const pack = tarStream.pack();
  const out = new PassThrough();
  extract.on('entry', (header, stream, next) => {
    if (!names.has(header.name.replace(/\/$/, ''))) {
      stream.on('end', next);
      stream.resume();
      return;
    }
    stream.pipe(pack.entry(header, (error) => next(error ?? undefined)));
  });
  extract.on('finish', () => pack.finalize());
  void pipeline(createReadStream(archive), extract).catch((error: Error) => pack.destroy(error));
  pack.on('error', (error) => out.destroy(error));
  return pack.pipe(out);
}

async function readRecord(file: string, volume: string): Promise<KeptSourceRecord | undefined> {
  const record = (await fs.readJson(file).catch(() => undefined)) as KeptSourceRecord | undefined;
  if (record?.schema !== RECORD_SCHEMA || record.volume !== volume || typeof record.digest !== 'string') return undefined;
  return record;
}

export interface KeptSourceRequest {
  volume: string;
  /** Where the record is kept (in the airlock home). */
  recordDir: string;
  lockDir: string;
  current: SourceTreeState;
  /** The tar of exactly the current tree (the source stage's). */
  archive: string;
  image: string;
  runId: string;
}

export interface KeptSourceVolume {
  volume: string;
  sync: SourceSync;
  /** Gives the volume back to other runs: when the run ends. */
  release(): Promise<void>;
}

/**
 * Brings the module's kept source volume to the current tree and holds it for this run; undefined when another
 * run holds it (the caller then fills a volume of its own).
 */
export async function ensureKeptSourceVolume(
  engine: ContainerEngine,
  tracker: ResourceTracker,
  policy: SandboxPolicy,
  request: KeptSourceRequest,
): Promise<KeptSourceVolume | undefined> {
  const { volume } = request;
  const release = await tryMachineLock(request.lockDir, `source-${volume}`);
  if (!release) return undefined;
  try {
    const recordFile = path.join(request.recordDir, `${volume}.json`);
    const recorded = await readRecord(recordFile, volume);
    const present = recorded !== undefined && (await engine.listVolumes({ [LABEL_SOURCE_GENERATION]: recorded.generation })).includes(volume);
    const sync = planSourceSync(present ? recorded : undefined, request.current);
    if (sync.kind === 'reuse') return { volume, sync, release };
    // From here until the new record is written the volume matches no record: an interrupt means a refill.
    await fs.remove(recordFile);
    let generation = recorded?.generation ?? '';
    const fill = { volume, target: SandboxPaths.source, image: request.image, runId: request.runId };
    if (sync.kind === 'update') {
      await fillVolume(engine, tracker, policy, fill, () => selectFromArchive(request.archive, new Set(sync.paths)));
    } else {
      generation = randomBytes(16).toString('hex');
      await engine.removeVolume(volume);
      await engine.createVolume(volume, { [LABEL_MANAGED]: 'true', 'airlock.purpose': 'source-cache', [LABEL_SOURCE_GENERATION]: generation });
      await fillVolume(engine, tracker, policy, fill, () => createReadStream(request.archive));
    }
    const record: KeptSourceRecord = {
      schema: RECORD_SCHEMA,
      volume,
      generation,
      digest: request.current.digest,
      entries: Object.fromEntries(request.current.entries.map((entry) => [entry.path, entry.type])),
      files: { ...request.current.files },
    };
    await fs.mkdirp(request.recordDir);
    const partial = `${recordFile}.${process.pid}.partial`;
    await fs.writeJson(partial, record);
    await fs.rename(partial, recordFile);
    return { volume, sync, release };
  } catch (error) {
    await release();
    throw error;
  }
}
