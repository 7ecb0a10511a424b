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

	"amlattach/azure"
	"amlattach/azure/sandbox"
	"amlattach/flows"
	"amlattach/internal/sandboxtest"
)

const demoSub = "00000000-0000-0000-0000-000000000001"

var demoWS = azure.Workspace{SubscriptionID: demoSub, ResourceGroup: "ml-rg", Name: "contoso-ws"}

// jobDemo starts one demo sandbox for every command of a test, with short
// job steps and change applied to the world.
func jobDemo(t *testing.T, change func(*sandbox.World)) *sandbox.Server {
	t.Helper()
	w := sandbox.DemoWorld()
	w.Faults.JobStepSeconds = 0.05
	w.Faults.AttachSeconds = 0.1
	if change != nil {
		change(w)
	}
	sb, err := sandbox.Start(w)
	must(t, err)
	sharedSandbox = sb
	t.Cleanup(func() { sharedSandbox = nil; sb.Close() })
	return sb
}

func jobDemoVM(w *sandbox.World, name string) *sandbox.VM {
	for i := range w.Subscriptions[0].ResourceGroups[0].VirtualMachines {
		if vm := &w.Subscriptions[0].ResourceGroups[0].VirtualMachines[i]; vm.Name == name {
			return vm
		}
	}
	panic("no demo VM " + name)
}

// jobDoc decodes the one JSON document of `job -o json`, refusing keys
// beyond the contract's.
func jobDoc(t *testing.T, r result) flows.JobReport {
	t.Helper()
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.stdout), &keys); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, r)
	}
	var want = []string{"compute", "job", "output", "error", "ok"}
	if len(keys) != len(want) {
		t.Fatalf("keys %v, want exactly %v", keys, want)
	}
	for _, k := range want {
		if _, ok := keys[k]; !ok {
			t.Fatalf("no %q in %s", k, r.stdout)
		}
	}
	var rep flows.JobReport
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil || dec.More() {
		t.Fatalf("stdout: %v\n%s", err, r)
	}
	return rep
}

func sandboxJobs(t *testing.T, sb *sandbox.Server) []azure.Job {
	t.Helper()
	jobs, err := sandboxtest.Client(sb, azure.Options{}).ListJobs(context.Background(), demoWS)
	must(t, err)
	return jobs
}

// The demo's healthy attachment team-a: the job runs in a container on the
// VM's host and its output comes back; every status change is shown with
// its elapsed time, on stderr beside the JSON document.
func TestJobOnAHealthyComputeCompletesWithItsOutput(t *testing.T) {
	// Each status lasts two polls of the sandbox's 250 ms, so every one is seen.
	sb := jobDemo(t, func(w *sandbox.World) { w.Faults.JobStepSeconds = 0.5 })
	r := runCLI(t, nil, "job", "team-a", "--world", "demo", "-o", "json")
	rep := jobDoc(t, r)
	if r.code != 0 || !rep.OK || rep.Job.Status != "Completed" || rep.Error != nil || rep.Compute != "team-a" {
		t.Fatalf("want Completed, exit 0:\n%s", r)
	}
	if !strings.HasPrefix(rep.Job.Name, "amlattach-team-a-") || !strings.Contains(rep.Job.StudioURL, "/runs/"+rep.Job.Name+"?wsid=") ||
		rep.Job.StartedAt == nil || rep.Job.EndedAt == nil || rep.Job.EndedAt.Before(*rep.Job.StartedAt) {
		t.Fatalf("job: %+v", rep.Job)
	}
	lines := strings.Split(strings.TrimSpace(rep.Output), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "host: ") || lines[0] == "host: shared-vm" || lines[1] != "Python 3.10.14" ||
		lines[2] != "docker: not inside the job's container" || lines[3] != "gpus: none" {
		t.Fatalf("output is not the default command's, run in a container:\n%s", rep.Output)
	}
	var seen []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if f := strings.Fields(l); len(f) == 2 && strings.HasSuffix(f[1], "s") {
			seen = append(seen, f[0])
		}
	}
	if strings.Join(seen, ",") != "NotStarted,Queued,Preparing,Running,Finalizing,Completed" {
		t.Fatalf("status lines %v in:\n%s", seen, r.stderr)
	}
	if h := sb.JobHistory(demoSub, "ml-rg", "contoso-ws", rep.Job.Name); len(h) == 0 || h[len(h)-1] != "Completed" {
		t.Fatalf("sandbox history %v", h)
	}
	// The same in text: the output and the studio link on stdout.
	r = runCLI(t, nil, "job", "team-a", "--world", "demo", "--command", "echo made-here")
	if r.code != 0 || !strings.Contains(r.stdout, "Studio: https://ml.azure.com/runs/") || !strings.Contains(r.stdout, "\n  made-here\n") ||
		!strings.Contains(r.stdout, "  Running ") || !strings.Contains(r.stdout, "Completed in ") {
		t.Fatalf("text:\n%s", r)
	}
}

// A host whose sudo wants a password: the job fails with the service's own
// message, exit 3, the cause names sudo and docker, the remedy the fix
// host.docker-setup.
func TestJobOnAHostWhoseSudoWantsAPasswordFails(t *testing.T) {
	jobDemo(t, func(w *sandbox.World) { jobDemoVM(w, "shared-vm").SSH.Sim.SudoNeedsPassword = true })
	r := runCLI(t, nil, "job", "team-a", "--world", "demo", "-o", "json")
	rep := jobDoc(t, r)
	if r.code != 3 || rep.OK || rep.Job.Status != "Failed" || rep.Error == nil {
		t.Fatalf("want Failed, exit 3:\n%s", r)
	}
	e := rep.Error
	if e.Message != "Unable to run docker with sudo. Check that sudo is configured to run docker without a password." || e.Code == "" ||
		!strings.Contains(e.Cause, "sudo") || !strings.Contains(e.Cause, "docker") || !strings.Contains(e.Cause, "password") ||
		!strings.Contains(e.Remedy, "host.docker-setup") || !strings.Contains(e.Remedy, "NOPASSWD: /usr/bin/docker") {
		t.Fatalf("error: %+v", e)
	}
	// Text: error, cause and remedy, then one summing-up line.
	r = runCLI(t, nil, "job", "team-a", "--world", "demo")
	if r.code != 3 || !strings.Contains(r.stdout, "  error:  UserError: Unable to run docker with sudo") || !strings.Contains(r.stdout, "  remedy: apply the fix host.docker-setup") ||
		!strings.Contains(r.stderr, "ended Failed") {
		t.Fatalf("text:\n%s", r)
	}
}

// The demo VM whose Docker daemon is stopped, force-attached: its job
// fails for that reason, with the same fix.
func TestJobOnAForceAttachedVMWithoutADockerDaemonFails(t *testing.T) {
	jobDemo(t, nil)
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	must(t, os.WriteFile(pw, []byte("Demo-Passw0rd!\n"), 0o600))
	r := runCLI(t, nil, "attach", "vm", "--world", "demo", "--name", "nodaemon", "--resource-name", "nodaemon-vm", "--username", "azureuser",
		"--password-file", pw, "--known-hosts", filepath.Join(dir, "kh"), "--accept-new-host-key", "--force", "--yes")
	if r.code != 0 {
		t.Fatalf("force attach:\n%s", r)
	}
	r = runCLI(t, nil, "job", "nodaemon", "--world", "demo", "-o", "json")
	rep := jobDoc(t, r)
	if r.code != 3 || rep.Error == nil || !strings.HasPrefix(rep.Error.Message, "Unable to run docker with sudo.") ||
		!strings.Contains(rep.Error.Cause, "daemon is not running") || !strings.Contains(rep.Error.Remedy, "host.docker-setup") {
		t.Fatalf("want the daemon named and host.docker-setup offered:\n%s", r)
	}
}

// Computes that do not run command jobs say what runs on them, exit 2, and
// nothing is submitted; so do a missing compute (exit 1) and bad input.
func TestJobRefusesWhatCannotRunIt(t *testing.T) {
	sb := jobDemo(t, nil)
	r := runCLI(t, nil, "job", "dbx-legacy", "--world", "demo")
	if r.code != 2 || !strings.Contains(r.stderr, "Databricks") || !strings.Contains(r.stderr, "v1 pipelines") || !strings.Contains(r.stderr, "no job was submitted") {
		t.Fatalf("databricks:\n%s", r)
	}
	r = runCLI(t, nil, "job", "hdi-legacy", "--world", "demo", "-o", "json")
	if rep := jobDoc(t, r); r.code != 2 || rep.OK || rep.Error == nil || !strings.Contains(rep.Error.Message, "HDInsight") {
		t.Fatalf("hdinsight:\n%s", r)
	}
	r = runCLI(t, nil, "job", "no-such", "--world", "demo")
	if r.code != 1 || !strings.Contains(r.stderr, `no compute named "no-such"`) {
		t.Fatalf("missing compute:\n%s", r)
	}
	r = runCLI(t, nil, "job", "team-a", "--world", "demo", "--environment", "sklearn")
	if r.code != 2 || !strings.Contains(r.stderr, "--environment") {
		t.Fatalf("bad environment ID:\n%s", r)
	}
	if jobs := sandboxJobs(t, sb); len(jobs) != 0 {
		t.Fatalf("submitted: %+v", jobs)
	}
	// An environment that does not exist: Azure refuses the job (exit 3).
	r = runCLI(t, nil, "job", "team-a", "--world", "demo", "--environment", "azureml://registries/azureml/environments/no-such-env/labels/latest")
	if r.code != 3 || !strings.Contains(r.stderr, "no-such-env") || !strings.Contains(r.stderr, "400") {
		t.Fatalf("unknown environment:\n%s", r)
	}
}

// --no-wait submits, prints the name and the link, and returns.
func TestJobNoWait(t *testing.T) {
	sb := jobDemo(t, func(w *sandbox.World) { w.Faults.JobStaysQueued = "team-a" })
	r := runCLI(t, nil, "job", "team-a", "--world", "demo", "--no-wait", "-o", "json")
	rep := jobDoc(t, r)
	if r.code != 0 || rep.Job.Status != "NotStarted" || rep.Job.StudioURL == "" || !rep.OK {
		t.Fatalf("no-wait:\n%s", r)
	}
	if jobs := sandboxJobs(t, sb); len(jobs) != 1 || jobs[0].Name != rep.Job.Name {
		t.Fatalf("jobs: %+v", jobs)
	}
}

// Ctrl-C while the job waits in the queue: the job, ours, is canceled in
// Azure, and the command exits 130 saying so.
func TestJobInterruptedCancelsOurJob(t *testing.T) {
	sb := jobDemo(t, func(w *sandbox.World) { w.Faults.JobStaysQueued = "team-a" })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out bytes.Buffer
	errb := &lockedBuffer{}
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"job", "team-a", "--world", "demo", "-o", "json"}, &streams{In: strings.NewReader(""), Out: &out, Err: errb}, func(string) string { return "" })
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(errb.String(), "Queued") {
		if time.Now().After(deadline) {
			t.Fatalf("never Queued:\n%s", errb)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	var code int
	select {
	case code = <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("no exit after the interruption")
	}
	r := result{code: code, stdout: out.String(), stderr: errb.String()}
	rep := jobDoc(t, r)
	if code != 130 || rep.Job.Status != "Canceled" || !strings.Contains(r.stderr, "canceling test job") || !strings.Contains(r.stderr, "amlattach's own") {
		t.Fatalf("want exit 130 and the job Canceled:\n%s", r)
	}
	if h := sb.JobHistory(demoSub, "ml-rg", "contoso-ws", rep.Job.Name); strings.Join(h, ",") != "NotStarted,Queued,CancelRequested,Canceled" {
		t.Fatalf("sandbox history %v", h)
	}
}
