import type { Readable } from 'node:stream';

/**
 * The only view of a container engine the rest of airlock has. Docker and Podman's Docker-compatible API both
 * sit behind it, locally or through DOCKER_HOST; nothing outside src/engine imports dockerode.
 */
export interface ContainerEngine {
  info(): Promise<EngineInfo>;
  imageExists(reference: string): Promise<boolean>;
  /** The content-addressed ID ("sha256:...") of a local image. */
  imageId(reference: string): Promise<string>;
  /** Builds an image from a tar build context. Rejects on any error line in the build stream. */
  buildImage(context: Readable, options: ImageBuildOptions): Promise<void>;
  createVolume(name: string, labels: Record<string, string>): Promise<void>;
  removeVolume(name: string): Promise<void>;
  createContainer(spec: ContainerSpec): Promise<string>;
  putArchive(containerId: string, path: string, tar: Readable): Promise<void>;
  start(containerId: string): Promise<void>;
  /** Waits for the container to exit; kills it when timeoutMs passes first. */
  wait(containerId: string, timeoutMs: number): Promise<ContainerExit>;
  logs(containerId: string): Promise<ContainerLogs>;
  /**
   * Runs a command in a running container, under the container's own confinement (user, seccomp profile,
   * capabilities, limits), and collects its output. When timeoutMs passes first it resolves with timedOut and
   * the process still running: only removing the container stops it.
   */
  exec(containerId: string, request: ExecRequest, timeoutMs: number): Promise<ExecResult>;
  /**
   * Attaches to the standard input of a container created with stdinHeld, and holds it without writing until
   * released (or until this process ends, which releases it too).
   */
  holdStdin(containerId: string): Promise<{ release(): void }>;
  getArchive(containerId: string, path: string): Promise<Readable>;
  removeContainer(containerId: string): Promise<void>;
  listContainers(labels: Record<string, string>): Promise<ContainerSummary[]>;
  listVolumes(labels: Record<string, string>): Promise<string[]>;
  /**
   * The bytes each local volume holds, as the engine measures them (its disk-usage report); volumes it could
   * not measure are left out. Costs the engine a walk of its volumes: ask every few seconds, not per file.
   */
  volumeSizes(): Promise<Map<string, number>>;
  listImages(labels: Record<string, string>): Promise<Array<{ id: string; tags: string[] }>>;
  /** Removes an image; resolves false when the engine refuses because a container still uses it. */
  removeImage(id: string): Promise<boolean>;
  /**
   * How the engine gets the sandbox image: undefined (Docker, Podman) builds it from the Docker context;
   * 'oci-image' (Kubernetes) runs the OCI image airlock writes itself, handed over with useImage.
   */
  readonly imageSource?: 'oci-image';
  /** For an 'oci-image' engine: containers created with image `tag` run this image. */
  useImage?(tag: string, image: OciImageUse): void;
  /**
   * For an 'oci-image' engine: the registry its cluster pulls the sandbox image from (host[:port], or
   * http://host:port), which airlock pushes it to; undefined when the image is imported on the nodes instead.
   */
  readonly imageRegistry?: string;
  /**
   * Where and as what a started container ran, for the provenance, when the engine has more to say than its
   * kind and version: the Kubernetes executor names the pod, its node and the digest of the pod spec it sent.
   */
  placement?(containerId: string): ContainerPlacement | undefined;
}

/** The sandbox image written by airlock as an OCI image, as a cluster's pods name it. */
export interface OciImageUse {
  /** name@sha256:... */
  reference: string;
  pullPolicy: 'Never' | 'IfNotPresent';
  /** The manifest digest. */
  digest: string;
  /** The OCI image archive on this host, named when the cluster turns out not to have the image. */
  archive?: string;
}

export interface EngineInfo {
  /** "docker" or "podman", or "kubernetes" (version: the API server's gitVersion) */
  kind: 'docker' | 'podman' | 'kubernetes';
  version: string;
  apiVersion: string;
  os: string;
  arch: string;
  seccomp: boolean;
  rootless: boolean;
  cgroupVersion: string;
  securityOptions: string[];
  /** Whether the engine can enforce memory, pids and CPU limits (cgroup controllers available). */
  limits: { memory: boolean; pids: boolean; cpu: boolean };
  userNamespaces: boolean;
}

export interface ImageBuildOptions {
  tag: string;
  labels: Record<string, string>;
}

export interface TmpfsMount {
  path: string;
  options: string;
}

/** Everything airlock decides about a container, in engine-neutral terms. */
export interface ContainerSpec {
  name: string;
  image: string;
  command: string[];
  env: Record<string, string>;
  workingDir: string;
  user: string;
  labels: Record<string, string>;
  readOnlyRootFs: boolean;
  network: 'none';
  capDrop: string[];
  noNewPrivileges: boolean;
  /** Undefined means the engine's default seccomp profile. */
  seccomp?: SeccompSetting;
  tmpfs: TmpfsMount[];
  volumes: Array<{ name: string; target: string; readOnly: boolean }>;
  pidsLimit: number;
  memoryBytes: number;
  nanoCpus: number;
  ulimits: Array<{ name: string; soft: number; hard: number }>;
  /**
   * Open the container's standard input for one attached client (holdStdin), closed when that client goes:
   * a process reading it waits while airlock lives and sees its end when airlock is gone, however it went.
   */
  stdinHeld?: boolean;
}

export interface ExecRequest {
  command: string[];
  /** Added to the container's environment, replacing variables of the same name. */
  env: Record<string, string>;
  user: string;
  workingDir: string;
  /**
   * The most of the process's output kept (stdout and stderr together, the first bytes; the rest is dropped).
   * A build's messages fit the default of 4 MiB; a test run's JSON stream may need more.
   */
  maxOutputBytes?: number;
}

export interface ExecResult extends ContainerLogs {
  /** Undefined when the process was still running at the time limit. */
  exitCode: number | undefined;
  timedOut: boolean;
}

/** Docker takes the profile inline; Podman's compatible API only takes a path on the engine's machine. */
export interface SeccompSetting {
  profileJson: string;
  serverPath?: string;
}

export interface ContainerExit {
  exitCode: number;
  timedOut: boolean;
  oomKilled: boolean;
}

export interface ContainerLogs {
  stdout: string;
  stderr: string;
}

export interface ContainerSummary {
  id: string;
  names: string[];
  state: string;
  labels: Record<string, string>;
}

/** What the provenance records of one sandbox container on an executor that schedules it (Kubernetes). */
export interface ContainerPlacement {
  executor: 'kubernetes';
  namespace: string;
  pod: string;
  /** The node the scheduler put the pod on. */
  node: string;
  /** sha256 of the canonical JSON of the pod spec airlock sent. */
  podSpecDigest: string;
}
