//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

const (
	outcomeDenied  = "denied"
	outcomeAllowed = "allowed"
	outcomeSkipped = "skipped"
)

type result struct {
	Outcome string `json:"outcome"`
	Detail  string `json:"detail"`
}

func denied(format string, a ...any) result {
	return result{outcomeDenied, fmt.Sprintf(format, a...)}
}

func allowed(format string, a ...any) result {
	return result{outcomeAllowed, fmt.Sprintf(format, a...)}
}

func skipped(format string, a ...any) result {
	return result{outcomeSkipped, fmt.Sprintf(format, a...)}
}

// plain reports a failed attempt as denied and a successful one as allowed.
func plain(err error, success string) result {
	if err != nil {
		return denied("%s", errName(err))
	}
	return allowed("%s", success)
}

// gated is for calls made with a deliberately invalid argument that the kernel validates only
// after its permission check: one of the pass errnos means the call got through seccomp and
// the capability check, so the privilege is there.
func gated(err error, success string, pass ...syscall.Errno) result {
	if err == nil {
		return allowed("%s", success)
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		for _, p := range pass {
			if e == p {
				return allowed("%s after the permission check (harmless invalid argument)", errnoName(e))
			}
		}
	}
	return denied("%s", errName(err))
}

// errName gives the errno name of err when it wraps one, else its message.
func errName(err error) string {
	var e syscall.Errno
	if errors.As(err, &e) {
		return errnoName(e)
	}
	return err.Error()
}

func errnoName(e syscall.Errno) string {
	if n, ok := errnoNames[e]; ok {
		return n
	}
	return fmt.Sprintf("errno %d (%s)", int(e), e.Error())
}

var errnoNames = map[syscall.Errno]string{
	syscall.EPERM: "EPERM", syscall.ENOENT: "ENOENT", syscall.ESRCH: "ESRCH", syscall.EINTR: "EINTR",
	syscall.EIO: "EIO", syscall.ENXIO: "ENXIO", syscall.E2BIG: "E2BIG", syscall.ENOEXEC: "ENOEXEC",
	syscall.EBADF: "EBADF", syscall.ECHILD: "ECHILD", syscall.EAGAIN: "EAGAIN", syscall.ENOMEM: "ENOMEM",
	syscall.EACCES: "EACCES", syscall.EFAULT: "EFAULT", syscall.EBUSY: "EBUSY", syscall.EEXIST: "EEXIST",
	syscall.EXDEV: "EXDEV", syscall.ENODEV: "ENODEV", syscall.ENOTDIR: "ENOTDIR", syscall.EISDIR: "EISDIR",
	syscall.EINVAL: "EINVAL", syscall.ENFILE: "ENFILE", syscall.EMFILE: "EMFILE", syscall.ENOTTY: "ENOTTY",
	syscall.ETXTBSY: "ETXTBSY", syscall.ENOSPC: "ENOSPC", syscall.EROFS: "EROFS", syscall.EPIPE: "EPIPE",
	syscall.ERANGE: "ERANGE", syscall.ENAMETOOLONG: "ENAMETOOLONG", syscall.ENOSYS: "ENOSYS",
	syscall.ELOOP: "ELOOP", syscall.ENODATA: "ENODATA", syscall.EOPNOTSUPP: "EOPNOTSUPP",
	syscall.EAFNOSUPPORT: "EAFNOSUPPORT", syscall.EPROTONOSUPPORT: "EPROTONOSUPPORT",
	syscall.ESOCKTNOSUPPORT: "ESOCKTNOSUPPORT", syscall.EPFNOSUPPORT: "EPFNOSUPPORT",
	syscall.EADDRNOTAVAIL: "EADDRNOTAVAIL", syscall.ENETDOWN: "ENETDOWN", syscall.ENETUNREACH: "ENETUNREACH",
	syscall.ECONNREFUSED: "ECONNREFUSED", syscall.ECONNRESET: "ECONNRESET", syscall.ETIMEDOUT: "ETIMEDOUT",
	syscall.EHOSTUNREACH: "EHOSTUNREACH", syscall.ENOTCONN: "ENOTCONN", syscall.ENOTSOCK: "ENOTSOCK",
	syscall.EDQUOT: "EDQUOT", syscall.ESTALE: "ESTALE", syscall.ENOKEY: "ENOKEY",
	syscall.EKEYREJECTED: "EKEYREJECTED", syscall.EOVERFLOW: "EOVERFLOW",
}

var signalNames = map[syscall.Signal]string{
	syscall.SIGSYS: "SIGSYS", syscall.SIGKILL: "SIGKILL", syscall.SIGSEGV: "SIGSEGV", syscall.SIGBUS: "SIGBUS",
	syscall.SIGILL: "SIGILL", syscall.SIGABRT: "SIGABRT", syscall.SIGTERM: "SIGTERM", syscall.SIGTRAP: "SIGTRAP",
}

func signalName(s syscall.Signal) string {
	if n, ok := signalNames[s]; ok {
		return n
	}
	return fmt.Sprintf("signal %d (%s)", int(s), s.String())
}

// check turns the results of syscall.Syscall6 into a value and an error that is nil on success.
func check(r, _ uintptr, e syscall.Errno) (uintptr, error) {
	if e != 0 {
		return r, e
	}
	return r, nil
}

func cstr(s string) *byte {
	b, err := syscall.BytePtrFromString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
