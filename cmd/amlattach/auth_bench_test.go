package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"amlattach/azure/sandbox"
)

// BenchmarkKeptSignInFirstARMRequest measures, on the run after auth
// login, the time from the start of the command (run) to the first request
// to Resource Manager leaving, as the --debug trace stamps it: with the
// kept sign-in (the persistent token cache and the record) no sign-in and
// no token request comes first. Reported as ms-to-first-ARM (median).
func BenchmarkKeptSignInFirstARMRequest(b *testing.B) {
	home := b.TempDir()
	b.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	b.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
	sb, world := benchAuthSandbox(b, home)
	if r := runCLIb(b, "auth", "login", "--auth", "device-code", "--world", world); r.code != 0 {
		b.Fatalf("login:\n%s", r)
	}
	trace := filepath.Join(home, "trace")
	var ms []float64
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		r := runCLIb(b, "list", "-o", "json", "--world", world, "--debug", trace)
		if r.code != 0 {
			b.Fatalf("list:\n%s", r)
		}
		first := firstRequest(b, trace, sb.Endpoint())
		ms = append(ms, float64(first.Sub(start).Microseconds())/1000)
	}
	b.StopTimer()
	if s := sb.SignInStats(); s.DeviceCodes != 1 {
		b.Fatalf("a later run signed in again: %+v", s)
	}
	sort.Float64s(ms)
	b.ReportMetric(ms[len(ms)/2], "ms-to-first-ARM")
}

// firstRequest is the time stamp of the first outgoing request to endpoint
// in the trace.
func firstRequest(b *testing.B, trace, endpoint string) time.Time {
	f, err := os.Open(trace)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var stamp string
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "Request: ==> OUTGOING REQUEST") {
			stamp, _, _ = strings.Cut(line, " ")
			continue
		}
		if stamp != "" && strings.Contains(line, endpoint+"/") {
			ts, err := time.Parse(time.RFC3339Nano, stamp)
			if err != nil {
				b.Fatal(err)
			}
			return ts
		}
		if strings.TrimSpace(line) == "" || !strings.HasPrefix(line, " ") {
			stamp = ""
		}
	}
	b.Fatalf("no request to %s in the trace", endpoint)
	return time.Time{}
}

func benchAuthSandbox(b *testing.B, home string) (*sandbox.Server, string) {
	world := filepath.Join(home, "world.yaml")
	if err := os.WriteFile(world, []byte(authWorld+"  signInApproveSeconds: 0\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	w, err := sandbox.LoadWorldFile(world)
	if err != nil {
		b.Fatal(err)
	}
	sb, err := sandbox.Start(w)
	if err != nil {
		b.Fatal(err)
	}
	sharedSandbox = sb
	b.Cleanup(func() { sharedSandbox = nil; sb.Close() })
	return sb, world
}

func runCLIb(b *testing.B, args ...string) result {
	var out, errb bytes.Buffer
	s := &streams{In: strings.NewReader(""), Out: &out, Err: &errb}
	code := run(context.Background(), args, s, func(string) string { return "" })
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}
