package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/muesli/termenv"

	"amlattach/azure"
	"amlattach/flows"
)

// The wizard signs in itself (DESIGN §10): instead of asking before the
// full screen starts (the device code printed on stderr, under it), it
// starts with a credential that may not work yet, inside a switchable one,
// and its sign-in step (flows.SignIn) checks it and, when nobody is signed
// in, signs the user in and puts the new credential in.

// wizardCredential is the wizard's credential: what --auth gives without
// asking anyone (a kept sign-in, the default chain, or nothing yet), inside
// a switchable credential; where one can sign in interactively, a.signIn is
// set for the sign-in step (its Azure client is added by setupUnread).
func (a *app) wizardCredential(sb sandboxConn) (azcore.TokenCredential, error) {
	if !slices.Contains(azure.AuthMethods, a.auth) {
		return nil, &flows.Error{Kind: flows.KindInput, Field: "--auth", Msg: fmt.Sprintf("%q is not an authentication method", a.auth), Fix: "use one of " + strings.Join(azure.AuthMethods, ", ")}
	}
	var initial azcore.TokenCredential
	offer := false
	var base azure.SignInConfig
	switch {
	case a.auth == azure.MethodDeviceCode || a.auth == azure.MethodBrowser:
		cfg, err := a.signInConfig(sb, a.auth, false)
		if err != nil {
			return nil, err
		}
		// Notices of the kept sign-in go to the trace: the sign-in step
		// says what matters on its own screen.
		cfg.Notice = func(s string) { a.debugf("sign-in: %s", s) }
		if c, err := azure.NewSignInCredential(cfg); err == nil && c.Kept() != nil {
			initial = c
		}
		base, offer = cfg, true
	case a.auth == "default" && sb != nil:
		cred, err := a.sandboxCredential(sb)
		if err == nil {
			initial = cred
		}
		if sb.EntraEndpoint() != "" {
			cfg, err := a.signInConfig(sb, "", false)
			if err != nil {
				return nil, err
			}
			base, offer = cfg, true
		} else if err != nil {
			return nil, err
		}
	case a.auth == "default":
		cred, err := a.azureCredential()
		if err != nil {
			return nil, err
		}
		cfg, err := a.signInConfig(nil, "", false)
		if err != nil {
			return nil, err
		}
		initial, base, offer = cred, cfg, true
	default: // cli, managed-identity: what the user chose, or nothing
		var cred azcore.TokenCredential
		var err error
		if sb != nil {
			cred, err = a.sandboxCredential(sb)
		} else {
			cred, err = a.azureCredential()
		}
		if err != nil {
			return nil, err
		}
		return cred, nil
	}
	sw := azure.NewSwitchCredential(initial)
	if offer {
		base.Notice = nil
		a.signIn = &flows.SignIn{Base: base, Cred: sw, Preferred: a.wizardSignInMethod(sb != nil), Timeout: a.timeout}
	}
	return sw, nil
}

// wizardSignInMethod is the method the sign-in step preselects: --auth's,
// else the device code in the sandbox (its Entra ID has no browser of its
// own here), over SSH or without a display, and the browser otherwise.
func (a *app) wizardSignInMethod(sandbox bool) string {
	switch {
	case a.auth == azure.MethodDeviceCode || a.auth == azure.MethodBrowser:
		return a.auth
	case sandbox:
		return azure.MethodDeviceCode
	}
	return flows.PreferredSignInMethod(a.getenv)
}

// clipboard copies text to the terminal's clipboard with OSC 52, which
// terminals that allow it (and tmux with set-clipboard on) honour and the
// others ignore. The sequence is one write, between the frames.
func (a *app) clipboard() func(string) error {
	if a.getenv("TERM") == "dumb" || a.getenv("TERM") == "linux" {
		return nil
	}
	out := a.io.Out
	return func(s string) error {
		termenv.NewOutput(out).Copy(s)
		return nil
	}
}

// credential is the credential of this command against the sandbox sb
// (nil: Azure): the wizard's, or the one --auth gives.
func (a *app) credential(sb sandboxConn) (azcore.TokenCredential, error) {
	a.signIn = nil
	switch {
	case a.wizardSignIn:
		return a.wizardCredential(sb)
	case sb != nil:
		return a.sandboxCredential(sb)
	}
	return a.azureCredential()
}

// bindSignIn gives the sign-in step the Resource Manager client (it lists
// the account's tenants with it).
func (a *app) bindSignIn(e *env) {
	if a.signIn != nil {
		a.signIn.Azure = e.deps.Azure
	}
}
