package processes

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHelperProcess is not a test: it is the helper the other tests start (os/exec of the test binary itself,
// as the standard library's own tests do; the sandbox holds no other program).
func TestHelperProcess(t *testing.T) {
	switch os.Getenv("TYPICAL_HELPER") {
	case "":
		t.Skip("only runs as a helper process")
	case "pgid":
		fmt.Println(syscall.Getpgrp())
		os.Exit(0)
	case "sleep":
		time.Sleep(time.Minute)
		os.Exit(0)
	case "exit3":
		os.Exit(3)
	}
	os.Exit(2)
}

func helper(ctx context.Context, mode string) *exec.Cmd {
	command := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$")
	command.Env = append(os.Environ(), "TYPICAL_HELPER="+mode)
	return command
}

func TestExitCode(t *testing.T) {
	err := helper(context.Background(), "exit3").Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("helper exit: %v", err)
	}
	if exit.ProcessState.SystemTime() < 0 || exit.ProcessState.UserTime() < 0 {
		t.Error("negative rusage")
	}
}

func TestSetpgid(t *testing.T) {
	command := helper(context.Background(), "pgid")
	command.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	output, err := command.Output()
	if err != nil {
		t.Fatal(err)
	}
	pgid, err := strconv.Atoi(strings.TrimSpace(string(output)))
	if err != nil {
		t.Fatal(err)
	}
	if pgid == syscall.Getpgrp() || pgid != command.Process.Pid {
		t.Errorf("helper's process group %d (its pid %d, ours %d)", pgid, command.Process.Pid, syscall.Getpgrp())
	}
}

func TestCommandContextKill(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	started := time.Now()
	err := helper(ctx, "sleep").Run()
	if err == nil || time.Since(started) > 30*time.Second {
		t.Fatalf("the sleeping helper was not killed: %v after %v", err, time.Since(started))
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("helper ended with %v, want SIGKILL", err)
	}
}

// Test suites that start process trees kill the whole group (Setpgid, then a negative pid).
func TestKillProcessGroup(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	command := helper(ctx, "sleep")
	command.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	command.Cancel = func() error { return syscall.Kill(-command.Process.Pid, syscall.SIGTERM) }
	command.WaitDelay = 10 * time.Second
	if err := command.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	cancel()
	err := command.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
		t.Errorf("helper ended with %v, want SIGTERM", err)
	}
}

func TestSignalSelf(t *testing.T) {
	received := make(chan os.Signal, 2)
	signal.Notify(received, syscall.SIGUSR1)
	defer signal.Stop(received)
	self, err := os.FindProcess(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	send := []func() error{
		func() error { return syscall.Kill(os.Getpid(), syscall.SIGUSR1) },
		func() error { return self.Signal(syscall.SIGUSR1) },
	}
	for _, signalSelf := range send {
		if err := signalSelf(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-received:
		case <-time.After(10 * time.Second):
			t.Fatal("SIGUSR1 did not arrive")
		}
	}
}

func TestCPUProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.pprof")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(300 * time.Millisecond)
	n := 0
	for time.Now().Before(deadline) {
		n += len(strconv.Itoa(n))
	}
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var heap bytes.Buffer
	if err := pprof.WriteHeapProfile(&heap); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Size() == 0 || heap.Len() == 0 {
		t.Errorf("profiles: cpu %v (%v), heap %d bytes", info, err, heap.Len())
	}
}

func TestRusageAndLimits(t *testing.T) {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		t.Fatal(err)
	}
	if usage.Maxrss <= 0 {
		t.Errorf("Maxrss %d", usage.Maxrss)
	}
	var limit syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &limit); err != nil {
		t.Fatal(err)
	}
	if limit.Cur == 0 {
		t.Error("no file descriptors allowed")
	}
}

// Tools' test suites run the go command (it is first on PATH under go test).
func TestGoCommand(t *testing.T) {
	path, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go is not on PATH: %v", err)
	}
	output, err := exec.Command(path, "env", "GOROOT").Output()
	if err != nil || len(bytes.TrimSpace(output)) == 0 {
		t.Fatalf("go env GOROOT: %q, %v", output, err)
	}
	if _, err := exec.LookPath("sh"); err == nil {
		t.Log("a shell is on PATH (not so in the sandbox)")
	}
}

func TestPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go func() {
		_, _ = w.WriteString("through the pipe")
		w.Close()
	}()
	buf := make([]byte, 64)
	n, _ := r.Read(buf)
	if string(buf[:n]) != "through the pipe" {
		t.Errorf("read %q", buf[:n])
	}
}
