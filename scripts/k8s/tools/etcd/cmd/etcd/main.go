// Command etcd is the etcd server. `go install go.etcd.io/etcd/v3@…` refuses the
// replace directives in etcd's own go.mod, so this main calls the same entry point
// that etcd's main package does.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
