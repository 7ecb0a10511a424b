// Command amlattach attaches existing compute to an Azure Machine Learning
// workspace, checking it first. This package only builds the dependencies
// (real Azure or the sandbox) and the command tree; the logic is in flows.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C ends the process at once
	}()
	code := run(ctx, os.Args[1:], systemStreams(), os.Getenv)
	stop()
	os.Exit(code)
}
