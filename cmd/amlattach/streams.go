package main

import (
	"bytes"
	"io"
	"os"
	"strings"
	"sync"
)

// streams are the process's standard files, replaceable in tests.
type streams struct {
	In            io.Reader
	Out, Err      io.Writer
	InTTY, ErrTTY bool
}

func systemStreams() *streams {
	return &streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, InTTY: isTerminal(os.Stdin), ErrTTY: isTerminal(os.Stderr)}
}

// redactor replaces known secrets in everything written through it: the last
// line of defence behind code that never prints them in the first place.
type redactor struct {
	mu      sync.Mutex
	w       io.Writer
	secrets [][]byte
}

func (r *redactor) add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		for _, part := range strings.Split(s, "\n") {
			part = strings.TrimSpace(part)
			// Key files are redacted line by line; short lines such as the
			// BEGIN/END markers carry no secret.
			if len(part) >= 6 && !strings.HasPrefix(part, "-----") {
				r.secrets = append(r.secrets, []byte(part))
			}
		}
		if t := strings.TrimSpace(s); t != "" && len(t) < 6 {
			r.secrets = append(r.secrets, []byte(t))
		}
	}
}

func (r *redactor) Write(p []byte) (int, error) {
	r.mu.Lock()
	out := p
	for _, s := range r.secrets {
		if bytes.Contains(out, s) {
			out = bytes.ReplaceAll(out, s, []byte("[REDACTED]"))
		}
	}
	r.mu.Unlock()
	if _, err := r.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
