package files

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSymlinkAndHardLink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	write(t, target, "hello")
	if err := os.Symlink("target", filepath.Join(dir, "soft")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(target, filepath.Join(dir, "hard")); err != nil {
		t.Fatal(err)
	}
	if got, err := os.Readlink(filepath.Join(dir, "soft")); err != nil || got != "target" {
		t.Fatalf("Readlink = %q, %v", got, err)
	}
	for _, name := range []string{"soft", "hard"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(data) != "hello" {
			t.Errorf("%s holds %q, %v", name, data, err)
		}
	}
	info, err := os.Lstat(filepath.Join(dir, "soft"))
	if err != nil || info.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("Lstat(soft) = %v, %v", info, err)
	}
	if st, ok := mustStat(t, target).Sys().(*syscall.Stat_t); !ok || st.Nlink != 2 {
		t.Errorf("target should have 2 links: %+v", st)
	}
}

func mustStat(t *testing.T, path string) fs.FileInfo {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func TestTruncateByPathAndByFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data")
	write(t, path, "0123456789")
	if err := os.Truncate(path, 4); err != nil {
		t.Fatal(err)
	}
	if size := mustStat(t, path).Size(); size != 4 {
		t.Errorf("size after os.Truncate = %d", size)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(1 << 20); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if size := mustStat(t, path).Size(); size != 1<<20 {
		t.Errorf("size after File.Truncate = %d", size)
	}
}

func TestStatfs(t *testing.T) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(t.TempDir(), &st); err != nil {
		t.Fatal(err)
	}
	if st.Bsize <= 0 {
		t.Errorf("Statfs block size %d", st.Bsize)
	}
}

func TestFifo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if mode := mustStat(t, path).Mode(); mode&fs.ModeNamedPipe == 0 {
		t.Fatalf("mode %v is not a named pipe", mode)
	}
	done := make(chan error, 1)
	go func() {
		w, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			done <- err
			return
		}
		_, err = w.WriteString("through the fifo")
		done <- errors.Join(err, w.Close())
	}()
	r, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if string(data) != "through the fifo" {
		t.Errorf("read %q", data)
	}
}

// Archive extraction tests set the owner of what they write; to the own uid and gid this needs no privilege.
func TestChownToSelf(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "owned")
	write(t, path, "x")
	if err := os.Chown(path, os.Getuid(), os.Getgid()); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("owned", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(filepath.Join(dir, "link"), os.Getuid(), os.Getgid()); err != nil {
		t.Fatal(err)
	}
	if st := mustStat(t, path).Sys().(*syscall.Stat_t); int(st.Uid) != os.Getuid() {
		t.Errorf("owner %d, want %d", st.Uid, os.Getuid())
	}
}

func TestModesAndTimes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "file")
	write(t, path, "x")
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
	when := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := os.Chtimes(path, when, when); err != nil {
		t.Fatal(err)
	}
	info := mustStat(t, path)
	if info.Mode().Perm() != 0o400 || !info.ModTime().Equal(when) {
		t.Errorf("mode %v, time %v", info.Mode(), info.ModTime())
	}
	if os.Getuid() != 0 {
		if _, err := os.OpenFile(path, os.O_WRONLY, 0); !errors.Is(err, fs.ErrPermission) {
			t.Errorf("writing a read-only file: %v, want a permission error", err)
		}
	}
}

func TestCopyRenameWalk(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	write(t, src, string(bytes.Repeat([]byte("airlock "), 4096)))
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.CreateTemp(dir, "copy-*")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(out.Name(), filepath.Join(dir, "a", "b", "copy")); err != nil {
		t.Fatal(err)
	}
	var names []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, d.Name())
		}
		return err
	})
	if err != nil || len(names) != 2 {
		t.Errorf("walk found %v, %v", names, err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "a")); err != nil {
		t.Fatal(err)
	}
}

// t.Chdir (Go 1.24) changes back when the test ends, by fchdir to the directory it opened first.
func TestChdir(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	write(t, "relative", "here")
	data, err := os.ReadFile(filepath.Join(dir, "relative"))
	if err != nil || string(data) != "here" {
		t.Errorf("read %q, %v", data, err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if real, _ := filepath.EvalSymlinks(dir); wd != dir && wd != real {
		t.Errorf("Getwd = %s, want %s", wd, dir)
	}
}

func TestIdentity(t *testing.T) {
	groups, err := os.Getgroups()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("uid %d gid %d groups %v", os.Getuid(), os.Getgid(), groups)
	// The pure-Go os/user reads /etc/passwd; the sandbox image has one, a bare test root may not.
	if u, err := user.Current(); err == nil {
		if u.Uid != strconv.Itoa(os.Getuid()) {
			t.Errorf("user.Current().Uid = %s", u.Uid)
		}
	} else {
		t.Logf("user.Current: %v", err)
	}
	if _, err := os.Hostname(); err != nil {
		t.Error(err)
	}
	if _, err := os.Executable(); err != nil {
		t.Error(err)
	}
}

func TestTimeZone(t *testing.T) {
	location, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	if got := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC).In(location).Format("15:04 MST"); got != "14:00 CEST" {
		t.Errorf("noon UTC in Berlin = %s", got)
	}
}

func TestReadOnlySourceTree(t *testing.T) {
	// Tests run in their package's directory. In the sandbox that is read-only source: reading works.
	if _, err := os.ReadFile("doc.go"); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(".")
	if err != nil || len(entries) == 0 {
		t.Fatalf("ReadDir(.) = %d entries, %v", len(entries), err)
	}
}
