package network

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// echoOnce accepts one connection, reads it to its end (the client half-closes) and answers with what it read.
func echoOnce(t *testing.T, listener net.Listener) {
	t.Helper()
	go func() {
		conn, err := listener.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		data, _ := io.ReadAll(conn)
		_, _ = conn.Write(data)
	}()
}

func roundTrip(t *testing.T, network, address string) {
	t.Helper()
	conn, err := net.DialTimeout(network, address, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	if half, ok := conn.(interface{ CloseWrite() error }); ok {
		if err := half.CloseWrite(); err != nil {
			t.Fatal(err)
		}
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	data, err := io.ReadAll(conn)
	if err != nil || string(data) != "ping" {
		t.Errorf("echo %q, %v", data, err)
	}
	if conn.LocalAddr() == nil || conn.RemoteAddr() == nil {
		t.Error("no addresses")
	}
}

func TestTCPLoopback(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	echoOnce(t, listener)
	roundTrip(t, "tcp", listener.Addr().String())
}

func TestTCP6Loopback(t *testing.T) {
	listener, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	defer listener.Close()
	echoOnce(t, listener)
	roundTrip(t, "tcp6", listener.Addr().String())
}

// Listening on "localhost:0" resolves localhost through /etc/hosts (or the resolver's fallbacks).
func TestListenLocalhost(t *testing.T) {
	listener, err := net.Listen("tcp", "localhost:0")
	if err != nil {
		t.Skipf("localhost does not resolve here: %v", err)
	}
	defer listener.Close()
	echoOnce(t, listener)
	roundTrip(t, "tcp", listener.Addr().String())
}

func TestUDPLoopback(t *testing.T) {
	server, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	client, err := net.Dial("udp", server.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, err := client.Write([]byte("datagram")); err != nil {
		t.Fatal(err)
	}
	_ = server.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 64)
	n, from, err := server.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "datagram" {
		t.Fatalf("ReadFrom = %q, %v", buf[:n], err)
	}
	if _, err := server.WriteTo([]byte("reply"), from); err != nil {
		t.Fatal(err)
	}
	_ = client.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := client.Read(buf); err != nil || string(buf[:n]) != "reply" {
		t.Errorf("reply %q, %v", buf[:n], err)
	}
}

func TestUnixSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sock")
	listener, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	echoOnce(t, listener)
	roundTrip(t, "unix", path)
}

// Passing a file descriptor over a unix socket (SCM_RIGHTS), as process-supervisor tests do, on a socketpair.
func TestSocketpairFilePassing(t *testing.T) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	ends := make([]*net.UnixConn, 2)
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "socketpair")
		conn, err := net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		ends[i] = conn.(*net.UnixConn)
	}
	payload := filepath.Join(t.TempDir(), "payload")
	if err := os.WriteFile(payload, []byte("passed"), 0o600); err != nil {
		t.Fatal(err)
	}
	file, err := os.Open(payload)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if _, _, err := ends[0].WriteMsgUnix([]byte("x"), syscall.UnixRights(int(file.Fd())), nil); err != nil {
		t.Fatal(err)
	}
	buf, oob := make([]byte, 1), make([]byte, syscall.CmsgSpace(4))
	_, oobn, _, _, err := ends[1].ReadMsgUnix(buf, oob)
	if err != nil {
		t.Fatal(err)
	}
	messages, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(messages) != 1 {
		t.Fatalf("control messages %v, %v", messages, err)
	}
	received, err := syscall.ParseUnixRights(&messages[0])
	if err != nil || len(received) != 1 {
		t.Fatalf("rights %v, %v", received, err)
	}
	passed := os.NewFile(uintptr(received[0]), "passed")
	defer passed.Close()
	if data, err := io.ReadAll(passed); err != nil || string(data) != "passed" {
		t.Errorf("passed file holds %q, %v", data, err)
	}
}

func TestInterfaces(t *testing.T) {
	interfaces, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, i := range interfaces {
		names = append(names, i.Name)
	}
	if _, err := net.InterfaceAddrs(); err != nil {
		t.Fatal(err)
	}
	t.Logf("interfaces: %s", strings.Join(names, " "))
}

func TestHTTPTestServer(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello "+r.URL.Path)
	}))
	defer server.Close()
	response, err := server.Client().Get(server.URL + "/there")
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()
	body, _ := io.ReadAll(response.Body)
	if string(body) != "hello /there" {
		t.Errorf("body %q", body)
	}
}

// The sandbox has no network but loopback: a lookup and a dial out fail, and fail fast.
func TestLookupFails(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	started := time.Now()
	addrs, err := net.DefaultResolver.LookupHost(ctx, "airlock-measure.invalid")
	if err == nil {
		t.Fatalf("airlock-measure.invalid resolved to %v", addrs)
	}
	t.Logf("lookup failed after %v: %v", time.Since(started).Round(time.Millisecond), err)
}

func TestDialOutFails(t *testing.T) {
	started := time.Now()
	conn, err := net.DialTimeout("tcp", "192.0.2.1:443", 5*time.Second)
	if err == nil {
		conn.Close()
		t.Skip("192.0.2.1:443 answered: this machine has a network")
	}
	var opError *net.OpError
	if !errors.As(err, &opError) {
		t.Errorf("dial error %v (%T)", err, err)
	}
	t.Logf("dial failed after %v: %v", time.Since(started).Round(time.Millisecond), err)
}
