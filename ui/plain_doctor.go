package ui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"amlattach/flows"
)

// troubleshoot is the plain face of the computes screen and the doctor:
// the computes grouped by resource, one examined, then an action.
func (p *plainRun) troubleshoot() (Outcome, error) {
	var done []string
	for {
		cs, err := p.be.Computes(p.ctx, p.ws)
		if err != nil {
			p.fail(err)
			return Outcome{}, err
		}
		p.computes = cs
		if len(cs) == 0 {
			p.say("No compute is attached to %s: there is nothing to troubleshoot.", p.ws.Name)
			return Outcome{Kind: OutcomeTroubleshot, Lines: done}, nil
		}
		list := p.listComputes(cs)
		i, err := p.choose("Compute number (doctor examines it)", len(list), 1)
		if err != nil {
			return Outcome{Kind: OutcomeTroubleshot, Lines: done}, err
		}
		out, again, err := p.doctor(list[i], &done)
		if err != nil || !again {
			return out, err
		}
	}
}

// listComputes prints the computes grouped by resource, conflicts in words,
// and returns them in the order numbered.
func (p *plainRun) listComputes(cs []flows.Compute) []flows.Compute {
	var list []flows.Compute
	p.say("Computes of %s, grouped by the resource they attach:", p.ws.Name)
	for _, g := range flows.GroupByResource(cs) {
		for _, c := range g {
			list = append(list, c)
			it := computeItem(c, nil)
			line := fmt.Sprintf("  %d. %s: %s", len(list), c.Name, strings.Join(it.Cols[1:], ", "))
			if len(g) > 1 {
				var others []string
				for _, o := range g {
					if o.Name != c.Name {
						others = append(others, o.Name)
					}
				}
				line += " (CONFLICT with " + strings.Join(others, ", ") + ")"
			}
			p.say("%s", line)
			for _, e := range c.ProvisioningErrors {
				p.say("       error %s: %s", e.Code, e.Message)
			}
		}
		if len(g) > 1 {
			var names []string
			for _, c := range g {
				names = append(names, c.Name)
			}
			p.say("  ! CONFLICT: %s attach the same resource; each new attachment breaks the earlier ones: keep one.", strings.Join(names, " and "))
		}
	}
	return list
}

// doctor examines comp and asks what to do; again says go back to the list.
func (p *plainRun) doctor(comp flows.Compute, done *[]string) (Outcome, bool, error) {
	typ := flows.ComputeTypeArg(comp.Type)
	in := flows.DoctorInput{Name: comp.Name, SSH: flows.VMInput{KnownHosts: p.o.KnownHosts, ConfirmHostKey: confirmHostKey}}
	var typed []string
	for {
		p.say("Doctor of %q (%s, %s); nothing is changed:", comp.Name, comp.Type, orDash(comp.ProvisioningState))
		g, err := p.be.Doctor(p.hostKeyCtx(), p.ws, in, flows.InPlanOrder(func(e flows.Event) {
			if e.Kind == flows.ProbeFinished {
				p.probeLine(e.Result)
			}
		}))
		if g == nil {
			p.fail(err)
			return Outcome{Kind: OutcomeTroubleshot, Lines: *done}, true, nil
		}
		p.printDiagnosis(g, err)
		if g.NeedsCredentials() && (typ == "vm" || typ == "hdinsight" || typ == "databricks") {
			ok, err := p.yes("Give the credentials to run the login probes with?", true)
			if err != nil {
				return Outcome{Kind: OutcomeTroubleshot, Lines: *done}, false, err
			}
			if ok {
				if err := p.askDoctorCreds(typ, comp, &in, &typed); err != nil {
					return Outcome{Kind: OutcomeTroubleshot, Lines: *done}, false, err
				}
				continue
			}
		}
		var fixes []flows.Fix
		if g.Plan != nil {
			fixes = p.fixesOf(g.Plan, g.Results)
		}
		for {
			acts := "d detaches, w writes a report, l goes back to the list, q leaves"
			if typ != "" {
				acts = "r reattaches with new settings, " + acts
			}
			acts = jobActs(comp) + acts
			if offered := offeredFixes(fixes); len(offered) > 0 {
				acts = "f shows the fix (" + offered[0].ID + ") and applies it after a yes, " + acts
			}
			a, err := p.ask("What now? "+acts, "l")
			if err != nil {
				return Outcome{Kind: OutcomeTroubleshot, Lines: *done}, false, err
			}
			switch strings.ToLower(a) {
			case "l":
				return Outcome{}, true, nil
			case "f":
				if len(offeredFixes(fixes)) == 0 {
					continue
				}
				after, outs, err := p.applyFixes(g.Plan, g.Results, fixes)
				if err != nil {
					return Outcome{Kind: OutcomeTroubleshot, Lines: *done}, false, err
				}
				if len(outs) == 0 {
					continue
				}
				for _, o := range outs {
					*done = append(*done, fmt.Sprintf("Fix %s on %q: %s.", o.ID, comp.Name, o.Status))
				}
				g.RecordFixes(outs...) // for the report (w)
				g.SetResults(after)
				verdict := "has problems"
				if g.OK() {
					verdict = "looks healthy"
				}
				p.say("The compute %s.", verdict)
				if g.Remedy != "" {
					p.say("remedy: %s", g.Remedy)
				}
				// A new login (ssh.install-key) leaves the stored one stale:
				// reattach with --replace, with the new key.
				if l, ok := g.Plan.FixedLogin(); ok && typ != "" {
					p.say("The fix installed a new login; the stored one is stale: reattach %q with the key file %s.", comp.Name, l.KeyFile)
					out, err := p.reattachWith(comp, typ, &l)
					return out, false, err
				}
				fixes = p.fixesOf(g.Plan, g.Results)
			case "j":
				if jobActs(comp) == "" {
					continue
				}
				if err := p.testJob(comp.Name, g.Plan); err != nil && errors.As(err, new(leftError)) {
					return Outcome{Kind: OutcomeTroubleshot, Lines: *done}, false, err
				}
			case "r":
				if typ != "" {
					out, err := p.reattach(comp, typ)
					return out, false, err
				}
			case "d":
				ok, err := p.yes(fmt.Sprintf("Detach %q from %s? Azure ML forgets the compute; the %s itself (%s) is untouched", comp.Name, p.ws.Name, resourceNoun(orDash(typ)), shortResource(comp.ResourceID)), false)
				if err != nil {
					return Outcome{Kind: OutcomeTroubleshot, Lines: *done}, false, err
				}
				if !ok {
					p.say("Nothing was detached.")
					continue
				}
				start := time.Now()
				last := ""
				err = p.be.Detach(p.ctx, p.ws, comp.Name, func(e flows.Event) {
					if e.State != last {
						last = e.State
						p.say("  detach %s: %s (%s)", e.Phase, e.State, secs(time.Since(start)))
					}
				})
				if err != nil {
					p.fail(err)
					continue
				}
				note := fmt.Sprintf("Detached %q from %s; the resource itself was not touched.", comp.Name, p.ws.Name)
				p.say("✓ %s", note)
				*done = append(*done, note)
				return Outcome{}, true, nil
			case "w":
				path, err := p.ask("Report file (Markdown, mode 0600)", comp.Name+"-doctor.md")
				if err != nil {
					return Outcome{Kind: OutcomeTroubleshot, Lines: *done}, false, err
				}
				doc := string(flows.DoctorMarkdown(flows.NewDoctorJSON(g, orDefault(p.o.Version, "dev"), p.o.Commit)))
				for _, t := range typed {
					doc = strings.ReplaceAll(doc, t, "[REDACTED]")
				}
				if err := flows.WritePrivateFile(flows.ExpandHome(path), []byte(doc)); err != nil {
					p.say("  ✗ could not write %s: %v", path, err)
					continue
				}
				p.say("Report written to %s (mode 0600; it holds no secret).", path)
				*done = append(*done, "Doctor report of "+comp.Name+" written to "+path+".")
			}
		}
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (p *plainRun) printDiagnosis(g *flows.Diagnosis, err error) {
	c := g.Compute
	p.say("Compute %q (%s): %s; resource %s", c.Name, c.Type, orDash(c.ProvisioningState), orDash(c.ResourceID))
	if len(c.ProvisioningErrors) == 0 {
		p.say("  stored provisioning errors: none")
	}
	for _, e := range c.ProvisioningErrors {
		p.say("  stored error %s: %s", e.Code, e.Message)
	}
	for _, cause := range g.Causes {
		p.say("  likely cause: %s", cause)
	}
	if len(g.Conflicts) > 0 {
		p.say("  ! CONFLICT: also attached as %s; each new attachment breaks the earlier ones", strings.Join(g.Conflicts, ", "))
	}
	switch {
	case g.KeysProblem != "":
		p.say("  credentials: %s", g.KeysProblem)
	case g.SecretsFrom == "listKeys":
		p.say("  credentials: the ones Azure ML stored (read with listKeys)")
	case g.SecretsFrom != "":
		p.say("  credentials: %s", g.SecretsFrom)
	}
	if err != nil {
		p.fail(err)
	}
	verdict := "has problems"
	if g.OK() {
		verdict = "looks healthy"
	}
	p.say("%d probes; the compute %s.", len(g.Results), verdict)
	if g.Remedy != "" {
		p.say("remedy: %s", g.Remedy)
	}
}

// askDoctorCreds asks for the login a type needs, secrets without echo.
func (p *plainRun) askDoctorCreds(typ string, comp flows.Compute, in *flows.DoctorInput, typed *[]string) error {
	if typ == "databricks" {
		for {
			t, err := p.askSecret("Access token")
			if err != nil {
				return err
			}
			if t != "" {
				in.Token, in.TokenSource = t, "the token typed here"
				*typed = append(*typed, t)
				return nil
			}
		}
	}
	user, err := p.ask("SSH user", orDefault(comp.Username, in.SSH.Username))
	if err != nil {
		return err
	}
	in.SSH.Username = user
	key, err := p.ask("Private key file (enter: log in with a password)", "")
	if err != nil {
		return err
	}
	if key != "" {
		in.SSH.KeyFile, in.SSH.Password = flows.ExpandHome(key), ""
		return nil
	}
	pw, err := p.askSecret("SSH password")
	if err != nil {
		return err
	}
	in.SSH.Password, in.SSH.PasswordSource, in.SSH.KeyFile = pw, "the password typed here", ""
	*typed = append(*typed, pw)
	return nil
}

// reattach asks the type's settings anew (the name and resource stay),
// runs the preflight without ws.name, and after a yes replaces the compute.
func (p *plainRun) reattach(comp flows.Compute, typ string) (Outcome, error) {
	return p.reattachWith(comp, typ, nil)
}

// reattachWith is reattach with the login a fix installed as the answers'
// defaults (nil: the stored settings only).
func (p *plainRun) reattachWith(comp flows.Compute, typ string, login *flows.FixedLogin) (Outcome, error) {
	p.typ, p.resID = typ, comp.ResourceID
	p.vmName = flows.CheckResourceID(comp.ResourceID, browseKinds(typ)...).Name
	p.say("Reattach %q: new settings; the preflight runs first and nothing is detached if it fails.", comp.Name)
	form := newPlainForm(typ, comp.ResourceID)
	for k, v := range replaceValues(comp) {
		if form.index(k) >= 0 {
			form.values[k] = v
		}
	}
	form.locked["name"] = true
	if login != nil {
		form.useFixedLogin(*login)
	}
	if err := p.askAll(form); err != nil {
		return Outcome{}, err
	}
	pl, rs, out, err := p.settle(form, &comp)
	if out != nil || err != nil {
		return deref(out), err
	}
	p.say("The reattach (nothing has been changed yet):")
	p.say("  1. the preflight runs again; if a probe fails, %q stays as it is", comp.Name)
	p.say("  2. %q is detached: Azure ML forgets it; the %s itself is untouched", comp.Name, resourceNoun(typ))
	p.say("  3. it is attached again under the same name with this request:")
	for _, l := range flows.Summarize(p.ws, pl, rs).Lines() {
		if strings.HasPrefix(l, "  note: attach each resource once") {
			continue
		}
		p.say("  %s", l)
	}
	ok, err := p.yes(fmt.Sprintf("! %q is detached first, then attached again. Reattach now?", comp.Name), false)
	if err != nil {
		return Outcome{}, err
	}
	if !ok {
		p.say("Nothing was changed.")
		return Outcome{Kind: OutcomeQuit}, nil
	}
	retry := retryCommand(p.o, p.ws, pl, formRetryArgs(typ, form.answers()))
	start := time.Now()
	last := ""
	rep, err := p.be.Replace(p.ctx, p.ws, pl, retry, func(e flows.Event) {
		what := "attach"
		switch e.Kind {
		case flows.DetachProgress:
			what = "detach"
		case flows.AttachProgress:
		default:
			return
		}
		if e.Phase == "polling" && e.State == last {
			return
		}
		last = e.State
		p.say("  %s %s: %s (%s)", what, e.Phase, e.State, secs(time.Since(start)))
	})
	if err == nil {
		p.say("✓ Reattached: compute %q is %s.", comp.Name, rep.Compute.ProvisioningState)
		return Outcome{Kind: OutcomeAttached, Compute: comp.Name}, nil
	}
	for _, l := range attachFailureLines(rep, err, func(t string) string { return "✗ " + t }) {
		p.say("%s", l)
	}
	var fe *flows.Error
	if errors.As(err, &fe) && fe.Fix != "" && rep != nil && rep.Compute != nil && len(rep.Compute.ProvisioningErrors) > 0 {
		p.say("fix: %s", fe.Fix)
	}
	var dup *flows.DuplicateAttachError
	if errors.As(err, &dup) {
		return p.detachOurs(comp.Name, typ, dup, err)
	}
	return Outcome{Kind: OutcomeAttachFailed, Compute: comp.Name, Err: err}, nil
}
