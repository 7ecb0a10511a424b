package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"amlattach/azure/sandbox"
	"amlattach/flows"
)

// Usage errors exit 2 and write nothing on stdout, also with -o json.
func TestUsageErrorsOfParentCommands(t *testing.T) {
	for _, args := range [][]string{
		{"browse", "-o", "json"}, {"browse", "bogus", "-o", "json"}, {"browse", "local", "-o", "json"},
		{"sandbox"}, {"version", "-o", "yaml"},
	} {
		r := runCLI(t, nil, args...)
		if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "error:") {
			t.Errorf("%v: want exit 2, an error and nothing on stdout\n%s", args, r)
		}
	}
}

// An interrupted doctor exits 130 and never calls the compute healthy.
func TestInterruptedDoctorIsNotHealthy(t *testing.T) {
	dir := t.TempDir()
	world := filepath.Join(dir, "slow.yaml")
	data, err := os.ReadFile("../../azure/sandbox/demo.yaml")
	must(t, err)
	must(t, os.WriteFile(world, append(data, []byte("  armLatencyMs: 300\n")...), 0o600))
	if _, err := sandbox.LoadWorldFile(world); err != nil {
		t.Fatalf("slow world: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(2*time.Second, cancel) // after the compute read, during the probes
	var out, errb bytes.Buffer
	code := run(ctx, []string{"doctor", "old-dsvm", "-o", "json", "--world", world, "--known-hosts", filepath.Join(dir, "kh"), "--accept-new-host-key"},
		&streams{In: strings.NewReader(""), Out: &out, Err: &errb}, func(string) string { return "" })
	var d flows.DoctorJSON
	if code != 130 || json.Unmarshal(out.Bytes(), &d) != nil || d.OK {
		t.Fatalf("want exit 130 and ok=false, got %d\n%s\n%s", code, out.String(), errb.String())
	}
}

// The --debug file is 0600 even when it existed with a wider mode.
func TestDebugFileModeIsForced(t *testing.T) {
	p := filepath.Join(t.TempDir(), "debug.log")
	must(t, os.WriteFile(p, nil, 0o644))
	must(t, os.Chmod(p, 0o644))
	r := runCLI(t, nil, "list", "--world", "demo", "--debug", p)
	st, err := os.Stat(p)
	if r.code != 0 || err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v\n%s", st.Mode().Perm(), err, r)
	}
}

// A world file's error never quotes a value that may be a secret.
func TestWorldErrorsHideSecretValues(t *testing.T) {
	p := filepath.Join(t.TempDir(), "w.yaml")
	must(t, os.WriteFile(p, []byte(`subscriptions:
  - id: 00000000-0000-0000-0000-000000000001
    resourceGroups:
      - name: g
        location: eastus
        workspaces: [{name: ws}]
        databricksWorkspaces:
          - {name: dbx, tokens: dapi-SECRET-in-a-world-1}
`), 0o600))
	r := runCLI(t, nil, "list", "--world", p)
	if r.code != 2 || strings.Contains(r.stderr, "dapi-SECRET") || !strings.Contains(r.stderr, "tokens") {
		t.Fatalf("want exit 2 naming tokens without its value\n%s", r)
	}
}
