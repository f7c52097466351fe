// Command file-helper moves files into and out of airlock's sandbox, whose image has no shell and no tar:
// airlock runs it through exec with a tar stream on its standard input or output. It is the only program
// in the image besides the verified Go toolchain, so it is small, uses the standard library only, and
// refuses anything it was not made for. airlock builds it itself with a verified toolchain
// (src/sandbox/file-helper.ts) and records its digest.
//
//	file-helper receive DIR   unpack one tar stream from stdin under DIR
//	file-helper send FILE     write one tar stream holding FILE alone to stdout
//	file-helper idle          wait for SIGTERM, SIGINT or the end of stdin: the pod's main process
//	file-helper run DIR NAME=VALUE... -- COMMAND ARG...
//	                          run COMMAND (an absolute path) in DIR with exactly that environment: Kubernetes
//	                          exec cannot set a working directory or an environment, so airlock asks for them here
package main

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unicode"
)

func main() {
	if len(os.Args) == 2 && os.Args[1] == "idle" {
		idle(attachedInput(os.Stdin), notifyStop())
		return
	}
	var err error
	switch {
	case len(os.Args) == 3 && os.Args[1] == "receive":
		err = receive(os.Stdin, os.Args[2])
	case len(os.Args) == 3 && os.Args[1] == "send":
		err = send(os.Stdout, os.Args[2])
	case len(os.Args) >= 2 && os.Args[1] == "run":
		err = run(os.Args[2:])
	default:
		fmt.Fprintln(os.Stderr, "usage: file-helper receive DIR | send FILE | idle | run DIR NAME=VALUE... -- COMMAND ARG...")
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "file-helper: %s\n", oneLine(err.Error()))
		os.Exit(1)
	}
}

// oneLine escapes control characters: a name in a message (from a hostile stream, say) cannot break it into
// lines, and airlock shows the one line it reads as the reason.
func oneLine(text string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, text)
}

// receive unpacks one tar stream under dir. Only regular files and directories are written; every name
// stays under dir, and no symbolic link on disk is ever followed, so a hostile stream (or a link left in
// dir) cannot write anywhere else. It returns at the stream's end marker: the sender need not close stdin.
func receive(stream io.Reader, dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	reader := tar.NewReader(stream)
	for {
		header, err := reader.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the tar stream: %w", err)
		}
		name, err := relativeName(header.Name)
		if err != nil {
			return err
		}
		switch header.Typeflag {
		case tar.TypeDir:
			if err := ensureDirectories(root, name); err != nil {
				return err
			}
		case tar.TypeReg:
			if name == "." {
				return fmt.Errorf("%q: refused: a file cannot be the directory itself", header.Name)
			}
			if err := ensureDirectories(root, filepath.Dir(name)); err != nil {
				return err
			}
			if err := writeFile(root, name, reader, fileMode(header.Mode)); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%q: refused: it is %s; only regular files and directories are received", header.Name, tarTypeName(header.Typeflag))
		}
	}
}

func tarTypeName(typeflag byte) string {
	names := map[byte]string{
		tar.TypeSymlink: "a symbolic link",
		tar.TypeLink:    "a hard link",
		tar.TypeChar:    "a character device",
		tar.TypeBlock:   "a block device",
		tar.TypeFifo:    "a fifo",
	}
	if name, ok := names[typeflag]; ok {
		return name
	}
	return fmt.Sprintf("of tar type %q", typeflag)
}

// relativeName turns a tar name into a path under the receiving directory ("." for the directory itself).
// "./" prefixes and empty elements are dropped; an absolute name or any ".." element is refused outright
// rather than cleaned, since no stream airlock sends has one.
func relativeName(name string) (string, error) {
	if strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("%q: refused: an absolute name", name)
	}
	var kept []string
	for _, element := range strings.Split(name, "/") {
		switch element {
		case "..":
			return "", fmt.Errorf("%q: refused: a name with a .. element", name)
		case "", ".":
		default:
			kept = append(kept, element)
		}
	}
	if len(kept) == 0 {
		return ".", nil
	}
	return strings.Join(kept, "/"), nil
}

// fileMode keeps only whether the file is executable: no set-id bits, no sticky bit, no group or world write.
func fileMode(mode int64) fs.FileMode {
	if mode&0o111 != 0 {
		return 0o755
	}
	return 0o644
}

// ensureDirectories makes each directory of name that is missing, and refuses when one of them exists as
// anything but a directory: a symbolic link there would otherwise lead the next write elsewhere.
func ensureDirectories(root *os.Root, name string) error {
	if name == "." {
		return nil
	}
	elements := strings.Split(name, "/")
	for i := range elements {
		prefix := strings.Join(elements[:i+1], "/")
		info, err := root.Lstat(prefix)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := root.Mkdir(prefix, 0o755); err != nil {
				return err
			}
			if err := settleDirectoryMode(root, prefix); err != nil {
				return err
			}
		case err != nil:
			return err
		case info.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%q: refused: it is a symbolic link on disk", prefix)
		case !info.IsDir():
			return fmt.Errorf("%q: refused: it exists and is not a directory", prefix)
		}
	}
	return nil
}

// settleDirectoryMode makes sure a new directory has 0755 whatever the umask took away at mkdir, through a
// descriptor opened without following links, not by name (Root.Chmod follows a link that replaced the
// directory meanwhile).
func settleDirectoryMode(root *os.Root, name string) error {
	dir, err := root.OpenFile(name, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	defer dir.Close()
	return settleMode(dir, 0o755)
}

// settleMode gives an open file the mode it was created with when the umask took bits away; with the usual
// umask (022) nothing is to be done. It does not use fchmod, which airlock's build seccomp profile (the one
// a Kubernetes pod runs every container under, the fill container too) does not allow, but fchmodat on the
// descriptor's own /proc entry: that names the very file opened, never a link put in its place.
func settleMode(file *os.File, mode fs.FileMode) error {
	info, err := file.Stat()
	if err != nil {
		return err
	}
	if info.Mode().Perm() == mode {
		return nil
	}
	// syscall.Chmod is fchmodat(AT_FDCWD, ...) on Linux.
	return syscall.Chmod(fmt.Sprintf("/proc/self/fd/%d", file.Fd()), uint32(mode))
}

// writeFile creates name, which must not exist: O_EXCL never follows a symbolic link, not even a dangling one,
// and a stream naming one file twice is refused rather than allowed to replace what it wrote.
func writeFile(root *os.Root, name string, content io.Reader, mode fs.FileMode) error {
	file, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, mode)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%q: refused: it already exists", name)
	}
	if err != nil {
		return err
	}
	if _, err := io.Copy(file, content); err != nil {
		file.Close()
		return fmt.Errorf("%q: %w", name, err)
	}
	if err := settleMode(file, mode); err != nil {
		file.Close()
		return err
	}
	return file.Close()
}

// send writes a tar stream holding the regular file name alone, under its base name, owned by 0:0 and dated
// at the epoch, so the stream depends on the file's bytes and executable bit only. A link, a directory or a
// device in its place is refused: airlock asked for the file the build wrote, nothing else.
func send(out io.Writer, name string) error {
	info, err := os.Lstat(name)
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%q: refused: not a regular file (%s)", name, fileTypeName(info.Mode()))
	}
	// O_NOFOLLOW and O_NONBLOCK: if the name was swapped for a link or a fifo since the Lstat, opening it
	// fails or returns at once instead of following the link or waiting for a writer.
	file, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	defer file.Close()
	opened, err := file.Stat()
	if err != nil {
		return err
	}
	if !os.SameFile(info, opened) {
		return fmt.Errorf("%q: refused: it changed while being opened", name)
	}
	writer := tar.NewWriter(out)
	header := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     filepath.Base(name),
		Size:     opened.Size(),
		Mode:     int64(fileMode(int64(opened.Mode().Perm()))),
		ModTime:  time.Unix(0, 0),
	}
	if err := writer.WriteHeader(header); err != nil {
		return err
	}
	if _, err := io.CopyN(writer, file, header.Size); err != nil {
		return fmt.Errorf("%q: %w (did it change while being sent?)", name, err)
	}
	// Close writes the end marker, which is how the receiver knows the stream is whole.
	return writer.Close()
}

func fileTypeName(mode fs.FileMode) string {
	switch {
	case mode.IsDir():
		return "a directory"
	case mode&fs.ModeSymlink != 0:
		return "a symbolic link"
	case mode&fs.ModeNamedPipe != 0:
		return "a fifo"
	case mode&fs.ModeDevice != 0:
		return "a device"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	}
	return "not a plain file"
}

// notifyStop delivers SIGTERM and SIGINT. As a container's first process the helper must catch them: the
// kernel gives PID 1 no default action for them, so without a handler they would be ignored.
func notifyStop() <-chan os.Signal {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	return signals
}

// attachedInput is stdin when something can close it (a pipe: the container has stdin and airlock attaches
// to it), and nil when it is a device: a container without stdin gets /dev/null, whose end would stop the
// pod the moment it started, so then only a signal (the pod's deletion or deadline) stops it.
func attachedInput(stdin *os.File) io.Reader {
	info, err := stdin.Stat()
	if err == nil && info.Mode()&fs.ModeDevice != 0 {
		return nil
	}
	return stdin
}

// idle is the pod's main process: it does nothing until it is told to stop or its standard input ends. When
// airlock keeps that input attached while it uses the pod, the pod ends when airlock goes away, however it
// goes. With no input (nil) it waits for a signal alone.
func idle(stdin io.Reader, stop <-chan os.Signal) {
	ended := make(chan struct{})
	if stdin != nil {
		go func() {
			_, _ = io.Copy(io.Discard, stdin)
			close(ended)
		}()
	}
	select {
	case <-stop:
	case <-ended:
	}
}

// parseRun reads `DIR NAME=VALUE... -- COMMAND ARG...`. The command must be an absolute path: there is no
// PATH lookup, so what runs is exactly what airlock named.
func parseRun(args []string) (dir string, env []string, argv []string, err error) {
	if len(args) < 1 || !strings.HasPrefix(args[0], "/") {
		return "", nil, nil, errors.New("run: the working directory must be an absolute path")
	}
	dir = args[0]
	rest := args[1:]
	for i, arg := range rest {
		if arg == "--" {
			argv = rest[i+1:]
			break
		}
		name, _, ok := strings.Cut(arg, "=")
		if !ok || name == "" || strings.ContainsRune(name, 0) {
			return "", nil, nil, fmt.Errorf("run: %q is not NAME=VALUE", arg)
		}
		env = append(env, arg)
	}
	if len(argv) == 0 {
		return "", nil, nil, errors.New("run: no command after --")
	}
	if !strings.HasPrefix(argv[0], "/") {
		return "", nil, nil, fmt.Errorf("run: the command %q is not an absolute path", argv[0])
	}
	if env == nil {
		env = []string{}
	}
	return dir, env, argv, nil
}

// run replaces the helper with the command, in the directory and with exactly the environment given: its
// exit status, output and signals are the command's own.
func run(args []string) error {
	dir, env, argv, err := parseRun(args)
	if err != nil {
		return err
	}
	if err := os.Chdir(dir); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if err := syscall.Exec(argv[0], argv, env); err != nil {
		return fmt.Errorf("run: %s: %w", argv[0], err)
	}
	return nil
}
