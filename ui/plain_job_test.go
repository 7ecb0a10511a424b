package ui

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"amlattach/flows"
	"amlattach/probes"
)

// runPlainClean runs the plain wizard on a scenario whose preflight
// passes, with the answers given, one a line.
func runPlainClean(t *testing.T, f *fakeBackend, answers ...string) (Outcome, string) {
	t.Helper()
	o := testOptions(f)
	o.Start = &Start{Scenario: "clean", Summary: "attaches cleanly", ResourceID: testVM, ComputeName: "gpu-dsvm", Username: "azureuser", Password: "Demo-Passw0rd!"}
	var out bytes.Buffer
	got, err := RunPlain(context.Background(), o, PlainIO{In: strings.NewReader(strings.Join(answers, "\n") + "\n"), Out: &out, NoEcho: func() func() { return func() {} }})
	if err != nil {
		t.Fatal(err)
	}
	return got, out.String()
}

// --plain: after the attach, "Run a test job?" (no by default); yes runs
// it in lines: each status with its time, the studio link, the output.
func TestPlainAttachThenTestJob(t *testing.T) {
	f := newFake()
	got, text := runPlainClean(t, f, "y", "y")
	wantText(t, text, "✓ Attached", "Run a test job on gpu-dsvm? It proves jobs run there and shows their output (y/N)",
		"submitted: job amlattach-gpu-dsvm-00000001 (NotStarted)", "studio: https://ml.azure.com/runs/amlattach-gpu-dsvm-00000001",
		"Queued           1.0s", "Completed        4.0s", "Output (user_logs/std_log.txt):", "  host: gpu-dsvm", "✓ Completed in 4.0s: gpu-dsvm runs jobs.")
	if got.Kind != OutcomeAttached || len(f.job.runs) != 1 || f.job.runs[0].Compute != "gpu-dsvm" {
		t.Fatalf("outcome %+v, runs %+v", got, f.job.runs)
	}
	f = newFake()
	_, text = runPlainClean(t, f, "y", "")
	if len(f.job.runs) != 0 || strings.Contains(text, "submitted: job") {
		t.Fatalf("no (the default) ran a job:\n%s", text)
	}
}

// A failed job prints the service's error, the cause and the remedy; the
// fix it names is listed with what it changes and applied after a yes;
// then the job runs again and completes.
func TestPlainFailedJobFixThenAgain(t *testing.T) {
	f := newFake()
	f.job.fail = &flows.JobError{Code: "UserError", Message: "Unable to run docker with sudo.", Cause: "the Docker daemon is not running", Remedy: "apply the fix host.docker-setup"}
	f.job.failFirst, f.job.fixes = 1, []string{"host.docker-setup"}
	f.fixes = map[string]flows.Fix{probes.IDHostDocker: {ID: "host.docker-setup", Summary: "set up Docker on gpu-dsvm", Changes: []string{"VM gpu-dsvm: docker daemon stopped -> running"}}}
	_, text := runPlainClean(t, f, "y", "y", "y")
	wantText(t, text, "✗ The test job ended Failed after 3.0s.", "error:  UserError: Unable to run docker with sudo.", "cause:  the Docker daemon is not running",
		"remedy: apply the fix host.docker-setup", "1. host.docker-setup (for host.docker): set up Docker on gpu-dsvm", "Apply host.docker-setup now? (y/N)",
		"✓ host.docker-setup applied", "The test job runs again, to prove the fix:", "✓ Completed in 4.0s: gpu-dsvm runs jobs.")
	if strings.Join(f.applied, ",") != "host.docker-setup" || len(f.job.runs) != 2 {
		t.Fatalf("applied %v, job runs %d", f.applied, len(f.job.runs))
	}
}

// s while the job runs leaves it running and says where to follow it; c
// cancels it.
func TestPlainJobLeaveOrCancel(t *testing.T) {
	for _, k := range []string{"s", "c"} {
		f := newFake()
		f.job.hold = make(chan struct{})
		_, text := runPlainClean(t, f, "y", "y", k)
		if k == "s" {
			wantText(t, text, "Left test job amlattach-gpu-dsvm-00000001 running in Azure (Running); follow it in the studio: https://ml.azure.com/runs/")
			if f.job.left != 1 || f.job.canceled != 0 {
				t.Fatalf("left %d, canceled %d", f.job.left, f.job.canceled)
			}
			continue
		}
		wantText(t, text, "canceling the job (it is amlattach's own)", "Canceled")
		if f.job.left != 0 || f.job.canceled != 1 {
			t.Fatalf("left %d, canceled %d", f.job.left, f.job.canceled)
		}
	}
}

// The plain doctor offers j for a Succeeded VM compute and runs the test
// job from there; the list goes on after it.
func TestPlainDoctorRunsATestJob(t *testing.T) {
	f := newFake()
	in := strings.Join([]string{"", "11", "1", "j", "l", "q"}, "\n") + "\n"
	var out bytes.Buffer
	if _, err := RunPlain(context.Background(), testOptions(f), PlainIO{In: strings.NewReader(in), Out: &out}); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	wantText(t, text, `Doctor of "old-dsvm"`, "What now? j runs a test job on old-dsvm, r reattaches", "submitted: job amlattach-old-dsvm-00000001", "✓ Completed in 4.0s: old-dsvm runs jobs.")
	if len(f.job.runs) != 1 || f.job.runs[0].Compute != "old-dsvm" {
		t.Fatalf("runs %+v", f.job.runs)
	}
}
