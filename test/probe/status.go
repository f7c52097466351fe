//go:build linux

package main

import (
	"os"
	"strconv"
	"strings"
)

func statusField(name string) (string, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == name {
			return strings.TrimSpace(v), nil
		}
	}
	return "", os.ErrNotExist
}

func statusCap(name string) func() result {
	return func() result {
		v, err := statusField(name)
		if err != nil {
			return skipped("cannot read %s: %v", name, err)
		}
		caps, err := strconv.ParseUint(v, 16, 64)
		if err != nil {
			return skipped("cannot parse %s %q", name, v)
		}
		if caps == 0 {
			return denied("%s %s", name, v)
		}
		return allowed("%s %s", name, v)
	}
}

func statusNoNewPrivs() result {
	v, err := statusField("NoNewPrivs")
	if err != nil {
		return skipped("cannot read NoNewPrivs: %v", err)
	}
	if v == "1" {
		return denied("NoNewPrivs 1")
	}
	return allowed("NoNewPrivs %s", v)
}

func statusSeccomp() result {
	v, err := statusField("Seccomp")
	if err != nil {
		return skipped("cannot read Seccomp: %v", err)
	}
	filters, _ := statusField("Seccomp_filters")
	switch v {
	case "2":
		return denied("Seccomp 2 (filter mode, %s filters)", filters)
	case "1":
		return denied("Seccomp 1 (strict mode)")
	}
	return allowed("Seccomp %s (no filter)", v)
}

func statusUID() result {
	v, err := statusField("Uid")
	if err != nil {
		return skipped("cannot read Uid: %v", err)
	}
	ids := strings.Fields(v)
	for _, id := range ids {
		if id == "0" {
			return allowed("Uid %s", strings.Join(ids, " "))
		}
	}
	return denied("Uid %s", strings.Join(ids, " "))
}
