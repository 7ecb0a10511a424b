package flows

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"amlattach/azure"
	"amlattach/probes"
)

// Stable fix IDs (DESIGN §8).
const (
	FixVMStart = "vm.start"
)

// fixBuilder builds the fix for one failed or warned probe result, or
// returns nil when it has none for it (another type, nothing safe to do).
// It may read (the resource as it is now); it never writes.
type fixBuilder struct {
	probe string   // the probe whose failures it fixes
	ids   []string // the fix IDs it may return
	build func(ctx context.Context, d Deps, p *Plan, r probes.Result) *Fix
}

// fixBuilders are every fix amlattach knows, each in its own file; a file
// adds its builder in an init function with registerFix.
var fixBuilders []fixBuilder

// registerFix adds a builder for the failed or warned results of probe;
// called from init functions only.
func registerFix(probe string, ids []string, build func(ctx context.Context, d Deps, p *Plan, r probes.Result) *Fix) {
	fixBuilders = append(fixBuilders, fixBuilder{probe: probe, ids: ids, build: build})
}

func init() {
	registerFix(probes.IDVMRunning, []string{FixVMStart}, func(ctx context.Context, d Deps, p *Plan, r probes.Result) *Fix {
		if !strings.EqualFold(p.ID.Kind(), "Microsoft.Compute/virtualMachines") {
			return nil
		}
		return vmStartFix(ctx, d, p.ID)
	})
}

// knownFixes are the fix IDs --only accepts, sorted.
func knownFixes() []string {
	var out []string
	for _, b := range fixBuilders {
		out = append(out, b.ids...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Change is one thing a fix changed (or, planned, would change): the
// resource, and its state before and after, secrets masked.
type Change struct {
	Resource string `json:"resource"`
	Before   string `json:"before"`
	After    string `json:"after"`
}

func (c Change) String() string {
	return fmt.Sprintf("%s: %s -> %s", c.Resource, c.Before, c.After)
}

// FixProgress reports a fix being applied, as AttachProgress does an attach.
const FixProgress EventKind = "fix.progress"

// FixStatus is how a fix ended.
type FixStatus string

const (
	FixApplied   FixStatus = "applied"   // the change was made
	FixUnchanged FixStatus = "unchanged" // already in place: nothing was sent
	FixRefused   FixStatus = "refused"   // Azure refused it, or the caller's roles do not grant it
	FixFailed    FixStatus = "failed"    // sent, and it did not work
	FixPlanned   FixStatus = "planned"   // --dry-run: nothing was sent
)

// Fix is a change amlattach can make itself to clear a failed probe: what
// it changes, the permission it needs, what it risks and how to undo it, as
// data that the faces render. Probes stay read-only: fixes are built here
// from their results and the plan.
type Fix struct {
	ID      string
	Probe   string // the probe it clears
	Summary string
	// Changes are what will change, one line each, secrets masked.
	Changes []string
	// Permission is the RBAC action the change needs at Scope.
	Permission string
	Scope      string
	Risk       string
	Undo       string
	// Script is the whole script a fix runs on the host (host.docker-setup),
	// shown before consent; empty for fixes made through requests alone.
	Script string
	// Needs is set when the caller's permissions at Scope do not grant
	// Permission: the fix is then shown, not offered.
	Needs string
	// invalid is the input error that keeps the fix from being made (a user
	// name that cannot go into a root script); Needs says it too. A run
	// that selects such a fix ends as bad input (exit 2), nothing sent.
	invalid error

	// apply makes the change, reading before it writes; it returns what it
	// changed (nothing when the fix was already in place: FixUnchanged).
	apply func(ctx context.Context, d Deps, emit Emit) (FixStatus, []Change, error)
}

// Offered reports whether the fix may be applied (the caller's roles grant
// its permission, or they could not be read and Azure will decide).
func (f Fix) Offered() bool { return f.Needs == "" }

// Lines describe the fix for a confirmation or a listing.
func (f Fix) Lines() []string {
	out := []string{fmt.Sprintf("%s (for %s): %s", f.ID, f.Probe, f.Summary)}
	for _, c := range f.Changes {
		out = append(out, "  change: "+c)
	}
	if f.Script != "" {
		out = append(out, "  script (run as root on the VM):")
		for _, l := range strings.Split(strings.TrimRight(f.Script, "\n"), "\n") {
			out = append(out, "    | "+l)
		}
	}
	out = append(out, "  permission: "+f.Permission, "  risk: "+f.Risk, "  undo: "+f.Undo)
	if f.Needs != "" {
		out = append(out, "  not offered: "+f.Needs)
	}
	return out
}

// FixJSON is a probe result's fix in a report.
type FixJSON struct {
	ID         string   `json:"id"`
	Summary    string   `json:"summary"`
	Changes    []string `json:"changes"`
	Permission string   `json:"permission"`
	Risk       string   `json:"risk,omitempty"`
	Undo       string   `json:"undo"`
	Script     string   `json:"script,omitempty"`
	// Needs says what the caller lacks when the fix is not offered.
	Needs string `json:"needs,omitempty"`
}

// WithFixes puts each fix on the probe it clears.
func (r *Report) WithFixes(fixes []Fix) *Report {
	for _, f := range fixes {
		for i := range r.Probes {
			if r.Probes[i].ID == f.Probe {
				r.Probes[i].Fix = &FixJSON{ID: f.ID, Summary: f.Summary, Changes: append([]string{}, f.Changes...), Permission: f.Permission,
					Risk: f.Risk, Undo: f.Undo, Script: f.Script, Needs: f.Needs}
			}
		}
	}
	return r
}

// FixesFor builds the fixes the results offer, failed and warned probes
// alike, reading what each needs to know (the resource as it is now, the
// caller's permissions at its scope); nothing is written.
func FixesFor(ctx context.Context, d Deps, p *Plan, rs []probes.Result) []Fix {
	var out []Fix
	for _, r := range rs {
		if r.Status != probes.Fail && r.Status != probes.Warn {
			continue
		}
		for _, b := range fixBuilders {
			if b.probe != r.ID {
				continue
			}
			f := b.build(ctx, d, p, r)
			if f == nil {
				continue
			}
			f.Probe = r.ID
			if f.Needs == "" {
				f.Needs = missingPermission(ctx, d, f.Scope, f.Permission)
			}
			out = append(out, *f)
		}
	}
	return out
}

// missingPermission says what the caller lacks for action at scope, or ""
// when the caller's roles grant it or cannot be read (Azure then decides,
// and a refusal names the permission).
func missingPermission(ctx context.Context, d Deps, scope, action string) string {
	c, cancel := d.withTimeout(ctx)
	defer cancel()
	perms, err := d.Azure.Permissions(c, scope)
	if err != nil || probes.ActionAllowed(perms, action) {
		return ""
	}
	return fmt.Sprintf("needs %s at %s (e.g. the role %s); your roles there do not grant it", action, scope, roleFor(action))
}

// roleFor names a built-in role that grants action.
func roleFor(action string) string {
	if action == azure.ActionVMStart {
		return "Virtual Machine Contributor"
	}
	return "Contributor"
}

// vmStartFix starts a stopped or deallocated VM.
func vmStartFix(ctx context.Context, d Deps, id azure.ResourceID) *Fix {
	state := "stopped or deallocated"
	c, cancel := d.withTimeout(ctx)
	vm, err := d.Azure.GetVM(c, id)
	cancel()
	if err == nil && vm.PowerState != "" {
		state = vm.PowerState
	}
	return &Fix{
		ID: FixVMStart, Summary: fmt.Sprintf("start the VM %s", id.Name),
		Changes: []string{
			fmt.Sprintf("VM %s (resource group %s): power state %s -> running", id.Name, id.ResourceGroup, state),
			fmt.Sprintf("request: POST %s/start (long-running; followed to its end)", id.String()),
		},
		Permission: azure.ActionVMStart, Scope: id.String(),
		Risk: "billing for the VM's compute resumes as soon as it runs, until it is deallocated again; a dynamic public IP may come back with a new address",
		Undo: fmt.Sprintf("az vm deallocate -g %s -n %s (amlattach has no undo of its own)", id.ResourceGroup, id.Name),
		apply: func(ctx context.Context, d Deps, emit Emit) (FixStatus, []Change, error) {
			// Read before write: a VM that runs already is left alone.
			c, cancel := d.withTimeout(ctx)
			vm, err := d.Azure.GetVM(c, id)
			cancel()
			if err != nil {
				return FixFailed, nil, err
			}
			if vm.PowerState == "running" {
				return FixUnchanged, nil, nil
			}
			before := vm.PowerState
			if before == "" {
				before = "not running"
			}
			oc, ocancel := d.OperationContext(ctx)
			defer ocancel()
			err = d.Azure.StartVM(oc, id, func(pr azure.Progress) {
				if emit != nil {
					emit(Event{Kind: FixProgress, Fix: FixVMStart, Phase: pr.Phase, State: pr.State, At: d.now()})
				}
			})
			if err != nil {
				return FixFailed, nil, err
			}
			return FixApplied, []Change{{Resource: "VM " + id.String(), Before: "power state " + before, After: "power state running"}}, nil
		},
	}
}

// ApplyFix applies one fix the user consented to (the wizard's f, one at a
// time) and says how it went; nothing is sent for a fix that is not offered.
func ApplyFix(ctx context.Context, d Deps, f Fix, emit Emit) FixOutcome {
	oc := FixOutcome{ID: f.ID, Probe: f.Probe, Summary: f.Summary}
	if !f.Offered() {
		oc.Status, oc.Error = FixRefused, "not sent: "+f.Needs
		return oc
	}
	if f.apply == nil {
		oc.Status, oc.Error = FixFailed, "this fix cannot be applied from here"
		return oc
	}
	st, changed, err := f.apply(ctx, d, emit)
	oc.Status, oc.Changed = st, changed
	if err != nil {
		oc.Error = fixError(f, err)
		if ae, ok := azure.AsAzureError(err); ok && (ae.Status == http.StatusForbidden || ae.Code == "AuthorizationFailed") {
			oc.Status = FixRefused
		}
	}
	return oc
}

// FixOutcome is one fix in `fix -o json`.
type FixOutcome struct {
	ID      string    `json:"id"`
	Probe   string    `json:"probe"`
	Status  FixStatus `json:"status"`
	Summary string    `json:"summary"`
	// Changed is what the fix changed, before -> after (empty unless applied).
	Changed []Change `json:"changed,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// FixReport is the document `fix -o json` prints (DESIGN §8).
type FixReport struct {
	Before *Report      `json:"before"`
	Fixes  []FixOutcome `json:"fixes"`
	After  *Report      `json:"after"`
	OK     bool         `json:"ok"`
	Offers []Fix        `json:"-"`
}

// FixOptions choose and allow the fixes.
type FixOptions struct {
	Only   []string // fix IDs; empty: every fix offered
	DryRun bool     // plan only: nothing is sent
	// Confirm is asked before anything is sent, with the fixes about to be
	// applied; nil means consent was given (--yes).
	Confirm func([]Fix) (bool, error)
}

// CheckFixIDs refuses --only values that name no fix.
func CheckFixIDs(only []string) error {
	for _, id := range only {
		if !slices.Contains(knownFixes(), id) {
			return inputErr("--only", "give one of: "+strings.Join(knownFixes(), ", "), "no fix is called %q", id)
		}
	}
	return nil
}

// ApplyFixes runs the preflight, applies the fixes its failing probes offer
// (those in o.Only, when given) once consent is given, then runs the
// preflight again. Nothing is sent without consent, with --dry-run, or for
// a fix the caller's roles do not grant. The error's kind is the exit code:
// 2 no consent, 3 Azure refused or a fix failed, 1 a probe still fails.
func ApplyFixes(ctx context.Context, d Deps, ws azure.Workspace, p *Plan, o FixOptions, emit Emit) (*FixReport, error) {
	if err := CheckFixIDs(o.Only); err != nil {
		return nil, err
	}
	rs := Probe(ctx, d, ws, p, emit)
	if ctx.Err() != nil {
		return nil, &Error{Kind: KindInterrupted, Msg: "interrupted during the preflight; nothing was changed", Err: ctx.Err()}
	}
	if err := SignInLost(d, "preflight (nothing was changed)"); err != nil {
		return nil, err
	}
	offers := FixesFor(ctx, d, p, rs)
	before := NewReport(p.Type, p.Name, p.ID.String(), rs).WithFixes(offers)
	out := &FixReport{Before: before, After: before, Fixes: []FixOutcome{}, Offers: offers}
	var chosen []Fix
	var invalid error
	for _, f := range offers {
		if len(o.Only) > 0 && !slices.Contains(o.Only, f.ID) {
			continue
		}
		if !f.Offered() {
			out.Fixes = append(out.Fixes, FixOutcome{ID: f.ID, Probe: f.Probe, Status: FixRefused, Summary: f.Summary,
				Error: "not sent: " + f.Needs})
			if invalid == nil {
				invalid = f.invalid
			}
			continue
		}
		chosen = append(chosen, f)
	}
	if invalid != nil {
		return out, invalid
	}
	if o.DryRun || len(chosen) == 0 {
		for _, f := range chosen {
			out.Fixes = append(out.Fixes, FixOutcome{ID: f.ID, Probe: f.Probe, Status: FixPlanned, Summary: f.Summary})
		}
		return out, out.verdict(false)
	}
	if o.Confirm != nil {
		ok, err := o.Confirm(chosen)
		if err != nil {
			return out, err
		}
		if !ok {
			return out, &Error{Kind: KindInput, Msg: "not confirmed; nothing was changed"}
		}
	}
	sentFailed := false
	for _, f := range chosen {
		oc := ApplyFix(ctx, d, f, emit)
		if oc.Error != "" {
			sentFailed = true
		}
		out.Fixes = append(out.Fixes, oc)
		if ctx.Err() != nil {
			return out, &Error{Kind: KindInterrupted, Msg: "interrupted while applying " + f.ID, Err: ctx.Err()}
		}
	}
	after := RerunAfterFixes(ctx, d, ws, p, rs, out.Fixes, emit)
	out.After = NewReport(p.Type, p.Name, p.ID.String(), after).WithFixes(FixesFor(ctx, d, p, after))
	return out, out.verdict(sentFailed)
}

// RerunAfterFixes runs the preflight again after fixes (before: the results
// they were made from) and returns the new results in plan order.
// For now the whole preflight runs again: a fix changes the resource under
// every probe that reads it.
func RerunAfterFixes(ctx context.Context, d Deps, ws azure.Workspace, p *Plan, before []probes.Result, fixes []FixOutcome, emit Emit) []probes.Result {
	return Probe(ctx, d, ws, p, emit)
}

// verdict sets OK from the last preflight and says how the run ends.
func (r *FixReport) verdict(sentFailed bool) error {
	r.OK = r.After.OK && !sentFailed
	var failed []string
	for _, f := range r.Fixes {
		if f.Status == FixRefused || f.Status == FixFailed {
			failed = append(failed, f.ID+": "+f.Error)
		}
	}
	switch {
	case sentFailed:
		return &Error{Kind: KindAzure, Msg: "a fix did not go through: " + strings.Join(failed, "; "), Fix: "see the fix's error; nothing else was changed"}
	case !r.After.OK && len(failed) > 0:
		return &Error{Kind: KindProbeFailed, Msg: "a probe still fails; " + strings.Join(failed, "; "), Fix: "ask for the permission named, or fix what the failed probes say, and run again"}
	case !r.After.OK:
		return &Error{Kind: KindProbeFailed, Msg: "a probe still fails", Fix: "fix what the failed probes say and run again"}
	}
	return nil
}

// fixError says why a fix did not go through, naming the permission when
// Azure refused it.
func fixError(f Fix, err error) string {
	var follow *azure.FollowError
	if ae, ok := azure.AsAzureError(err); ok {
		msg := fmt.Sprintf("Azure answered HTTP %d %s: %s", ae.Status, ae.Code, ae.Message)
		if ae.Status == http.StatusForbidden || ae.Code == "AuthorizationFailed" {
			msg += fmt.Sprintf("; you need %s at %s (e.g. the role %s); nothing was changed", f.Permission, f.Scope, roleFor(f.Permission))
		}
		return msg
	}
	if errors.As(err, &follow) {
		return fmt.Sprintf("the %s was sent and goes on in Azure (last seen %s), but following it failed: %s", follow.Op, follow.State, reason(follow.Err))
	}
	return reason(err)
}
