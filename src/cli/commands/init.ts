import type { Argv } from 'yargs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { CI_NEXT_STEPS, CI_PRODUCT, CI_SYSTEMS, type CiSystem, type PlannedFile, loadCiTemplates, planInitFiles } from '../../config/ci-templates.js';
import { type StarterConfig, renderStarterConfig, starterConfig } from '../../config/starter-config.js';
import { InputError } from '../../errors.js';
import { findMainPackages, readGoModule } from '../../modules/read-module.js';
import { packageRoot } from '../../util/package-root.js';
import { defaultMatrixPath, loadToolchainMatrix, matrixVersions } from '../../toolchain/matrix.js';
import { commandEntry } from '../command-index.js';
import { type GlobalOptions, commandContext } from '../context.js';

/** The nearest directory at or above `start` that holds `.git` (a directory, or a file in a worktree). */
export async function findRepositoryRoot(start: string): Promise<string | undefined> {
  let dir = path.resolve(start);
  for (;;) {
    if (await fs.lstat(path.join(dir, '.git')).then(() => true, () => false)) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export function displayPath(file: string, cwd = process.cwd()): string {
  const relative = path.relative(cwd, file);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

async function lstatOrUndefined(file: string) {
  try {
    return await fs.lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function alreadyExists(files: readonly string[]): InputError {
  const [first, ...rest] = files.map((file) => displayPath(file));
  return new InputError(`${first} already exists${rest.length > 0 ? ` (and ${rest.join(', ')})` : ''}`, {
    hint: `nothing was written; pass --force to overwrite ${rest.length > 0 ? 'them' : 'it'}`,
  });
}

/**
 * Writes every file, or none: without `force`, any file that already exists stops the whole write before
 * anything is written. With `force`, a symbolic link in the way is replaced, never written through.
 */
export async function writeNewFiles(files: readonly PlannedFile[], options: { force: boolean }): Promise<void> {
  const existing: string[] = [];
  for (const file of files) {
    const stat = await lstatOrUndefined(file.path);
    if (stat?.isDirectory()) {
      throw new InputError(`${displayPath(file.path)} is a directory`, { hint: 'move it away: airlock init writes a file there' });
    }
    if (stat) existing.push(file.path);
  }
  if (existing.length > 0 && !options.force) throw alreadyExists(existing);
  const written: string[] = [];
  try {
    for (const file of files) {
      await fs.mkdir(path.dirname(file.path), { recursive: true });
      if (options.force && (await lstatOrUndefined(file.path))?.isSymbolicLink()) await fs.unlink(file.path);
      await fs.writeFile(file.path, file.content, { flag: options.force ? 'w' : 'wx' });
      written.push(file.path);
    }
  } catch (error) {
    for (const file of written) await fs.rm(file, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    const failed = files[written.length]!.path;
    if (code === 'EEXIST') throw alreadyExists([failed]);
    throw new InputError(`cannot write ${displayPath(failed)}: ${(error as Error).message}`, {
      hint: 'check the permissions of the directory; nothing was written',
      cause: error,
    });
  }
}

export interface InitRequest {
  dir: string;
  ci?: CiSystem;
  force: boolean;
  /** The toolchain matrix whose releases the starter may pin; default: airlock's (or $AIRLOCK_TOOLCHAINS). */
  matrixFile?: string;
}

export interface InitResult {
  config: StarterConfig;
  /** Absolute paths, airlock.json first. */
  written: string[];
  notes: string[];
  /** Where the CI files went: the git repository root, else the module. */
  ciRoot: string;
  repositoryFound: boolean;
}

/** Writes a starter airlock.json for the module in `dir` and, with `ci`, that CI system's release pipeline. */
export async function initModule(request: InitRequest): Promise<InitResult> {
  const module = await readGoModule(request.dir);
  const repositoryRoot = await findRepositoryRoot(module.dir);
  const ciRoot = repositoryRoot ?? module.dir;
  const schemaFile = path.join(packageRoot(), 'templates', 'airlock.schema.json');
  // An editor can follow $schema only to a path that stays put: one inside the same repository.
  const schemaInside = !path.relative(ciRoot, schemaFile).startsWith('..');
  const { config, notes } = starterConfig({
    module: request.dir,
    mains: await findMainPackages(module),
    ...(module.goMod.go !== undefined ? { goLine: module.goMod.go } : {}),
    knownReleases: matrixVersions(loadToolchainMatrix(request.matrixFile ?? defaultMatrixPath())),
    ...(schemaInside ? { schemaRef: path.relative(module.dir, schemaFile).split(path.sep).join('/') } : {}),
  });
  const files = planInitFiles({
    moduleDir: module.dir,
    repositoryRoot: ciRoot,
    configText: renderStarterConfig(config),
    ...(request.ci !== undefined ? { templates: await loadCiTemplates(request.ci) } : {}),
  });
  await writeNewFiles(files, { force: request.force });
  return { config, written: files.map((file) => file.path), notes, ciRoot, repositoryFound: repositoryRoot !== undefined };
}

export async function runInit(args: GlobalOptions & { dir: string; ci?: CiSystem; force: boolean }): Promise<void> {
  const context = await commandContext(args);
  const result = await initModule({ dir: args.dir, force: args.force, ...(args.ci !== undefined ? { ci: args.ci } : {}) });
  const summary = `main ${result.config.main!.join(' ')}; targets ${result.config.targets!.join(' ')}` +
    (result.config.toolchains !== undefined ? `; toolchains ${String(result.config.toolchains)}` : '');
  // airlock.json comes first, with what it says.
  result.written.forEach((file, index) => context.stdout.write(`wrote ${displayPath(file)}${index === 0 ? ` (${summary})` : ''}\n`));
  for (const note of result.notes) context.reporter.info(note);
  if (args.ci !== undefined) {
    if (!result.repositoryFound) {
      context.reporter.warn(`found no git repository holding ${args.dir}: the pipeline files are in the module, where ${CI_PRODUCT[args.ci]} reads them only if it becomes the repository root`);
    }
    context.reporter.info(CI_NEXT_STEPS[args.ci]);
  }
}

/** `airlock init`: its flags and arguments, typed by yargs, and its handler. */
export function initCommand<T extends GlobalOptions>(cli: Argv<T>): Argv<T> {
  return cli
    .command(
      commandEntry('init').usage,
      commandEntry('init').describe,
      (y) =>
        y
          .positional('dir', { type: 'string', default: '.', describe: 'the Go module (the directory holding go.mod)' })
          .option('ci', { choices: CI_SYSTEMS, describe: 'also write this CI system\'s release pipeline at the repository root (gitlab-kubernetes: for GitLab\'s Kubernetes executor, with its RBAC manifest)' })
          .option('force', { type: 'boolean', default: false, describe: 'overwrite files that already exist' }),
      async (args) => runInit(args),
    );
}
