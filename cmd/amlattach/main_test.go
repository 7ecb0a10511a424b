package main

import (
	"os"
	"testing"
)

// TestMain removes the binary built for the tests that drive it.
func TestMain(m *testing.M) {
	code := m.Run()
	if builtDir != "" {
		os.RemoveAll(builtDir)
	}
	os.Exit(code)
}
