package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// waitFor polls until the buffer holds want, or fails after a second.
func waitFor(t *testing.T, b *lockedBuffer, want string) {
	t.Helper()
	for deadline := time.Now().Add(time.Second); b.String() != want; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("got %q, want %q", b.String(), want)
		}
	}
}

const splitPassword = "Spl1t-Passw0rd!"

func TestRedactSecretWrittenByteByByte(t *testing.T) {
	var out lockedBuffer
	r := &redactor{w: &out}
	r.add(splitPassword, "tok-4e7a9c")
	r.Write([]byte("password: "))
	for i := range len(splitPassword) {
		r.Write([]byte{splitPassword[i]})
	}
	r.Write([]byte(" and the token is tok-4"))
	r.Write([]byte("e7a9c\n"))
	r.Close()
	if got, want := out.String(), "password: [REDACTED] and the token is [REDACTED]\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// Cut anywhere, in two or in three, a text comes out as it does written whole.
func TestRedactSecretSplitAnywhere(t *testing.T) {
	text := "user azureuser, password " + splitPassword + ", key line AAAAB3NzaC1yc2E; again " + splitPassword + "!\nok " + splitPassword[:5] + " is not it\n"
	want := "user azureuser, password [REDACTED], key line [REDACTED]; again [REDACTED]!\nok " + splitPassword[:5] + " is not it\n"
	for i := 0; i <= len(text); i++ {
		for _, j := range []int{i, min(i+3, len(text)), min(i+11, len(text))} {
			var out lockedBuffer
			r := &redactor{w: &out}
			r.add(splitPassword, "-----BEGIN KEY-----\nAAAAB3NzaC1yc2E\n-----END KEY-----")
			r.Write([]byte(text[:i]))
			r.Write([]byte(text[i:j]))
			r.Write([]byte(text[j:]))
			r.Close()
			if got := out.String(); got != want {
				t.Fatalf("cut at %d and %d: got %q", i, j, got)
			}
		}
	}
}

// A shorter secret that begins a longer one is not taken for it.
func TestRedactLongerSecretThatStartsWithAShorterOne(t *testing.T) {
	var out lockedBuffer
	r := &redactor{w: &out}
	r.add("abc", "abcdefgh")
	r.Write([]byte("x abc"))
	r.Write([]byte("defgh y abc z"))
	r.Close()
	if got, want := out.String(), "x [REDACTED] y [REDACTED] z"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestRedactorPassesPromptsWithoutNewline(t *testing.T) {
	var out lockedBuffer
	r := &redactor{w: &out}
	r.add(splitPassword)
	// Nothing in it can start the secret: out at once.
	r.Write([]byte("Password (not shown): "))
	if got := out.String(); got != "Password (not shown): " {
		t.Fatalf("the prompt was held back: %q", got)
	}
	// It ends with what could start the secret: that end comes after a
	// moment, when nothing follows.
	r.Write([]byte("Continue? Spl"))
	if got := out.String(); got != "Password (not shown): Continue? " {
		t.Fatalf("more than the possible start held back: %q", got)
	}
	waitFor(t, &out, "Password (not shown): Continue? Spl")
	// Were it the secret after all, its rest is still hidden.
	r.Write([]byte(splitPassword[3:] + "\n"))
	waitFor(t, &out, "Password (not shown): Continue? Spl[REDACTED]\n")

	// Closing passes on what is held.
	var out2 lockedBuffer
	r2 := &redactor{w: &out2}
	r2.add(splitPassword)
	r2.Write([]byte("[y/N] Sp"))
	r2.Close()
	if got := out2.String(); got != "[y/N] Sp" {
		t.Fatalf("close: %q", got)
	}
	r2.Write([]byte("after close " + splitPassword))
	if got := out2.String(); got != "[y/N] Spafter close [REDACTED]" {
		t.Fatalf("after close: %q", got)
	}
}

// The --debug trace goes through a redactor too: it is whole when the
// command ends, and without the secrets.
func TestRedactedDebugTraceIsComplete(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	must(t, os.WriteFile(pw, []byte(splitPassword+"\n"), 0o600))
	p := filepath.Join(dir, "debug.log")
	r := runCLI(t, nil, "probe", "vm", "--world", "demo", "--resource-id", "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/dsvm1",
		"--username", "azureuser", "--password-file", pw, "--known-hosts", filepath.Join(dir, "kh"), "--accept-new-host-key", "-o", "json", "--debug", p)
	data, err := os.ReadFile(p)
	must(t, err)
	log := string(data)
	if !strings.Contains(log, "amlattach: workspace") || !strings.Contains(log, "Request") || !strings.HasSuffix(log, "\n") {
		t.Fatalf("debug trace incomplete:\n%s\n%s", log, r)
	}
	if strings.Contains(log+r.stdout+r.stderr, splitPassword[:8]) {
		t.Fatalf("the password reached the output or the trace")
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	var doc map[string]any
	if dec.Decode(&doc) != nil || doc["probes"] == nil || dec.Decode(&doc) != io.EOF {
		t.Fatalf("stdout is not one JSON document:\n%s", r)
	}
}
