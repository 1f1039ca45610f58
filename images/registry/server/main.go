// The container registry of distribution/distribution v3 as a main module of our own: upstream's
// cmd/registry is a `main` package and cannot be imported, so this is its equivalent with the
// storage drivers DevStack uses (filesystem, inmemory). The image resolver compiles it statically
// on the host (images/images.yaml, recipe `go`). Run as upstream's: `registry serve CONFIG`.
package main

import (
	"os"

	"github.com/distribution/distribution/v3/registry"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
)

func main() {
	if err := registry.RootCmd.Execute(); err != nil {
		os.Exit(1)
	}
}
