//go:build linux

package main

import (
	"os"
	"runtime"
	"syscall"
	"unsafe"
)

const sandboxEnv = "AIRLOCK_PROBE_IN_SANDBOX"

// sandboxGuard lets a destructive probe run only when the caller says it is in the sandbox and
// the process can see a container runtime's marker, so that running the suite as root on a
// host by mistake cannot mount, reboot, load modules or change the clock.
func sandboxGuard() (bool, string) {
	if os.Getenv(sandboxEnv) != "1" {
		return false, "not in a sandbox (" + sandboxEnv + " is not 1)"
	}
	if exists("/.dockerenv") || exists("/run/.containerenv") {
		return true, ""
	}
	if b, err := os.ReadFile("/proc/1/cgroup"); err == nil && containsAny(string(b), "docker", "containerd", "libpod") {
		return true, ""
	}
	return false, "not in a sandbox (no /.dockerenv, /run/.containerenv or container cgroup)"
}

// ttyGuard protects an interactive terminal from TIOCSTI injection when the suite is run by hand.
func ttyGuard() (bool, string) {
	if !isTerminal(0) {
		return true, ""
	}
	return sandboxGuard()
}

func isTerminal(fd int) bool {
	var t syscall.Termios
	_, err := check(syscall.Syscall6(sysIoctl, uintptr(fd), syscall.TCGETS, uintptr(unsafe.Pointer(&t)), 0, 0, 0))
	return err == nil
}

func amd64Only() (bool, string) {
	if runtime.GOARCH != "amd64" {
		return false, "not amd64"
	}
	return true, ""
}
