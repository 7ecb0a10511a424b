//go:build !windows

package azure

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// shimNames are the openers MSAL's browser package looks up through PATH:
// xdg-open, x-www-browser and www-browser on Linux and the BSDs, open on
// macOS.
var shimNames = []string{"xdg-open", "x-www-browser", "www-browser", "open"}

// pathMu guards this process's PATH while a shim folder is first on it;
// pathUsers counts the sign-ins that use it.
var (
	pathMu    sync.Mutex
	pathUsers int
	pathSaved string
	pathHad   bool
)

// shimStop is the line stop writes to end the reading (no address).
const shimStop = "\x00stop"

// urlShim is a private folder (0700) of opener shims and a FIFO (0600)
// they write the address to; a goroutine of this process reads it and
// hands each address to open.
type urlShim struct {
	dir  string
	fifo *os.File
	done chan struct{}
}

// startShim makes the shim folder, puts it first on PATH, and starts
// reading. fail receives open's error (the sign-in then ends with it).
func startShim(ctx context.Context, open func(context.Context, string) error, fail func(error)) (*urlShim, error) {
	dir, err := os.MkdirTemp("", "amlattach-browser-")
	if err != nil {
		return nil, fmt.Errorf("the sandbox's browser: %w", err)
	}
	s := &urlShim{dir: dir, done: make(chan struct{})}
	fifo := filepath.Join(dir, "url")
	if strings.ContainsAny(dir, "'\n") {
		os.RemoveAll(dir)
		return nil, errors.New("the sandbox's browser: the temporary folder's name cannot be quoted for the shell")
	}
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("the sandbox's browser: %w", err)
	}
	// Read and write: the FIFO then always has a writer (itself), so a read
	// waits for a shim instead of ending, and stop can end the reading with
	// a line of its own (Close does not end a read on macOS, where a FIFO is
	// not pollable).
	s.fifo, err = os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("the sandbox's browser: %w", err)
	}
	script := "#!/bin/sh\n# amlattach: the sandbox's browser (hands the address to the running amlattach)\nprintf '%s\\n' \"$1\" > '" + fifo + "'\n"
	for _, n := range shimNames {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(script), 0o700); err != nil {
			s.fifo.Close()
			os.RemoveAll(dir)
			return nil, fmt.Errorf("the sandbox's browser: %w", err)
		}
	}
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(s.fifo)
		sc.Buffer(make([]byte, 0, 4096), 64<<10)
		for sc.Scan() {
			addr := sc.Text()
			if addr == shimStop {
				return
			}
			go func() {
				if err := open(ctx, addr); err != nil {
					fail(err)
				}
			}()
		}
	}()
	pathMu.Lock()
	if pathUsers == 0 {
		pathSaved, pathHad = os.LookupEnv("PATH")
	}
	pathUsers++
	os.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	pathMu.Unlock()
	return s, nil
}

// stop takes the folder off PATH (restoring it as it was once the last
// sign-in ends), stops reading and removes the folder.
func (s *urlShim) stop() {
	pathMu.Lock()
	pathUsers--
	if pathUsers == 0 {
		if pathHad {
			os.Setenv("PATH", pathSaved)
		} else {
			os.Unsetenv("PATH")
		}
	} else {
		var keep []string
		for _, p := range filepath.SplitList(os.Getenv("PATH")) {
			if p != s.dir {
				keep = append(keep, p)
			}
		}
		os.Setenv("PATH", strings.Join(keep, string(os.PathListSeparator)))
	}
	pathMu.Unlock()
	if _, err := s.fifo.WriteString(shimStop + "\n"); err == nil {
		<-s.done
	}
	s.fifo.Close()
	os.RemoveAll(s.dir)
}
