package ui

import (
	"fmt"
	"strings"
	"time"

	"amlattach/flows"
	"amlattach/probes"
)

// offeredFixes are the fixes that may be applied.
func offeredFixes(fixes []flows.Fix) []flows.Fix {
	var out []flows.Fix
	for _, f := range fixes {
		if f.Offered() {
			out = append(out, f)
		}
	}
	return out
}

// fixesOf asks for the fixes a run's failures offer and says, under the
// results, which are offered and what the others need.
func (p *plainRun) fixesOf(plan *flows.Plan, rs []probes.Result) []flows.Fix {
	fixes := fixesFor(p.ctx, p.be, p.ws, plan, rs)
	for _, f := range fixes {
		if f.Offered() {
			p.say("  f fixes %s: %s (%s)", f.Probe, f.Summary, f.ID)
		} else {
			p.say("  %s (for %s) is not offered: %s", f.ID, f.Probe, f.NotOffered())
		}
	}
	return fixes
}

// applyFixes lists each offered fix with everything it changes, asks once
// for one fix or, for several, once for all or one by one (no is the
// default: nothing is sent without a yes), applies the consented ones with
// progress lines, then runs the fixed probes again and prints them. It
// returns the new results (rs when nothing was sent) and the outcomes.
func (p *plainRun) applyFixes(plan *flows.Plan, rs []probes.Result, fixes []flows.Fix) ([]probes.Result, []flows.FixOutcome, error) {
	offered := offeredFixes(fixes)
	if len(offered) == 0 {
		p.say("No fix is offered.")
		return rs, nil, nil
	}
	p.say("Fixes (nothing is sent before you say yes):")
	for i, f := range offered {
		for j, l := range f.Lines() {
			if j == 0 {
				p.say("  %d. %s", i+1, l)
				continue
			}
			p.say("    %s", l)
		}
	}
	var chosen []flows.Fix
	switch {
	case len(offered) == 1:
		ok, err := p.yes("Apply "+offered[0].ID+" now?", false)
		if err != nil {
			return rs, nil, err
		}
		if ok {
			chosen = offered
		}
	default:
		a, err := p.ask(fmt.Sprintf("Apply them? a applies all %d, o asks for each, n applies none", len(offered)), "n")
		if err != nil {
			return rs, nil, err
		}
		switch strings.ToLower(a) {
		case "a", "all":
			chosen = offered
		case "o":
			for _, f := range offered {
				ok, err := p.yes("Apply "+f.ID+" ("+f.Summary+")?", false)
				if err != nil {
					return rs, nil, err
				}
				if ok {
					chosen = append(chosen, f)
				}
			}
		}
	}
	if len(chosen) == 0 {
		p.say("No fix applied: nothing was sent.")
		return rs, nil, nil
	}
	start := time.Now()
	var outs []flows.FixOutcome
	for _, f := range chosen {
		p.say("Applying %s: %s", f.ID, f.Summary)
		last := ""
		o := p.be.ApplyFix(p.ctx, f, func(e flows.Event) {
			if e.Kind != flows.FixProgress || e.Phase == "polling" && e.State == last {
				return
			}
			last = e.State
			p.say("  %s %s: %s (%s)", f.ID, e.Phase, e.State, secs(time.Since(start)))
		})
		outs = append(outs, o)
		p.outcomeLine(o)
		if p.ctx.Err() != nil {
			p.say("Stopped following %s: what was sent goes on in Azure; run amlattach again to see where it stands.", f.ID)
			return rs, outs, leftError{}
		}
	}
	p.say("The fixed probes, and those after them, run again:")
	after := p.be.RerunAfterFixes(p.hostKeyCtx(), p.ws, plan, rs, outs, flows.InPlanOrder(func(e flows.Event) {
		if e.Kind == flows.ProbeFinished {
			p.probeLine(e.Result)
		}
	}))
	p.countsLine(after)
	return after, outs, nil
}

// outcomeLine says how a fix ended: what it changed, before -> after.
func (p *plainRun) outcomeLine(o flows.FixOutcome) {
	switch o.Status {
	case flows.FixApplied:
		p.say("✓ %s applied", o.ID)
		for _, c := range o.Changed {
			p.say("  changed %s", c)
		}
	case flows.FixUnchanged:
		p.say("✓ %s: already in place, nothing was changed", o.ID)
	default:
		p.say("✗ %s %s: %s", o.ID, o.Status, o.Error)
		for _, c := range o.Changed { // what it changed before it failed
			p.say("  changed %s", c)
		}
	}
}

// countsLine sums results up: "15 probes: 14 pass, 1 fail."
func (p *plainRun) countsLine(rs []probes.Result) {
	counts := map[probes.Status]int{}
	for _, r := range rs {
		counts[r.Status]++
	}
	var parts []string
	for _, x := range []probes.Status{probes.Pass, probes.Warn, probes.Fail, probes.Skip} {
		if counts[x] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[x], x))
		}
	}
	p.say("%d probes: %s.", len(rs), strings.Join(parts, ", "))
}

// useFixedLogin puts a login a fix installed in the form's answers.
func (f *plainForm) useFixedLogin(l flows.FixedLogin) {
	if l.Username != "" && f.index("username") >= 0 {
		f.values["username"] = l.Username
	}
	if f.index("login") >= 0 {
		f.values["login"] = flows.LoginKeyFile
	} else {
		delete(f.values, "password")
	}
	if f.index("ssh-key") >= 0 {
		f.values["ssh-key"] = l.KeyFile
	}
}
