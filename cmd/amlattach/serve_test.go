package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A shared sandbox: what one command attaches, the next one lists; the
// simulated hosts, HDInsight names and Databricks URLs are reached through
// the server's dial port, with the same answers as in process.
func TestSharedSandboxServe(t *testing.T) {
	dir := t.TempDir()
	connFile, stop := serveSandbox(t, "demo")
	env := map[string]string{"AMLATTACH_SANDBOX": connFile}
	pw := filepath.Join(dir, "pw")
	must(t, os.WriteFile(pw, []byte("Demo-Passw0rd!\n"), 0o600))
	kh := filepath.Join(dir, "kh")

	r := runCLI(t, env, "attach", "vm", "--yes", "-o", "json", "--resource-id", demoVM+"dsvm-ubuntu", "--username", "azureuser",
		"--password-file", pw, "--known-hosts", kh, "--accept-new-host-key")
	if rep := report(t, r); r.code != 0 || rep.Compute == nil || rep.Compute.ProvisioningState != "Succeeded" {
		t.Fatalf("attach through the shared sandbox\n%s", r)
	}
	r = runCLI(t, env, "list")
	if r.code != 0 || !strings.Contains(r.stdout, "dsvm-ubuntu") {
		t.Fatalf("the next command sees the attach\n%s", r)
	}
	r = runCLI(t, env, "probe", "hdinsight", "--resource-name", "spark-hdi", "--username", "sshuser", "--password-file", pw, "--known-hosts", kh, "--accept-new-host-key")
	if r.code != 0 {
		t.Fatalf("HDInsight SSH name through the dial port\n%s", r)
	}
	r = runCLI(t, map[string]string{"AMLATTACH_SANDBOX": connFile, "AMLATTACH_DATABRICKS_TOKEN": "dapi-demo-0123456789abcdef"}, "probe", "databricks", "--resource-name", "dbx-offline", "-o", "json")
	rep := report(t, r)
	wantStatuses(t, rep, map[string]string{"databricks.token": "fail"})
	if !strings.Contains(r.stdout, "NOT checked") {
		t.Fatalf("an unreachable workspace stays unreachable through the dial port\n%s", r)
	}
	r = runCLI(t, env, "list", "--world", "demo")
	if r.code != 2 || !strings.Contains(r.stderr, "--sandbox") {
		t.Fatalf("--world with a shared sandbox: want exit 2\n%s", r)
	}

	if code := stop(); code != 0 {
		t.Fatalf("serve ended with %d", code)
	}
	if _, err := os.Stat(connFile); !os.IsNotExist(err) {
		t.Fatalf("the connection file outlives the sandbox: %v", err)
	}
	r = runCLI(t, env, "list")
	if r.code != 2 || !strings.Contains(r.stderr, "--sandbox") {
		t.Fatalf("a missing connection file: want exit 2 naming --sandbox\n%s", r)
	}
}

// serveSandbox runs `amlattach sandbox serve --world world` until the test
// ends, and returns its connection file and a stop that interrupts it and
// returns its exit code.
func serveSandbox(t *testing.T, world string) (string, func() int) {
	t.Helper()
	connFile := filepath.Join(t.TempDir(), "sandbox.json")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"sandbox", "serve", "--world", world, "--out", connFile}, &streams{In: strings.NewReader(""), Out: &out, Err: &errb}, func(string) string { return "" })
	}()
	stopped := false
	stop := func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve: %s", errb.String())
			}
			return code
		case <-time.After(10 * time.Second):
			t.Fatal("serve did not stop on interrupt")
		}
		return -1
	}
	t.Cleanup(func() { stop() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		if st, err := os.Stat(connFile); err == nil && st.Size() > 0 {
			if st.Mode().Perm() != 0o600 {
				t.Fatalf("connection file mode %v", st.Mode().Perm())
			}
			return connFile, stop
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection file\n%s\n%s", out.String(), errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
