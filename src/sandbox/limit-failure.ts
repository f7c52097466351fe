import type { SandboxPolicy } from './policy.js';
import { SandboxPaths } from './policy.js';

/** The sandbox limits a build can run into, each a failure reason of its own in --report and --json. */
export type SandboxLimit = 'timeout' | 'out-of-memory' | 'disk-full' | 'pids-limit' | 'nofile-limit';

/** A build stopped by a limit: what to tell the user. Never a hint to change their code. */
export interface LimitDiagnosis {
  limit: SandboxLimit;
  message: string;
  hint: string;
}

const MIB = 1024 ** 2;

function raise(key: string, what: string): string {
  return `raise sandbox.${key} in airlock.json if the build legitimately needs ${what}`;
}

function mib(bytes: number): string {
  return `${Math.round(bytes / MIB)} MiB`;
}

/**
 * In a sandbox with no capabilities, nothing but the kernel's OOM killer sends SIGKILL (airlock's own
 * timeout removes the container instead): the go command killed (exit 137), or reporting that a compiler
 * or linker it ran was.
 */
export function killedByMemoryLimit(result: { exitCode: number | undefined; stderr: string }): boolean {
  return result.exitCode === 137 || /: signal: killed\s*$/m.test(result.stderr);
}

/**
 * Pure: reads a failed go build's exit status and output (as the go command, the compiler, the linker and the
 * Go runtime word them) and says which sandbox limit stopped it, if one did. The patterns were taken from
 * real builds run against each lowered limit (test/fixtures/limit-failures/).
 */
export function diagnoseLimitFailure(
  result: { exitCode: number | undefined; stderr: string },
  policy: SandboxPolicy,
  label: string,
  action = 'go build',
): LimitDiagnosis | undefined {
  const { stderr } = result;
  if (killedByMemoryLimit(result)) {
    return {
      limit: 'out-of-memory',
      message: `${action} of ${label} ran out of memory: the sandbox's limit is ${mib(policy.memoryBytes)} (sandbox.memoryMiB) and the kernel killed it`,
      hint: raise('memoryMiB', 'more memory'),
    };
  }
  // The runtime cannot start a thread, or the go command cannot start the compiler: the pids cgroup said no.
  if (/failed to create new OS thread|pthread_create failed|fatal error: newosproc|fork\/exec [^\n]*: resource temporarily unavailable/.test(stderr)) {
    return {
      limit: 'pids-limit',
      message: `${action} of ${label} hit the sandbox's limit of ${policy.pidsLimit} processes and threads (sandbox.pids)`,
      hint: raise('pids', 'more processes and threads (or lower sandbox.cpus, which sets how many compilers run at once)'),
    };
  }
  if (/too many open files/.test(stderr)) {
    return {
      limit: 'nofile-limit',
      message: `${action} of ${label} hit the sandbox's limit of ${policy.nofile} open files (sandbox.nofile)`,
      hint: raise('nofile', 'more open files'),
    };
  }
  // A path that starts with /tmp/ (not /scratch/tmp/): the tmpfs is full, not the disk.
  const tmpfsFull = new RegExp(`(?:^|[\\s'"])${SandboxPaths.tmp}/[^\\n]*: no space left on device`, 'm').test(stderr);
  if (tmpfsFull) {
    return {
      limit: 'disk-full',
      message: `${action} of ${label} filled the sandbox's ${mib(policy.tmpfsSizeBytes)} tmpfs at ${SandboxPaths.tmp} (sandbox.tmpfsMiB)`,
      hint: raise('tmpfsMiB', 'more temporary space'),
    };
  }
  if (/file too large/.test(stderr)) {
    return {
      limit: 'disk-full',
      message: `${action} of ${label} wrote a file larger than the sandbox's scratch limit of ${mib(policy.scratchBytes)} (sandbox.scratchMiB)`,
      hint: raise('scratchMiB', 'more disk'),
    };
  }
  // The scratch volume has no quota of its own (the guard enforces sandbox.scratchMiB): a device that is full
  // there is the engine's own disk.
  if (/no space left on device/.test(stderr)) {
    return {
      limit: 'disk-full',
      message: `${action} of ${label} ran out of disk: the engine's disk is full (no space left on device)`,
      hint: 'free space on the disk that holds the engine\'s volumes (`airlock prune` removes airlock\'s build caches), or lower sandbox.scratchMiB so builds stop before the disk fills',
    };
  }
  return undefined;
}

/** The guard saw a volume over sandbox.scratchMiB and removed the worker. */
export function scratchOverrunDiagnosis(
  overrun: { volume: string; bytes: number; limitBytes: number },
  label: string,
  cacheVolume: string | undefined,
  action = 'go build',
): LimitDiagnosis {
  if (overrun.volume === cacheVolume) {
    return {
      limit: 'disk-full',
      message: `${action} of ${label} was stopped: the build cache volume ${overrun.volume} holds ${mib(overrun.bytes)}, more than the sandbox's scratch limit of ${mib(overrun.limitBytes)} (sandbox.scratchMiB)`,
      hint: 'run `airlock prune` to empty the build caches, or raise sandbox.scratchMiB in airlock.json',
    };
  }
  return {
    limit: 'disk-full',
    message: `${action} of ${label} was stopped: it wrote ${mib(overrun.bytes)} of scratch (build cache and work files), more than the sandbox's limit of ${mib(overrun.limitBytes)} (sandbox.scratchMiB)`,
    hint: raise('scratchMiB', 'more disk'),
  };
}

export function timeoutDiagnosis(policy: SandboxPolicy, label: string, action = 'go build'): LimitDiagnosis {
  return {
    limit: 'timeout',
    message: `${action} of ${label} timed out: it ran for the sandbox's limit of ${policy.timeoutSeconds}s (sandbox.timeoutSeconds) and was killed`,
    hint: raise('timeoutSeconds', 'more time'),
  };
}
