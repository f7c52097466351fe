//go:build linux

package main

import (
	"os"
	"syscall"
	"time"
)

type probe struct {
	name     string
	category string
	desc     string
	run      func() result
	// destructive probes run only where sandboxGuard passes.
	destructive bool
	// guard, when set, must also pass before the probe runs.
	guard func() (bool, string)
	// isolated probes run in a re-executed child with a wall-clock limit.
	isolated    bool
	minTimeout  time.Duration
	oomExpected bool
	prewarm     bool
}

const (
	catStatus    = "status"
	catNetwork   = "network"
	catFS        = "filesystem"
	catExec      = "exec"
	catMount     = "mount"
	catNamespace = "namespace"
	catProcess   = "process"
	catKernel    = "kernel"
	catTime      = "time"
	catPrivilege = "privilege"
	catSeccomp   = "seccomp"
	catResources = "resources"
)

const (
	afAlg                = 38
	afVsock              = 40
	ethPAll              = 0x0003
	netlinkAudit         = 9
	netlinkKobjectUevent = 15
)

// allowedUnderTestPolicy are the probes the test policy allows by design (loopback sockets, netlink
// ROUTE, fifos, an executable /tmp); every other probe is expected to be denied under both policies.
var allowedUnderTestPolicy = map[string]bool{
	"socket-inet": true, "socket-inet6": true, "socket-unix": true, "socket-netlink": true,
	"socketpair": true, "loopback-tcp": true, "mkfifo": true, "exec-tmp": true,
}

// expectedOutcome is what the policy the probe runs under (AIRLOCK_PROBE_POLICY: build, the default, or
// test) should make of a probe.
func expectedOutcome(name string) string {
	if os.Getenv("AIRLOCK_PROBE_POLICY") == "test" && allowedUnderTestPolicy[name] {
		return outcomeAllowed
	}
	return expectedDenied
}

var probes = []probe{
	{name: "status-capeff", category: catStatus, desc: "/proc/self/status CapEff is 0 (no effective capabilities)", run: statusCap("CapEff")},
	{name: "status-capbnd", category: catStatus, desc: "/proc/self/status CapBnd is 0 (no capability can ever be regained)", run: statusCap("CapBnd")},
	{name: "status-nonewprivs", category: catStatus, desc: "/proc/self/status NoNewPrivs is 1 (setuid bits and file caps are ignored)", run: statusNoNewPrivs},
	{name: "status-seccomp", category: catStatus, desc: "/proc/self/status Seccomp is 2 (a seccomp filter is loaded)", run: statusSeccomp},
	{name: "status-uid", category: catStatus, desc: "/proc/self/status Uid is 65534 in all four slots (not root)", run: statusUID},

	{name: "socket-inet", category: catNetwork, desc: "socket(AF_INET, SOCK_STREAM)", run: socketProbe(syscall.AF_INET, syscall.SOCK_STREAM, 0)},
	{name: "socket-inet6", category: catNetwork, desc: "socket(AF_INET6, SOCK_STREAM)", run: socketProbe(syscall.AF_INET6, syscall.SOCK_STREAM, 0)},
	{name: "socket-unix", category: catNetwork, desc: "socket(AF_UNIX, SOCK_STREAM)", run: socketProbe(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)},
	{name: "socket-netlink", category: catNetwork, desc: "socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)", run: socketProbe(syscall.AF_NETLINK, syscall.SOCK_RAW, syscall.NETLINK_ROUTE)},
	{name: "socket-packet", category: catNetwork, desc: "socket(AF_PACKET, SOCK_RAW, ETH_P_ALL): raw link-layer access", run: socketProbe(syscall.AF_PACKET, syscall.SOCK_RAW, int(htons(ethPAll)))},
	{name: "socket-alg", category: catNetwork, desc: "socket(AF_ALG, SOCK_SEQPACKET): kernel crypto API, a frequent exploit entry", run: socketProbe(afAlg, syscall.SOCK_SEQPACKET, 0)},
	{name: "socket-vsock", category: catNetwork, desc: "socket(AF_VSOCK, SOCK_STREAM): host/guest channel", run: socketProbe(afVsock, syscall.SOCK_STREAM, 0)},
	{name: "socket-netlink-uevent", category: catNetwork, desc: "socket(AF_NETLINK, SOCK_RAW, NETLINK_KOBJECT_UEVENT): the host's device events", run: socketProbe(syscall.AF_NETLINK, syscall.SOCK_RAW, netlinkKobjectUevent)},
	{name: "socket-netlink-audit", category: catNetwork, desc: "socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT): the kernel's audit log", run: socketProbe(syscall.AF_NETLINK, syscall.SOCK_RAW, netlinkAudit)},
	{name: "loopback-tcp", category: catNetwork, desc: "listen on 127.0.0.1, connect to it and echo 5 bytes (what httptest does)", run: loopbackTCP},
	{name: "socketpair", category: catNetwork, desc: "socketpair(AF_UNIX, SOCK_STREAM)", run: socketpairProbe},
	{name: "tcp-dial", category: catNetwork, desc: "TCP connect to 192.0.2.1:443 with a 2 s timeout", run: tcpDial},
	{name: "udp-send", category: catNetwork, desc: "send one UDP datagram to 192.0.2.1:9", run: udpSend},
	{name: "dns-lookup", category: catNetwork, desc: "resolve example.com with the pure-Go resolver (GODEBUG=netdns=go)", run: dnsLookup},

	{name: "write-root", category: catFS, desc: "create a file in / (read-only root file system)", run: createIn("/")},
	{name: "write-source", category: catFS, desc: "create a file in the source tree " + sourceDir, run: createIn(sourceDir)},
	{name: "write-toolchain", category: catFS, desc: "open " + toolchainBin + "/go for writing and create a file in " + toolchainBin, run: writeToolchain},
	{name: "write-core-pattern", category: catFS, desc: "open /proc/sys/kernel/core_pattern for writing (nothing is written)", run: openForWrite("/proc/sys/kernel/core_pattern"), destructive: true},
	{name: "write-sysrq", category: catFS, desc: "open /proc/sysrq-trigger for writing (nothing is written)", run: openForWrite("/proc/sysrq-trigger"), destructive: true},
	{name: "write-sys", category: catFS, desc: "open a sysfs attribute (uevent_helper or similar) for writing (nothing is written)", run: writeSys},
	{name: "open-kcore", category: catFS, desc: "open and read /proc/kcore (physical memory image)", run: openKcore},
	{name: "read-other-environ", category: catFS, desc: "read /proc/PID/environ of another user's process (pid 1 first)", run: readOtherEnviron},
	{name: "docker-sock-var-run", category: catFS, desc: "stat and connect to /var/run/docker.sock", run: dockerSock("/var/run/docker.sock")},
	{name: "docker-sock-run", category: catFS, desc: "stat and connect to /run/docker.sock", run: dockerSock("/run/docker.sock")},
	{name: "read-etc-shadow", category: catFS, desc: "open /etc/shadow (a host file the image must not have)", run: openRead("/etc/shadow")},
	{name: "read-root-home", category: catFS, desc: "list /root (a host directory the image must not have)", run: openRead("/root")},
	{name: "mkfifo", category: catFS, desc: "mkfifo next to the probe binary (a named pipe; removed again)", run: mkfifoProbe},
	{name: "mknod-block", category: catFS, desc: "mknod a block device (8:0) next to the probe binary", run: mknodProbe(syscall.S_IFBLK, 8, 0), destructive: true},
	{name: "mknod-char", category: catFS, desc: "mknod a character device (1:1, /dev/mem) next to the probe binary", run: mknodProbe(syscall.S_IFCHR, 1, 1), destructive: true},

	{name: "exec-tmp", category: catExec, desc: "copy the probe binary into /tmp and execute it (noexec tmpfs)", run: execTmp},
	{name: "exec-shell", category: catExec, desc: "fork and exec /bin/sh -c 'exit 0' (no shell in the image)", run: execShell},
	{name: "memfd-create", category: catExec, desc: "memfd_create (anonymous executable file, fileless exec)", run: memfdCreate},

	{name: "mount-tmpfs", category: catMount, desc: "mount a tmpfs on /tmp/airlock-probe-mnt-PID (unmounted at once if it works)", run: mountTmpfs, destructive: true, isolated: true},
	{name: "umount-proc", category: catMount, desc: "umount2(\"/proc\", MNT_EXPIRE|MNT_DETACH): the flag pair is rejected only after the permission check", run: umountProc, destructive: true, isolated: true},
	{name: "pivot-root", category: catMount, desc: "pivot_root between two absent directories (ENOENT comes after the permission check)", run: pivotRoot, destructive: true, isolated: true},
	{name: "chroot", category: catMount, desc: "chroot(\"/\")", run: chrootProbe, destructive: true, isolated: true},

	{name: "unshare-user-mnt", category: catNamespace, desc: "unshare(CLONE_NEWUSER|CLONE_NEWNS) in a single-threaded forked child", run: unshareProbe(syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS), isolated: true},
	{name: "unshare-net", category: catNamespace, desc: "unshare(CLONE_NEWNET) in a single-threaded forked child", run: unshareProbe(syscall.CLONE_NEWNET), isolated: true},
	{name: "setns-net", category: catNamespace, desc: "setns(/proc/self/ns/net, CLONE_NEWNET)", run: setnsNet},
	{name: "clone-newuser", category: catNamespace, desc: "raw clone(CLONE_NEWUSER|SIGCHLD); a child that is created exits at once", run: cloneNewuser, isolated: true},
	{name: "clone3", category: catNamespace, desc: "clone3 with plain fork arguments; a child that is created exits at once", run: clone3Probe, isolated: true},

	{name: "ptrace-attach-1", category: catProcess, desc: "ptrace(PTRACE_ATTACH, 1) from a child, detaching at once if it works", run: ptraceAttach1, destructive: true, isolated: true},
	{name: "process-vm-readv-1", category: catProcess, desc: "process_vm_readv of 16 bytes from pid 1, from a child", run: processVMReadv1, isolated: true},
	{name: "prlimit-pid1", category: catProcess, desc: "prlimit64(1, RLIMIT_NOFILE) read-only query, from a child", run: prlimitPid1, isolated: true},
	{name: "kill-all", category: catProcess, desc: "kill(-1, SIGKILL) from a child in its own process group; only proceeds when pid 1 is the probe itself", run: killAll, destructive: true, isolated: true},

	{name: "keyctl", category: catKernel, desc: "keyctl(KEYCTL_GET_KEYRING_ID, session keyring)", run: keyctlProbe},
	{name: "add-key", category: catKernel, desc: "add_key(\"user\") into the process keyring, from a child", run: addKey, isolated: true},
	{name: "bpf-prog-load", category: catKernel, desc: "bpf(BPF_PROG_LOAD) of an empty socket filter (return 0)", run: bpfProgLoad},
	{name: "perf-event-open", category: catKernel, desc: "perf_event_open of a software clock counter on the probe itself", run: perfEventOpen},
	{name: "userfaultfd", category: catKernel, desc: "userfaultfd(UFFD_USER_MODE_ONLY)", run: userfaultfdProbe},
	{name: "io-uring-setup", category: catKernel, desc: "io_uring_setup with one entry", run: ioUringSetup},
	{name: "kexec-load", category: catKernel, desc: "kexec_load with 17 segments (EINVAL comes after the permission check)", run: kexecLoad, destructive: true},
	{name: "finit-module", category: catKernel, desc: "finit_module on fd -1 (EBADF comes after the permission check)", run: finitModule, destructive: true},
	{name: "delete-module", category: catKernel, desc: "delete_module of an absent module (ENOENT comes after the permission check)", run: deleteModule, destructive: true},
	{name: "reboot", category: catKernel, desc: "reboot with a wrong magic number (EINVAL comes after the permission check; can never reboot)", run: rebootProbe, destructive: true},
	{name: "open-by-handle-at", category: catKernel, desc: "open_by_handle_at with an empty handle (the 'shocker' escape; EINVAL comes after the permission check)", run: openByHandleAt},

	{name: "clock-settime", category: catTime, desc: "clock_settime(CLOCK_REALTIME) to the time just read", run: clockSettime, destructive: true},
	{name: "settimeofday", category: catTime, desc: "settimeofday to the time just read", run: settimeofdayProbe, destructive: true},

	{name: "setuid-root", category: catPrivilege, desc: "setuid(0), from a child", run: setidProbe(sysSetuid), isolated: true},
	{name: "setgid-root", category: catPrivilege, desc: "setgid(0), from a child", run: setidProbe(sysSetgid), isolated: true},
	{name: "rlimit-nofile-hard", category: catPrivilege, desc: "raise the hard RLIMIT_NOFILE (lowered by one first), from a child", run: raiseNofile, isolated: true},
	{name: "tiocsti", category: catPrivilege, desc: "ioctl(0, TIOCSTI) terminal input injection (skipped on a terminal outside a sandbox)", run: tiocsti, guard: ttyGuard},
	{name: "personality-no-aslr", category: catPrivilege, desc: "personality(ADDR_NO_RANDOMIZE), from a child", run: personalityNoASLR, isolated: true},

	{name: "unlisted-syscall", category: catSeccomp, desc: "getpriority: allowed by Docker's default profile but not in airlock's strict allowlist, so it gets the profile's default action (EPERM on Docker 20.10, ENOSYS where defaultErrnoRet is honoured)", run: unlistedSyscall},
	{name: "syscall-999", category: catSeccomp, desc: "syscall number 999, newer than any filter (ENOSYS)", run: syscall999},
	{name: "x32-abi", category: catSeccomp, desc: "x32 ABI getpid (nr | 0x40000000), from a child: the strict profile kills the thread", run: probeX32, guard: amd64Only, isolated: true},
	{name: "int80", category: catSeccomp, desc: "i386 getpid through int 0x80, from a child: the strict profile kills the thread", run: probeInt80, guard: amd64Only, isolated: true},

	{name: "fork-bomb", category: catResources, desc: "fork copies of the probe (up to 2000) until EAGAIN, then kill them all: checks the pids limit", run: forkBomb, destructive: true, isolated: true, minTimeout: 60 * time.Second, prewarm: true},
	{name: "memory-bomb", category: catResources, desc: "allocate and touch 4 GiB in a child: checks the memory limit (OOM kill is denied)", run: memoryBomb, destructive: true, isolated: true, minTimeout: 60 * time.Second, oomExpected: true},
}

// htons assumes a little-endian host, which amd64 and arm64 both are.
func htons(v uint16) uint16 { return v<<8 | v>>8 }
