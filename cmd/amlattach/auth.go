package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/spf13/cobra"

	"amlattach/azure"
	"amlattach/flows"
)

// Signing in (DESIGN §10): amlattach auth login|logout|status, and the
// credential every other command uses. A sign-in made with device code or
// the browser is kept (azure/signin.go): the next run uses it silently.
// Against a sandbox (--world, --sandbox) the same real azidentity code
// talks to the sandbox's simulated Entra ID, and the sign-in is kept apart
// from the Azure one.

// signInConfig is how to sign in for this command: against the sandbox sb
// (nil: Azure) with method.
func (a *app) signInConfig(sb sandboxConn, method string, interactive bool) (azure.SignInConfig, error) {
	st, err := azure.DefaultSignInStore(sb != nil)
	if err != nil {
		return azure.SignInConfig{}, &flows.Error{Kind: flows.KindCredential, Msg: "no folder to keep the sign-in in: " + err.Error(), Fix: "set HOME (or XDG_CONFIG_HOME) to a folder of yours", Err: err}
	}
	cfg := azure.SignInConfig{
		Method: method, Tenant: a.tenant, Store: st, Interactive: interactive,
		Prompt: func(m azure.DeviceCodeMessage) {
			// Once, on stderr: the address and the code are no secret
			// (the code is typed in elsewhere, and is useless alone).
			fmt.Fprintln(a.errw, m.Message)
		},
		Notice: func(s string) { fmt.Fprintln(a.errw, "amlattach: "+s) },
	}
	if sb != nil {
		if sb.EntraEndpoint() == "" {
			return cfg, &flows.Error{Kind: flows.KindInput, Field: "--sandbox", Msg: "this sandbox has no simulated Entra ID (it was started by an older amlattach)", Fix: "start it again with this amlattach: amlattach sandbox serve"}
		}
		cfg.AuthorityHost, cfg.HTTPClient = sb.EntraEndpoint(), sb.HTTPClient()
		// The browser flow against the sandbox: the simulated user's
		// browser, not the user's own (azure/signin_opener.go).
		cfg.OpenURL = azure.SandboxBrowser(sb.EntraEndpoint(), sb.HTTPClient())
	}
	return cfg, nil
}

// signInError turns a failed sign-in into the user's message: exit 4, the
// problem and the way out.
func signInError(err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	var ke *azure.KeepError
	if errors.As(err, &ke) {
		return &flows.Error{Kind: flows.KindCredential, Msg: ke.Error(),
			Fix: "make that folder writable, or point XDG_CONFIG_HOME at a writable folder; amlattach auth logout removes what is kept", Err: err}
	}
	p := azure.SignInProblem(err)
	return &flows.Error{Kind: flows.KindCredential, Msg: "sign-in failed: " + p.Msg, Fix: p.Fix, Err: err}
}

// interactiveMethod is the method auth login uses for --auth default: the
// browser where one can open, the device code over SSH, without a display,
// and in the sandbox.
func (a *app) interactiveMethod(sandbox bool) string {
	switch a.auth {
	case azure.MethodDeviceCode, azure.MethodBrowser:
		return a.auth
	}
	if sandbox || a.getenv("SSH_CONNECTION") != "" || a.getenv("SSH_TTY") != "" ||
		(isLinuxLike() && a.getenv("DISPLAY") == "" && a.getenv("WAYLAND_DISPLAY") == "") {
		return azure.MethodDeviceCode
	}
	return azure.MethodBrowser
}

// sandboxCredential is the credential against a sandbox: with --auth
// device-code or browser, a sign-in at its simulated Entra ID (kept for the
// next command over the same sandbox); with --auth default, that kept
// sign-in when there is one; otherwise a fixed token, which a sandbox whose
// world requires sign-in refuses.
func (a *app) sandboxCredential(sb sandboxConn) (azcore.TokenCredential, error) {
	if !slices.Contains(azure.AuthMethods, a.auth) {
		return nil, &flows.Error{Kind: flows.KindInput, Field: "--auth", Msg: fmt.Sprintf("%q is not an authentication method", a.auth), Fix: "use one of " + strings.Join(azure.AuthMethods, ", ")}
	}
	switch a.auth {
	case azure.MethodDeviceCode, azure.MethodBrowser:
		cfg, err := a.signInConfig(sb, a.auth, true)
		if err != nil {
			return nil, err
		}
		return a.ensureSignedIn(cfg)
	case "default":
		if sb.EntraEndpoint() != "" {
			if cfg, err := a.signInConfig(sb, "", false); err == nil {
				if k, _ := cfg.Store.Load(); k != nil {
					cfg.Method = k.Method
					if c, err := azure.NewSignInCredential(cfg); err == nil && c.Kept() != nil {
						a.debugf("credential: the kept sandbox sign-in of %s (%s)", k.Record.Username, k.Method)
						return c, nil
					}
				}
			}
		}
	}
	if sb.SignInRequired() {
		return nil, &flows.Error{Kind: flows.KindCredential, Msg: "this sandbox requires sign-in (its world sets signIn.required) and nobody is signed in to it",
			Fix: "sign in: " + a.commandLine("auth login --auth device-code") + " (or add --auth device-code to this command)"}
	}
	return azure.StaticCredential{}, nil
}

// azureCredential is the credential against Azure: device code or browser
// with the kept sign-in; for --auth default, azidentity's default chain
// (environment, managed identity, Azure CLI, ...) first, unchanged, then
// the kept sign-in when there is one.
func (a *app) azureCredential() (azcore.TokenCredential, error) {
	if !slices.Contains(azure.AuthMethods, a.auth) {
		return nil, &flows.Error{Kind: flows.KindInput, Field: "--auth", Msg: fmt.Sprintf("%q is not an authentication method", a.auth), Fix: "use one of " + strings.Join(azure.AuthMethods, ", ")}
	}
	switch a.auth {
	case azure.MethodDeviceCode, azure.MethodBrowser:
		cfg, err := a.signInConfig(nil, a.auth, true)
		if err != nil {
			return nil, err
		}
		return a.ensureSignedIn(cfg)
	}
	cred, err := azure.NewCredential(a.auth, a.tenant, func(m string) { fmt.Fprintln(a.errw, m) })
	if err != nil {
		return nil, &flows.Error{Kind: flows.KindCredential, Msg: "no usable Azure credential: " + err.Error(), Fix: credentialFix(a.auth), Err: err}
	}
	if a.auth == "default" {
		if cfg, err := a.signInConfig(nil, "", false); err == nil {
			if k, _ := cfg.Store.Load(); k != nil {
				cfg.Method = k.Method
				if kept, err := azure.NewSignInCredential(cfg); err == nil && kept.Kept() != nil {
					if chain, err := azidentity.NewChainedTokenCredential([]azcore.TokenCredential{cred, kept}, nil); err == nil {
						return chain, nil
					}
				}
			}
		}
	}
	return cred, nil
}

// ensureSignedIn builds the interactive credential and signs in now when
// nothing kept works, with no step timeout (the user needs the time; the
// device code's own expiry bounds it). A sign-in that cannot be kept still
// serves this command, with a notice.
func (a *app) ensureSignedIn(cfg azure.SignInConfig) (*azure.SignInCredential, error) {
	c, err := azure.NewSignInCredential(cfg)
	if err != nil {
		return nil, &flows.Error{Kind: flows.KindCredential, Msg: "cannot sign in: " + err.Error(), Fix: "amlattach auth logout removes a damaged kept sign-in", Err: err}
	}
	err = c.EnsureSignedIn(a.ctx)
	var ke *azure.KeepError
	if errors.As(err, &ke) {
		fmt.Fprintln(a.errw, "amlattach: "+ke.Error()+"; the next run asks again")
		err = nil
	}
	if err != nil {
		return nil, signInError(err)
	}
	return c, nil
}

// commandLine is "amlattach ARGS" with the sandbox flags of this command.
func (a *app) commandLine(args string) string {
	s := "amlattach " + args
	switch {
	case a.world != "":
		s += " --world " + a.world
	case a.sandboxFile != "":
		s += " --sandbox " + a.sandboxFile
	}
	return s
}

func newAuthCmd(a *app) *cobra.Command {
	c := &cobra.Command{Use: "auth", Short: "Sign in to Azure from the terminal, and keep the sign-in",
		Long: `Sign in to Azure with a browser or a device code, and keep the sign-in for the next runs
(the Azure SDK's encrypted token cache and an authentication record, files 0600 under the user's
config folder). Commands then use it with --auth device-code or --auth browser, and with
--auth default when no other credential (environment, managed identity, az login) works.
Against a sandbox (--world, --sandbox) the sign-in goes to its simulated Entra ID and is kept
apart from the Azure one.`}
	c.AddCommand(newAuthLoginCmd(a), newAuthLogoutCmd(a), newAuthStatusCmd(a))
	return c
}

// authSetup checks the output flag, opens the debug trace, and opens the
// sandbox when there is one (nil: Azure).
func (a *app) authSetup() (sandboxConn, error) {
	if a.output != "text" && a.output != "json" {
		return nil, &flows.Error{Kind: flows.KindInput, Field: "-o/--output", Msg: fmt.Sprintf("%q is not an output format", a.output), Fix: "use -o text or -o json"}
	}
	if err := a.openDebug(); err != nil {
		return nil, err
	}
	if a.sandboxFile == "" {
		a.sandboxFile = a.getenv("AMLATTACH_SANDBOX")
	}
	if a.world == "" && a.sandboxFile == "" {
		return nil, nil
	}
	if a.world != "" && a.sandboxFile != "" {
		return nil, &flows.Error{Kind: flows.KindInput, Field: "--sandbox", Msg: "both --world and a shared sandbox (--sandbox or AMLATTACH_SANDBOX) were given", Fix: "use one"}
	}
	sb, _, err := a.openSandbox()
	return sb, err
}

func newAuthLoginCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "login", Short: "Sign in with a browser or a device code, and keep the sign-in",
		Long: `Sign in with a browser (--auth browser) or a device code (--auth device-code: the address and
the code are printed on standard error; complete the sign-in on any device). Without --auth, the
browser is used where one can open, the device code over SSH or without a display. --tenant
chooses the tenant (default: the account's home tenant). The sign-in is kept: the next commands
ask nothing until it expires.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sb, err := a.authSetup()
			if err != nil {
				return err
			}
			if a.auth != "default" && a.auth != azure.MethodDeviceCode && a.auth != azure.MethodBrowser {
				return &flows.Error{Kind: flows.KindInput, Field: "--auth", Msg: fmt.Sprintf("auth login signs in with a browser or a device code, not %q", a.auth), Fix: "use --auth browser or --auth device-code (az login users need no auth login)"}
			}
			cfg, err := a.signInConfig(sb, a.interactiveMethod(sb != nil), true)
			if err != nil {
				return err
			}
			c, err := azure.NewSignInCredential(cfg)
			if err != nil {
				return signInError(err)
			}
			k, err := c.Login(a.ctx)
			if err != nil {
				return signInError(err)
			}
			st, err := c.Status(a.ctx)
			if err != nil {
				return signInError(err)
			}
			return a.printStatus(st, sb != nil, k.Cache)
		}}
}

func newAuthLogoutCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "logout", Short: "Forget the kept sign-in (nothing else: az login is left alone)",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sb, err := a.authSetup()
			if err != nil {
				return err
			}
			st, err := azure.DefaultSignInStore(sb != nil)
			if err != nil {
				return &flows.Error{Kind: flows.KindInput, Msg: err.Error(), Fix: "set HOME to a folder of yours"}
			}
			k, _ := st.Load()
			removed, err := st.Remove()
			if err != nil {
				return &flows.Error{Kind: flows.KindInput, Msg: "could not forget the sign-in: " + err.Error(), Fix: "remove the file yourself: " + st.Path()}
			}
			if a.json() {
				if removed == nil {
					removed = []string{}
				}
				return json.NewEncoder(a.out).Encode(map[string]any{"signedOut": k != nil, "removed": removed})
			}
			if k == nil && len(removed) == 0 {
				fmt.Fprintln(a.errw, "Not signed in with amlattach; nothing to forget.")
				return nil
			}
			who := "the kept sign-in"
			if k != nil {
				who = k.Record.Username
			}
			fmt.Fprintf(a.out, "Signed out %s: removed %s.\n", who, strings.Join(removed, ", "))
			return nil
		}}
}

func newAuthStatusCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "status", Short: "Say who is signed in, to which tenant, how, and until when (exit 4 when nobody is)",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sb, err := a.authSetup()
			if err != nil {
				return err
			}
			cfg, err := a.signInConfig(sb, "", false)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(a.ctx, a.timeout)
			defer cancel()
			st, err := azure.Status(ctx, cfg)
			if err != nil {
				return signInError(err)
			}
			return a.printStatus(st, sb != nil, "")
		}}
}

// statusJSON is auth status -o json (README: "auth status").
type statusJSON struct {
	azure.SignInStatus
	Sandbox bool `json:"sandbox"`
}

// printStatus prints st; not signed in is exit 4 (after the JSON, if any).
func (a *app) printStatus(st azure.SignInStatus, sandbox bool, kept string) error {
	if kept != "" {
		st.Cache = kept
	}
	notIn := &flows.Error{Kind: flows.KindCredential, Msg: "not signed in with amlattach", Fix: "sign in: " + a.commandLine("auth login")}
	if st.Problem != "" {
		notIn.Msg = "the kept sign-in of " + st.Account + " does not work: " + st.Problem
	}
	if a.json() {
		if err := json.NewEncoder(a.out).Encode(statusJSON{st, sandbox}); err != nil {
			return err
		}
		if !st.SignedIn {
			return notIn
		}
		return nil
	}
	if !st.SignedIn {
		return notIn
	}
	where := "Azure"
	if sandbox {
		where = "the sandbox"
	}
	fmt.Fprintf(a.out, "Signed in to %s as %s\n", where, st.Account)
	fmt.Fprintf(a.out, "  tenant:   %s\n", st.Tenant)
	fmt.Fprintf(a.out, "  method:   %s\n", st.Method)
	fmt.Fprintf(a.out, "  until:    %s (the current access token; renewed without asking)\n", st.ExpiresOn.Local().Format(time.DateTime))
	keptText := map[string]string{
		azure.CachePersistent: "for the next runs (encrypted token cache and " + st.File + ")",
		azure.CacheRecordOnly: "account only (" + st.File + "); no token cache here, so the next run asks again",
	}[st.Cache]
	if keptText == "" {
		keptText = "not kept"
	}
	fmt.Fprintf(a.out, "  kept:     %s\n", keptText)
	return nil
}

// isLinuxLike reports whether a display is announced by DISPLAY or
// WAYLAND_DISPLAY here (Linux and the BSDs), unlike macOS and Windows.
func isLinuxLike() bool {
	switch runtime.GOOS {
	case "darwin", "windows":
		return false
	}
	return true
}
