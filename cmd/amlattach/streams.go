package main

import (
	"bytes"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
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
//
// A secret may arrive split over several writes (a byte at a time, or cut
// where a buffer filled), so the redactor holds back the end of a write when
// it could be the start of a secret, and passes it on when the next write
// shows it is not one, when the stream is closed, or after holdFor when
// nothing follows (a prompt without a newline). Only such a possible start
// is held, never whole lines: what does not begin a secret goes out at once.
// A secret whose start was passed on by the timer and whose rest comes
// later still has that rest replaced.
type redactor struct {
	mu      sync.Mutex
	w       io.Writer
	secrets [][]byte
	// tail is the end of the stream so far that may be the start of a
	// secret; its last held bytes have not been passed on yet.
	tail   []byte
	held   int
	timer  *time.Timer
	closed bool
}

// holdFor is how long a possible start of a secret is held back when
// nothing follows it: far longer than between the writes of one message,
// too short to be seen in a prompt.
const holdFor = 50 * time.Millisecond

const redactedMark = "[REDACTED]"

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
	defer r.mu.Unlock()
	if len(r.secrets) == 0 {
		if _, err := r.w.Write(p); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	s := append(slices.Clip(r.tail), p...)
	out, tail, held := r.scrub(s, len(r.tail)-r.held, r.closed)
	r.tail, r.held = tail, held
	switch {
	case held > 0 && r.timer == nil:
		r.timer = time.AfterFunc(holdFor, r.flushHeld)
	case held > 0:
		r.timer.Reset(holdFor)
	case r.timer != nil:
		r.timer.Stop()
	}
	if len(out) > 0 {
		if _, err := r.w.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// scrub redacts s, whose first sent bytes were passed on already. It
// returns what to pass on now, the new tail (the end of s that may start
// a secret) and how many of the tail's bytes are held back. When final,
// nothing is held back.
func (r *redactor) scrub(s []byte, sent int, final bool) (out, tail []byte, held int) {
	next := make([]int, len(r.secrets)) // where each secret next occurs from i on
	for k := range next {
		next[k] = -2 // not looked for yet
	}
	i := 0
	for {
		j, n := -1, 0
		for k, sec := range r.secrets {
			if next[k] != -1 && next[k] < i {
				next[k] = bytes.Index(s[i:], sec)
				if next[k] >= 0 {
					next[k] += i
				}
			}
			if at := next[k]; at >= 0 && (j < 0 || at < j || at == j && len(sec) > n) {
				j, n = at, len(sec)
			}
		}
		// A shorter secret found where a longer one may still be coming is
		// left to the tail.
		if j < 0 || !final && r.startsSecret(s[j:]) {
			break
		}
		if j > sent {
			out = append(out, s[max(i, sent):j]...)
		}
		if j+n > sent {
			out = append(out, redactedMark...)
		}
		i = j + n
	}
	k := len(s) - i
	for k > 0 && (final || !r.startsSecret(s[len(s)-k:])) {
		k--
	}
	end := len(s) - k
	if end > sent {
		out = append(out, s[max(i, sent):end]...)
	}
	tail = slices.Clone(s[end:])
	return out, tail, min(k, len(s)-sent)
}

// startsSecret reports whether b is the start of a secret, not all of it.
func (r *redactor) startsSecret(b []byte) bool {
	for _, sec := range r.secrets {
		if len(b) < len(sec) && bytes.HasPrefix(sec, b) {
			return true
		}
	}
	return false
}

// flushHeld passes on what is held back; the tail stays, so that the rest
// of a secret that was begun is still redacted.
func (r *redactor) flushHeld() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushHeldLocked()
}

// flushHeldLocked is flushHeld for a caller that holds mu.
func (r *redactor) flushHeldLocked() {
	if r.held > 0 {
		out, _, _ := r.scrub(r.tail, len(r.tail)-r.held, true)
		_, _ = r.w.Write(out)
		r.held = 0
	}
}

// Close passes on what is held back; later writes are passed on whole.
func (r *redactor) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushHeldLocked()
	r.closed = true
	if r.timer != nil {
		r.timer.Stop()
	}
	return nil
}
