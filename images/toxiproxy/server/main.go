// Toxiproxy's server (github.com/Shopify/toxiproxy/v2 v2.5.0, the newest version the Go module
// proxy serves) as a main module of our own: upstream's cmd/server is a `main` package and cannot
// be imported, so this is its equivalent with the flags the chaos suite uses (-host, -port). The
// image resolver compiles it statically on the host (images/images.yaml, recipe `go`).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/Shopify/toxiproxy/v2"
)

const module = "github.com/Shopify/toxiproxy/v2"

func main() {
	host := flag.String("host", "localhost", "address toxiproxy's API listens on")
	port := flag.String("port", "8474", "port toxiproxy's API listens on")
	version := flag.Bool("version", false, "print the version")
	flag.Parse()
	if *version {
		// Upstream stamps the version at link time; here it is the module's version in go.mod.
		fmt.Printf("toxiproxy-server version %s\n", moduleVersion())
		return
	}
	// SIGTERM (docker stop) ends it at once: the proxied connections close with it.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-signals
		os.Exit(0)
	}()
	logger := zerolog.New(os.Stdout).With().Timestamp().Logger().Level(zerolog.InfoLevel)
	server := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), logger)
	server.Listen(*host, *port)
}

func moduleVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == module {
				return dep.Version
			}
		}
	}
	return toxiproxy.Version
}
