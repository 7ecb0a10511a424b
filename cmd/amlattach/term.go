package main

import (
	"os"

	"golang.org/x/term"
)

// isTerminal reports whether f is a terminal (a console on Windows).
//
// Turning echo off while a secret is typed (noEcho) stays in the per-OS
// files: x/term turns echo off only inside ReadPassword, which reads the
// line itself, while the plain wizard reads its lines on its own goroutine.
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
