//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

const (
	sigBlock   = 0
	sigSetmask = 2
)

// forkRaw clones the calling thread with a raw clone or clone3 call. The child runs no Go code
// beyond raw system calls: when doCall is set it makes the one call trap(a1, a2, a3), then it
// exits with that call's errno as its status. All signals stay blocked in the child so that
// the Go runtime's handlers never run there.
//
//go:norace
//go:nocheckptr
func forkRaw(cloneTrap, c1, c2 uintptr, doCall bool, trap, a1, a2, a3 uintptr) (int, syscall.Errno) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	all, old := ^uint64(0), uint64(0)
	syscall.RawSyscall6(sysRtSigprocmask, sigBlock, uintptr(unsafe.Pointer(&all)), uintptr(unsafe.Pointer(&old)), 8, 0, 0)
	pid, _, errno := syscall.RawSyscall6(cloneTrap, c1, c2, 0, 0, 0, 0)
	if errno == 0 && pid == 0 {
		var e syscall.Errno
		if doCall {
			_, _, e = syscall.RawSyscall(trap, a1, a2, a3)
		}
		syscall.RawSyscall(sysExitGroup, uintptr(e), 0, 0)
	}
	syscall.RawSyscall6(sysRtSigprocmask, sigSetmask, uintptr(unsafe.Pointer(&old)), 0, 8, 0, 0)
	return int(pid), errno
}

func waitChild(pid int) (syscall.WaitStatus, error) {
	for {
		var ws syscall.WaitStatus
		_, err := syscall.Wait4(pid, &ws, syscall.WALL, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		return ws, err
	}
}

// childOutcome reads the exit status of a forkRaw child that made one call.
func childOutcome(pid int, success string) result {
	ws, err := waitChild(pid)
	if err != nil {
		return skipped("wait4: %s", errName(err))
	}
	switch {
	case ws.Signaled():
		return denied("child killed by %s", signalName(ws.Signal()))
	case ws.ExitStatus() != 0:
		return denied("%s", errnoName(syscall.Errno(ws.ExitStatus())))
	}
	return allowed("%s", success)
}

func unshareProbe(flags uintptr) func() result {
	return func() result {
		// A Go process always has several threads, and unshare(CLONE_NEWUSER) refuses
		// multi-threaded callers, so the call is made from a single-threaded forked child.
		pid, e := forkRaw(sysClone, uintptr(syscall.SIGCHLD), 0, true, sysUnshare, flags, 0, 0)
		if e != 0 {
			return skipped("fork: %s", errnoName(e))
		}
		return childOutcome(pid, "unshare succeeded (in a child that exited at once)")
	}
}

func cloneNewuser() result {
	pid, e := forkRaw(sysClone, syscall.CLONE_NEWUSER|uintptr(syscall.SIGCHLD), 0, false, 0, 0, 0, 0)
	if e != 0 {
		return denied("%s", errnoName(e))
	}
	return childOutcome(pid, "child created in a new user namespace (it exited at once)")
}

// cloneArgs is struct clone_args as of Linux 5.7 (88 bytes).
type cloneArgs struct {
	flags, pidfd, childTID, parentTID, exitSignal, stack, stackSize, tls, setTID, setTIDSize, cgroup uint64
}

// clone3Args is a global so that the pointer handed to the kernel never points into a stack.
var clone3Args = cloneArgs{exitSignal: uint64(syscall.SIGCHLD)}

func clone3Probe() result {
	pid, e := forkRaw(sysClone3, uintptr(unsafe.Pointer(&clone3Args)), unsafe.Sizeof(clone3Args), false, 0, 0, 0, 0)
	if e != 0 {
		return denied("%s", errnoName(e))
	}
	return childOutcome(pid, "clone3 created a child (it exited at once)")
}

func ptraceAttach1() result {
	// ptrace requests must come from the thread that attached.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := syscall.PtraceAttach(1); err != nil {
		return denied("%s", errName(err))
	}
	waitChild(1)
	if err := syscall.PtraceDetach(1); err != nil {
		return allowed("attached to pid 1; detach: %s", errName(err))
	}
	return allowed("attached to pid 1 (and detached)")
}

// vmMarker sits at the same address in every process running this binary (it is not PIE), so
// when pid 1 is the probe itself the read below targets mapped memory.
var vmMarker = [16]byte{'a', 'i', 'r', 'l', 'o', 'c', 'k', '-', 'p', 'r', 'o', 'b', 'e'}

var (
	vmBuf    [16]byte
	vmLocal  = syscall.Iovec{Base: &vmBuf[0], Len: uint64(len(vmBuf))}
	vmRemote = struct{ base, len uintptr }{len: uintptr(len(vmMarker))}
)

func processVMReadv1() result {
	vmRemote.base = uintptr(unsafe.Pointer(&vmMarker[0]))
	n, err := check(syscall.Syscall6(sysProcessVMReadv, 1, uintptr(unsafe.Pointer(&vmLocal)), 1, uintptr(unsafe.Pointer(&vmRemote)), 1, 0))
	if err == syscall.EFAULT {
		return allowed("EFAULT: permitted, but the address is not mapped in pid 1")
	}
	if err != nil {
		return denied("%s", errName(err))
	}
	return allowed("read %d bytes of pid 1's memory", n)
}

func prlimitPid1() result {
	var lim rlimit64
	_, err := check(syscall.Syscall6(sysPrlimit64, 1, syscall.RLIMIT_NOFILE, 0, uintptr(unsafe.Pointer(&lim)), 0, 0))
	return plain(err, fmt.Sprintf("read pid 1's RLIMIT_NOFILE (%d/%d)", lim.cur, lim.max))
}

func killAll() result {
	// kill(-1) reaches every process the caller may signal in its PID namespace. Only when pid 1
	// is the probe itself is that namespace known to be the container's own.
	self, err1 := os.Stat("/proc/self/exe")
	pid1, err2 := os.Stat("/proc/1/exe")
	if err1 != nil || err2 != nil || !os.SameFile(self, pid1) {
		return skipped("pid 1 is not the probe binary, refusing kill(-1)")
	}
	err := syscall.Kill(-1, syscall.SIGKILL)
	if err == nil {
		return allowed("kill(-1) signalled other processes in the container's PID namespace; pid 1 is unaffected")
	}
	if err == syscall.ESRCH {
		return denied("ESRCH: no process outside its own group and pid 1 could be signalled")
	}
	return denied("%s", errName(err))
}

// watchThread makes a call that may get the calling thread killed, on a thread of its own, and
// reports a thread that does not come back as denied.
func watchThread(what string, call func() (uintptr, syscall.Errno)) result {
	// A dead thread never answers a stop-the-world, so no GC from here on.
	debug.SetGCPercent(-1)
	if runtime.GOMAXPROCS(0) < 2 {
		runtime.GOMAXPROCS(2)
	}
	type ret struct {
		r     uintptr
		e     syscall.Errno
		fault any
	}
	done := make(chan ret, 1)
	tids := make(chan int, 1)
	go func() {
		runtime.LockOSThread()
		debug.SetPanicOnFault(true)
		tids <- syscall.Gettid()
		defer func() {
			if f := recover(); f != nil {
				done <- ret{fault: f}
			}
		}()
		r, e := call()
		done <- ret{r: r, e: e}
	}()
	tid := <-tids
	select {
	case x := <-done:
		switch {
		case x.fault != nil:
			return denied("%s faulted (SIGSEGV): the ABI is not available (%v)", what, x.fault)
		case x.e != 0:
			return denied("%s", errnoName(x.e))
		}
		return allowed("%s returned %d", what, x.r)
	case <-time.After(min(1500*time.Millisecond, probeTimeout/2)):
		return denied("killed by SIGSYS: thread %d never returned from %s (%s)", tid, what, threadState(tid))
	}
}

func threadState(tid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/status", tid))
	if err != nil {
		return "thread gone"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "State:"); ok {
			return "thread state " + strings.TrimSpace(v)
		}
	}
	return "thread state unknown"
}

const forkBombMax = 2000

func forkBomb() result {
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		return skipped("pipe: %s", errName(err))
	}
	prewarmThreads(8)
	pids, e := forkSleepers(p[0], p[1], make([]int, 0, forkBombMax))
	// Closing our write end wakes every child with EOF even if one of the kills below fails.
	syscall.Close(p[1])
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	for _, pid := range pids {
		waitChild(pid)
	}
	syscall.Close(p[0])
	if e != 0 {
		return denied("%s at %d processes", errnoName(e), len(pids))
	}
	return allowed("%d processes without hitting a limit", len(pids))
}

// forkSleepers forks until the kernel refuses or the slice is full. Each child closes its copy
// of the pipe's write end and blocks reading the pipe, so it exits by itself once the parent
// is gone, even if the parent dies before it can kill it.
//
//go:norace
//go:nocheckptr
func forkSleepers(rfd, wfd int, pids []int) ([]int, syscall.Errno) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	all, old := ^uint64(0), uint64(0)
	var b [1]byte
	syscall.RawSyscall6(sysRtSigprocmask, sigBlock, uintptr(unsafe.Pointer(&all)), uintptr(unsafe.Pointer(&old)), 8, 0, 0)
	var ferr syscall.Errno
	for len(pids) < cap(pids) {
		pid, _, e := syscall.RawSyscall6(sysClone, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
		if e != 0 {
			ferr = e
			break
		}
		if pid == 0 {
			syscall.RawSyscall(sysClose, uintptr(wfd), 0, 0)
			syscall.RawSyscall(sysRead, uintptr(rfd), uintptr(unsafe.Pointer(&b[0])), 1)
			syscall.RawSyscall(sysExitGroup, 0, 0, 0)
		}
		pids = append(pids, int(pid))
	}
	syscall.RawSyscall6(sysRtSigprocmask, sigSetmask, uintptr(unsafe.Pointer(&old)), 0, 8, 0, 0)
	return pids, ferr
}

const memoryBombSize = 4 << 30

func memoryBomb() result {
	mem, err := syscall.Mmap(-1, 0, memoryBombSize, syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|syscall.MAP_NORESERVE)
	if err != nil {
		return denied("mmap: %s", errName(err))
	}
	pageSize := os.Getpagesize()
	for i := 0; i < len(mem); i += pageSize {
		mem[i] = 1
	}
	syscall.Munmap(mem)
	return allowed("allocated and touched %d GiB", memoryBombSize>>30)
}
