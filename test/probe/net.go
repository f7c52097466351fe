//go:build linux

package main

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

func socketProbe(family, typ, proto int) func() result {
	return func() result {
		fd, err := syscall.Socket(family, typ|syscall.SOCK_CLOEXEC, proto)
		if err != nil {
			return denied("%s", errName(err))
		}
		syscall.Close(fd)
		return allowed("socket created")
	}
}

func socketpairProbe() result {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return denied("%s", errName(err))
	}
	syscall.Close(fds[0])
	syscall.Close(fds[1])
	return allowed("socket pair created")
}

// 192.0.2.0/24 is TEST-NET-1: nothing answers there, even where the network is reachable.
const testNetHost = "192.0.2.1"

func tcpDial() result {
	c, err := net.DialTimeout("tcp", testNetHost+":443", 2*time.Second)
	if err != nil {
		return denied("%s", netDetail(err))
	}
	c.Close()
	return allowed("connected to %s:443", testNetHost)
}

func udpSend() result {
	c, err := net.DialTimeout("udp", testNetHost+":9", 2*time.Second)
	if err != nil {
		return denied("%s", netDetail(err))
	}
	defer c.Close()
	c.SetWriteDeadline(time.Now().Add(2 * time.Second))
	n, err := c.Write([]byte("airlock-probe"))
	if err != nil {
		return denied("%s", netDetail(err))
	}
	return allowed("sent %d bytes to %s:9", n, testNetHost)
}

func dnsLookup() result {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r := &net.Resolver{PreferGo: true}
	addrs, err := r.LookupHost(ctx, "example.com")
	if err != nil {
		return denied("%s", netDetail(err))
	}
	return allowed("example.com resolved to %d addresses", len(addrs))
}

// netDetail names the failing system call and errno when the error carries them.
func netDetail(err error) string {
	var se *os.SyscallError
	if errors.As(err, &se) {
		var e syscall.Errno
		if errors.As(se.Err, &e) {
			return se.Syscall + ": " + errnoName(e)
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout: " + err.Error()
	}
	return err.Error()
}

// loopbackTCP does what a test's httptest server does: a listener on 127.0.0.1 and a connection to it.
func loopbackTCP() result {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return denied("listen: %s", netDetail(err))
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 5)
		if _, err := io.ReadFull(c, buf); err == nil {
			c.Write(buf)
		}
	}()
	c, err := net.DialTimeout("tcp", ln.Addr().String(), 2*time.Second)
	if err != nil {
		return denied("dial: %s", netDetail(err))
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("probe")); err != nil {
		return denied("write: %s", netDetail(err))
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "probe" {
		return denied("echo: %v", err)
	}
	return allowed("echoed 5 bytes over %s", ln.Addr())
}
