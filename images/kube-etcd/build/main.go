// etcd v3.6.5 for offline Kind nodes: the server's own entry point (etcdmain), so that the binary
// takes exactly the flags kubeadm's etcd static Pod passes.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
