// Command etcd-server is etcd itself: etcdmain.Main of go.etcd.io/etcd/server/v3 at the version
// go.mod pins, built from the Go module proxy (`go install go.etcd.io/etcd/server/v3@…` is refused
// because of that module's replace directives). scripts/registries/etcd.sh builds it into the
// cache; the flags are etcd's own.
//
// One addition for tests: with RPCX_EXIT_WITH_PARENT=1 in the environment it exits when its stdin
// reaches EOF, so a server started by a test runner that dies (its end of the pipe closes) never
// outlives it.
package main

import (
	"fmt"
	"io"
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	if os.Getenv("RPCX_EXIT_WITH_PARENT") == "1" {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			fmt.Fprintln(os.Stderr, "etcd-server: stdin closed (parent gone), exiting")
			os.Exit(3)
		}()
	}
	etcdmain.Main(os.Args)
}
