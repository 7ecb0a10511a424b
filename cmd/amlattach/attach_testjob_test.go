package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"amlattach/flows"
)

// attachJobDoc decodes `attach --test-job -o json`: the attach's report
// with "testJob", the job's own document, and no other key.
func attachJobDoc(t *testing.T, r result) (flows.Report, *flows.JobReport) {
	t.Helper()
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.stdout), &keys); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, r)
	}
	if _, ok := keys["testJob"]; !ok {
		t.Fatalf("no testJob:\n%s", r)
	}
	for k := range keys {
		if !slices.Contains([]string{"target", "ok", "probes", "compute", "testJob"}, k) {
			t.Fatalf("key %q is not the attach's nor testJob:\n%s", k, r)
		}
	}
	var rep flows.Report
	var doc struct {
		TestJob *flows.JobReport `json:"testJob"`
	}
	must(t, json.Unmarshal([]byte(r.stdout), &rep))
	must(t, json.Unmarshal([]byte(r.stdout), &doc))
	if doc.TestJob != nil {
		var inner map[string]json.RawMessage
		must(t, json.Unmarshal(keys["testJob"], &inner))
		for _, k := range []string{"compute", "job", "output", "error", "ok"} {
			if _, ok := inner[k]; !ok || len(inner) != 5 {
				t.Fatalf("testJob is not the job document (%q):\n%s", k, keys["testJob"])
			}
		}
	}
	return rep, doc.TestJob
}

func demoPassword(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	must(t, os.WriteFile(pw, []byte("Demo-Passw0rd!\n"), 0o600))
	return pw, filepath.Join(dir, "kh")
}

// attach vm --test-job: after the attach a test job runs on the compute;
// -o json gives one document (the attach's, with testJob); exit 0 when it
// completes, 3 when it fails (a force-attached VM without a Docker
// daemon), with the cause and the fix in testJob.error.
func TestAttachVMWithTestJob(t *testing.T) {
	sb := jobDemo(t, nil)
	pw, kh := demoPassword(t)
	r := runCLI(t, nil, "attach", "vm", "--world", "demo", "--name", "clean", "--resource-name", "dsvm-ubuntu", "--username", "azureuser",
		"--password-file", pw, "--known-hosts", kh, "--accept-new-host-key", "--yes", "--test-job", "-o", "json")
	rep, job := attachJobDoc(t, r)
	if r.code != 0 || rep.Compute == nil || rep.Compute.ProvisioningState != "Succeeded" || job == nil || !job.OK || job.Job.Status != "Completed" ||
		!strings.Contains(job.Output, "host:") || job.Compute != "clean" {
		t.Fatalf("want the attach and a completed job:\n%s", r)
	}
	if !strings.Contains(r.stderr, "Test job "+job.Job.Name+" submitted to clean") || !strings.Contains(r.stderr, "Completed") {
		t.Fatalf("live lines go to stderr beside JSON:\n%s", r)
	}
	if h := sb.JobHistory(demoSub, "ml-rg", "contoso-ws", job.Job.Name); strings.Join(h, ",") != "NotStarted,Queued,Preparing,Running,Finalizing,Completed" {
		t.Fatalf("sandbox history %v", h)
	}

	r = runCLI(t, nil, "attach", "vm", "--world", "demo", "--name", "nodaemon", "--resource-name", "nodaemon-vm", "--username", "azureuser",
		"--password-file", pw, "--known-hosts", kh, "--accept-new-host-key", "--force", "--yes", "--test-job", "-o", "json")
	rep, job = attachJobDoc(t, r)
	if r.code != 3 || rep.Compute.ProvisioningState != "Succeeded" || job == nil || job.OK || job.Job.Status != "Failed" || job.Error == nil ||
		!strings.Contains(job.Error.Cause, "daemon is not running") || !strings.Contains(job.Error.Remedy, "host.docker-setup") {
		t.Fatalf("want exit 3 with the cause:\n%s", r)
	}
}

// In text the attach's lines come first, then the job's and its output;
// an attach that fails runs no job (testJob null), and a type whose
// computes run no command jobs has no --test-job.
func TestAttachTestJobTextAndNoJobWhenTheAttachFails(t *testing.T) {
	jobDemo(t, nil)
	pw, kh := demoPassword(t)
	r := runCLI(t, nil, "attach", "vm", "--world", "demo", "--name", "clean2", "--resource-name", "dsvm-ubuntu", "--username", "azureuser",
		"--password-file", pw, "--known-hosts", kh, "--accept-new-host-key", "--yes", "--test-job")
	attached, output, done := strings.Index(r.stdout, `compute "clean2": Succeeded`), strings.Index(r.stdout, "Output (user_logs/std_log.txt):"), strings.Index(r.stdout, "Completed in")
	if r.code != 0 || attached < 0 || output < attached || done < output || !strings.Contains(r.stdout, "Test job amlattach-clean2-") {
		t.Fatalf("text:\n%s", r)
	}
	r = runCLI(t, nil, "attach", "vm", "--world", "demo", "--name", "nodaemon2", "--resource-name", "nodaemon-vm", "--username", "azureuser",
		"--password-file", pw, "--known-hosts", kh, "--accept-new-host-key", "--force", "--yes", "--test-job")
	if r.code != 3 || !strings.Contains(r.stdout, "  cause:  Docker is installed on the VM but its daemon is not running") ||
		!strings.Contains(r.stderr, `"nodaemon2" was attached, and its test job amlattach-nodaemon2-`) {
		t.Fatalf("text, failed job:\n%s", r)
	}
	r = runCLI(t, nil, "attach", "vm", "--world", "demo", "--name", "closed", "--resource-name", "closed-nsg-vm", "--username", "azureuser",
		"--password-file", pw, "--known-hosts", kh, "--accept-new-host-key", "--yes", "--test-job", "-o", "json")
	if rep, job := attachJobDoc(t, r); r.code != 1 || job != nil || rep.OK {
		t.Fatalf("a failed preflight: exit 1, no job:\n%s", r)
	}
	if r = runCLI(t, nil, "attach", "databricks", "--world", "demo", "--resource-name", "dbx-ws", "--test-job"); r.code != 2 || !strings.Contains(r.stderr, "unknown flag: --test-job") {
		t.Fatalf("databricks --test-job:\n%s", r)
	}
}

// The loop headless: the VM without a Docker daemon, attached anyway,
// fails its test job; fix vm --only host.docker-setup starts the daemon
// (a Run Command on the simulated host), and the next test job pulls its
// image and completes there.
func TestJobCompletesAfterHostDockerSetup(t *testing.T) {
	jobDemo(t, nil)
	pw, kh := demoPassword(t)
	r := runCLI(t, nil, "attach", "vm", "--world", "demo", "--name", "nodaemon", "--resource-name", "nodaemon-vm", "--username", "azureuser",
		"--password-file", pw, "--known-hosts", kh, "--accept-new-host-key", "--force", "--yes", "--test-job", "-o", "json")
	if _, job := attachJobDoc(t, r); r.code != 3 || job == nil || job.Job.Status != "Failed" {
		t.Fatalf("the first job should fail:\n%s", r)
	}
	r = runCLI(t, nil, "fix", "vm", "--world", "demo", "--resource-name", "nodaemon-vm", "--username", "azureuser", "--password-file", pw,
		"--known-hosts", kh, "--only", "host.docker-setup", "--yes")
	// exit 1: the VM is attached already (ws.duplicate), which no fix changes
	if r.code != 1 || !strings.Contains(r.stdout, "applied: set Docker up on VM nodaemon-vm") || !strings.Contains(r.stdout, "service docker: not running -> running") {
		t.Fatalf("fix:\n%s", r)
	}
	r = runCLI(t, nil, "job", "nodaemon", "--world", "demo", "-o", "json")
	if rep := jobDoc(t, r); r.code != 0 || rep.Job.Status != "Completed" || !strings.Contains(rep.Output, "host:") {
		t.Fatalf("after the fix the job should complete:\n%s", r)
	}
}
