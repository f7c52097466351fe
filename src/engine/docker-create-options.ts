import { EngineError } from '../errors.js';
import type { ContainerSpec } from './engine.js';

/** Docker API body for POST /containers/create, translated from airlock's engine-neutral spec. */
export interface DockerCreateBody {
  name: string;
  Image: string;
  Cmd: string[];
  Env: string[];
  WorkingDir: string;
  User: string;
  Labels: Record<string, string>;
  NetworkDisabled: boolean;
  AttachStdin: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Tty: false;
  HostConfig: {
    NetworkMode: string;
    ReadonlyRootfs: boolean;
    CapDrop: string[];
    SecurityOpt: string[];
    Tmpfs: Record<string, string>;
    Mounts: Array<{ Type: 'volume'; Source: string; Target: string; ReadOnly: boolean }>;
    PidsLimit: number;
    Memory: number;
    MemorySwap: number;
    NanoCpus: number;
    Ulimits: Array<{ Name: string; Soft: number; Hard: number }>;
    Privileged: false;
    IpcMode: 'private';
    AutoRemove: false;
    Init: false;
  };
}

export function toDockerCreateBody(spec: ContainerSpec, engineKind: 'docker' | 'podman'): DockerCreateBody {
  const securityOpt: string[] = [];
  if (spec.noNewPrivileges) securityOpt.push('no-new-privileges');
  // Docker wants the profile inline as JSON; Podman's compatible API wants a path on the server.
  if (spec.seccomp !== undefined) {
    if (engineKind === 'podman') {
      if (spec.seccomp.serverPath === undefined) {
        throw new EngineError('this Podman engine needs the seccomp profile as a file on its own machine', {
          hint: 'write the profile with `airlock generate seccomp` where the engine runs and pass its path',
        });
      }
      securityOpt.push(`seccomp=${spec.seccomp.serverPath}`);
    } else {
      securityOpt.push(`seccomp=${spec.seccomp.profileJson}`);
    }
  }
  return {
    name: spec.name,
    Image: spec.image,
    Cmd: spec.command,
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    WorkingDir: spec.workingDir,
    User: spec.user,
    Labels: spec.labels,
    NetworkDisabled: spec.network === 'none',
    AttachStdin: spec.stdinHeld === true,
    OpenStdin: spec.stdinHeld === true,
    StdinOnce: spec.stdinHeld === true,
    Tty: false,
    HostConfig: {
      NetworkMode: spec.network,
      ReadonlyRootfs: spec.readOnlyRootFs,
      CapDrop: spec.capDrop,
      SecurityOpt: securityOpt,
      Tmpfs: Object.fromEntries(spec.tmpfs.map((mount) => [mount.path, mount.options])),
      Mounts: spec.volumes.map((volume) => ({
        Type: 'volume' as const,
        Source: volume.name,
        Target: volume.target,
        ReadOnly: volume.readOnly,
      })),
      PidsLimit: spec.pidsLimit,
      Memory: spec.memoryBytes,
      // Equal to Memory: no swap, so the memory limit is a real limit.
      MemorySwap: spec.memoryBytes,
      NanoCpus: spec.nanoCpus,
      Ulimits: spec.ulimits.map((limit) => ({ Name: limit.name, Soft: limit.soft, Hard: limit.hard })),
      Privileged: false,
      IpcMode: 'private',
      AutoRemove: false,
      Init: false,
    },
  };
}
