// Command hello prints a fixed greeting; airlock's tests run the binary and compare the line.
package main

import (
	"fmt"
	"runtime"
)

func main() {
	fmt.Println("hello from a hermetic airlock build")
	if len(runtimeInfo()) == 0 {
		panic("no runtime information")
	}
}

func runtimeInfo() string {
	return runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
}
