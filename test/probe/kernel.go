//go:build linux

package main

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"unsafe"
)

func memfdCreate() result {
	const mfdCloexec = 1
	fd, err := check(syscall.Syscall6(sysMemfdCreate, uintptr(unsafe.Pointer(cstr("airlock-probe"))), mfdCloexec, 0, 0, 0, 0))
	if err != nil {
		return denied("%s", errName(err))
	}
	syscall.Close(int(fd))
	return allowed("memfd created (fileless exec is possible)")
}

func mountTmpfs() result {
	dir := fmt.Sprintf("/tmp/airlock-probe-mnt-%d", os.Getpid())
	// mount looks the target up before it checks permission, so the target must exist.
	if err := os.Mkdir(dir, 0o700); err != nil {
		return skipped("cannot create the mount point: %s", errName(err))
	}
	defer os.Remove(dir)
	err := syscall.Mount("airlock-probe", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, "size=64k")
	if err != nil {
		return denied("%s", errName(err))
	}
	syscall.Unmount(dir, syscall.MNT_DETACH)
	return allowed("mounted a tmpfs on %s (unmounted again)", dir)
}

func umountProc() result {
	const mntExpire = 4
	return gated(syscall.Unmount("/proc", mntExpire|syscall.MNT_DETACH), "unmounted /proc", syscall.EINVAL)
}

func pivotRoot() result {
	err := syscall.PivotRoot("/.airlock-probe-absent-new", "/.airlock-probe-absent-old")
	return gated(err, "pivot_root succeeded", syscall.ENOENT, syscall.EINVAL)
}

func chrootProbe() result {
	return plain(syscall.Chroot("/"), "chroot(\"/\") succeeded")
}

func setnsNet() result {
	fd, err := syscall.Open("/proc/self/ns/net", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return denied("open /proc/self/ns/net: %s", errName(err))
	}
	defer syscall.Close(fd)
	// setns acts on the calling thread only; keep it on one thread. Joining our own network
	// namespace changes nothing even when it is allowed.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	_, err = check(syscall.Syscall6(sysSetns, uintptr(fd), syscall.CLONE_NEWNET, 0, 0, 0, 0))
	return plain(err, "joined a network namespace (our own)")
}

const (
	keyctlGetKeyringID = 0
	// KEY_SPEC_SESSION_KEYRING (-3) and KEY_SPEC_PROCESS_KEYRING (-2).
	keySpecSessionKeyring = ^uintptr(2)
	keySpecProcessKeyring = ^uintptr(1)
)

func keyctlProbe() result {
	id, err := check(syscall.Syscall6(sysKeyctl, keyctlGetKeyringID, keySpecSessionKeyring, 0, 0, 0, 0))
	if err != nil {
		return denied("%s", errName(err))
	}
	return allowed("session keyring id %d", int32(id))
}

func addKey() result {
	payload := []byte("x")
	id, err := check(syscall.Syscall6(sysAddKey, uintptr(unsafe.Pointer(cstr("user"))), uintptr(unsafe.Pointer(cstr("airlock-probe"))), uintptr(unsafe.Pointer(&payload[0])), uintptr(len(payload)), keySpecProcessKeyring, 0))
	if err != nil {
		return denied("%s", errName(err))
	}
	return allowed("added key %d to the process keyring (it dies with the child)", int32(id))
}

type bpfProgLoadAttr struct {
	progType    uint32
	insnCnt     uint32
	insns       uint64
	license     uint64
	logLevel    uint32
	logSize     uint32
	logBuf      uint64
	kernVersion uint32
	progFlags   uint32
}

// The program and licence live in globals: the kernel reads them through pointers stored in
// the attribute struct, which must not point into a goroutine stack that can move.
var (
	// r0 = 0; exit. Each instruction is one little-endian 64-bit word with the opcode in the low byte.
	bpfReturnZero = [2]uint64{0xb7, 0x95}
	bpfLicense    = [4]byte{'G', 'P', 'L', 0}
)

func bpfProgLoad() result {
	const (
		bpfProgLoadCmd   = 5
		progSocketFilter = 1
	)
	attr := bpfProgLoadAttr{
		progType: progSocketFilter,
		insnCnt:  uint32(len(bpfReturnZero)),
		insns:    uint64(uintptr(unsafe.Pointer(&bpfReturnZero[0]))),
		license:  uint64(uintptr(unsafe.Pointer(&bpfLicense[0]))),
	}
	fd, err := check(syscall.Syscall6(sysBpf, bpfProgLoadCmd, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr), 0, 0, 0))
	if err != nil {
		return denied("%s", errName(err))
	}
	syscall.Close(int(fd))
	return allowed("loaded a BPF program")
}

// perfEventAttr is PERF_ATTR_SIZE_VER0 (64 bytes) of struct perf_event_attr.
type perfEventAttr struct {
	typ          uint32
	size         uint32
	config       uint64
	samplePeriod uint64
	sampleType   uint64
	readFormat   uint64
	flags        uint64
	wakeupEvents uint32
	bpType       uint32
	bpAddr       uint64
}

func perfEventOpen() result {
	const (
		perfTypeSoftware   = 1
		perfCountSWTaskClk = 1
		flagDisabled       = 1 << 0
		flagExcludeKernel  = 1 << 5
		flagExcludeHV      = 1 << 6
		perfFlagFdCloexec  = 8
	)
	attr := perfEventAttr{
		typ:    perfTypeSoftware,
		config: perfCountSWTaskClk,
		flags:  flagDisabled | flagExcludeKernel | flagExcludeHV,
	}
	attr.size = uint32(unsafe.Sizeof(attr))
	fd, err := check(syscall.Syscall6(sysPerfEventOpen, uintptr(unsafe.Pointer(&attr)), 0, ^uintptr(0), ^uintptr(0), perfFlagFdCloexec, 0))
	if err != nil {
		return denied("%s", errName(err))
	}
	syscall.Close(int(fd))
	return allowed("opened a perf event")
}

func userfaultfdProbe() result {
	const uffdUserModeOnly = 1
	fd, err := check(syscall.Syscall6(sysUserfaultfd, syscall.O_CLOEXEC|syscall.O_NONBLOCK|uffdUserModeOnly, 0, 0, 0, 0, 0))
	if err == syscall.EINVAL {
		// Kernels before 5.11 do not know UFFD_USER_MODE_ONLY.
		fd, err = check(syscall.Syscall6(sysUserfaultfd, syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0, 0, 0, 0, 0))
	}
	if err != nil {
		return denied("%s", errName(err))
	}
	syscall.Close(int(fd))
	return allowed("userfaultfd created")
}

func ioUringSetup() result {
	var params [120]byte // struct io_uring_params, zeroed
	fd, err := check(syscall.Syscall6(sysIoUringSetup, 1, uintptr(unsafe.Pointer(&params)), 0, 0, 0, 0))
	if err != nil {
		return denied("%s", errName(err))
	}
	syscall.Close(int(fd))
	return allowed("io_uring instance created")
}

func kexecLoad() result {
	const tooManySegments = 17 // KEXEC_SEGMENT_MAX + 1
	_, err := check(syscall.Syscall6(sysKexecLoad, 0, tooManySegments, 0, 0, 0, 0))
	return gated(err, "kexec_load succeeded", syscall.EINVAL)
}

func finitModule() result {
	_, err := check(syscall.Syscall6(sysFinitModule, ^uintptr(0), uintptr(unsafe.Pointer(cstr(""))), 0, 0, 0, 0))
	return gated(err, "finit_module succeeded", syscall.EBADF)
}

func deleteModule() result {
	_, err := check(syscall.Syscall6(sysDeleteModule, uintptr(unsafe.Pointer(cstr("airlock_probe_absent_module"))), syscall.O_NONBLOCK, 0, 0, 0, 0))
	return gated(err, "delete_module succeeded", syscall.ENOENT)
}

func rebootProbe() result {
	const linuxRebootCmdCadOff = 0
	// magic1 must be 0xfee1dead; 0 is refused after the capability check.
	_, err := check(syscall.Syscall6(sysReboot, 0, 0, linuxRebootCmdCadOff, 0, 0, 0))
	return gated(err, "reboot returned success", syscall.EINVAL)
}

func openByHandleAt() result {
	const atFdcwd = ^uintptr(99) // AT_FDCWD (-100)
	var handle [8 + 128]byte     // struct file_handle with handle_bytes 0
	_, err := check(syscall.Syscall6(sysOpenByHandleAt, atFdcwd, uintptr(unsafe.Pointer(&handle)), syscall.O_RDONLY, 0, 0, 0))
	return gated(err, "opened a file by handle", syscall.EINVAL)
}

func clockSettime() result {
	const clockRealtime = 0
	var ts syscall.Timespec
	if _, err := check(syscall.Syscall6(sysClockGettime, clockRealtime, uintptr(unsafe.Pointer(&ts)), 0, 0, 0, 0)); err != nil {
		return skipped("clock_gettime: %s", errName(err))
	}
	_, err := check(syscall.Syscall6(sysClockSettime, clockRealtime, uintptr(unsafe.Pointer(&ts)), 0, 0, 0, 0))
	return plain(err, "set CLOCK_REALTIME (to the time just read)")
}

func settimeofdayProbe() result {
	var tv syscall.Timeval
	if _, err := check(syscall.Syscall6(sysGettimeofday, uintptr(unsafe.Pointer(&tv)), 0, 0, 0, 0, 0)); err != nil {
		return skipped("gettimeofday: %s", errName(err))
	}
	_, err := check(syscall.Syscall6(sysSettimeofday, uintptr(unsafe.Pointer(&tv)), 0, 0, 0, 0, 0))
	return plain(err, "set the time of day (to the time just read)")
}

func setidProbe(trap uintptr) func() result {
	return func() result {
		// Raw on one thread: the child exits right after, so the other threads do not matter.
		_, _, e := syscall.RawSyscall(trap, 0, 0, 0)
		if e != 0 {
			return denied("%s", errnoName(e))
		}
		return allowed("the id is now 0")
	}
}

type rlimit64 struct{ cur, max uint64 }

func raiseNofile() result {
	var lim rlimit64
	if _, err := check(syscall.Syscall6(sysPrlimit64, 0, syscall.RLIMIT_NOFILE, 0, uintptr(unsafe.Pointer(&lim)), 0, 0)); err != nil {
		return skipped("prlimit64 read: %s", errName(err))
	}
	if lim.max == ^uint64(0) {
		return skipped("hard RLIMIT_NOFILE is already unlimited")
	}
	// Lowering first needs no privilege, and raising back to the old hard limit cannot run into
	// fs.nr_open, so the answer depends only on CAP_SYS_RESOURCE.
	lower := rlimit64{min(lim.cur, lim.max-1), lim.max - 1}
	if _, err := check(syscall.Syscall6(sysPrlimit64, 0, syscall.RLIMIT_NOFILE, uintptr(unsafe.Pointer(&lower)), 0, 0, 0)); err != nil {
		return skipped("lowering the hard limit: %s", errName(err))
	}
	raise := rlimit64{lower.cur, lim.max}
	_, err := check(syscall.Syscall6(sysPrlimit64, 0, syscall.RLIMIT_NOFILE, uintptr(unsafe.Pointer(&raise)), 0, 0, 0))
	return plain(err, fmt.Sprintf("raised the hard limit from %d to %d", lower.max, lim.max))
}

func tiocsti() result {
	c := byte(0)
	_, err := check(syscall.Syscall6(sysIoctl, 0, syscall.TIOCSTI, uintptr(unsafe.Pointer(&c)), 0, 0, 0))
	return plain(err, "injected a byte into the terminal on fd 0")
}

func personalityNoASLR() result {
	const (
		query           = 0xffffffff
		addrNoRandomize = 0x0040000
	)
	cur, _, e := syscall.RawSyscall(sysPersonality, query, 0, 0)
	if e != 0 {
		return denied("query: %s", errnoName(e))
	}
	if _, _, e := syscall.RawSyscall(sysPersonality, cur|addrNoRandomize, 0, 0); e != 0 {
		return denied("%s", errnoName(e))
	}
	syscall.RawSyscall(sysPersonality, cur, 0, 0)
	return allowed("ADDR_NO_RANDOMIZE set (and reset)")
}

func unlistedSyscall() result {
	const prioProcess = 0
	r, err := check(syscall.Syscall6(sysGetpriority, prioProcess, 0, 0, 0, 0, 0))
	return plain(err, fmt.Sprintf("getpriority returned %d", r))
}

func syscall999() result {
	_, _, e := syscall.Syscall(999, 0, 0, 0)
	if e != 0 {
		return denied("%s", errnoName(e))
	}
	return allowed("syscall 999 returned success")
}
