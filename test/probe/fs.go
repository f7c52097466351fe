//go:build linux

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

const (
	sourceDir    = "/work/src"
	toolchainBin = "/usr/local/go/bin"
)

// tryCreate creates and removes a uniquely named file in dir.
func tryCreate(dir string) error {
	name := filepath.Join(dir, fmt.Sprintf(".airlock-probe-%d", os.Getpid()))
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	os.Remove(name)
	return nil
}

func createIn(dir string) func() result {
	return func() result {
		return plain(tryCreate(dir), "created a file in "+dir+" (removed again)")
	}
}

func writeToolchain() result {
	// Opening without O_TRUNC and writing nothing shows the permission without touching the file.
	openErr := func() error {
		f, err := os.OpenFile(toolchainBin+"/go", os.O_WRONLY, 0)
		if err == nil {
			f.Close()
		}
		return err
	}()
	createErr := tryCreate(toolchainBin)
	detail := fmt.Sprintf("open bin/go for writing: %s; create in bin/: %s", okOr(openErr), okOr(createErr))
	if openErr == nil || createErr == nil {
		return allowed("%s", detail)
	}
	return denied("%s", detail)
}

func okOr(err error) string {
	if err == nil {
		return "ok"
	}
	return errName(err)
}

func openForWrite(path string) func() result {
	return func() result {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return denied("%s", errName(err))
		}
		f.Close()
		return allowed("opened %s for writing (nothing written)", path)
	}
}

func writeSys() result {
	for _, p := range []string{"/sys/kernel/uevent_helper", "/sys/kernel/profiling", "/sys/kernel/mm/transparent_hugepage/enabled"} {
		if exists(p) {
			r := openForWrite(p)()
			r.Detail = p + ": " + r.Detail
			return r
		}
	}
	// With no attribute visible the attempt fails at the lookup; that is a denial too.
	return plain(tryCreate("/sys"), "created a file in /sys (removed again)")
}

func openKcore() result {
	f, err := os.Open("/proc/kcore")
	if err != nil {
		return denied("%s", errName(err))
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		return denied("masked: a character device (/dev/null) is mounted over it")
	}
	var buf [16]byte
	n, err := f.Read(buf[:])
	if n == 0 {
		if err != nil && err != io.EOF {
			return denied("opened, read: %s", errName(err))
		}
		return denied("opened but reads as empty (masked)")
	}
	return allowed("read %d bytes", n)
}

func readOtherEnviron() result {
	me := os.Getuid()
	var others []int
	visible := 0
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return denied("cannot list /proc: %s", errName(err))
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		visible++
		uid, ok := procUID(pid)
		if !ok || uid == me {
			continue
		}
		if pid == 1 {
			others = append([]int{1}, others...)
		} else {
			others = append(others, pid)
		}
	}
	if len(others) == 0 {
		return denied("no process of another user is visible (%d process(es), all uid %d)", visible, me)
	}
	var lastErr error
	tried := 0
	for _, pid := range others {
		if tried == 20 {
			break
		}
		tried++
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil {
			lastErr = err
			continue
		}
		if len(b) > 0 {
			uid, _ := procUID(pid)
			return allowed("read %d bytes of pid %d's environment (uid %d)", len(b), pid, uid)
		}
	}
	if lastErr == nil {
		return denied("%d processes of other users visible, their environments are empty", len(others))
	}
	return denied("%d processes of other users visible; environ: %s", len(others), errName(lastErr))
}

func procUID(pid int) (int, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Uid:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				uid, err := strconv.Atoi(f[0])
				return uid, err == nil
			}
		}
	}
	return 0, false
}

func dockerSock(path string) func() result {
	return func() result {
		var st syscall.Stat_t
		if err := syscall.Stat(path, &st); err != nil {
			return denied("stat: %s", errName(err))
		}
		fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC|syscall.SOCK_NONBLOCK, 0)
		if err != nil {
			return denied("exists; socket: %s", errName(err))
		}
		defer syscall.Close(fd)
		if err := syscall.Connect(fd, &syscall.SockaddrUnix{Name: path}); err != nil && !errors.Is(err, syscall.EINPROGRESS) {
			return denied("exists; connect: %s", errName(err))
		}
		return allowed("connected to %s", path)
	}
}

func openRead(path string) func() result {
	return func() result {
		f, err := os.Open(path)
		if err != nil {
			return denied("%s", errName(err))
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil && fi.IsDir() {
			names, err := f.Readdirnames(-1)
			if err != nil {
				return denied("opened, readdir: %s", errName(err))
			}
			return allowed("listed %d entries", len(names))
		}
		var b [1]byte
		if _, err := f.Read(b[:]); err != nil && err != io.EOF {
			return denied("opened, read: %s", errName(err))
		}
		return allowed("opened and read (contents not reported)")
	}
}

func mkdev(major, minor uint64) uint64 {
	return (minor & 0xff) | (major&0xfff)<<8 | (minor&^0xff)<<12 | (major&^0xfff)<<32
}

func mknodProbe(kind uint32, major, minor uint64) func() result {
	return func() result {
		// Next to the binary, on the writable volume: unlike /tmp it is not mounted nodev.
		dir := "/tmp"
		if exe, err := os.Executable(); err == nil {
			dir = filepath.Dir(exe)
		}
		name := filepath.Join(dir, fmt.Sprintf(".airlock-probe-dev-%d", os.Getpid()))
		err := syscall.Mknod(name, kind|0o600, int(mkdev(major, minor)))
		if err != nil {
			return denied("%s", errName(err))
		}
		os.Remove(name)
		return allowed("created device node %d:%d in %s (removed again)", major, minor, dir)
	}
}

// mkfifoProbe makes a named pipe (mknodat with S_IFIFO) in /tmp, where tests make theirs (t.TempDir); the
// test profile allows it, the build profile does not.
func mkfifoProbe() result {
	dir := "/tmp"
	name := filepath.Join(dir, fmt.Sprintf("airlock-probe-fifo-%d", os.Getpid()))
	if err := syscall.Mkfifo(name, 0o600); err != nil {
		return denied("%s", errName(err))
	}
	os.Remove(name)
	return allowed("created a fifo in %s (removed again)", dir)
}

func execTmp() result {
	dst := fmt.Sprintf("/tmp/airlock-probe-exec-%d", os.Getpid())
	defer os.Remove(dst)
	if err := copySelf(dst); err != nil {
		return denied("writing the copy: %s", errName(err))
	}
	if err := exec.Command(dst, "-child", childNoop).Run(); err != nil {
		return denied("%s", errName(err))
	}
	return allowed("executed a copy of the probe from /tmp")
}

func copySelf(dst string) error {
	src, err := os.Open("/proc/self/exe")
	if err != nil {
		return err
	}
	defer src.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, src); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func execShell() result {
	if err := exec.Command("/bin/sh", "-c", "exit 0").Run(); err != nil {
		return denied("%s", errName(err))
	}
	return allowed("ran /bin/sh")
}
