/**
 * airlock's strict seccomp profile for `go build`, as a pure function of a measurement.
 *
 * test/seccomp/measure.sh traces the sandbox's go build (every stored toolchain, the example modules, four
 * targets, cold and warm cache, a raised RLIMIT_NOFILE) and writes templates/seccomp/measured-syscalls.json;
 * test/seccomp/generate-profile.ts turns that into templates/seccomp/airlock-go-build.json with
 * buildSeccompProfile below. The same measurement always gives the same bytes, and a unit test holds the
 * committed profile to that.
 *
 * The profile's shape:
 *   - default: SCMP_ACT_ERRNO with EPERM. Docker 20.10 drops defaultErrnoRet (unlisted calls get EPERM there
 *     whatever the profile says), so the profile asks for EPERM outright and behaves the same on every engine.
 *   - archMap: x86_64 and aarch64 without sub-architectures, so x32 and i386 (int 0x80) calls fail the filter's
 *     architecture check before any rule is consulted (the runtime's bad-architecture action kills the thread).
 *   - ALLOW: every measured name, plus SECCOMP_MARGIN (each with its reason).
 *   - ALLOW on arguments only: clone without namespace flags, prlimit64 on the own process, prctl only to
 *     name anonymous memory, personality only to query.
 *   - clone3 answers ENOSYS, so callers fall back to clone, whose flags seccomp can read.
 *   - an explicit EPERM group (SECCOMP_DENIED) so audits and probes see the dangerous calls denied by name.
 */

export type SeccompAction = 'SCMP_ACT_ALLOW' | 'SCMP_ACT_ERRNO';
export type SeccompOperator = 'SCMP_CMP_EQ' | 'SCMP_CMP_MASKED_EQ';

export interface SeccompArg {
  index: number;
  /** For SCMP_CMP_MASKED_EQ the mask; otherwise the value compared with. */
  value: number;
  /** For SCMP_CMP_MASKED_EQ the value (arg & mask) must equal; 0 otherwise. */
  valueTwo: number;
  op: SeccompOperator;
}

/** One rule group, in the form Docker, Podman and containerd read (moby's profile format). */
export interface SeccompRule {
  names: string[];
  action: SeccompAction;
  errnoRet?: number;
  /** All must hold (they are ANDed). */
  args?: SeccompArg[];
  comment: string;
}

export interface SeccompArchitecture {
  architecture: string;
  subArchitectures: string[];
}

export interface SeccompProfile {
  defaultAction: SeccompAction;
  defaultErrnoRet: number;
  archMap: SeccompArchitecture[];
  syscalls: SeccompRule[];
}

export const SECCOMP_MEASUREMENT_SCHEMA = 'airlock.dev/seccomp-measurement/v1';
export const SECCOMP_MEASUREMENT_FILE = 'measured-syscalls.json';

/** templates/seccomp/measured-syscalls.json, as test/seccomp/measure.sh writes it. */
export interface SeccompMeasurement {
  schema: typeof SECCOMP_MEASUREMENT_SCHEMA;
  measuredWith: {
    toolchains: string[];
    modules: string[];
    targets: string[];
    kernel: string;
    strace: string;
  };
  syscalls: string[];
}

export const EPERM = 1;
export const ENOSYS = 38;

/** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET: clone may set none of them. */
export const CLONE_NAMESPACE_MASK = 0x7e020000;
const PR_SET_VMA = 0x53564d41;
const PR_SET_VMA_ANON_NAME = 0;
const PERSONALITY_QUERY = 0xffffffff;

/**
 * Allowed although the measurement may not show them, each for a stated reason: calls on Go's other code
 * paths (older kernels, other architectures, timing-dependent signal handling) and the one runc needs after
 * it has loaded the filter. Names the measurement also shows stay listed here, so a run that happens to
 * miss them (a signal that did not arrive, a vDSO that answered) never drops them from the profile.
 */
export const SECCOMP_MARGIN: ReadonlyArray<{ name: string; reason: string }> = [
  { name: 'arch_prctl', reason: 'the amd64 runtime sets its TLS base with it at start-up (absent on aarch64; runc skips it there)' },
  { name: 'clock_gettime', reason: 'the runtime and the time package read clocks through the vDSO; this is the fallback where the vDSO is missing' },
  { name: 'clock_nanosleep', reason: "libc's nanosleep is this call; needed if a toolchain's go command is linked against libc, as distribution builds are" },
  { name: 'exit', reason: 'ends a single thread (the runtime exits a thread whose locked goroutine returns)' },
  { name: 'faccessat', reason: 'the runtime checks files with it, and syscall.Faccessat falls back to it when faccessat2 is refused' },
  { name: 'faccessat2', reason: 'os/exec.LookPath and syscall.Faccessat (Go 1.20+); read-only' },
  { name: 'fdatasync', reason: 'flushes the data of a file the process already has open; kept beside fsync for tools that prefer it' },
  { name: 'fstat', reason: 'os.File.Stat; read-only metadata' },
  { name: 'fstatfs', reason: 'runc calls it after loading the filter (is /proc/self/fd on procfs?); without it the container never starts' },
  { name: 'fsync', reason: 'os.File.Sync; flushes a file the process already has open' },
  { name: 'getegid', reason: 'os.Getegid; read-only identity' },
  { name: 'geteuid', reason: 'os.Geteuid; read-only identity' },
  { name: 'getgid', reason: 'os.Getgid; read-only identity' },
  { name: 'getppid', reason: 'os.Getppid; read-only' },
  { name: 'getrandom', reason: 'random seeds and crypto/rand: the vDSO answers on kernels 6.11+ (the measuring host), the syscall on older ones' },
  { name: 'getrlimit', reason: 'syscall.Getrlimit on toolchains and architectures that do not route it through prlimit64; read-only' },
  { name: 'gettimeofday', reason: 'vDSO fallback of libc time functions; read-only' },
  { name: 'getuid', reason: 'os.Getuid; read-only identity' },
  { name: 'kill', reason: 'the runtime re-raises fatal signals on its own process, and os.Process.Signal uses it without pidfd; the PID namespace confines it to the container' },
  { name: 'newfstatat', reason: 'os.Stat and os.Lstat; read-only metadata' },
  { name: 'pidfd_open', reason: 'os/exec tracks children by pidfd (Go 1.23+)' },
  { name: 'pidfd_send_signal', reason: 'os.Process.Signal/Kill through a pidfd (Go 1.23+); only for its own children' },
  { name: 'renameat2', reason: 'os.Rename on linux/arm64, where renameat does not exist' },
  { name: 'restart_syscall', reason: 'the kernel restarts a sleep a signal interrupted with it; shows up only when the timing is right' },
  { name: 'rt_sigaction', reason: 'the runtime installs its signal handlers' },
  { name: 'rt_sigprocmask', reason: 'the runtime masks signals around thread creation' },
  { name: 'rt_sigreturn', reason: 'return from every signal handler (preemption signals arrive at any time)' },
  { name: 'sched_yield', reason: 'the runtime yields while spinning on locks; timing-dependent' },
  { name: 'sendfile', reason: "io.Copy's zero-copy path between files (os.File.ReadFrom/WriteTo) when copy_file_range is refused" },
  { name: 'setrlimit', reason: 'Go raises RLIMIT_NOFILE soft to hard at start-up; older toolchains use setrlimit, and it only touches the own process' },
  { name: 'sigaltstack', reason: 'the runtime gives every thread a signal stack' },
  { name: 'splice', reason: "io.Copy's zero-copy path when one end is a pipe (os.File.ReadFrom)" },
  { name: 'statx', reason: 'stat in newer Go and in libc; read-only metadata' },
  { name: 'tgkill', reason: 'the runtime preempts goroutines by signalling its own threads; timing-dependent' },
  { name: 'wait4', reason: 'os/exec waits with it when pidfd is unavailable (kernels before 5.4, or pidfd refused)' },
];

/**
 * Denied by name (EPERM), so a probe or an audit sees a policy decision rather than a default. None of these
 * is needed by go build; the measurement must never contain one (buildSeccompProfile refuses).
 */
export const SECCOMP_DENIED: ReadonlyArray<{ names: readonly string[]; reason: string }> = [
  {
    names: ['socket', 'socketpair', 'connect', 'bind', 'listen', 'accept', 'accept4', 'sendto', 'recvfrom', 'sendmsg', 'recvmsg', 'sendmmsg', 'recvmmsg', 'getsockopt', 'setsockopt', 'getsockname', 'getpeername', 'shutdown'],
    reason: 'no networking of any kind: no AF_UNIX, netlink or loopback either (the build is offline; --network none still leaves those)',
  },
  { names: ['ptrace', 'process_vm_readv', 'process_vm_writev', 'kcmp', 'pidfd_getfd', 'process_madvise'], reason: 'no reaching into other processes' },
  {
    names: ['mount', 'umount2', 'move_mount', 'open_tree', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'mount_setattr', 'pivot_root', 'chroot'],
    reason: 'the file system layout is fixed by the container',
  },
  { names: ['unshare', 'setns'], reason: 'no new or foreign namespaces (clone is masked for the same reason)' },
  { names: ['keyctl', 'add_key', 'request_key'], reason: 'kernel keyrings are only partly isolated from the host' },
  {
    names: ['bpf', 'perf_event_open', 'userfaultfd', 'io_uring_setup', 'io_uring_enter', 'io_uring_register'],
    reason: 'large kernel attack surface; io_uring also bypasses seccomp for the operations it performs',
  },
  {
    names: ['kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module', 'reboot', 'swapon', 'swapoff', 'acct', 'syslog', 'quotactl', 'quotactl_fd', 'iopl', 'ioperm', 'vhangup', 'lookup_dcookie', 'fanotify_init'],
    reason: 'host administration',
  },
  { names: ['sethostname', 'setdomainname', 'settimeofday', 'clock_settime', 'clock_adjtime', 'adjtimex'], reason: 'host identity and clocks' },
  { names: ['open_by_handle_at', 'name_to_handle_at'], reason: 'file handles escape mount confinement (the "shocker" escape)' },
  { names: ['memfd_create', 'execveat'], reason: 'fileless execution; go build only executes tools from GOROOT by path' },
  { names: ['ioctl'], reason: 'no terminal or device control (TIOCSTI input injection); go build uses none' },
  {
    names: ['setuid', 'setgid', 'setreuid', 'setregid', 'setresuid', 'setresgid', 'setgroups', 'setfsuid', 'setfsgid', 'capset'],
    reason: 'the build keeps the identity and the (empty) capabilities it starts with',
  },
  { names: ['mknod', 'mknodat'], reason: 'no device nodes' },
  { names: ['seccomp'], reason: 'the container runtime installs the filter; the build has no reason to add its own' },
];

/** Allowed only with the arguments below; a measured name here lands in its rule, not the plain allowlist. */
const ARGUMENT_RULES: readonly SeccompRule[] = [
  {
    names: ['clone'],
    action: 'SCMP_ACT_ALLOW',
    args: [{ index: 0, value: CLONE_NAMESPACE_MASK, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    comment: 'threads and the vfork-style spawn of compile/asm/link only: (flags & 0x7E020000) == 0, no namespace flags',
  },
  {
    names: ['prlimit64'],
    action: 'SCMP_ACT_ALLOW',
    args: [{ index: 0, value: 0, valueTwo: 0, op: 'SCMP_CMP_EQ' }],
    comment: 'own process only (pid 0): the Go runtime reads and raises its RLIMIT_NOFILE at start-up',
  },
  {
    names: ['prctl'],
    action: 'SCMP_ACT_ALLOW',
    args: [
      { index: 0, value: PR_SET_VMA, valueTwo: 0, op: 'SCMP_CMP_EQ' },
      { index: 1, value: PR_SET_VMA_ANON_NAME, valueTwo: 0, op: 'SCMP_CMP_EQ' },
    ],
    comment: 'only PR_SET_VMA/PR_SET_VMA_ANON_NAME: Go 1.25+ names its anonymous mappings (and ignores failures)',
  },
  {
    names: ['personality'],
    action: 'SCMP_ACT_ALLOW',
    args: [{ index: 0, value: PERSONALITY_QUERY, valueTwo: 0, op: 'SCMP_CMP_EQ' }],
    comment: 'query only (0xffffffff); setting a persona such as ADDR_NO_RANDOMIZE is denied',
  },
];

const CLONE3_RULE: SeccompRule = {
  names: ['clone3'],
  action: 'SCMP_ACT_ERRNO',
  errnoRet: ENOSYS,
  comment: 'seccomp cannot read clone3 flags (they are in a struct); ENOSYS makes libc and runtimes fall back to clone, which is masked',
};

const ARCH_MAP: readonly SeccompArchitecture[] = [
  { architecture: 'SCMP_ARCH_X86_64', subArchitectures: [] },
  { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: [] },
];

const SYSCALL_NAME = /^[a-z][a-z0-9_]*$/;

/** Byte order, so the output does not depend on the locale. */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedUnique(names: Iterable<string>): string[] {
  return [...new Set(names)].sort(byName);
}

export function deniedSyscalls(): string[] {
  return sortedUnique(SECCOMP_DENIED.flatMap((group) => group.names));
}

/**
 * The profile for a measured set of syscall names. Throws when the measurement holds something that is not a
 * syscall name (strace prints syscall_0x... for numbers it cannot name) or a call the profile denies by
 * policy: either needs a person to look, not a silently widened profile.
 */
export function buildSeccompProfile(measured: string[]): SeccompProfile {
  const bad = measured.filter((name) => !SYSCALL_NAME.test(name) || name.startsWith('syscall_'));
  if (bad.length > 0) throw new Error(`not syscall names: ${sortedUnique(bad).join(', ')} (an older strace cannot name newer syscalls)`);

  const denied = new Set(deniedSyscalls());
  const conflicts = measured.filter((name) => denied.has(name));
  if (conflicts.length > 0) {
    throw new Error(`go build was measured calling ${sortedUnique(conflicts).join(', ')}, which the profile denies by policy; review SECCOMP_DENIED`);
  }

  const special = new Set([...ARGUMENT_RULES.flatMap((rule) => rule.names), ...CLONE3_RULE.names]);
  const seen = new Set(measured);
  const measuredAllow = sortedUnique(measured.filter((name) => !special.has(name)));
  const marginAllow = sortedUnique(SECCOMP_MARGIN.map((entry) => entry.name).filter((name) => !seen.has(name) && !special.has(name) && !denied.has(name)));

  const syscalls: SeccompRule[] = [
    {
      names: measuredAllow,
      action: 'SCMP_ACT_ALLOW',
      comment: 'called by go build under strace (templates/seccomp/measured-syscalls.json, made by test/seccomp/measure.sh)',
    },
  ];
  if (marginAllow.length > 0) {
    syscalls.push({
      names: marginAllow,
      action: 'SCMP_ACT_ALLOW',
      comment: 'margin: not seen in the measurement but on Go runtime paths, older kernels or aarch64, or needed by runc; reasons in src/sandbox/seccomp-profile.ts',
    });
  }
  syscalls.push(...ARGUMENT_RULES.map(copyRule), copyRule(CLONE3_RULE), {
    names: [...denied],
    action: 'SCMP_ACT_ERRNO',
    errnoRet: EPERM,
    comment:
      'denied by policy (EPERM): networking, other processes, mounts, namespaces, keyrings, bpf/perf/io_uring, host administration, fileless exec, ioctl, identity changes, device nodes. Everything unlisted gets EPERM too: Docker 20.10 ignores defaultErrnoRet, so the profile asks for EPERM everywhere',
  });

  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: EPERM,
    archMap: ARCH_MAP.map((arch) => ({ architecture: arch.architecture, subArchitectures: [...arch.subArchitectures] })),
    syscalls,
  };
}

function copyRule(rule: SeccompRule): SeccompRule {
  return {
    names: [...rule.names],
    action: rule.action,
    ...(rule.errnoRet !== undefined ? { errnoRet: rule.errnoRet } : {}),
    ...(rule.args ? { args: rule.args.map((arg) => ({ ...arg })) } : {}),
    comment: rule.comment,
  };
}

/** The committed file's bytes: 2-space JSON and a final newline. */
export function renderSeccompProfile(profile: SeccompProfile): string {
  return `${JSON.stringify(profile, null, 2)}\n`;
}

/** Names the profile allows, with or without argument conditions. */
export function allowedSyscalls(profile: SeccompProfile): string[] {
  return sortedUnique(profile.syscalls.filter((rule) => rule.action === 'SCMP_ACT_ALLOW').flatMap((rule) => rule.names));
}

/** Checks the shape of measured-syscalls.json and returns it typed. */
export function parseSeccompMeasurement(value: unknown): SeccompMeasurement {
  const fail = (what: string): never => {
    throw new Error(`not a seccomp measurement: ${what}`);
  };
  if (typeof value !== 'object' || value === null) return fail('not a JSON object');
  const record = value as Record<string, unknown>;
  if (record.schema !== SECCOMP_MEASUREMENT_SCHEMA) fail(`schema is not ${SECCOMP_MEASUREMENT_SCHEMA}`);
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((item) => typeof item === 'string');
  const withWhat = record.measuredWith as Record<string, unknown> | undefined;
  if (typeof withWhat !== 'object' || withWhat === null) return fail('measuredWith is missing');
  for (const key of ['toolchains', 'modules', 'targets'] as const) if (!strings(withWhat[key])) fail(`measuredWith.${key} is not a list of strings`);
  for (const key of ['kernel', 'strace'] as const) if (typeof withWhat[key] !== 'string') fail(`measuredWith.${key} is not a string`);
  if (!strings(record.syscalls) || record.syscalls.length === 0) fail('syscalls is not a non-empty list of names');
  return value as SeccompMeasurement;
}
