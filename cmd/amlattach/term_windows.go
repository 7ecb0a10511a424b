//go:build windows

package main

import (
	"os"

	"golang.org/x/sys/windows"
)

// noEcho turns off the console's echo while a secret is typed; the
// returned function turns it back on.
func noEcho(f *os.File) func() {
	h := windows.Handle(f.Fd())
	var old uint32
	if windows.GetConsoleMode(h, &old) != nil {
		return func() {}
	}
	if windows.SetConsoleMode(h, old&^windows.ENABLE_ECHO_INPUT) != nil {
		return func() {}
	}
	return func() { windows.SetConsoleMode(h, old) }
}
