// Package typicaltests is the "typical test" module that test/seccomp/measure-tests.sh runs under strace to
// measure what `go test` needs beyond `go build` in airlock's sandbox. Its tests do what ordinary test suites
// do (links, temporary files, fifos, helper processes, signals, profiles, loopback sockets, failing lookups),
// each once, and must pass in the sandbox: as uid 65534, read-only source, no network but loopback, nothing
// in the file system but the toolchain.
//
// It is airlock's own test input, not part of airlock; it imports the standard library only.
package typicaltests
