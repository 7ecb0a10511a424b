package azure

import (
	"context"
	"errors"
)

type urlShim struct{}

// startShim: MSAL opens the browser on Windows with rundll32, which no
// folder on PATH can stand in for; the sandbox's browser sign-in is for
// Linux and macOS.
func startShim(context.Context, func(context.Context, string) error, func(error)) (*urlShim, error) {
	return nil, errors.New("the sandbox's browser sign-in runs on Linux and macOS; on Windows use --auth device-code with the sandbox")
}

func (*urlShim) stop() {}
