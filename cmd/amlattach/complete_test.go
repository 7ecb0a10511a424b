package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompletionScriptsAndDynamicValues(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		r := runCLI(t, nil, "completion", sh)
		if r.code != 0 || !strings.Contains(r.stdout, "amlattach") || len(r.stdout) < 500 {
			t.Errorf("completion %s: want a script\n%s", sh, r.stderr)
		}
	}
	r := runCLI(t, nil, "__complete", "doctor", "--world", "demo", "old")
	if r.code != 0 || !strings.Contains(r.stdout, "old-dsvm\tVirtualMachine Succeeded") || strings.Contains(r.stdout, "broken-vm") {
		t.Fatalf("doctor NAME completes the workspace's compute names by prefix\n%s", r)
	}
	r = runCLI(t, nil, "__complete", "attach", "kubernetes", "--world", "demo", "--resource-id", "")
	if !strings.Contains(r.stdout, "/Microsoft.Kubernetes/connectedClusters/arc-onprem") || !strings.Contains(r.stdout, "/managedClusters/aks-ml") {
		t.Fatalf("--resource-id completes from browse\n%s", r)
	}
	// Without a workspace or credential: nothing offered, and no error text.
	r = runCLI(t, map[string]string{"AZURE_CONFIG_DIR": t.TempDir()}, "__complete", "detach", "--world", filepath.Join(t.TempDir(), "missing.yaml"), "")
	if strings.Contains(r.stdout, "error") || r.code != 0 {
		t.Fatalf("completion must fail quietly\n%s", r)
	}
}

func TestManPages(t *testing.T) {
	dir := t.TempDir()
	r := runCLI(t, nil, "man", "--dir", dir)
	if r.code != 0 {
		t.Fatalf("man\n%s", r)
	}
	page, err := os.ReadFile(filepath.Join(dir, "amlattach-doctor.1"))
	if err != nil || !strings.Contains(string(page), ".TH \"AMLATTACH\"") || !strings.Contains(string(page), "listKeys") {
		t.Fatalf("doctor's man page: %v\n%s", err, page)
	}
}
