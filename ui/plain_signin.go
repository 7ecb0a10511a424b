package ui

import (
	"context"
	"errors"
	"strings"

	"amlattach/flows"
)

// signIn is the plain face of the sign-in step: when no credential works,
// the method is asked, the code and its address are printed on their own
// lines, then "waiting…" and "signed in"; a tenant is asked when the
// account has several.
func (p *plainRun) signIn() error {
	si := p.o.SignIn
	if si == nil {
		return nil
	}
	if _, err := si.Check(p.ctx); err == nil {
		return nil
	} else {
		p.say("No credential works here yet (%s). Sign in once: amlattach keeps the sign-in, so the next runs ask nothing.", errorText(flows.SignInError(err)))
	}
	methods := []string{flows.MethodDeviceCode, flows.MethodBrowser}
	if p.o.SignInMethod == flows.MethodBrowser {
		methods = []string{flows.MethodBrowser, flows.MethodDeviceCode}
	}
	if !p.o.SignInChosen {
		p.say("How do you want to sign in?")
		for i, m := range methods {
			p.say("  %d. %s", i+1, methodName(m))
		}
	}
	chosen := p.o.SignInChosen
	for {
		i := 0
		if !chosen {
			var err error
			if i, err = p.choose("Sign in with", len(methods), 1); err != nil {
				return err
			}
		}
		chosen = false
		res, err := si.Run(p.ctx, methods[i], p.signInEvent(methods[i]))
		if err != nil {
			if errors.Is(err, context.Canceled) || p.ctx.Err() != nil {
				p.say("The sign-in was cancelled; nothing was kept.")
				return leftError{}
			}
			p.fail(err)
			p.say("Try again (q leaves; nothing was kept):")
			for i, m := range methods {
				p.say("  %d. %s", i+1, methodName(m))
			}
			continue
		}
		p.say("Signed in as %s.", orDash(res.Account))
		if len(res.Tenants) > 1 {
			return p.chooseTenant(si, res)
		}
		return nil
	}
}

func (p *plainRun) signInEvent(method string) func(flows.SignInEvent) {
	return func(ev flows.SignInEvent) {
		switch ev.Kind {
		case flows.SignInCode:
			p.say("To sign in, open this address on any device:")
			p.say("  %s", ev.URL)
			p.say("and enter the code:")
			p.say("  %s", ev.Code)
		case flows.SignInWaiting:
			if method == flows.MethodBrowser {
				p.say("A browser window opens on this computer: sign in there.")
			}
			p.say("waiting… (Ctrl-C cancels)")
		case flows.SignInNotice:
			p.say("! %s", ev.Text)
		}
	}
}

// chooseTenant asks which of the account's tenants to use.
func (p *plainRun) chooseTenant(si SignInBackend, res flows.SignInResult) error {
	p.say("Your account is in several tenants (directories):")
	for i, t := range res.Tenants {
		note := ""
		if strings.EqualFold(t.ID, res.Tenant) {
			note = " (signed in here: the home tenant)"
		}
		p.say("  %d. %s %s%s", i+1, orDash(t.Name), t.ID, note)
	}
	for {
		i, err := p.choose("Tenant", len(res.Tenants), 1)
		if err != nil {
			return err
		}
		t := res.Tenants[i]
		if strings.EqualFold(t.ID, res.Tenant) {
			return nil
		}
		if err := si.UseTenant(p.ctx, t.ID); err != nil {
			p.fail(err)
			continue
		}
		p.say("Using tenant %s (%s).", orDash(t.Name), t.ID)
		return nil
	}
}
