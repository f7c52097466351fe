//go:build linux

// Command probe tries to break out of the airlock build sandbox and reports, one JSON line per
// attempt, whether the sandbox stopped it. See README.md.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

const expectedDenied = "denied"

// probeTimeout is the -timeout value; a child uses it to stay inside its parent's limit.
var probeTimeout = 5 * time.Second

type record struct {
	Probe    string `json:"probe"`
	Category string `json:"category"`
	Expected string `json:"expected"`
	Outcome  string `json:"outcome"`
	Detail   string `json:"detail"`
}

type listing struct {
	Probe       string `json:"probe"`
	Category    string `json:"category"`
	Expected    string `json:"expected"`
	Description string `json:"description"`
	Guarded     bool   `json:"guarded"`
	Isolated    bool   `json:"isolated"`
}

type summary struct {
	Summary bool `json:"summary"`
	Total   int  `json:"total"`
	Denied  int  `json:"denied"`
	Allowed int  `json:"allowed"`
	Skipped int  `json:"skipped"`
}

func main() {
	only := flag.String("only", "", "comma-separated probe names to run (default: all)")
	list := flag.Bool("list", false, "print the probes as JSON lines without running them")
	timeout := flag.Duration("timeout", 5*time.Second, "wall-clock limit for each probe that runs in a child process")
	child := flag.String("child", "", "internal: run one probe in this process and print its result")
	flag.Parse()
	probeTimeout = *timeout

	// The resolver must be Go's own even if someone builds with cgo.
	if g := os.Getenv("GODEBUG"); !strings.Contains(g, "netdns=") {
		os.Setenv("GODEBUG", strings.TrimPrefix(g+",netdns=go", ","))
	}

	out := json.NewEncoder(os.Stdout)
	out.SetEscapeHTML(false)

	if *child != "" {
		os.Exit(runChild(out, *child))
	}
	if *list {
		for _, p := range probes {
			out.Encode(listing{p.name, p.category, expectedOutcome(p.name), p.desc, p.destructive, p.isolated})
		}
		return
	}

	selected, unknown := selectProbes(*only)
	var sum summary
	emit := func(rec record) {
		out.Encode(rec)
		sum.Total++
		switch rec.Outcome {
		case outcomeDenied:
			sum.Denied++
		case outcomeAllowed:
			sum.Allowed++
		default:
			sum.Skipped++
		}
	}
	for _, name := range unknown {
		emit(record{name, "", expectedDenied, outcomeSkipped, "unknown probe"})
	}
	for _, p := range selected {
		r := runProbe(p, *timeout)
		emit(record{p.name, p.category, expectedOutcome(p.name), r.Outcome, r.Detail})
	}
	reapOrphans()
	sum.Summary = true
	out.Encode(sum)
}

func selectProbes(only string) (selected []probe, unknown []string) {
	if strings.TrimSpace(only) == "" {
		return probes, nil
	}
	want := map[string]bool{}
	for _, n := range strings.Split(only, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	for _, p := range probes {
		if want[p.name] {
			selected = append(selected, p)
			delete(want, p.name)
		}
	}
	for _, n := range strings.Split(only, ",") {
		if n = strings.TrimSpace(n); want[n] {
			unknown = append(unknown, n)
			delete(want, n)
		}
	}
	return selected, unknown
}

func runProbe(p probe, timeout time.Duration) result {
	if ok, why := p.allowedHere(); !ok {
		return skipped("%s", why)
	}
	if p.isolated {
		return runIsolated(p, timeout)
	}
	return call(p)
}

func call(p probe) (r result) {
	defer func() {
		if v := recover(); v != nil {
			r = skipped("probe panicked: %v", v)
		}
	}()
	return p.run()
}

// childNoop is what the exec-tmp probe runs from its copy in /tmp.
const childNoop = "noop"

func runChild(out *json.Encoder, name string) int {
	if name == childNoop {
		return 0
	}
	p, ok := probeByName(name)
	if !ok {
		fmt.Fprintf(os.Stderr, "probe: unknown probe %q\n", name)
		return 2
	}
	// The guard is checked again so that a child started by hand cannot skip it.
	if ok, why := p.allowedHere(); !ok {
		out.Encode(skipped("%s", why))
		return 0
	}
	out.Encode(call(p))
	return 0
}

func (p probe) allowedHere() (bool, string) {
	if p.destructive {
		if ok, why := sandboxGuard(); !ok {
			return false, why
		}
	}
	if p.guard != nil {
		return p.guard()
	}
	return true, ""
}

func probeByName(name string) (probe, bool) {
	for _, p := range probes {
		if p.name == name {
			return p, true
		}
	}
	return probe{}, false
}

// runIsolated re-executes the probe binary for one probe, because the probe may kill its own
// thread or process (seccomp kill action, OOM, pids limit) or leave a thread in a changed state.
func runIsolated(p probe, timeout time.Duration) result {
	if timeout < p.minTimeout {
		timeout = p.minTimeout
	}
	if p.prewarm {
		prewarmThreads(8)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/proc/self/exe", "-child", p.name, "-timeout", timeout.String())
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &limitedWriter{w: &stderr, n: 64 << 10}
	// Its own process group, so that the kill(-1) probe runs outside ours and the timeout reaches
	// the child's whole tree. setsid rather than setpgid: the strict profile allows only setsid.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	err := cmd.Run()
	reapOrphans()

	if r, ok := parseChildResult(stdout.Bytes()); ok {
		return r
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return denied("timeout after %s", timeout)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			if ws.Signal() == syscall.SIGKILL && p.oomExpected {
				return denied("oom-killed (SIGKILL)")
			}
			return denied("killed by %s", signalName(ws.Signal()))
		}
		return skipped("child exited with status %d without a result: %s", ee.ExitCode(), lastLine(stderr.String()))
	}
	if err != nil {
		return skipped("could not run the child: %v", err)
	}
	return skipped("child gave no result: %s", lastLine(stderr.String()))
}

func parseChildResult(b []byte) (result, bool) {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	for i := len(lines) - 1; i >= 0; i-- {
		var r result
		if json.Unmarshal(lines[i], &r) == nil && r.Outcome != "" {
			return r, true
		}
	}
	return result{}, false
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" && !strings.HasPrefix(l, "goroutine ") {
			return l
		}
	}
	return "(no output)"
}

// reapOrphans collects children re-parented to us. In the container the probe is PID 1, so
// grandchildren of a killed child would otherwise stay zombies and count against the pids limit.
// It is only called when no exec.Cmd is outstanding.
func reapOrphans() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
	}
}

// prewarmThreads makes the Go runtime create n spare OS threads now, so that it does not need
// to create one while a child holds the pids limit exhausted (thread creation failure is fatal).
func prewarmThreads(n int) {
	done := make(chan struct{})
	for i := 0; i < n; i++ {
		go func() {
			ts := syscall.Timespec{Nsec: 20 * int64(time.Millisecond)}
			syscall.Syscall(sysNanosleep, uintptr(unsafe.Pointer(&ts)), 0, 0)
			done <- struct{}{}
		}()
	}
	for i := 0; i < n; i++ {
		<-done
	}
}

type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}
