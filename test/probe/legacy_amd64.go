//go:build linux

package main

import "syscall"

const (
	x32SyscallBit = 0x40000000
	i386Getpid    = 20
)

// int80 enters the kernel through the i386 compat gate and returns the raw EAX value.
func int80(trap, a1, a2, a3 uintptr) uintptr

func probeX32() result {
	return watchThread("x32 getpid", func() (uintptr, syscall.Errno) {
		// syscall.Syscall (not Raw) hands the P back, so a killed thread does not stall the runtime.
		r, _, e := syscall.Syscall(x32SyscallBit|sysGetpid, 0, 0, 0)
		return r, e
	})
}

func probeInt80() result {
	return watchThread("int 0x80 getpid", func() (uintptr, syscall.Errno) {
		r := int32(int80(i386Getpid, 0, 0, 0))
		if r < 0 && r > -4096 {
			return 0, syscall.Errno(-r)
		}
		return uintptr(r), 0
	})
}
