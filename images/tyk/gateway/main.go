// The Tyk OSS gateway 2.9.4 as a main module of our own: Tyk's repository (v2.9.4+incompatible,
// no go.mod of its own) is a library here, and this is its `main`. The image resolver compiles it
// statically on the host (see images/images.yaml, recipe `go`).
package main

import "github.com/TykTechnologies/tyk/gateway"

func main() {
	gateway.Start()
}
