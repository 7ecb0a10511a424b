package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"amlattach/flows"
	"amlattach/probes"
)

// fakeJob scripts the fake's test jobs: they go NotStarted, Queued,
// Running, then Completed with output, or end with fail. hold keeps a job
// Running until it is closed or the job's context ends; the context's end
// then does what flows.RunJob does (leave it when KeepRunning says so,
// else cancel it).
type fakeJob struct {
	fail *flows.JobError
	// failFirst, when set, fails only the first failFirst jobs.
	failFirst int
	fixes     []string
	output    string
	hold      chan struct{}
	// runs records what each job was asked; canceled and left how the
	// interrupted ones ended.
	runs     []flows.JobInput
	canceled int
	left     int
}

func (f *fakeBackend) RunJob(ctx context.Context, ws flows.Workspace, in flows.JobInput, progress func(flows.JobUpdate)) (*flows.JobReport, error) {
	f.mu.Lock()
	f.job.runs = append(f.job.runs, in)
	n := len(f.job.runs)
	fail, fixes, hold := f.job.fail, f.job.fixes, f.job.hold
	if f.job.failFirst > 0 && n > f.job.failFirst {
		fail = nil
	}
	f.mu.Unlock()
	for _, c := range f.computes {
		if c.Name == in.Compute && !flows.RunsCommandJobs(c.Type) {
			return nil, &flows.Error{Kind: flows.KindInput, Msg: fmt.Sprintf("%s is a %s compute; no job was submitted", c.Name, c.Type)}
		}
	}
	name := fmt.Sprintf("amlattach-%s-%08x", in.Compute, n)
	studio := "https://ml.azure.com/runs/" + name
	start := f.clock.Now()
	rep := &flows.JobReport{Compute: in.Compute, Job: flows.JobInfo{Name: name, Status: "NotStarted", StudioURL: studio}}
	step := func(status string) {
		f.clock.Advance(time.Second)
		rep.Job.Status = status
		progress(flows.JobUpdate{Phase: "status", Job: name, Status: status, Elapsed: f.clock.Now().Sub(start), At: f.clock.Now()})
	}
	progress(flows.JobUpdate{Phase: "submitted", Job: name, Status: "NotStarted", At: start, StudioURL: studio})
	progress(flows.JobUpdate{Phase: "status", Job: name, Status: "NotStarted", At: start})
	step("Queued")
	step("Running")
	if hold != nil {
		f.waiting.Add(1)
		select {
		case <-hold:
		case <-ctx.Done():
		}
		f.waiting.Add(-1)
		if ctx.Err() != nil {
			rep.Elapsed = f.clock.Now().Sub(start)
			if in.KeepRunning != nil && in.KeepRunning() {
				f.mu.Lock()
				f.job.left++
				f.mu.Unlock()
				return rep, &flows.Error{Kind: flows.KindInterrupted, Msg: "stopped following test job " + name + ": it goes on in Azure"}
			}
			progress(flows.JobUpdate{Phase: "canceling", Job: name, Status: "Running", At: f.clock.Now()})
			f.mu.Lock()
			f.job.canceled++
			f.mu.Unlock()
			rep.Job.Status = "Canceled"
			progress(flows.JobUpdate{Phase: "canceled", Job: name, Status: "Canceled", At: f.clock.Now()})
			return rep, &flows.Error{Kind: flows.KindInterrupted, Msg: "interrupted: test job " + name + " was canceled (it was amlattach's own)"}
		}
	}
	if fail != nil {
		step("Failed")
		e := *fail
		rep.Error, rep.Fixes = &e, fixes
		rep.Elapsed = f.clock.Now().Sub(start)
		rep.Output, rep.LogName = "+ sudo -n docker run ...\n", "user_logs/std_log.txt"
		return rep, &flows.Error{Kind: flows.KindAzure, Msg: "test job " + name + " ended Failed: " + e.Message, Fix: e.Remedy}
	}
	step("Finalizing")
	step("Completed")
	rep.OK = true
	rep.Elapsed = f.clock.Now().Sub(start)
	rep.Output, rep.LogName = f.job.output, "user_logs/std_log.txt"
	if rep.Output == "" {
		rep.Output = "host: gpu-dsvm\nPython 3.10.14\nDocker version 24.0.7\ngpus: none\n"
	}
	return rep, nil
}

// toAttached drives the wizard to the result of a successful attach of gpu-dsvm.
func toAttached(t *testing.T, f *fakeBackend) *driver {
	t.Helper()
	d := toAttach(t, f, f)
	d.want(`Attached: compute "gpu-dsvm" is Succeeded`)
	return d
}

// After a successful attach the result offers j; j runs a test job on the
// compute, whose every status change shows with its time, then the output
// and the studio link. esc goes back to the result, enter leaves with the
// job's line among the wizard's last words.
func TestAttachResultRunsATestJob(t *testing.T) {
	f := newFake()
	d := toAttached(t, f)
	d.want("j runs a test job on it")
	if h := d.helpBar(); !strings.Contains(h, "j run a test job") {
		t.Fatalf("help bar: %q", h)
	}
	d.keys("j")
	d.wantStep(stepJob)
	if len(f.job.runs) != 1 || f.job.runs[0].Compute != "gpu-dsvm" || f.job.runs[0].Poll != 250*time.Millisecond || f.job.runs[0].KeepRunning == nil {
		t.Fatalf("runs: %+v", f.job.runs)
	}
	d.want(`Test job on "gpu-dsvm"`, "job     amlattach-gpu-dsvm-00000001", "studio  https://ml.azure.com/runs/amlattach-gpu-dsvm-00000001",
		"0.0s  submitted: Azure ML accepted job", "1.0s  Queued", "2.0s  Running", "3.0s  Finalizing", "4.0s  Completed",
		`✓ Completed in 4.0s: "gpu-dsvm" runs jobs.`, "Output (user_logs/std_log.txt):", "host: gpu-dsvm", "Docker version 24.0.7")
	if h := d.helpBar(); !strings.Contains(h, "j run it again") || !strings.Contains(h, "esc back") {
		t.Fatalf("help bar: %q", h)
	}
	d.keys("esc")
	d.wantStep(stepAttach)
	d.want(`Attached: compute "gpu-dsvm" is Succeeded`)
	d.keys("enter")
	if !d.quit {
		t.Fatal("enter on the result did not quit")
	}
	o := d.m.Outcome()
	all := strings.Join(o.Lines, "\n")
	if o.Kind != OutcomeAttached || o.Err != nil || !strings.Contains(all, `compute="gpu-dsvm"`) ||
		!strings.Contains(all, `Test job amlattach-gpu-dsvm-00000001 on "gpu-dsvm": Completed in 4.0s (https://ml.azure.com/runs/`) {
		t.Fatalf("outcome %+v", o)
	}
}

// A failed job shows the service's error, the cause and the remedy; the
// fix the cause points at is offered with f when the fake has it for the
// attach's plan, the fix screen says the job runs again after it, and
// after enter a second job runs and completes.
func TestFailedJobShowsCauseAndOffersTheFix(t *testing.T) {
	f := newFake()
	f.job.fail = &flows.JobError{Code: "UserError", Message: "Unable to run docker with sudo. Check that sudo is configured to run docker without a password.",
		Cause: "Docker is installed on the VM but its daemon is not running", Remedy: "apply the fix host.docker-setup"}
	f.job.fixes = []string{"host.docker-setup"}
	f.fixes = map[string]flows.Fix{probes.IDHostDocker: {ID: "host.docker-setup", Summary: "set up Docker on gpu-dsvm", Changes: []string{"VM gpu-dsvm: docker daemon stopped -> running"},
		Permission: "Microsoft.Compute/virtualMachines/runCommands/write", Risk: "restarts nothing else", Undo: "sudo systemctl disable --now docker"}}
	d := toAttached(t, f)
	d.keys("j")
	d.want("✗ The job ended Failed after 3.0s.", "error   UserError: Unable to run docker with sudo.", "cause   Docker is installed on the VM but its daemon is not running",
		"remedy  apply the fix host.docker-setup", "f shows the fix host.docker-setup (set up Docker on gpu-dsvm)", "+ sudo -n docker run")
	if h := d.helpBar(); !strings.Contains(h, "f fix: host.docker-setup") {
		t.Fatalf("help bar: %q", h)
	}
	d.keys("f")
	d.wantStep(stepFix)
	d.want(`Fix for the test job on "gpu-dsvm"`, "change: VM gpu-dsvm: docker daemon stopped -> running", "then the test job runs again, to prove it")
	f.mu.Lock()
	f.job.fail = nil
	f.mu.Unlock()
	d.keys("enter")
	d.wantStep(stepJob)
	if len(f.applied) != 1 || f.applied[0] != "host.docker-setup" || len(f.job.runs) != 2 || f.reruns != 0 {
		t.Fatalf("applied %v, job runs %d, preflight reruns %d", f.applied, len(f.job.runs), f.reruns)
	}
	d.want("✓ applied  host.docker-setup", "✓ Completed in 4.0s")
	d.wantNot("f shows the fix")
	d.keys("q")
	o := d.m.Outcome()
	all := strings.Join(o.Lines, "\n")
	if !d.quit || !strings.Contains(all, ": Failed (") || !strings.Contains(all, "cause:  Docker is installed") || !strings.Contains(all, ": Completed in 4.0s") {
		t.Fatalf("outcome lines:\n%s", all)
	}
}

// A failure whose fix amlattach does not have (yet) says so and names it;
// no f.
func TestFailedJobWithoutTheFixNamesIt(t *testing.T) {
	f := newFake()
	f.job.fail = &flows.JobError{Message: "Unable to run docker with sudo.", Cause: "sudo asks azureuser for a password", Remedy: "give passwordless sudo for docker"}
	f.job.fixes = []string{"host.docker-setup"}
	d := toAttached(t, f)
	d.keys("j")
	d.want("cause   sudo asks azureuser for a password", "The fix for this is host.docker-setup; amlattach does not offer it from here yet")
	d.keys("f")
	d.wantStep(stepJob)
	if h := d.helpBar(); strings.Contains(h, "f fix") {
		t.Fatalf("help bar offers a fix: %q", h)
	}
}

// Ctrl-C while the job runs asks; w keeps waiting, c cancels the job and
// shows it Canceled (the wizard stays), s leaves it running and quits,
// saying where to follow it.
func TestCtrlCDuringJobCancelsOrLeaves(t *testing.T) {
	f := newFake()
	f.job.hold = make(chan struct{})
	d := toAttached(t, f)
	d.keys("j")
	d.want("Running · elapsed", "ctrl+c cancel or leave…")
	d.keys("ctrl+c")
	d.want("The test job runs in Azure whatever happens here", "esc/w  keep waiting", "c      cancel the job", "s      leave it running and quit")
	d.keys("w")
	d.wantNot("What now?")
	d.keys("q") // q asks too while the job runs
	d.want("What now?")
	d.keys("c")
	d.want("canceling the job (it is amlattach's own)", "cancel done: Canceled", "interrupted: test job amlattach-gpu-dsvm-00000001 was canceled")
	if d.quit || f.job.canceled != 1 || f.job.left != 0 {
		t.Fatalf("quit %v, canceled %d, left %d", d.quit, f.job.canceled, f.job.left)
	}
	d.keys("j")
	d.want("Running · elapsed")
	d.keys("ctrl+c", "s")
	if !d.quit || f.job.left != 1 || f.job.canceled != 1 {
		t.Fatalf("quit %v, canceled %d, left %d", d.quit, f.job.canceled, f.job.left)
	}
	o := d.m.Outcome()
	all := strings.Join(o.Lines, "\n")
	if o.Kind != OutcomeAttached || !strings.Contains(all, "Test job amlattach-gpu-dsvm-00000002 on \"gpu-dsvm\" goes on in Azure (Running when left); follow it in the studio: https://ml.azure.com/runs/amlattach-gpu-dsvm-00000002") {
		t.Fatalf("outcome %+v", o)
	}
}

// Doctor offers j for a Succeeded VirtualMachine compute (not for a
// Databricks one); the job runs from there and esc goes back to the doctor.
func TestDoctorOffersATestJob(t *testing.T) {
	f := newFake()
	f.computes = append(f.computes, flows.Compute{Name: "dbx", Type: "Databricks", ProvisioningState: "Succeeded", ResourceID: testDBX})
	d := newDriver(t, testOptions(f), 99, 30)
	d.toDoctor("old-dsvm")
	d.want("j runs a test job")
	if h := d.helpBar(); !strings.Contains(h, "j run a test job") {
		t.Fatalf("help bar: %q", h)
	}
	d.keys("j")
	d.wantStep(stepJob)
	d.want(`Troubleshoot: test job on "old-dsvm"`, "✓ Completed in 4.0s")
	d.keys("esc")
	d.wantStep(stepDoctor)
	d = newDriver(t, testOptions(f), 99, 30)
	d.toDoctor("dbx")
	d.want(`Doctor of "dbx"`)
	d.wantNot("j runs a test job")
	d.keys("j")
	d.wantStep(stepDoctor)
	if len(f.job.runs) != 1 {
		t.Fatalf("job runs: %d", len(f.job.runs))
	}
}

// A job that cannot be submitted says why and that nothing was sent.
func TestJobNotSubmittedSaysWhy(t *testing.T) {
	f := newFake()
	d := toAttached(t, f)
	s := d.m.jobScr
	s.ws = d.m.ws
	s.finish(jobDoneMsg{err: &flows.Error{Kind: flows.KindProbeFailed, Msg: "compute gpu-dsvm is Failed, not Succeeded: it cannot run jobs; no job was submitted", Fix: "find out why with: amlattach doctor gpu-dsvm"}})
	s.compute = "gpu-dsvm"
	d.m.step = stepJob
	d.want("compute gpu-dsvm is Failed, not Succeeded", "fix: find out why with: amlattach doctor gpu-dsvm", "No job was submitted. esc goes back.")
	if !errors.Is(s.err, s.err) || len(s.OutcomeLines()) != 1 || !strings.Contains(s.OutcomeLines()[0], "not submitted") {
		t.Fatalf("lines %q", s.OutcomeLines())
	}
}

// The job screen once a test job completed: its statuses with their
// times, the studio link, the output.
func TestGoldenJobCompleted(t *testing.T) {
	s := startSession(t, testOptions(newFake()), 80, 24)
	s.toPreflight("Ready to attach")
	s.key("enter")
	s.wait("enter attaches")
	s.key("enter")
	s.wait("j run a test job")
	s.key("j")
	s.wait("j run it again")
	s.golden()
}
