/**
 * The file helper (templates/file-helper): the one program of airlock's own that runs in a sandbox without
 * a shell or tar, moving the source in and the binary out as tar streams. airlock builds it on this host with
 * a verified toolchain, the way it builds everything else: offline, with a clean environment and a fresh
 * build cache, without paths, VCS stamp or build ID, so the same toolchain always makes the same bytes and
 * the sha256 can be recorded and compared.
 */
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { checkStaticExecutable } from '../binary/static-check.js';
import { BuildError, InputError, VerificationError } from '../errors.js';
import { hostPlatform } from '../plan/host-platform.js';
import { sha256Hex } from '../util/hash.js';
import { packageRoot } from '../util/package-root.js';

/** The helper's source files, the only ones copied for the build (its Go tests stay behind). */
export const FILE_HELPER_SOURCES = ['go.mod', 'main.go'] as const;

export function fileHelperSourceDir(): string {
  return path.join(packageRoot(), 'templates', 'file-helper');
}

export interface FileHelperBuildInput {
  /** The verified toolchain that compiles the helper: its GOROOT (StoredToolchain.goroot) and its own platform. */
  toolchain: { goroot: string; version: string; goos: string; goarch: string };
  /** The sandbox's platform, which the helper is built for. */
  target: { goos: string; goarch: string };
  /** An empty directory of the caller's (createScratchDir): the source copy, the build cache and the binary. */
  scratchDir: string;
  /** Node's platform and arch of this host; the running process's unless a test says otherwise. */
  host?: { platform: string; arch: string };
  sourceDir?: string;
}

export interface FileHelperBinary {
  /** The built helper, in the scratch directory. */
  path: string;
  sha256: string;
  size: number;
  /** sha256 over the source files' names and bytes: what the binary was built from. */
  sourceDigest: string;
}

/** How long one build of a small program may take, cold cache included, on a busy two-core machine. */
const BUILD_TIMEOUT_MS = 10 * 60 * 1000;

/** The exact go build arguments: every flag that could put this machine into the binary is fixed. */
export function fileHelperBuildArguments(output: string): string[] {
  return ['build', '-trimpath', '-buildvcs=false', '-ldflags=-s -w -buildid=', '-o', output, '.'];
}

/**
 * The whole environment of that build. Nothing is inherited (no GOFLAGS, GOPATH, proxy or cache of the
 * user's): the toolchain runs offline, with itself only, on a cache nobody else wrote.
 */
export function fileHelperBuildEnvironment(input: FileHelperBuildInput, dirs: { home: string; gocache: string; gopath: string; tmp: string }): Record<string, string> {
  return {
    PATH: path.join(input.toolchain.goroot, 'bin'),
    GOROOT: input.toolchain.goroot,
    HOME: dirs.home,
    TMPDIR: dirs.tmp,
    GOCACHE: dirs.gocache,
    GOPATH: dirs.gopath,
    GOENV: 'off',
    GOTOOLCHAIN: 'local',
    GOPROXY: 'off',
    GOSUMDB: 'off',
    GOFLAGS: '-mod=mod',
    GOWORK: 'off',
    CGO_ENABLED: '0',
    GOOS: input.target.goos,
    GOARCH: input.target.goarch,
  };
}

/** Refuses a toolchain this host cannot run: a toolchain compiles for any target, but runs on its own platform only. */
export function assertToolchainRunsHere(toolchain: FileHelperBuildInput['toolchain'], host: { platform: string; arch: string }): void {
  const here = hostPlatform(host.platform, host.arch);
  const its = `${toolchain.goos}/${toolchain.goarch}`;
  if (its !== here) {
    throw new InputError(`the toolchain ${toolchain.version} ${its} cannot run on this ${here} host to build the file helper`, {
      hint: `import ${toolchain.version} for ${here} too (airlock toolchain import) and build the helper with it`,
    });
  }
}

/** Builds the file helper for the target and checks that it is a static executable. */
export async function buildFileHelper(input: FileHelperBuildInput): Promise<FileHelperBinary> {
  assertToolchainRunsHere(input.toolchain, input.host ?? { platform: process.platform, arch: process.arch });
  const sourceDir = input.sourceDir ?? fileHelperSourceDir();
  const dirs = {
    src: path.join(input.scratchDir, 'src'),
    home: path.join(input.scratchDir, 'home'),
    gocache: path.join(input.scratchDir, 'gocache'),
    gopath: path.join(input.scratchDir, 'gopath'),
    tmp: path.join(input.scratchDir, 'tmp'),
  };
  for (const dir of Object.values(dirs)) await fs.mkdir(dir);
  const parts: string[] = [];
  for (const name of FILE_HELPER_SOURCES) {
    const bytes = await fs.readFile(path.join(sourceDir, name));
    await fs.writeFile(path.join(dirs.src, name), bytes);
    parts.push(`${name}\n${sha256Hex(bytes)}`);
  }
  const output = path.join(input.scratchDir, 'file-helper');
  const result = await execa(path.join(input.toolchain.goroot, 'bin', 'go'), fileHelperBuildArguments(output), {
    cwd: dirs.src,
    env: fileHelperBuildEnvironment(input, dirs),
    extendEnv: false,
    reject: false,
    all: true,
    timeout: BUILD_TIMEOUT_MS,
  });
  if (result.exitCode !== 0 || result.failed) {
    throw new BuildError(`building the file helper with ${input.toolchain.version} failed`, {
      hint: `check the toolchain with \`airlock toolchain verify\`; the helper's source is ${sourceDir}`,
      details: String(result.all ?? result.message).slice(0, 8000),
    });
  }
  const bytes = await fs.readFile(output);
  const check = checkStaticExecutable(bytes);
  if (!check.static || check.format !== 'elf') {
    throw new VerificationError(`the file helper built with ${input.toolchain.version} is not a static ELF executable: ${check.reason ?? check.format}`, {
      hint: 'this is a bug in airlock: please report it',
    });
  }
  return { path: output, sha256: sha256Hex(bytes), size: bytes.length, sourceDigest: `sha256:${sha256Hex(parts.join('\0'))}` };
}
