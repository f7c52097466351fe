import type { ContainerSpec, ExecRequest, SeccompSetting } from '../engine/engine.js';
import type { SeccompChoice } from './seccomp-choice.js';

/** The fixed shape of every build container. One place, so it can be printed, recorded and audited. */
export interface SandboxPolicy {
  uid: number;
  gid: number;
  network: 'none';
  readOnlyRootFs: boolean;
  capDrop: string[];
  noNewPrivileges: boolean;
  /** A small tmpfs holds TMPDIR and HOME; noexec because go build never runs what it builds. */
  tmpfsSizeBytes: number;
  /**
   * Only in the test policy (go-test-command.ts): /tmp without noexec, since go test runs the binaries it
   * links. Absent from the build policy, whose recorded form and digest stay as they were.
   */
  executableTmp?: true;
  /**
   * The most the go command may write into a build's scratch volume (GOCACHE and its work directory, on the
   * engine's disk) and, with --cache, the most the persistent cache volume may hold; also the largest file any
   * build process may write (RLIMIT_FSIZE). See scratch-guard.ts for how it is enforced.
   */
  scratchBytes: number;
  pidsLimit: number;
  memoryBytes: number;
  cpus: number;
  nofile: number;
  /**
   * RLIMIT_NPROC for the build user. Set explicitly, below any engine's ceiling: Podman otherwise asks for a
   * limit its own process may not grant, and the container fails to start.
   */
  nproc: number;
  timeoutSeconds: number;
  seccomp: SeccompChoice;
}

export const GIB = 1024 ** 3;

export function defaultSandboxPolicy(cpus: number): SandboxPolicy {
  return {
    uid: 65534,
    gid: 65534,
    network: 'none',
    readOnlyRootFs: true,
    capDrop: ['ALL'],
    noNewPrivileges: true,
    tmpfsSizeBytes: 1 * GIB,
    scratchBytes: 10 * GIB,
    pidsLimit: 512,
    memoryBytes: 3 * GIB,
    cpus,
    nofile: 4096,
    nproc: 16384,
    timeoutSeconds: 900,
    seccomp: { kind: 'engine-default', name: 'engine-default' },
  };
}

const MIB = 1024 ** 2;

/**
 * The limits airlock.json may set, in its own units (see templates/airlock.schema.json for their bounds). The
 * config folder's SandboxLimits has the same fields: sandbox/ must not import config/, which sits above it.
 */
export interface SandboxLimitSettings {
  memoryMiB?: number;
  tmpfsMiB?: number;
  scratchMiB?: number;
  cpus?: number;
  pids?: number;
  nofile?: number;
  timeoutSeconds?: number;
}

/** A policy with the limits a module's airlock.json sets; everything else stays fixed. */
export function applySandboxLimits(policy: SandboxPolicy, limits: SandboxLimitSettings): SandboxPolicy {
  return {
    ...policy,
    ...(limits.memoryMiB !== undefined ? { memoryBytes: limits.memoryMiB * MIB } : {}),
    ...(limits.tmpfsMiB !== undefined ? { tmpfsSizeBytes: limits.tmpfsMiB * MIB } : {}),
    ...(limits.scratchMiB !== undefined ? { scratchBytes: limits.scratchMiB * MIB } : {}),
    ...(limits.nofile !== undefined ? { nofile: limits.nofile } : {}),
    ...(limits.cpus !== undefined ? { cpus: limits.cpus } : {}),
    ...(limits.pids !== undefined ? { pidsLimit: limits.pids } : {}),
    ...(limits.timeoutSeconds !== undefined ? { timeoutSeconds: limits.timeoutSeconds } : {}),
  };
}

/** Paths inside the sandbox image. */
export const SandboxPaths = {
  goroot: '/usr/local/go',
  work: '/work',
  source: '/work/src',
  output: '/work/out',
  moduleCache: '/work/gomodcache',
  /** Where a persistent build-cache volume is mounted when the build asks for one (--cache). */
  cache: '/cache',
  /** Each worker's scratch volume, on the engine's disk: GOCACHE (without --cache) and the go command's work directory. */
  scratch: '/scratch',
  tmp: '/tmp',
} as const;

/** The directories of the scratch volume the build user writes (the volume's root stays root's). */
export const SCRATCH_GOCACHE = `${SandboxPaths.scratch}/gocache`;
export const SCRATCH_TMP = `${SandboxPaths.scratch}/tmp`;

export const LABEL_MANAGED = 'airlock.managed';
export const LABEL_RUN = 'airlock.run';
export const LABEL_TOOLCHAIN = 'airlock.toolchain';

export interface BuildCommandInput {
  goos: string;
  goarch: string;
  mainPackage: string;
  outputName: string;
  vendored: boolean;
  /** The module's dependencies come from a module set, unpacked read-only at SandboxPaths.moduleCache. */
  moduleCache?: boolean;
  /** GOCACHE lives in a persistent volume at SandboxPaths.cache instead of the worker's scratch volume. */
  persistentCache?: boolean;
  ldflags: string[];
  tags: string[];
}

/** The flags every airlock build uses: no paths, no VCS stamp, no build ID, so the bytes depend only on inputs. */
export function goBuildArguments(input: BuildCommandInput): string[] {
  const ldflags = ['-buildid=', ...input.ldflags].join(' ');
  const args = ['build', '-trimpath', '-buildvcs=false', `-ldflags=${ldflags}`];
  if (input.tags.length > 0) args.push(`-tags=${input.tags.join(',')}`);
  args.push('-o', `${SandboxPaths.output}/${input.outputName}`, input.mainPackage);
  return args;
}

export function goBuildEnvironment(input: BuildCommandInput): Record<string, string> {
  const env: Record<string, string> = {
    PATH: `${SandboxPaths.goroot}/bin`,
    HOME: `${SandboxPaths.tmp}/home`,
    TMPDIR: SandboxPaths.tmp,
    // Gigabytes for a large program: on disk, in the scratch volume, never in the RAM-backed tmpfs.
    GOCACHE: input.persistentCache ? SandboxPaths.cache : SCRATCH_GOCACHE,
    GOTMPDIR: SCRATCH_TMP,
    GOPATH: `${SandboxPaths.tmp}/gopath`,
    GOENV: 'off',
    GOPROXY: 'off',
    GOSUMDB: 'off',
    GOTOOLCHAIN: 'local',
    CGO_ENABLED: '0',
    GOOS: input.goos,
    GOARCH: input.goarch,
  };
  if (input.vendored) env.GOFLAGS = '-mod=vendor';
  else if (input.moduleCache) {
    env.GOMODCACHE = SandboxPaths.moduleCache;
    env.GOFLAGS = '-mod=readonly';
  }
  return env;
}

/**
 * The go command one job runs: its arguments (after `go`) and its whole environment. Resolved once per job;
 * the sandbox runs exactly this and the provenance records exactly this, so the two cannot disagree.
 */
export interface GoBuildCommand {
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

export function goBuildCommand(input: BuildCommandInput): GoBuildCommand {
  return { args: goBuildArguments(input), env: goBuildEnvironment(input) };
}

/** A sandbox worker: one container of a toolchain's image in which that toolchain's builds run, one at a time. */
export interface WorkerContainerInput {
  name: string;
  image: string;
  runId: string;
  /** The work volume, at SandboxPaths.work: the source, then the outputs. */
  volume: string;
  /** The scratch volume, at SandboxPaths.scratch: what the go command writes while it builds. */
  scratchVolume: string;
  /** The toolchain version, for the label. */
  toolchain: string;
  /** The profile to send when the policy names one (see seccomp-choice.ts). */
  seccomp?: SeccompSetting;
  /** The persistent build-cache volume, with --cache. */
  cacheVolume?: string;
  /** The run's source, one volume shared read-only by all its workers (see shared-volumes.ts). */
  sourceVolume?: string;
  /** A module set's unpacked module cache, read-only (see module-cache-volume.ts). */
  moduleCacheVolume?: string;
}

/**
 * The worker's container. Its first process is the toolchain's own gofmt reading a standard input that airlock
 * holds open and never writes, so it waits, doing nothing, while builds run beside it through exec: no binary
 * but the verified toolchain is ever in the image or run in the sandbox. When airlock ends, however it ends,
 * the engine closes that input, gofmt sees its end and the container stops: a worker never outlives its run.
 */
export function workerContainerSpec(policy: SandboxPolicy, input: WorkerContainerInput): ContainerSpec {
  return {
    ...sandboxContainerSpec(policy, {
      name: input.name,
      image: input.image,
      volume: input.volume,
      scratchVolume: input.scratchVolume,
      command: [`${SandboxPaths.goroot}/bin/gofmt`],
      env: { PATH: `${SandboxPaths.goroot}/bin` },
      labels: { [LABEL_MANAGED]: 'true', [LABEL_RUN]: input.runId, [LABEL_TOOLCHAIN]: input.toolchain },
      ...(input.seccomp ? { seccomp: input.seccomp } : {}),
      ...(input.cacheVolume ? { cacheVolume: input.cacheVolume } : {}),
      ...(input.sourceVolume ? { sourceVolume: input.sourceVolume } : {}),
      ...(input.moduleCacheVolume ? { moduleCacheVolume: input.moduleCacheVolume } : {}),
    }),
    stdinHeld: true,
  };
}

/** One go build in a worker: the command and environment the provenance records, as the policy's user. */
export function buildExecRequest(policy: SandboxPolicy, command: GoBuildCommand): ExecRequest {
  return {
    command: [`${SandboxPaths.goroot}/bin/go`, ...command.args],
    env: { ...command.env },
    user: `${policy.uid}:${policy.gid}`,
    workingDir: SandboxPaths.source,
  };
}

/** Any container airlock runs in the sandbox (a build, or the escape probes): the policy decides everything else. */
export function sandboxContainerSpec(
  policy: SandboxPolicy,
  input: {
    name: string;
    image: string;
    volume: string;
    command: string[];
    env: Record<string, string>;
    labels: Record<string, string>;
    seccomp?: SeccompSetting;
    cacheVolume?: string;
    scratchVolume?: string;
    sourceVolume?: string;
    moduleCacheVolume?: string;
  },
): ContainerSpec {
  if (policy.seccomp.kind !== 'engine-default' && input.seccomp === undefined) {
    // Never fall back to the engine's default silently: the policy promised this profile.
    throw new Error(`the policy names the seccomp profile ${policy.seccomp.name} but none was loaded`);
  }
  return {
    name: input.name,
    image: input.image,
    command: input.command,
    env: input.env,
    workingDir: SandboxPaths.source,
    user: `${policy.uid}:${policy.gid}`,
    labels: input.labels,
    ...(policy.seccomp.kind !== 'engine-default' && input.seccomp ? { seccomp: input.seccomp } : {}),
    readOnlyRootFs: policy.readOnlyRootFs,
    network: policy.network,
    capDrop: policy.capDrop,
    noNewPrivileges: policy.noNewPrivileges,
    tmpfs: [{ path: SandboxPaths.tmp, options: `rw,${policy.executableTmp ? 'exec' : 'noexec'},nosuid,nodev,size=${policy.tmpfsSizeBytes},mode=1777` }],
    volumes: [
      { name: input.volume, target: SandboxPaths.work, readOnly: false },
      ...(input.scratchVolume ? [{ name: input.scratchVolume, target: SandboxPaths.scratch, readOnly: false }] : []),
      ...(input.cacheVolume ? [{ name: input.cacheVolume, target: SandboxPaths.cache, readOnly: false }] : []),
      // Inputs every worker shares: mounted read-only, so no build can change what another one reads.
      ...(input.sourceVolume ? [{ name: input.sourceVolume, target: SandboxPaths.source, readOnly: true }] : []),
      ...(input.moduleCacheVolume ? [{ name: input.moduleCacheVolume, target: SandboxPaths.moduleCache, readOnly: true }] : []),
    ],
    ...processLimits(policy),
    ulimits: [
      ...processLimits(policy).ulimits,
      // No file may outgrow the scratch limit, whatever the guard's polling would see (the kernel enforces it).
      { name: 'fsize', soft: policy.scratchBytes, hard: policy.scratchBytes },
    ],
  };
}

/** The policy's limits on processes, memory, CPU and open files, as every container of the sandbox gets them. */
function processLimits(policy: SandboxPolicy): Pick<ContainerSpec, 'pidsLimit' | 'memoryBytes' | 'nanoCpus' | 'ulimits'> {
  return {
    pidsLimit: policy.pidsLimit,
    memoryBytes: policy.memoryBytes,
    nanoCpus: Math.round(policy.cpus * 1e9),
    ulimits: [
      { name: 'nofile', soft: policy.nofile, hard: policy.nofile },
      { name: 'nproc', soft: policy.nproc, hard: policy.nproc },
    ],
  };
}

/**
 * A container that is created but never started, only to fill (or read) one volume through the engine's archive
 * API, which works on a created container's mounts alike on Docker and Podman. Nothing runs in it, so no
 * process ever sees the volume writable; its command is the worker's, for the record.
 */
export function volumeLoaderSpec(policy: SandboxPolicy, input: { name: string; image: string; volume: string; target: string; labels: Record<string, string> }): ContainerSpec {
  return {
    name: input.name,
    image: input.image,
    command: [`${SandboxPaths.goroot}/bin/gofmt`],
    env: {},
    workingDir: '/',
    user: `${policy.uid}:${policy.gid}`,
    labels: input.labels,
    readOnlyRootFs: true,
    network: policy.network,
    capDrop: policy.capDrop,
    noNewPrivileges: true,
    tmpfs: [],
    volumes: [{ name: input.volume, target: input.target, readOnly: false }],
    ...processLimits(policy),
  };
}
