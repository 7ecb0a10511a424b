package flows

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
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
	// applies says whether its fixes are for the plan's type at all (nil:
	// for every plan that has the probe); a passing probe then reports them
	// unchanged.
	applies func(p *Plan) bool
	build   func(ctx context.Context, d Deps, p *Plan, r probes.Result) *Fix
	// notInPlace: a passing probe does not report its fixes unchanged
	// (advice, or a fix for one rare cause of the probe's failure).
	notInPlace bool
}

// fixBuilders are every fix amlattach knows, each in its own file; a file
// adds its builder in an init function with registerFix.
var fixBuilders []fixBuilder

// registerFix adds a builder for the failed or warned results of probe;
// called from init functions only. Its fixes count as in place for every
// plan whose probe passes: use registerFixFor when they are for some types
// only.
func registerFix(probe string, ids []string, build func(ctx context.Context, d Deps, p *Plan, r probes.Result) *Fix) {
	registerFixFor(probe, ids, nil, build)
}

// registerFixFor is registerFix for fixes that apply to the plans applies
// accepts only (a VM's, an AKS cluster's, ...): when probe passes in another
// plan they are not reported unchanged, and build is not asked.
func registerFixFor(probe string, ids []string, applies func(p *Plan) bool, build func(ctx context.Context, d Deps, p *Plan, r probes.Result) *Fix) {
	fixBuilders = append(fixBuilders, fixBuilder{probe: probe, ids: ids, applies: applies, build: build})
}

// registerFixNotInPlace is registerFixFor for builders whose fixes are not
// "in place" when their probe passes: advice (there was nothing to do), or
// a fix for one rare cause of the probe's failure (a resource provider not
// registered behind arm.resource).
func registerFixNotInPlace(probe string, ids []string, applies func(p *Plan) bool, build func(ctx context.Context, d Deps, p *Plan, r probes.Result) *Fix) {
	fixBuilders = append(fixBuilders, fixBuilder{probe: probe, ids: ids, applies: applies, build: build, notInPlace: true})
}

// isVM says the plan's resource is a virtual machine.
func isVM(p *Plan) bool { return strings.EqualFold(p.ID.Kind(), "Microsoft.Compute/virtualMachines") }

func init() {
	registerFixFor(probes.IDVMRunning, []string{FixVMStart}, isVM, func(ctx context.Context, d Deps, p *Plan, r probes.Result) *Fix {
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
	FixAdvice    FixStatus = "advice"    // advice only: amlattach does not make this change (Fix.Advice says why)
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
	// Permission is the RBAC action the change needs at Scope (several,
	// joined by ", ", when it needs more than one).
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
	// Advice is set when amlattach will not make the change itself (no
	// safe way, or resources it does not create): why, in one line. The
	// fix is then shown as advice, never offered or applied.
	Advice string
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
func (f Fix) Offered() bool { return f.Needs == "" && f.Advice == "" }

// NotOffered says why the fix is not offered ("" when it is).
func (f Fix) NotOffered() string {
	if f.Advice != "" {
		return "amlattach will not do this itself: " + f.Advice
	}
	return f.Needs
}

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
	for _, l := range [][2]string{{"permission", f.Permission}, {"risk", f.Risk}, {"undo", f.Undo}} {
		if l[1] != "" {
			out = append(out, "  "+l[0]+": "+l[1])
		}
	}
	if why := f.NotOffered(); why != "" {
		out = append(out, "  not offered: "+why)
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
	// Advice says why amlattach will not make this change itself.
	Advice string `json:"advice,omitempty"`
}

// WithFixes puts each fix on the probe it clears.
func (r *Report) WithFixes(fixes []Fix) *Report {
	for _, f := range fixes {
		for i := range r.Probes {
			if r.Probes[i].ID == f.Probe {
				r.Probes[i].Fix = &FixJSON{ID: f.ID, Summary: f.Summary, Changes: append([]string{}, f.Changes...), Permission: f.Permission,
					Risk: f.Risk, Undo: f.Undo, Script: f.Script, Needs: f.Needs, Advice: f.Advice}
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
	// A caller who may not attach in the workspace (ws.permission fails)
	// gets no fix: repairing the resource would change Azure for an attach
	// that the workspace refuses anyway (DESIGN §8: ws.permission fails
	// before anything else is tried).
	var wsDenied string
	for _, r := range rs {
		if r.ID == probes.IDWsPermission && r.Status == probes.Fail {
			wsDenied = "needs the workspace permission first: " + r.Detail + " (ws.permission); amlattach changes nothing for an attach the workspace refuses"
		}
	}
	for _, r := range rs {
		if r.Status != probes.Fail && r.Status != probes.Warn {
			continue
		}
		for _, b := range fixBuilders {
			if b.probe != r.ID || (b.applies != nil && !b.applies(p)) {
				continue
			}
			f := b.build(ctx, d, p, r)
			if f == nil {
				continue
			}
			f.Probe = r.ID
			if f.Needs == "" && f.Advice == "" && wsDenied != "" {
				f.Needs = wsDenied
			}
			if f.Needs == "" && f.Advice == "" && f.Permission != "" {
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
	if err != nil {
		return ""
	}
	// A fix that needs several actions lists them joined by ", ".
	for _, a := range strings.Split(action, ", ") {
		if !probes.ActionAllowed(perms, a) {
			return fmt.Sprintf("needs %s at %s (e.g. the role %s); your roles there do not grant it", a, scope, roleFor(a))
		}
	}
	return ""
}

// roleFor names a built-in role that grants action.
func roleFor(action string) string {
	switch {
	case action == azure.ActionVMStart:
		return "Virtual Machine Contributor"
	case action == azure.ActionExtensionWrite:
		return "Kubernetes Extension Contributor"
	case strings.HasPrefix(strings.ToLower(action), "microsoft.network/"):
		return "Network Contributor"
	}
	if strings.HasPrefix(action, "Microsoft.Network/") {
		return "Network Contributor"
	}
	return "Contributor"
}

// linkedRefusal is the action and linked scope a LinkedAuthorizationFailed
// message names: the caller may write the resource, not join what it links.
var linkedRefusal = regexp.MustCompile(`does not have permission to perform action '([^']+)' on the linked scope\(s\) '([^']+)'`)

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
	if f.Advice != "" {
		oc.Status, oc.Advice = FixAdvice, f.Advice
		return oc
	}
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
	oc.scrub(nil)
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
	// Advice says why amlattach did not make the change (status advice).
	Advice string `json:"advice,omitempty"`
}

// scrub removes the secrets, and any private key, from what the outcome
// records: a fix masks what it reports, this is the last line of defence.
func (oc *FixOutcome) scrub(secrets []string) {
	clean := func(s string) string {
		s = privateKeyBlock.ReplaceAllString(s, "[private key removed]")
		for _, sec := range secrets {
			if sec != "" {
				s = strings.ReplaceAll(s, sec, "[REDACTED]")
			}
		}
		return s
	}
	oc.Summary, oc.Error = clean(oc.Summary), clean(oc.Error)
	for i, c := range oc.Changed {
		oc.Changed[i] = Change{Resource: clean(c.Resource), Before: clean(c.Before), After: clean(c.After)}
	}
}

// privateKeyBlock is a PEM or OpenSSH private key, armour to armour.
var privateKeyBlock = regexp.MustCompile(`(?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)`)

// Record is the outcome as lines for a trace or a report: the fix, how it
// ended, and each change it made.
func (oc FixOutcome) Record() []string {
	line := fmt.Sprintf("fix %s (for %s): %s: %s", oc.ID, oc.Probe, oc.Status, oc.Summary)
	if oc.Error != "" {
		line += ": " + oc.Error
	}
	if oc.Advice != "" {
		line += ": amlattach will not do this itself: " + oc.Advice
	}
	out := []string{line}
	for _, c := range oc.Changed {
		out = append(out, "  changed: "+c.String())
	}
	return out
}

// FixReport is the document `fix -o json` prints (DESIGN §8).
type FixReport struct {
	Before *Report      `json:"before"`
	Fixes  []FixOutcome `json:"fixes"`
	// Advice are the remedies amlattach will not apply itself (status
	// advice), each with why: kept out of fixes, whose statuses are those
	// of DESIGN §8.
	Advice []FixOutcome `json:"advice,omitempty"`
	After  *Report      `json:"after"`
	OK     bool         `json:"ok"`
	// Next is the command that attaches with what the fixes made (the key
	// file of ssh.install-key); the CLI fills it in.
	Next   string `json:"next,omitempty"`
	Offers []Fix  `json:"-"`
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
// (those in o.Only, when given) once consent is given, then runs again the
// probes the fixes touched (RerunAfterFixes). Nothing is sent without
// consent, with --dry-run, or for a fix the caller's roles do not grant; a
// fix whose probe passes already is reported unchanged. The error's kind is
// the exit code: 2 no consent, 3 Azure refused or a fix failed, 1 a probe
// still fails.
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
	before := NewReport(p.Type, p.Name, p.reportID(), rs).WithFixes(offers)
	out := &FixReport{Before: before, After: before, Fixes: []FixOutcome{}, Offers: offers}
	var chosen []Fix
	var invalid error
	for _, f := range offers {
		if len(o.Only) > 0 && !slices.Contains(o.Only, f.ID) {
			continue
		}
		if f.Advice != "" {
			out.Advice = append(out.Advice, FixOutcome{ID: f.ID, Probe: f.Probe, Status: FixAdvice, Summary: f.Summary, Advice: f.Advice})
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
		out.Fixes = append(out.Fixes, FixesInPlace(p, rs, o.Only)...)
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
		oc.scrub(p.Secrets())
		if oc.Error != "" {
			sentFailed = true
		}
		out.Fixes = append(out.Fixes, oc)
		if ctx.Err() != nil {
			return out, &Error{Kind: KindInterrupted, Msg: "interrupted while applying " + f.ID, Err: ctx.Err()}
		}
	}
	// What is in place is judged on the last preflight: a fix can make
	// another probe fail (a new public IP with no NSG in front of it).
	final := rs
	if len(rerunFrom(rs, out.Fixes)) > 0 {
		final = RerunAfterFixes(ctx, d, ws, p, rs, out.Fixes, emit)
		out.After = NewReport(p.Type, p.Name, p.reportID(), final).WithFixes(FixesFor(ctx, d, p, final))
	}
	out.Fixes = append(out.Fixes, inPlaceBeside(FixesInPlace(p, final, o.Only), out.Fixes)...)
	return out, out.verdict(sentFailed)
}

// inPlaceBeside are the fixes of inPlace whose probe no outcome of this
// run is for already (a fix just applied is not also "already in place",
// nor is the other fix of its probe).
func inPlaceBeside(inPlace, ran []FixOutcome) []FixOutcome {
	done := map[string]bool{}
	for _, f := range ran {
		done[f.Probe] = true
	}
	var out []FixOutcome
	for _, f := range inPlace {
		if !done[f.Probe] {
			out = append(out, f)
		}
	}
	return out
}

// FixesInPlace are the fixes whose probe passes in rs, one outcome per fix
// ID the plan's type has (those in only, when given): "unchanged", nothing
// to send. A second `fix` after a good one reports them so.
func FixesInPlace(p *Plan, rs []probes.Result, only []string) []FixOutcome {
	passed := map[string]bool{}
	for _, r := range rs {
		passed[r.ID] = r.Status == probes.Pass
	}
	var out []FixOutcome
	seen := map[string]bool{}
	for _, b := range fixBuilders {
		if !passed[b.probe] || b.notInPlace || (b.applies != nil && !b.applies(p)) {
			continue
		}
		for _, id := range b.ids {
			if seen[id] || (len(only) > 0 && !slices.Contains(only, id)) {
				continue
			}
			seen[id] = true
			out = append(out, FixOutcome{ID: id, Probe: b.probe, Status: FixUnchanged, Summary: "already in place: " + b.probe + " passes"})
		}
	}
	return out
}

// rerunFrom are the probes a rerun starts from: those of the fixes applied,
// of fixes that changed something and then failed (an NSG made, the NIC
// not updated), and of fixes that found their change made already (by
// someone else since the preflight) while their probe had not passed.
func rerunFrom(before []probes.Result, fixes []FixOutcome) map[string]bool {
	status := map[string]probes.Status{}
	for _, r := range before {
		status[r.ID] = r.Status
	}
	out := map[string]bool{}
	for _, f := range fixes {
		if f.Status == FixApplied || len(f.Changed) > 0 || (f.Status == FixUnchanged && status[f.Probe] != probes.Pass) {
			out[f.Probe] = true
		}
	}
	return out
}

// RerunAfterFixes runs again, after fixes (before: the results they were
// made from), the probes they touched: the probe of each fix applied and
// every probe that needs it, directly or not (DESIGN §8). The probes those
// need run too, so that every read is fresh (the VM steps share one read of
// the VM and one SSH connection; nothing of the first run is reused). The
// other results are before's, reported finished (Event.Reused) right after
// the full plan; all come back in plan order. When no fix was applied,
// nothing runs and before is returned.
func RerunAfterFixes(ctx context.Context, d Deps, ws azure.Workspace, p *Plan, before []probes.Result, fixes []FixOutcome, emit Emit) []probes.Result {
	from := rerunFrom(before, fixes)
	if len(from) == 0 {
		return append([]probes.Result(nil), before...)
	}
	steps, cleanup := p.Steps(d, ws)
	defer cleanup()
	run := rerunSet(steps, from)
	keep := map[string]probes.Result{}
	for _, r := range before {
		if !run[r.ID] {
			keep[r.ID] = r
		}
	}
	return runGraph(ctx, steps, keep, d.Now, emit)
}

// rerunSet is from with every step that needs one of them (transitively),
// then every step those need (transitively): the steps to run again.
func rerunSet(steps []Step, from map[string]bool) map[string]bool {
	run := map[string]bool{}
	for id := range from {
		run[id] = true
	}
	// Dependents: steps come in plan order, but a need may come later in
	// it; repeat until nothing is added.
	for grew := true; grew; {
		grew = false
		for _, s := range steps {
			if run[s.ID] {
				continue
			}
			for _, n := range append(append([]string{}, s.Needs...), s.Follows...) {
				if run[n] {
					run[s.ID], grew = true, true
					break
				}
			}
		}
	}
	needs := map[string][]string{}
	for _, s := range steps {
		needs[s.ID] = s.Needs
	}
	var stack []string
	for id := range run {
		stack = append(stack, id)
	}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, n := range needs[id] {
			if !run[n] {
				run[n] = true
				stack = append(stack, n)
			}
		}
	}
	return run
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
		switch m := linkedRefusal.FindStringSubmatch(ae.Message); {
		case m != nil:
			msg += fmt.Sprintf("; you need %s at %s (e.g. the role %s there); nothing was changed", m[1], m[2], roleFor(m[1]))
		case ae.Status == http.StatusForbidden || ae.Code == "AuthorizationFailed":
			msg += fmt.Sprintf("; you need %s at %s (e.g. the role %s); nothing was changed", f.Permission, f.Scope, roleFor(f.Permission))
		}
		return msg
	}
	if errors.As(err, &follow) {
		return fmt.Sprintf("the %s was sent and goes on in Azure (last seen %s), but following it failed: %s", follow.Op, follow.State, reason(follow.Err))
	}
	return reason(err)
}
