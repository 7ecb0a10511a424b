package flows

import (
	"context"
	"slices"

	"amlattach/probes"
)

// Fixes builds the fixes a preflight's (or a doctor's) results offer,
// bound to the wizard's Deps. It only reads.
func (w Wizard) Fixes(ctx context.Context, ws Workspace, p *Plan, rs []probes.Result) []Fix {
	if p == nil {
		return nil
	}
	p.Bind(ws)
	return FixesFor(ctx, w.D, p, rs)
}

// ApplyFix applies one fix the user consented to on the fix screen,
// streaming FixProgress events; bound to the wizard's Deps.
func (w Wizard) ApplyFix(ctx context.Context, f Fix, emit Emit) FixOutcome {
	oc := ApplyFix(ctx, w.D, f, emit)
	if w.Trace != nil {
		for _, l := range oc.Record() {
			w.Trace(l)
		}
	}
	return oc
}

// RerunAfterFixes runs the probes again after fixes, bound to the
// wizard's Deps. The rerun covers the probes of the run it follows
// (before) and no others: a reattach's or a doctor's preflight has no
// ws.name, and gets none back. Events of other probes are not passed on.
func (w Wizard) RerunAfterFixes(ctx context.Context, ws Workspace, p *Plan, before []probes.Result, fixes []FixOutcome, emit Emit) []probes.Result {
	w.secrets(p)
	var ids []string
	for _, r := range before {
		ids = append(ids, r.ID)
	}
	keep := func(id string) bool { return slices.Contains(ids, id) }
	filtered := func(e Event) {
		if emit == nil {
			return
		}
		switch e.Kind {
		case ProbesPlanned:
			var in []string
			for _, id := range e.IDs {
				if keep(id) {
					in = append(in, id)
				}
			}
			e.IDs = in
		case ProbeStarted, ProbeFinished:
			if !keep(e.Result.ID) {
				return
			}
		}
		emit(e)
	}
	var out []probes.Result
	for _, r := range RerunAfterFixes(ctx, w.D, ws, p, before, fixes, filtered) {
		if keep(r.ID) {
			out = append(out, r)
		}
	}
	return out
}

// FixedLogin is a login a fix gave a plan: ssh.install-key made a new key
// and installed it for the user on the host. An attachment whose stored
// login is stale must be attached again with it (doctor: reattach with
// --replace), and a new attach sends it instead of what was typed.
type FixedLogin struct {
	Username string
	KeyFile  string // the new private key (PEM, 0600); never its content
}

// SetFixedLogin records the login a fix installed; a fix's apply calls it
// once the host takes the new key.
func (p *Plan) SetFixedLogin(l FixedLogin) { p.fixedLogin = &l }

// FixedLogin is the login a fix installed, if any.
func (p *Plan) FixedLogin() (FixedLogin, bool) {
	if p == nil || p.fixedLogin == nil {
		return FixedLogin{}, false
	}
	return *p.fixedLogin, true
}

// SetResults puts the results of a rerun after fixes in the diagnosis and
// works out its remedy again from them.
func (g *Diagnosis) SetResults(rs []probes.Result) {
	g.Results = rs
	old := g.Remedy
	g.Remedy = ""
	if typ, ok := typeOf[g.Compute.Type]; ok && g.Plan != nil {
		g.remedies(typ, g.Plan)
	}
	if g.Remedy == "" && g.KeysProblem != "" {
		g.Remedy = old // the credentials' remedy, which no probe result changes
	}
}
