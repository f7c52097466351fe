//go:build linux && !amd64

package main

func probeX32() result   { return skipped("not amd64") }
func probeInt80() result { return skipped("not amd64") }
