package flows

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"amlattach/azure"
)

// Signing in from the wizard (DESIGN §10). SignIn is the sign-in step's
// operations, UI-free: the full-screen wizard and the plain one call the
// same functions, and receive what happens as SignInEvents.

// The sign-in methods the wizard offers.
const (
	MethodDeviceCode = azure.MethodDeviceCode
	MethodBrowser    = azure.MethodBrowser
)

// Tenant is one Microsoft Entra tenant of the signed-in account.
type Tenant = azure.Tenant

// SignInEventKind says what happened during a sign-in.
type SignInEventKind string

const (
	// SignInCode: the device code and the address to enter it at (URL,
	// Code; Message is Entra ID's whole sentence). No secret: the code is
	// typed in elsewhere, and is useless on its own.
	SignInCode SignInEventKind = "code"
	// SignInWaiting: waiting for the user to finish signing in (in the
	// browser that opened, or on the device the code is entered on).
	SignInWaiting SignInEventKind = "waiting"
	// SignInNotice: a one-line notice (Text): how the sign-in is kept.
	SignInNotice SignInEventKind = "notice"
	// SignInDone: signed in as Account to Tenant.
	SignInDone SignInEventKind = "done"
)

// SignInEvent is one thing that happened during a sign-in.
type SignInEvent struct {
	Kind          SignInEventKind
	URL, Code     string // SignInCode
	Message, Text string // SignInCode: Entra's sentence; SignInNotice: the notice
	Account       string // SignInDone
	Tenant        string // SignInDone: the tenant's ID
}

// SignInResult is a finished sign-in.
type SignInResult struct {
	Account string
	// Tenant is the tenant signed in to (its ID).
	Tenant string
	// Tenants are the account's tenants, the home tenant first, when it has
	// several and none was asked for: the user chooses one (UseTenant).
	Tenants []Tenant
	// Kept says how the sign-in is kept (azure.CachePersistent: the next
	// run asks nothing; CacheRecordOnly; CacheNone).
	Kept string
}

// SignIn signs the user in for the rest of the run. cmd builds it with the
// run's switchable credential; a sign-in replaces the credential inside it,
// so every client built on it uses the new sign-in from then on.
type SignIn struct {
	// Base is how to sign in: the store, the Entra ID and its transport,
	// the tenant asked for with --tenant ("" for the home tenant).
	Base azure.SignInConfig
	// Cred is the run's credential, which a sign-in replaces.
	Cred *azure.SwitchCredential
	// Azure is the Resource Manager client built on Cred (the tenants).
	Azure *azure.Client
	// Preferred is the method to preselect (PreferredSignInMethod).
	Preferred string
	// Timeout bounds the silent checks and the listing of tenants (not the
	// sign-in itself: the user needs the time, and the code's expiry
	// bounds it); zero means 15 s.
	Timeout time.Duration

	mu  sync.Mutex
	cur *azure.SignInCredential // the last sign-in
}

func (s *SignIn) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return 15 * time.Second
}

// PreferredSignInMethod is the method to preselect: the device code over
// SSH (SSH_CONNECTION or SSH_TTY set) or without a display (neither DISPLAY
// nor WAYLAND_DISPLAY on Linux and the BSDs), the browser otherwise.
func PreferredSignInMethod(getenv func(string) string) string {
	if getenv("SSH_CONNECTION") != "" || getenv("SSH_TTY") != "" {
		return MethodDeviceCode
	}
	switch runtime.GOOS {
	case "darwin", "windows":
		return MethodBrowser
	}
	if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
		return MethodDeviceCode
	}
	return MethodBrowser
}

// Check reports whether the run's credential works without asking anyone:
// it gets a token (from the kept sign-in, az login, the environment...)
// and says who it is for ("" when the token does not say). An error means
// the user must sign in; SignInError explains it.
func (s *SignIn) Check(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	who, err := s.Azure.SignedInAs(ctx)
	if err != nil {
		return "", err
	}
	return who, nil
}

// Run signs in with method, asking the user (it always asks, as az login
// does), streaming what happens to emit; on success the run's credential is
// the new sign-in's and the sign-in is kept for the next runs. Cancelling
// ctx stops it (the device code is no longer polled) and keeps nothing.
// When the account has several tenants and none was asked for, the result
// lists them: the caller has the user choose (UseTenant).
func (s *SignIn) Run(ctx context.Context, method string, emit func(SignInEvent)) (SignInResult, error) {
	if emit == nil {
		emit = func(SignInEvent) {}
	}
	cfg := s.Base
	cfg.Method, cfg.Interactive = method, true
	// The credential asks for a code again if its sign-in stops working
	// later in the run; by then nobody shows codes, so it fails at once
	// (the request that needed it says to sign in again) instead of
	// waiting for a code nobody sees.
	var over atomic.Bool
	cfg.Prompt, cfg.Ask = nil, func(m azure.DeviceCodeMessage) error {
		if over.Load() {
			return errors.New("the sign-in no longer works and must be made again: run amlattach again")
		}
		emit(SignInEvent{Kind: SignInCode, URL: m.VerificationURL, Code: m.UserCode, Message: m.Message})
		emit(SignInEvent{Kind: SignInWaiting})
		return nil
	}
	cfg.Notice = func(t string) { emit(SignInEvent{Kind: SignInNotice, Text: t}) }
	c, err := azure.NewSignInCredential(cfg)
	if err != nil {
		return SignInResult{}, SignInError(err)
	}
	if method == MethodBrowser {
		emit(SignInEvent{Kind: SignInWaiting})
	}
	k, err := c.Login(ctx)
	over.Store(true)
	var ke *azure.KeepError
	if errors.As(err, &ke) {
		emit(SignInEvent{Kind: SignInNotice, Text: ke.Error() + "; the next run asks again"})
		err = nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return SignInResult{}, ctx.Err()
		}
		return SignInResult{}, SignInError(err)
	}
	s.mu.Lock()
	s.cur = c
	s.mu.Unlock()
	s.Cred.Use(c)
	res := SignInResult{Account: k.Record.Username, Tenant: k.Record.TenantID, Kept: k.Cache}
	if s.Base.Tenant == "" {
		lctx, cancel := context.WithTimeout(ctx, s.timeout())
		ts, err := s.Azure.ListTenants(lctx)
		cancel()
		switch {
		case err != nil:
			emit(SignInEvent{Kind: SignInNotice, Text: "the account's tenants could not be listed (" + FromAzure("list tenants", err).Error() + "); signed in to its home tenant"})
		case len(ts) > 1:
			res.Tenants = homeFirst(ts, res.Tenant)
		}
	}
	emit(SignInEvent{Kind: SignInDone, Account: res.Account, Tenant: res.Tenant})
	return res, nil
}

// homeFirst puts the tenant signed in to first.
func homeFirst(ts []Tenant, home string) []Tenant {
	out := make([]Tenant, 0, len(ts))
	for _, t := range ts {
		if strings.EqualFold(t.ID, home) {
			out = append([]Tenant{t}, out...)
		} else {
			out = append(out, t)
		}
	}
	return out
}

// UseTenant makes the sign-in's tokens come from tenant (one of the
// result's Tenants), without asking the user again, and keeps the choice.
func (s *SignIn) UseTenant(ctx context.Context, tenant string) error {
	s.mu.Lock()
	c := s.cur
	s.mu.Unlock()
	if c == nil {
		return &Error{Kind: KindCredential, Msg: "nobody is signed in yet", Fix: "sign in first"}
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	_, err := c.SwitchTenant(ctx, tenant)
	var ke *azure.KeepError
	if errors.As(err, &ke) {
		err = nil // this run uses it; Run said already that nothing is kept
	}
	if err != nil {
		return SignInError(err)
	}
	return nil
}

// SignInError is a failed sign-in said for the user: the problem and the
// way out, exit 4 (a sign-in that worked but could not be kept too).
func SignInError(err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return err
	}
	var fe *Error
	if errors.As(err, &fe) {
		return err
	}
	var ke *azure.KeepError
	if errors.As(err, &ke) {
		return &Error{Kind: KindCredential, Msg: ke.Error(),
			Fix: "make that folder writable, or point XDG_CONFIG_HOME at a writable folder; amlattach auth logout removes what is kept", Err: err}
	}
	if errors.Is(err, azure.ErrNotSignedIn) {
		return &Error{Kind: KindCredential, Msg: "nobody is signed in", Fix: "sign in with a browser or a device code", Err: err}
	}
	p := azure.SignInProblem(err)
	return &Error{Kind: KindCredential, Msg: "sign-in failed: " + p.Msg, Fix: p.Fix, Err: err}
}
