// Package network holds tests that use loopback sockets and expect the outside network to be unreachable.
package network
