package main

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain runs the real main when a test starts this binary again with FILE_HELPER_MAIN=1, so exit codes,
// stderr and signals are tested on the process itself.
func TestMain(m *testing.M) {
	if os.Getenv("FILE_HELPER_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type entry struct {
	name     string
	typeflag byte
	mode     int64
	body     string
	linkname string
}

func tarOf(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buffer bytes.Buffer
	writer := tar.NewWriter(&buffer)
	for _, e := range entries {
		header := &tar.Header{Name: e.name, Typeflag: e.typeflag, Mode: e.mode, Linkname: e.linkname, Size: int64(len(e.body))}
		if e.typeflag != tar.TypeReg {
			header.Size = 0
		}
		if err := writer.WriteHeader(header); err != nil {
			t.Fatal(err)
		}
		if _, err := writer.Write([]byte(e.body)); err != nil && header.Size > 0 {
			t.Fatal(err)
		}
	}
	if err := writer.Close(); err != nil {
		t.Fatal(err)
	}
	return buffer.Bytes()
}

func mode(t *testing.T, name string) os.FileMode {
	t.Helper()
	info, err := os.Lstat(name)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mode()
}

func TestReceiveWritesFilesAndDirectoriesWithPlainModes(t *testing.T) {
	dir := t.TempDir()
	stream := tarOf(t,
		entry{name: "./", typeflag: tar.TypeDir, mode: 0o700},
		entry{name: "./cmd/", typeflag: tar.TypeDir, mode: 0o777 | int64(os.ModeSticky)},
		entry{name: "./cmd/main.go", typeflag: tar.TypeReg, mode: 0o666, body: "package main\n"},
		entry{name: "tool", typeflag: tar.TypeReg, mode: 0o4750, body: "#!"},
		entry{name: "deep/er/file", typeflag: tar.TypeReg, mode: 0o600, body: "x"},
		entry{name: "a//b/./c.txt", typeflag: tar.TypeReg, mode: 0o644, body: "c"},
	)
	if err := receive(bytes.NewReader(stream), dir); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "cmd/main.go")); string(got) != "package main\n" {
		t.Errorf("cmd/main.go holds %q", got)
	}
	checks := map[string]os.FileMode{
		"cmd":          os.ModeDir | 0o755,
		"cmd/main.go":  0o644,
		"tool":         0o755,
		"deep":         os.ModeDir | 0o755,
		"deep/er":      os.ModeDir | 0o755,
		"deep/er/file": 0o644,
		"a/b/c.txt":    0o644,
	}
	for name, want := range checks {
		if got := mode(t, filepath.Join(dir, name)); got != want {
			t.Errorf("%s has mode %v, want %v", name, got, want)
		}
	}
}

func TestReceiveRefusesWhatIsNotAPlainFileOrDirectoryUnderDir(t *testing.T) {
	cases := map[string]entry{
		"symbolic link":  {name: "link", typeflag: tar.TypeSymlink, linkname: "/etc/passwd"},
		"hard link":      {name: "hard", typeflag: tar.TypeLink, linkname: "other"},
		"char device":    {name: "null", typeflag: tar.TypeChar},
		"block device":   {name: "disk", typeflag: tar.TypeBlock},
		"fifo":           {name: "pipe", typeflag: tar.TypeFifo},
		"absolute name":  {name: "/tmp/escaped", typeflag: tar.TypeReg, body: "x"},
		"dot-dot":        {name: "../escaped", typeflag: tar.TypeReg, body: "x"},
		"inner dot-dot":  {name: "a/../../escaped", typeflag: tar.TypeReg, body: "x"},
		"dot-dot dir":    {name: "a/..", typeflag: tar.TypeDir},
		"the dir itself": {name: "./.", typeflag: tar.TypeReg, body: "x"},
	}
	for what, e := range cases {
		t.Run(what, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "in")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			err := receive(bytes.NewReader(tarOf(t, e)), dir)
			if err == nil || !strings.Contains(err.Error(), "refused") {
				t.Fatalf("want a refusal, got %v", err)
			}
			for _, d := range []string{parent, dir} {
				if names, _ := os.ReadDir(d); len(names) > map[string]int{parent: 1, dir: 0}[d] {
					t.Errorf("%s now holds %v", d, names)
				}
			}
		})
	}
}

func TestReceiveNeverFollowsALinkOnDiskNorReplacesAFile(t *testing.T) {
	outside := t.TempDir()
	cases := map[string]entry{
		"through a linked directory": {name: "link/file", typeflag: tar.TypeReg, body: "x"},
		"onto a link":                {name: "link", typeflag: tar.TypeReg, body: "x"},
		"a link as a directory":      {name: "link/", typeflag: tar.TypeDir},
		"onto a dangling link":       {name: "dangling", typeflag: tar.TypeReg, body: "x"},
		"over an existing file":      {name: "existing", typeflag: tar.TypeReg, body: "x"},
		"a directory over a file":    {name: "existing/", typeflag: tar.TypeDir},
	}
	for what, e := range cases {
		t.Run(what, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(outside, "made"), filepath.Join(dir, "dangling")); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "existing"), []byte("kept"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := receive(bytes.NewReader(tarOf(t, e)), dir); err == nil || !strings.Contains(err.Error(), "refused") {
				t.Fatalf("want a refusal, got %v", err)
			}
			if names, _ := os.ReadDir(outside); len(names) != 0 {
				t.Errorf("written outside: %v", names)
			}
			if got, _ := os.ReadFile(filepath.Join(dir, "existing")); string(got) != "kept" {
				t.Errorf("existing now holds %q", got)
			}
		})
	}
}

func TestReceiveReturnsAtTheEndMarkerWithStdinStillOpen(t *testing.T) {
	dir := t.TempDir()
	reader, writer := io.Pipe()
	defer writer.Close()
	go func() { _, _ = writer.Write(tarOf(t, entry{name: "f", typeflag: tar.TypeReg, body: "x"})) }()
	done := make(chan error, 1)
	go func() { done <- receive(reader, dir) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("receive waited for the end of its input instead of the tar end marker")
	}
}

func TestSendWritesTheFileAloneWithFixedMetadata(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "app")
	if err := os.WriteFile(file, []byte("\x7fELF..."), 0o700); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := send(&out, file); err != nil {
		t.Fatal(err)
	}
	reader := tar.NewReader(&out)
	header, err := reader.Next()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(reader)
	if header.Name != "app" || header.Typeflag != tar.TypeReg || header.Mode != 0o755 || header.Uid != 0 || header.Gid != 0 ||
		header.Uname != "" || header.Gname != "" || header.ModTime.Unix() != 0 || string(body) != "\x7fELF..." {
		t.Errorf("unexpected entry %+v holding %q", header, body)
	}
	if _, err := reader.Next(); err != io.EOF {
		t.Errorf("a second entry or no end marker: %v", err)
	}
}

func TestSendRefusesAnythingButARegularFile(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "directory"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"link", "fifo", "directory", "missing"} {
		var out bytes.Buffer
		if err := send(&out, filepath.Join(dir, name)); err == nil || out.Len() != 0 {
			t.Errorf("%s: sent %d bytes, error %v", name, out.Len(), err)
		}
	}
}

func TestIdleEndsWithItsInputOrWhenStopped(t *testing.T) {
	reader, writer := io.Pipe()
	done := make(chan struct{})
	go func() { idle(reader, nil); close(done) }()
	_, _ = writer.Write([]byte("ignored"))
	writer.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("idle did not end with its input")
	}
	stop := make(chan os.Signal, 1)
	held, _ := io.Pipe()
	done = make(chan struct{})
	go func() { idle(held, stop); close(done) }()
	stop <- syscall.SIGTERM
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("idle did not end when stopped")
	}
}

func helper(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "FILE_HELPER_MAIN=1")
	return cmd
}

func TestTheProgramExitsNonZeroWithOneLineOnARefusal(t *testing.T) {
	cmd := helper("receive", t.TempDir())
	cmd.Stdin = bytes.NewReader(tarOf(t, entry{name: "evil\nname/../x", typeflag: tar.TypeReg, body: "x"}))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 {
		t.Fatalf("want exit 1, got %v", err)
	}
	if lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "file-helper: ") {
		t.Errorf("stderr is not one line: %q", stderr.String())
	}
	if err := helper("unpack").Run(); err == nil {
		t.Error("an unknown subcommand was accepted")
	}
}

func TestIdleExitsZeroOnSIGTERMAndAtTheEndOfStdin(t *testing.T) {
	for _, input := range []string{"a pipe", "/dev/null"} {
		cmd := helper("idle")
		if input == "a pipe" {
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
		} // else exec gives the process /dev/null, as a container runtime does to a container without stdin
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case err := <-exited:
			t.Fatalf("with %s as stdin, idle ended by itself: %v", input, err)
		case <-time.After(500 * time.Millisecond): // long enough to have started and installed its handler
		}
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := <-exited; err != nil {
			t.Fatalf("with %s as stdin, after SIGTERM: %v", input, err)
		}
	}
	cmd := helper("idle")
	cmd.Stdin = strings.NewReader("")
	if err := cmd.Run(); err != nil {
		t.Fatalf("at the end of stdin: %v", err)
	}
}

func TestReceiveGivesPlainModesUnderARestrictiveUmask(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	dir := t.TempDir()
	stream := tarOf(t,
		entry{name: "d/", typeflag: tar.TypeDir, mode: 0o700},
		entry{name: "d/f", typeflag: tar.TypeReg, mode: 0o600, body: "x"},
		entry{name: "d/x", typeflag: tar.TypeReg, mode: 0o700, body: "x"},
	)
	if err := receive(bytes.NewReader(stream), dir); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]os.FileMode{"d": os.ModeDir | 0o755, "d/f": 0o644, "d/x": 0o755} {
		if got := mode(t, filepath.Join(dir, name)); got != want {
			t.Errorf("%s has mode %v, want %v", name, got, want)
		}
	}
}

func TestParseRunReadsDirectoryEnvironmentAndCommand(t *testing.T) {
	dir, env, argv, err := parseRun([]string{"/work/src", "A=1", "B=x=y", "EMPTY=", "--", "/usr/local/go/bin/go", "build", "--", "-o"})
	if err != nil {
		t.Fatal(err)
	}
	if dir != "/work/src" || strings.Join(env, "|") != "A=1|B=x=y|EMPTY=" || strings.Join(argv, "|") != "/usr/local/go/bin/go|build|--|-o" {
		t.Errorf("got %q %q %q", dir, env, argv)
	}
	refused := [][]string{
		{},
		{"relative", "--", "/bin/true"},
		{"/", "NOEQUALS", "--", "/bin/true"},
		{"/", "=value", "--", "/bin/true"},
		{"/", "A=1"},
		{"/", "A=1", "--"},
		{"/", "--", "true"},
	}
	for _, args := range refused {
		if _, _, _, err := parseRun(args); err == nil {
			t.Errorf("%q was accepted", args)
		}
	}
}

func TestRunExecsWithExactlyThatEnvironmentAndDirectory(t *testing.T) {
	dir := t.TempDir()
	envBinary, err := exec.LookPath("env")
	if err != nil {
		t.Skip("no env program on this host")
	}
	pwdBinary, err := exec.LookPath("pwd")
	if err != nil {
		t.Skip("no pwd program on this host")
	}
	out, err := helper("run", dir, "ONLY=this", "--", envBinary).Output()
	if err != nil {
		t.Fatal(err)
	}
	// FILE_HELPER_MAIN is in the helper's own environment, and must not reach the command.
	if string(out) != "ONLY=this\n" {
		t.Errorf("the command saw the environment %q", out)
	}
	out, err = helper("run", dir, "--", pwdBinary).Output()
	if err != nil {
		t.Fatal(err)
	}
	if resolved, _ := filepath.EvalSymlinks(dir); strings.TrimSpace(string(out)) != dir && strings.TrimSpace(string(out)) != resolved {
		t.Errorf("the command ran in %q, want %q", out, dir)
	}
	falseBinary, err := exec.LookPath("false")
	if err == nil {
		err = helper("run", dir, "--", falseBinary).Run()
		if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 {
			t.Errorf("the command's exit status was not passed on: %v", err)
		}
	}
}
