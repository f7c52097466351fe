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

/*
 * The profile for `airlock test` (go vet and go test in the sandbox): the build profile's rules unchanged, plus
 * what test suites were measured to need beyond go build (test/seccomp/measure-tests.sh writes
 * templates/seccomp/measured-test-syscalls.json; test/seccomp/generate-test-profile.ts writes
 * templates/seccomp/airlock-go-test.json with buildTestSeccompProfile below). What it adds:
 *   - socket only for AF_UNIX, AF_INET, AF_INET6, and AF_NETLINK with protocol NETLINK_ROUTE; socketpair only
 *     for AF_UNIX. seccomp ORs the rules of one name and ANDs the conditions within a rule, and a rule cannot say
 *     "every other family", so a socket call that matches none of these rules falls to the default action,
 *     EPERM: AF_VSOCK, AF_PACKET, AF_ALG, other netlink protocols and the rest stay denied. "Loopback only"
 *     comes from the private network namespace (network mode none), not from seccomp: connect and bind take
 *     their address behind a pointer seccomp cannot read.
 *   - the socket operations on those sockets that tests were measured to use, and shutdown/sendmsg/recvmsg as
 *     a margin (TEST_SECCOMP_MARGIN, each with its reason);
 *   - the other calls measured in test runs (links, truncate, statfs, fchdir, process groups, profiling
 *     timers, ...); mknodat, when measured, only to make fifos (mode & S_IFMT == S_IFIFO);
 *   - the build profile's explicit EPERM group without the names above. Everything else the build profile
 *     denies (ptrace, mounts, namespaces, setuid and friends, bpf, perf, io_uring, keyrings, ...) stays denied.
 */

export const TEST_PROFILE_FILE = 'airlock-go-test.json';
export const SECCOMP_TEST_MEASUREMENT_SCHEMA = 'airlock.dev/seccomp-test-measurement/v1';
export const SECCOMP_TEST_MEASUREMENT_FILE = 'measured-test-syscalls.json';

/** templates/seccomp/measured-test-syscalls.json, as test/seccomp/measure-tests.sh writes it. */
export interface SeccompTestMeasurement {
  schema: typeof SECCOMP_TEST_MEASUREMENT_SCHEMA;
  measuredWith: {
    toolchains: string[];
    /** The test suites run (a module of this repository, or a corpus program with its version). */
    modules: string[];
    /** The go commands run in each suite. */
    commands: string[];
    targets: string[];
    kernel: string;
    strace: string;
  };
  /** The socket families the traced runs opened, netlink with its protocol: AF_INET, AF_NETLINK/NETLINK_ROUTE, ... */
  socketFamilies: string[];
  /** Every distinct syscall name seen in the traced runs (go vet, go test, the compiles and the test binaries). */
  syscalls: string[];
}

export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;
export const NETLINK_ROUTE = 0;
export const S_IFMT = 0o170000;
export const S_IFIFO = 0o010000;

/** The families a test may open a socket of, as measure-tests.sh names them (strace's names). */
export const TEST_SOCKET_FAMILIES: readonly string[] = ['AF_INET', 'AF_INET6', 'AF_NETLINK/NETLINK_ROUTE', 'AF_UNIX'];

/**
 * Operations on sockets the test profile allows (on sockets of the allowed families: no other can be opened).
 * accept (accept4 is Go's), sendmmsg and recvmmsg stay denied: neither Go's net package nor a measured test uses them.
 */
export const TEST_SOCKET_OPERATIONS: readonly string[] = [
  'accept4',
  'bind',
  'connect',
  'getpeername',
  'getsockname',
  'getsockopt',
  'listen',
  'recvfrom',
  'recvmsg',
  'sendmsg',
  'sendto',
  'setsockopt',
  'shutdown',
];

/**
 * Allowed for tests although the measurement may not show them, each for a stated reason. As in SECCOMP_MARGIN,
 * names the measurement also shows stay listed, so a run that misses them never drops them from the profile.
 */
export const TEST_SECCOMP_MARGIN: ReadonlyArray<{ name: string; reason: string }> = [
  { name: 'recvmsg', reason: 'UnixConn.ReadMsgUnix and UDPConn.ReadMsgUDP (out-of-band data, descriptors passed with SCM_RIGHTS); the receiving side of sendmsg' },
  { name: 'sendmsg', reason: 'UnixConn.WriteMsgUnix and UDPConn.WriteMsgUDP (out-of-band data, descriptors passed with SCM_RIGHTS); by analogy with the measured sendto' },
  { name: 'shutdown', reason: 'TCPConn.CloseWrite/CloseRead and UnixConn.CloseWrite: half-closing a loopback connection, as protocol tests do' },
];

/**
 * Names a measured test suite called that the test profile still denies by policy, each with what the test
 * did and why EPERM is the right answer for it. buildTestSeccompProfile refuses a measured denied name that is
 * not listed here: a person has to look before a test measurement can widen or ignore the policy.
 */
export const TEST_MEASURED_BUT_DENIED: ReadonlyArray<{ name: string; reason: string }> = [
  {
    name: 'ioctl',
    reason:
      "yq's tests ask stdout for its terminal size (TIOCGWINSZ), a terminal check: stdout is a pipe, the answer was ENOTTY, and EPERM reads the same to them (not a terminal). ioctl stays denied: TIOCSTI input injection and device control",
  },
];

const TEST_SOCKET_RULES: readonly SeccompRule[] = [
  {
    names: ['socket'],
    action: 'SCMP_ACT_ALLOW',
    args: [{ index: 0, value: AF_UNIX, valueTwo: 0, op: 'SCMP_CMP_EQ' }],
    comment: 'AF_UNIX: paths in the sandbox\'s own file system, abstract names in its private network namespace',
  },
  {
    names: ['socket'],
    action: 'SCMP_ACT_ALLOW',
    args: [{ index: 0, value: AF_INET, valueTwo: 0, op: 'SCMP_CMP_EQ' }],
    comment: 'AF_INET: loopback only, because the network namespace has nothing else (seccomp cannot read the address of connect or bind)',
  },
  {
    names: ['socket'],
    action: 'SCMP_ACT_ALLOW',
    args: [{ index: 0, value: AF_INET6, valueTwo: 0, op: 'SCMP_CMP_EQ' }],
    comment: 'AF_INET6: loopback only, as AF_INET',
  },
  {
    names: ['socket'],
    action: 'SCMP_ACT_ALLOW',
    args: [
      { index: 0, value: AF_NETLINK, valueTwo: 0, op: 'SCMP_CMP_EQ' },
      { index: 2, value: NETLINK_ROUTE, valueTwo: 0, op: 'SCMP_CMP_EQ' },
    ],
    comment:
      'AF_NETLINK with protocol NETLINK_ROUTE only: net.Interfaces and net.InterfaceAddrs read the own namespace (changes need CAP_NET_ADMIN, dropped). Every other family and netlink protocol (AF_VSOCK, AF_PACKET, AF_ALG, NETLINK_KOBJECT_UEVENT, ...) matches no rule and gets the default EPERM',
  },
  {
    names: ['socketpair'],
    action: 'SCMP_ACT_ALLOW',
    args: [{ index: 0, value: AF_UNIX, valueTwo: 0, op: 'SCMP_CMP_EQ' }],
    comment: 'AF_UNIX only; other families get the default EPERM',
  },
];

const FIFO_RULE: SeccompRule = {
  names: ['mknodat'],
  action: 'SCMP_ACT_ALLOW',
  args: [{ index: 2, value: S_IFMT, valueTwo: S_IFIFO, op: 'SCMP_CMP_MASKED_EQ' }],
  comment: 'fifos only (syscall.Mkfifo): (mode & S_IFMT) == S_IFIFO; device nodes and every other kind get the default EPERM, mknod stays denied',
};

function refuseUnnamed(measured: string[]): void {
  const bad = measured.filter((name) => !SYSCALL_NAME.test(name) || name.startsWith('syscall_'));
  if (bad.length > 0) throw new Error(`not syscall names: ${sortedUnique(bad).join(', ')} (an older strace cannot name newer syscalls)`);
}

/** The names the build profile denies by name that the test profile allows (always, on arguments, or, for mknodat, only when measured). */
function testOpened(measuredTest: readonly string[]): Set<string> {
  return new Set([...TEST_SOCKET_OPERATIONS, ...TEST_SOCKET_RULES.flatMap((rule) => rule.names), ...(measuredTest.includes('mknodat') ? FIFO_RULE.names : [])]);
}

/** The test profile's explicit EPERM group: the build profile's, without what tests are allowed. */
export function testDeniedSyscalls(measuredTest: readonly string[]): string[] {
  const opened = testOpened(measuredTest);
  return deniedSyscalls().filter((name) => !opened.has(name));
}

/**
 * The profile for go vet and go test: buildSeccompProfile(measuredBuild)'s rules unchanged, then the names
 * measured in test runs beyond them, the test margin, the socket rules, the fifo rule (only when mknodat was
 * measured) and the build's EPERM group without what tests may do. Throws, as buildSeccompProfile does, on
 * something that is not a syscall name, and on a measured name the policy denies that TEST_MEASURED_BUT_DENIED
 * does not explain.
 */
export function buildTestSeccompProfile(measuredBuild: string[], measuredTest: string[]): SeccompProfile {
  const build = buildSeccompProfile(measuredBuild);
  refuseUnnamed(measuredTest);

  const buildDenied = build.syscalls.at(-1);
  if (buildDenied?.action !== 'SCMP_ACT_ERRNO' || buildDenied.errnoRet !== EPERM || buildDenied.names.join() !== deniedSyscalls().join()) {
    throw new Error('the build profile does not end with its EPERM group; buildTestSeccompProfile must follow buildSeccompProfile');
  }

  const denied = testDeniedSyscalls(measuredTest);
  const deniedSet = new Set(denied);
  const explained = new Set(TEST_MEASURED_BUT_DENIED.map((entry) => entry.name));
  const unexplained = measuredTest.filter((name) => deniedSet.has(name) && !explained.has(name));
  if (unexplained.length > 0) {
    throw new Error(
      `go test was measured calling ${sortedUnique(unexplained).join(', ')}, which the test profile denies by policy; review TEST_MEASURED_BUT_DENIED or SECCOMP_DENIED`,
    );
  }
  const notDenied = [...explained].filter((name) => !deniedSet.has(name));
  if (notDenied.length > 0) throw new Error(`TEST_MEASURED_BUT_DENIED lists ${sortedUnique(notDenied).join(', ')}, which the test profile does not deny`);

  const fifo = measuredTest.includes('mknodat');
  const buildAllowed = new Set(allowedSyscalls(build));
  const ruled = new Set([...ARGUMENT_RULES.flatMap((rule) => rule.names), ...CLONE3_RULE.names, ...TEST_SOCKET_RULES.flatMap((rule) => rule.names), ...FIFO_RULE.names]);
  const extra = (name: string): boolean => !buildAllowed.has(name) && !ruled.has(name) && !deniedSet.has(name);
  const seen = new Set(measuredTest);
  const measuredAllow = sortedUnique(measuredTest.filter(extra));
  const marginAllow = sortedUnique(TEST_SECCOMP_MARGIN.map((entry) => entry.name).filter((name) => !seen.has(name) && extra(name)));

  const syscalls: SeccompRule[] = build.syscalls.slice(0, -1).map(copyRule);
  if (measuredAllow.length > 0) {
    syscalls.push({
      names: measuredAllow,
      action: 'SCMP_ACT_ALLOW',
      comment:
        'called by go vet and go test under strace, beyond what go build needs (templates/seccomp/measured-test-syscalls.json, made by test/seccomp/measure-tests.sh)',
    });
  }
  if (marginAllow.length > 0) {
    syscalls.push({
      names: marginAllow,
      action: 'SCMP_ACT_ALLOW',
      comment: 'test margin: socket operations not seen in the measurement, the counterparts of measured ones; reasons in test/seccomp/seccomp-profile.ts',
    });
  }
  syscalls.push(...TEST_SOCKET_RULES.map(copyRule), ...(fifo ? [copyRule(FIFO_RULE)] : []), {
    names: denied,
    action: 'SCMP_ACT_ERRNO',
    errnoRet: EPERM,
    comment:
      'denied by policy (EPERM): the socket calls tests do not need (socket and socketpair of other families match no rule above and get the default EPERM), other processes, mounts, namespaces, keyrings, bpf/perf/io_uring, host administration, fileless exec, ioctl, identity changes, device nodes. Everything unlisted gets EPERM too: Docker 20.10 ignores defaultErrnoRet, so the profile asks for EPERM everywhere',
  });

  return { ...build, syscalls };
}

/** Checks the shape of measured-test-syscalls.json and returns it typed. */
export function parseSeccompTestMeasurement(value: unknown): SeccompTestMeasurement {
  const fail = (what: string): never => {
    throw new Error(`not a seccomp test measurement: ${what}`);
  };
  if (typeof value !== 'object' || value === null) return fail('not a JSON object');
  const record = value as Record<string, unknown>;
  if (record.schema !== SECCOMP_TEST_MEASUREMENT_SCHEMA) fail(`schema is not ${SECCOMP_TEST_MEASUREMENT_SCHEMA}`);
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((item) => typeof item === 'string');
  const withWhat = record.measuredWith as Record<string, unknown> | undefined;
  if (typeof withWhat !== 'object' || withWhat === null) return fail('measuredWith is missing');
  for (const key of ['toolchains', 'modules', 'commands', 'targets'] as const) if (!strings(withWhat[key])) fail(`measuredWith.${key} is not a list of strings`);
  for (const key of ['kernel', 'strace'] as const) if (typeof withWhat[key] !== 'string') fail(`measuredWith.${key} is not a string`);
  if (!strings(record.socketFamilies)) fail('socketFamilies is not a list of strings');
  if (!strings(record.syscalls) || record.syscalls.length === 0) fail('syscalls is not a non-empty list of names');
  return value as SeccompTestMeasurement;
}
