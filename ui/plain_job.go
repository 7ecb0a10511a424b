package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"amlattach/azure"
	"amlattach/flows"
)

// offerTestJob asks, after an attach or from the doctor, whether to run a
// test job on the compute, and runs it on a yes. plan is the compute's
// plan when known (a failure's fix is built from it).
func (p *plainRun) offerTestJob(compute string, plan *flows.Plan) error {
	ok, err := p.yes("Run a test job on "+compute+"? It proves jobs run there and shows their output", false)
	if err != nil || !ok {
		return err
	}
	return p.testJob(compute, plan)
}

// testJob runs a test job on the compute and follows it in lines: each
// change of status with the elapsed time, then the output, and on failure
// the service's error, the cause and the remedy, with the fix the cause
// names when amlattach has it (applied after a yes, then the job runs
// again). While it runs, c and enter cancel it, s and enter leave it
// running and stop following; Ctrl-C cancels it (it is amlattach's own).
func (p *plainRun) testJob(compute string, plan *flows.Plan) error {
	for {
		rep, err := p.followJob(compute)
		if rep == nil || rep.OK || rep.Error == nil {
			return err
		}
		var fe *flows.Error
		if errors.As(err, &fe) && fe.Kind == flows.KindInterrupted {
			return err
		}
		if plan == nil || len(rep.Fixes) == 0 {
			return nil
		}
		var fixes []flows.Fix
		for _, f := range p.be.Fixes(p.ctx, p.ws, plan, flows.JobFixResults(rep)) {
			if slices.Contains(rep.Fixes, f.ID) {
				fixes = append(fixes, f)
			}
		}
		if len(offeredFixes(fixes)) == 0 {
			for _, f := range fixes {
				if f.Needs != "" {
					p.say("! The fix %s is not offered: %s", f.ID, f.Needs)
					return nil
				}
			}
			p.say("The fix for this is %s; amlattach does not offer it from here yet: apply the remedy above, then run the job again (amlattach job %s).", strings.Join(rep.Fixes, " or "), compute)
			return nil
		}
		_, outs, ferr := p.applyFixes(plan, flows.JobFixResults(rep), fixes)
		if ferr != nil {
			return ferr
		}
		again := false
		for _, o := range outs {
			again = again || o.Status == flows.FixApplied || o.Status == flows.FixUnchanged
		}
		if !again {
			return nil
		}
		p.say("The test job runs again, to prove the fix:")
	}
}

// followJob runs one test job and prints it; the report is nil when
// nothing was submitted.
func (p *plainRun) followJob(compute string) (*flows.JobReport, error) {
	p.say("Test job on %q: submitting (while it runs: c and enter cancel it, s and enter leave it running and stop following):", compute)
	jctx, stop := context.WithCancel(p.ctx)
	defer stop()
	var leave atomic.Bool
	in := flows.JobInput{Compute: compute, KeepRunning: leave.Load}
	if p.o.Sandbox {
		in.Poll = 250 * time.Millisecond
	}
	type result struct {
		rep *flows.JobReport
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := p.be.RunJob(jctx, p.ws, in, func(u flows.JobUpdate) { p.jobLine(u) })
		done <- result{rep, err}
	}()
	var r result
	lines := p.lines
wait:
	for {
		select {
		case r = <-done:
			break wait
		case line, ok := <-lines:
			switch a := strings.ToLower(strings.TrimSpace(line)); {
			case !ok:
				lines = nil // the input ended: follow the job to its end
			case a == "c":
				stop()
			case a == "s":
				// Only s leaves: a q typed ahead is the next question's
				// answer, not a way out of a job that is nearly done.
				leave.Store(true)
				stop()
			default:
				p.ahead = append(p.ahead, line) // an answer typed ahead, for the next question
			}
		}
	}
	rep, err := r.rep, r.err
	if rep == nil {
		p.fail(err)
		return nil, err
	}
	if leave.Load() && jctx.Err() != nil && !azure.TerminalJobStatus(rep.Job.Status) {
		p.say("Left test job %s running in Azure (%s); follow it in the studio: %s", rep.Job.Name, rep.Job.Status, orDash(rep.Job.StudioURL))
		return rep, err
	}
	if rep.LogName != "" {
		label := rep.LogName
		if rep.Truncated {
			label += ", its end"
		}
		p.say("Output (%s):", label)
		out := strings.TrimRight(rep.Output, "\n")
		if out == "" {
			p.say("  (empty)")
		} else {
			for _, l := range strings.Split(out, "\n") {
				p.say("  %s", l)
			}
		}
	}
	if rep.OK {
		p.say("✓ Completed in %s: %s runs jobs.", secs(rep.Elapsed), compute)
		return rep, nil
	}
	p.say("✗ The test job ended %s after %s.", rep.Job.Status, secs(rep.Elapsed))
	if e := rep.Error; e != nil {
		msg := e.Message
		if e.Code != "" {
			msg = e.Code + ": " + msg
		}
		if msg != "" {
			p.say("  error:  %s", msg)
		}
		if e.Cause != "" {
			p.say("  cause:  %s", e.Cause)
		}
		if e.Remedy != "" {
			p.say("  remedy: %s", e.Remedy)
		}
	}
	return rep, err
}

// jobLine prints a change of a test job.
func (p *plainRun) jobLine(u flows.JobUpdate) {
	switch u.Phase {
	case "submitted":
		p.say("  submitted: job %s (%s)", u.Job, u.Status)
		if u.StudioURL != "" {
			p.say("  studio: %s", u.StudioURL)
		}
	case "status":
		p.say("  %-16s %s", u.Status, secs(u.Elapsed))
	case "canceling":
		p.say("  canceling the job (it is amlattach's own)...")
	case "canceled":
		p.say("  %-16s %s", u.Status, secs(u.Elapsed))
	case "left":
		p.say("  stopped following (%s)", u.Status)
	}
}

// jobActs is the doctor's words for a test job, when the compute runs one.
func jobActs(comp flows.Compute) string {
	if comp.ProvisioningState == "Succeeded" && flows.RunsCommandJobs(comp.Type) {
		return fmt.Sprintf("j runs a test job on %s, ", comp.Name)
	}
	return ""
}
