package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"amlattach/flows"
)

// jobFlags are the flags of `job NAME` (DESIGN §9).
type jobFlags struct {
	command, environment string
	timeLimit            time.Duration
	noWait               bool
}

func newJobCmd(a *app) *cobra.Command {
	var f jobFlags
	c := &cobra.Command{Use: "job NAME", Short: "Run a small test job on the attached compute NAME and follow it to its end",
		Long: `Submit a small command job to the attached compute NAME (by default it prints the host name,
Python, Docker and the GPUs its container sees, in the azureml registry's curated scikit-learn
environment), follow its status until it ends, and show its output and its studio link. When it
fails, the service's error is shown with its likely cause and the fix. Ctrl-C cancels the test
job (it is amlattach's own) and exits 130.

VirtualMachine and Kubernetes computes run command jobs; for the other types amlattach says what
runs on them and submits nothing.

Exit codes: 0 Completed (or submitted, with --no-wait); 1 no such compute, or it is not
Succeeded (nothing submitted); 2 bad input or a compute type that does not run command jobs;
3 Azure refused the job, or it ended Failed, Canceled, NotResponding or Paused; 130 interrupted.`,
		Example: "  amlattach job old-dsvm\n  amlattach job old-dsvm --command 'nvidia-smi' -o json\n  amlattach job team-a --no-wait",
		Args:    cobra.ExactArgs(1),
		RunE:    func(_ *cobra.Command, args []string) error { return runJobCmd(a, args[0], &f) }}
	fl := c.Flags()
	fl.StringVar(&f.command, "command", "", "the command the job runs (default: print host name, Python, Docker and GPUs)")
	fl.StringVar(&f.environment, "environment", flows.DefaultJobEnvironment, "the job's environment ID")
	fl.DurationVar(&f.timeLimit, "time-limit", flows.DefaultJobTimeLimit, "the job's time limit in Azure (limits.timeout); --timeout bounds each request")
	fl.BoolVar(&f.noWait, "no-wait", false, "submit the job, print its name and studio link, and return")
	c.ValidArgsFunction = completeComputes(a)
	return c
}

func runJobCmd(a *app, name string, f *jobFlags) error {
	e, err := a.setup(true)
	if err != nil {
		return err
	}
	in := flows.JobInput{Compute: name, Command: f.command, Environment: f.environment, TimeLimit: f.timeLimit, NoWait: f.noWait}
	rep, err := a.runTestJob(e, in)
	if rep == nil {
		if a.json() && jobInputKind(err) {
			_ = a.printJobJSON(&flows.JobReport{Compute: name, Error: &flows.JobError{Message: err.Error(), Remedy: fixOf(err)}})
		}
		return err
	}
	if a.json() {
		if perr := a.printJobJSON(rep); perr != nil && err == nil {
			err = perr
		}
	} else {
		a.printJobText(rep, f.noWait)
	}
	var fe *flows.Error
	if errors.As(err, &fe) && fe.Kind == flows.KindAzure && rep.Error != nil && !a.json() {
		// The report said it all; the last line only sums it up.
		return &flows.Error{Kind: flows.KindAzure, Msg: fmt.Sprintf("test job %s ended %s", rep.Job.Name, rep.Job.Status), Err: err}
	}
	if err == nil {
		err = flows.SignInLost(e.deps, "job")
	}
	return err
}

// runTestJob runs a test job with the sandbox's poll when on the sandbox,
// its live lines on stdout in text, on stderr beside a JSON document.
func (a *app) runTestJob(e *env, in flows.JobInput) (*flows.JobReport, error) {
	if e.sandbox != nil {
		in.Poll = 250 * time.Millisecond // the sandbox's steps are short
	}
	live := io.Writer(a.out)
	if a.json() {
		live = a.errw
	}
	progress := func(u flows.JobUpdate) {
		a.debugf("job %s: %s %s after %s", u.Job, u.Phase, u.Status, u.Elapsed)
		switch u.Phase {
		case "submitted":
			fmt.Fprintf(live, "Test job %s submitted to %s in workspace %s\n", u.Job, in.Compute, e.ws.Name)
			if u.StudioURL != "" {
				fmt.Fprintf(live, "Studio: %s\n", u.StudioURL)
			}
		case "status":
			fmt.Fprintf(live, "  %-16s %s\n", u.Status, fmtElapsed(u.Elapsed))
		case "canceling":
			fmt.Fprintf(live, "Interrupted: canceling test job %s (it is amlattach's own)...\n", u.Job)
		case "canceled":
			fmt.Fprintf(live, "  %-16s %s\n", u.Status, fmtElapsed(u.Elapsed))
		}
	}
	return flows.RunJob(a.ctx, e.deps, e.ws, in, progress)
}

// jobInputKind says whether err stopped the job before anything was
// submitted for a reason of the compute or the input (exit 1 or 2).
func jobInputKind(err error) bool {
	var fe *flows.Error
	return errors.As(err, &fe) && (fe.Kind == flows.KindProbeFailed || fe.Kind == flows.KindInput)
}

func fixOf(err error) string {
	var fe *flows.Error
	if errors.As(err, &fe) {
		return fe.Fix
	}
	return ""
}

func (a *app) printJobJSON(rep *flows.JobReport) error {
	enc := json.NewEncoder(a.out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rep)
}

func (a *app) printJobText(rep *flows.JobReport, noWait bool) {
	w := a.out
	if noWait {
		fmt.Fprintf(w, "Not waiting: the job goes on in Azure (%s). Follow it in the studio.\n", rep.Job.Status)
		return
	}
	if rep.LogName != "" {
		label := rep.LogName
		if rep.Truncated {
			label += ", its end"
		}
		fmt.Fprintf(w, "Output (%s):\n", label)
		out := strings.TrimRight(rep.Output, "\n")
		if out == "" {
			fmt.Fprintln(w, "  (empty)")
		}
		for _, l := range strings.Split(out, "\n") {
			if out != "" {
				fmt.Fprintln(w, "  "+l)
			}
		}
	}
	if rep.OK {
		fmt.Fprintf(w, "Completed in %s: %s runs jobs.\n", fmtElapsed(rep.Elapsed), rep.Compute)
		return
	}
	fmt.Fprintf(w, "The job ended %s after %s.\n", rep.Job.Status, fmtElapsed(rep.Elapsed))
	if e := rep.Error; e != nil {
		msg := e.Message
		if e.Code != "" {
			msg = e.Code + ": " + msg
		}
		if msg != "" {
			fmt.Fprintf(w, "  error:  %s\n", msg)
		}
		if e.Cause != "" {
			fmt.Fprintf(w, "  cause:  %s\n", e.Cause)
		}
		if e.Remedy != "" {
			fmt.Fprintf(w, "  remedy: %s\n", e.Remedy)
		}
	}
}

func fmtElapsed(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}
