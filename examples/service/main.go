// Command service answers GET /time?zone=Area/City with the current time in that zone, and keeps a note of
// every zone asked for in a file. airlock's `airlock test` runs its tests in the sandbox: they listen on
// loopback, write temporary files, run a helper process and load time zones, as ordinary service tests do.
package main

import (
	"flag"
	"log"
	"net/http"
	"os"

	"example.com/service/internal/clock"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:8080", "address to listen on")
	journal := flag.String("journal", os.DevNull, "file that records every zone asked for")
	flag.Parse()
	handler, err := clock.NewHandler(*journal)
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.ListenAndServe(*addr, handler))
}
