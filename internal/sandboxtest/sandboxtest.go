// Package sandboxtest starts the built-in sandbox for a test or a
// benchmark from a world written in it, and points the real Azure facade at
// it. For tests only: it fails the test on a world that does not load.
package sandboxtest

import (
	"testing"
	"time"

	"amlattach/azure"
	"amlattach/azure/sandbox"
)

// Start loads world (YAML; name is how its problems are told) and starts a
// sandbox serving it until the test ends.
func Start(tb testing.TB, world []byte, name string) *sandbox.Server {
	tb.Helper()
	w, err := sandbox.ParseWorld(world, name)
	if err != nil {
		tb.Fatalf("world %s: %v", name, err)
	}
	srv, err := sandbox.Start(w)
	if err != nil {
		tb.Fatalf("start the sandbox: %v", err)
	}
	tb.Cleanup(func() { srv.Close() })
	return srv
}

// Client is the Azure facade against srv, with o's other settings (a poll
// every 50 ms unless o sets one; srv's HTTP client, which trusts its
// certificate, unless o gives one, such as a transport wrapped around it).
func Client(srv *sandbox.Server, o azure.Options) *azure.Client {
	o.Endpoint = srv.Endpoint()
	if o.HTTPClient == nil {
		o.HTTPClient = srv.HTTPClient()
	}
	if o.PollInterval == 0 {
		o.PollInterval = 50 * time.Millisecond
	}
	return azure.New(azure.StaticCredential{}, o)
}
