package flows

import (
	"context"
	"errors"
	"fmt"

	"amlattach/azure"
	"amlattach/probes"
)

// ReplaceOptions govern a reattach.
type ReplaceOptions struct {
	AttachOptions
	// Retry is the command that attaches again under the same name, for the
	// message when the attach fails after the detach.
	Retry string
}

// ProbeExisting is the preflight of a compute that exists already (doctor,
// replace): ws.name is left out, the name being that compute's own.
func ProbeExisting(ctx context.Context, d Deps, ws azure.Workspace, p *Plan, emit Emit) []probes.Result {
	steps, cleanup := p.Steps(d, ws)
	defer cleanup()
	var kept []Step
	for _, s := range steps {
		if s.ID != probes.IDWsName {
			kept = append(kept, s)
		}
	}
	return RunGraph(ctx, kept, d.Now, emit)
}

// Replace reattaches an existing compute with new settings (a rotated
// password, a new key or token, other TLS settings): the preflight runs with
// the new settings first and nothing is detached when it fails (unless
// Force); then the compute is detached and attached again under its name.
func Replace(ctx context.Context, d Deps, ws azure.Workspace, p *Plan, o ReplaceOptions, emit Emit) (*Report, error) {
	p.Bind(ws)
	c, cancel := d.withTimeout(ctx)
	old, err := d.Azure.GetCompute(c, ws, p.Name)
	cancel()
	if errors.Is(err, azure.ErrComputeNotFound) {
		return nil, &Error{Kind: KindInput, Field: "--replace", Msg: fmt.Sprintf("workspace %s has no compute named %q to replace", ws.Name, p.Name), Fix: "drop --replace to attach it as a new compute, or check the name with: amlattach list"}
	}
	if err != nil {
		return nil, FromAzure("read compute "+p.Name, err)
	}
	if old.ResourceID != "" && !azure.SameResource(old.ResourceID, p.ID.String()) {
		return nil, &Error{Kind: KindInput, Field: "--replace", Msg: fmt.Sprintf("compute %q is attached to %s, not to %s", p.Name, old.ResourceID, p.ID),
			Fix: "--replace reattaches the same resource; detach the compute first to use its name for another one"}
	}
	rs := ProbeExisting(ctx, d, ws, p, emit)
	rep := NewReport(p.Type, p.Name, p.ID.String(), rs)
	if ctx.Err() != nil {
		return rep, &Error{Kind: KindInterrupted, Msg: "interrupted during the preflight; nothing was changed", Err: ctx.Err()}
	}
	if err := SignInLost(d, "preflight (nothing was changed)"); err != nil {
		return rep, err
	}
	if AnyFailed(rs) && !o.Force {
		return rep, &Error{Kind: KindProbeFailed, Msg: fmt.Sprintf("a probe failed with the new settings; %q was not detached", p.Name), Fix: "fix what the failed probes say and run again, or replace anyway with --force"}
	}
	if o.Confirm != nil {
		sum := Summarize(ws, p, rs)
		sum.Warnings = append([]string{fmt.Sprintf("replace: %q (%s) is detached first, then attached again with these settings", p.Name, old.ProvisioningState)}, sum.Warnings...)
		ok, err := o.Confirm(sum)
		if err != nil {
			return rep, err
		}
		if !ok {
			return rep, &Error{Kind: KindInput, Msg: "not confirmed; nothing was changed"}
		}
	}
	dctx, dcancel := d.OperationContext(ctx)
	err = d.Azure.Detach(dctx, ws, p.Name, func(pr azure.Progress) {
		if emit != nil {
			emit(Event{Kind: DetachProgress, Phase: pr.Phase, State: pr.State, At: d.now()})
		}
	})
	dcancel()
	if err != nil && !errors.Is(err, azure.ErrComputeNotFound) {
		rep.OK = false
		if ctx.Err() != nil {
			return rep, &Error{Kind: KindInterrupted, Msg: fmt.Sprintf("stopped watching the detach of %q: it goes on in Azure, and the new attach was not sent", p.Name), Fix: "check with: amlattach list; then run: " + o.Retry, Err: err}
		}
		return rep, FromAzure("detach "+p.Name+" (nothing was attached)", err)
	}
	rep, err = Submit(ctx, d, ws, p, rep, emit)
	var dup *DuplicateAttachError
	if err != nil && !errors.As(err, &dup) {
		var fe *Error
		if errors.As(err, &fe) {
			fe.Msg = fmt.Sprintf("%q was detached, and attaching it again failed: %s", p.Name, fe.Msg)
			fe.Fix = "finish the job with: " + o.Retry
			return rep, fe
		}
		return rep, &Error{Kind: KindAzure, Msg: fmt.Sprintf("%q was detached, and attaching it again failed: %v", p.Name, err), Fix: "finish the job with: " + o.Retry, Err: err}
	}
	return rep, err // nil, or the attach worked and another attachment appeared meanwhile
}
