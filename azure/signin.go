package azure

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Kept sign-in (DESIGN §10). amlattach signs in with azidentity's device
// code or interactive browser credential and keeps two things so that the
// next run asks nothing: the credential's AuthenticationRecord (who, which
// tenant, which authority: no secret) in a JSON file of its own, mode 0600,
// and the tokens in the SDK's persistent token cache (azidentity/cache:
// encrypted, with the key in the kernel keyring on Linux, DPAPI on Windows,
// the keychain on macOS). Where that cache cannot be opened, nothing holding
// a token is written: the record alone is kept, the next run asks again,
// and a one-line notice says so. amlattach never writes tokens in plain text.

// Sign-in methods that can be kept.
const (
	MethodDeviceCode = "device-code"
	MethodBrowser    = "browser"
)

// How the tokens of a sign-in are kept (auth status's "cache").
const (
	CachePersistent = "persistent"  // the SDK's encrypted token cache: the next run is silent
	CacheRecordOnly = "record-only" // the record alone: the next run asks again, for the same account
	CacheNone       = "none"        // nothing stored
)

// armScope is the Resource Manager scope every sign-in is for.
const armScope = "https://management.core.windows.net//.default"

// SignInStore is where a kept sign-in lives: Dir/Name.json for the record,
// and the token cache named Cache.
type SignInStore struct {
	Dir   string
	Name  string // "signin" for Azure, "sandbox-signin" for the sandbox
	Cache string // the persistent cache's name, e.g. "amlattach"
}

// DefaultSignInStore is the store for Azure (sandbox false) or for the
// sandbox, under the user's config folder (os.UserConfigDir()/amlattach).
func DefaultSignInStore(sandbox bool) (*SignInStore, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return nil, err
	}
	st := &SignInStore{Dir: filepath.Join(dir, "amlattach"), Name: "signin", Cache: "amlattach"}
	if sandbox {
		st.Name, st.Cache = "sandbox-signin", "amlattach-sandbox"
	}
	return st, nil
}

// Path is the record file.
func (st *SignInStore) Path() string { return filepath.Join(st.Dir, st.Name+".json") }

// KeptSignIn is the record file's content.
type KeptSignIn struct {
	Version int    `json:"version"`
	Method  string `json:"method"`
	// Cache says how the tokens are kept (CachePersistent, CacheRecordOnly).
	Cache  string                          `json:"cache"`
	Record azidentity.AuthenticationRecord `json:"record"`
	// Tenant is the tenant asked for at sign-in ("" for the home tenant):
	// the credential asks for the same, so that its cached tokens match.
	Tenant  string    `json:"tenant,omitempty"`
	SavedOn time.Time `json:"savedOn"`
}

// Load reads the kept sign-in; nil without error when there is none.
func (st *SignInStore) Load() (*KeptSignIn, error) {
	data, err := os.ReadFile(st.Path())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var k KeptSignIn
	if err := json.Unmarshal(data, &k); err != nil {
		return nil, fmt.Errorf("%s is not a kept sign-in (%v): remove it with amlattach auth logout", st.Path(), err)
	}
	return &k, nil
}

// Save writes the record, mode 0600, in a folder of mode 0700, through a
// temporary file renamed over the old one.
func (st *SignInStore) Save(k KeptSignIn) error {
	if err := os.MkdirAll(st.Dir, 0o700); err != nil {
		return err
	}
	if err := os.Chmod(st.Dir, 0o700); err != nil {
		return err
	}
	data, err := json.MarshalIndent(k, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(st.Dir, "."+st.Name+"-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), st.Path())
}

// Remove deletes what this store kept: the record file and the persistent
// token cache's files (and, on Linux, its key). It returns the paths it
// removed; what was not there is no error.
func (st *SignInStore) Remove() ([]string, error) {
	var removed []string
	var errs []error
	rm := func(p string) {
		err := os.Remove(p)
		switch {
		case err == nil:
			removed = append(removed, p)
		case !errors.Is(err, os.ErrNotExist):
			errs = append(errs, err)
		}
	}
	rm(st.Path())
	for _, p := range cacheFiles(st.Cache) {
		rm(p)
	}
	forgetCacheKey(st.Cache)
	return removed, errors.Join(errs...)
}

// SignInConfig says how to sign in.
type SignInConfig struct {
	Method string // MethodDeviceCode or MethodBrowser
	// Tenant to sign in to; "" means the kept sign-in's, else the account's
	// home tenant ("organizations").
	Tenant string
	// AuthorityHost is the Entra ID to use: "" for Azure's, the sandbox's
	// Entra endpoint otherwise (instance discovery is then off).
	AuthorityHost string
	// HTTPClient carries the requests; nil means the SDK's default.
	HTTPClient *http.Client
	Store      *SignInStore
	// Prompt shows the device code message (the address and the code, no
	// secret: the code is typed in elsewhere and is useless on its own).
	Prompt func(DeviceCodeMessage)
	// Ask, when set, is called instead of Prompt; an error it returns ends
	// that sign-in at once (the code is not polled), for a screen that can
	// no longer show a code.
	Ask func(DeviceCodeMessage) error
	// Interactive lets the credential ask the user; false keeps it to what
	// the kept sign-in gives silently.
	Interactive bool
	// Notice receives one-line notices (how the sign-in is kept).
	Notice func(string)
	// OpenURL, when set, replaces the system browser of the browser flow
	// (the sandbox's: SandboxBrowser; see signin_opener.go).
	OpenURL func(ctx context.Context, url string) error
}

// DeviceCodeMessage is what the user needs to complete a device code sign-in.
type DeviceCodeMessage struct {
	Message         string // the whole sentence Entra ID wrote
	UserCode        string
	VerificationURL string
}

// SignInCredential is a device code or browser credential with the kept
// sign-in: it reads the record and the token cache first, asks the user
// only when they give nothing (and only when Interactive).
type SignInCredential struct {
	cfg   SignInConfig
	kept  *KeptSignIn // the kept sign-in it started from, or nil
	cache string      // how its tokens are kept
	tap   *oauthTap   // Entra ID's last error answer
	// tenant, once SwitchTenant set it, is the tenant every token is
	// asked of (nil: the credential's own).
	tenant atomic.Pointer[string]
	cred   interface {
		azcore.TokenCredential
		Authenticate(context.Context, *policy.TokenRequestOptions) (azidentity.AuthenticationRecord, error)
	}
}

// NewSignInCredential builds the credential. A kept sign-in for another
// method, authority or tenant is not used (it stays on disk).
func NewSignInCredential(cfg SignInConfig) (*SignInCredential, error) {
	if cfg.Method != MethodDeviceCode && cfg.Method != MethodBrowser {
		return nil, fmt.Errorf("%q cannot sign in interactively; use %s or %s", cfg.Method, MethodDeviceCode, MethodBrowser)
	}
	c := &SignInCredential{cfg: cfg, cache: CacheNone}
	if cfg.Store != nil {
		k, err := cfg.Store.Load()
		if err != nil && cfg.Notice != nil {
			cfg.Notice("the kept sign-in cannot be read (" + err.Error() + "); signing in afresh")
		}
		if k != nil && k.Method == cfg.Method && sameAuthority(k.Record.Authority, cfg.AuthorityHost) &&
			(cfg.Tenant == "" || strings.EqualFold(cfg.Tenant, k.Record.TenantID) || strings.EqualFold(cfg.Tenant, k.Tenant)) {
			c.kept = k
		}
	}
	tenant := cfg.Tenant
	if tenant == "" && c.kept != nil {
		tenant = c.kept.Tenant
	}
	var tc azidentity.Cache
	if cfg.Store != nil {
		var why string
		tc, c.cache, why = openTokenCache(cfg.Store.Cache)
		if why != "" && cfg.Notice != nil {
			cfg.Notice(why)
		}
	}
	var next policy.Transporter = http.DefaultClient
	if cfg.HTTPClient != nil {
		next = cfg.HTTPClient
	}
	c.tap = &oauthTap{next: next}
	co := azcore.ClientOptions{Transport: c.tap}
	discoveryOff := false
	// SwitchTenant asks tokens of the account's other tenants, which
	// azidentity refuses unless they are allowed; no token is asked of a
	// tenant but the credential's own otherwise (Resource Manager's bearer
	// policy does not switch tenants on a challenge).
	otherTenants := []string{"*"}
	if cfg.AuthorityHost != "" {
		co.Cloud = cloud.Configuration{
			ActiveDirectoryAuthorityHost: cfg.AuthorityHost,
			Services:                     map[cloud.ServiceName]cloud.ServiceConfiguration{cloud.ResourceManager: {Audience: "https://management.core.windows.net/"}},
		}
		discoveryOff = true
	}
	var record azidentity.AuthenticationRecord
	if c.kept != nil {
		record = c.kept.Record
	}
	var err error
	switch cfg.Method {
	case MethodDeviceCode:
		c.cred, err = azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
			ClientOptions: co, TenantID: tenant, Cache: tc, AuthenticationRecord: record,
			DisableInstanceDiscovery: discoveryOff, DisableAutomaticAuthentication: !cfg.Interactive,
			AdditionallyAllowedTenants: otherTenants,
			UserPrompt: func(_ context.Context, m azidentity.DeviceCodeMessage) error {
				if cfg.Ask != nil {
					return cfg.Ask(DeviceCodeMessage{Message: m.Message, UserCode: m.UserCode, VerificationURL: m.VerificationURL})
				}
				if cfg.Prompt != nil {
					cfg.Prompt(DeviceCodeMessage{Message: m.Message, UserCode: m.UserCode, VerificationURL: m.VerificationURL})
				}
				return nil
			},
		})
	case MethodBrowser:
		c.cred, err = newBrowserCredential(cfg, co, tenant, tc, record, discoveryOff)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// sameAuthority compares a record's authority ("https://host") with the
// configured authority host ("" is Azure's).
func sameAuthority(recordAuthority, host string) bool {
	if host == "" {
		host = cloud.AzurePublic.ActiveDirectoryAuthorityHost
	}
	return strings.EqualFold(strings.TrimSuffix(recordAuthority, "/"), strings.TrimSuffix(host, "/"))
}

// Kept is the kept sign-in the credential uses, or nil.
func (c *SignInCredential) Kept() *KeptSignIn { return c.kept }

// CacheKind says how the credential's tokens are kept.
func (c *SignInCredential) CacheKind() string { return c.cache }

// GetToken gets a token: from the cache, by refreshing, or (Interactive)
// by asking the user.
func (c *SignInCredential) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if t := c.tenant.Load(); t != nil && *t != "" && o.TenantID == "" {
		o.TenantID = *t
	}
	var t azcore.AccessToken
	err := c.withBrowser(ctx, c.cfg.Interactive, func(ctx context.Context) (err error) {
		t, err = c.cred.GetToken(ctx, o)
		return err
	})
	return t, c.explain(err)
}

// explain adds Entra ID's own error answer to err (MSAL reads the body of
// some answers itself, and azidentity's error then has none).
func (c *SignInCredential) explain(err error) error {
	if err == nil {
		return nil
	}
	if e := c.tap.last.Load(); e != nil {
		return &EntraError{Code: e.Code, Desc: e.Desc, Err: err}
	}
	return err
}

// EntraError is a sign-in refused by Entra ID: its error code and
// description (OAuth's error and error_description: never a secret).
type EntraError struct {
	Code, Desc string
	Err        error
}

func (e *EntraError) Error() string { return e.Code + ": " + firstLine(e.Desc) }
func (e *EntraError) Unwrap() error { return e.Err }

// oauthTap passes requests on and remembers the error and description of
// the last error answer of Entra ID (nothing else of the body).
type oauthTap struct {
	next policy.Transporter
	last atomic.Pointer[EntraError]
}

func (t *oauthTap) Do(req *http.Request) (*http.Response, error) {
	resp, err := t.next.Do(req)
	if err != nil || resp.StatusCode < 400 || resp.Body == nil {
		if err == nil && resp.StatusCode < 300 {
			t.last.Store(nil)
		}
		return resp, err
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if rerr != nil {
		return resp, nil
	}
	var e struct {
		Error string `json:"error"`
		Desc  string `json:"error_description"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" && e.Error != "authorization_pending" && e.Error != "slow_down" {
		t.last.Store(&EntraError{Code: e.Error, Desc: e.Desc})
	}
	return resp, nil
}

// Login signs in interactively (always asks, as az login does) and keeps
// the sign-in. The error of keeping it is returned with the record, which
// is valid for this run either way.
func (c *SignInCredential) Login(ctx context.Context) (KeptSignIn, error) {
	// EnableCAE as Resource Manager's bearer policy asks: azidentity keeps
	// CAE and non-CAE tokens apart.
	var rec azidentity.AuthenticationRecord
	err := c.withBrowser(ctx, true, func(ctx context.Context) (err error) {
		rec, err = c.cred.Authenticate(ctx, &policy.TokenRequestOptions{Scopes: []string{armScope}, EnableCAE: true})
		return err
	})
	if err != nil {
		return KeptSignIn{}, c.explain(err)
	}
	return c.keep(rec)
}

// EnsureSignedIn makes sure there is a sign-in to keep: with a kept one it
// does nothing (GetToken will use it, and ask again only if it no longer
// works); otherwise it signs in now and keeps it.
func (c *SignInCredential) EnsureSignedIn(ctx context.Context) error {
	if c.kept != nil {
		return nil
	}
	_, err := c.Login(ctx)
	return err
}

func (c *SignInCredential) keep(rec azidentity.AuthenticationRecord) (KeptSignIn, error) {
	k := KeptSignIn{Version: 1, Method: c.cfg.Method, Cache: c.cache, Record: rec, Tenant: c.cfg.Tenant, SavedOn: time.Now().UTC()}
	if c.cfg.Store == nil {
		k.Cache = CacheNone
		return k, nil
	}
	if err := c.cfg.Store.Save(k); err != nil {
		k.Cache = CacheNone
		return k, &KeepError{Path: c.cfg.Store.Path(), Err: err}
	}
	c.kept = &k
	return k, nil
}

// KeepError is a sign-in that worked but could not be kept.
type KeepError struct {
	Path string
	Err  error
}

func (e *KeepError) Error() string {
	return fmt.Sprintf("signed in, but the sign-in cannot be kept in %s: %v", e.Path, e.Err)
}
func (e *KeepError) Unwrap() error { return e.Err }

// SignInStatus is what auth status reports.
type SignInStatus struct {
	SignedIn  bool      `json:"signedIn"`
	Account   string    `json:"account,omitempty"`
	Tenant    string    `json:"tenant,omitempty"`
	Method    string    `json:"method,omitempty"`
	Authority string    `json:"authority,omitempty"`
	ExpiresOn time.Time `json:"expiresOn,omitzero"`
	Cache     string    `json:"cache"`
	// Problem says why a kept sign-in does not work (expired, another
	// sandbox), empty otherwise.
	Problem string `json:"problem,omitempty"`
	// File is the record's path.
	File string `json:"file,omitempty"`
}

// Status reads the kept sign-in and, when there is one, gets a token
// silently (from the cache, or by refreshing) to say until when it holds.
// It never asks the user. cfg.Method is ignored: the kept sign-in's is used.
func Status(ctx context.Context, cfg SignInConfig) (SignInStatus, error) {
	return status(ctx, cfg, nil)
}

// Status is Status with the credential itself for the token: right after
// Login, its tokens are in its memory even when they could not be kept
// (no keyring), where a new credential would find none.
func (c *SignInCredential) Status(ctx context.Context) (SignInStatus, error) {
	return status(ctx, c.cfg, c)
}

func status(ctx context.Context, cfg SignInConfig, c *SignInCredential) (SignInStatus, error) {
	st := SignInStatus{Cache: CacheNone}
	if cfg.Store == nil {
		return st, nil
	}
	st.File = cfg.Store.Path()
	k, err := cfg.Store.Load()
	if err != nil {
		st.Problem = "the kept sign-in cannot be read: " + err.Error()
		return st, nil
	}
	if k == nil {
		return st, nil
	}
	st.Account, st.Tenant, st.Method, st.Authority, st.Cache = k.Record.Username, k.Record.TenantID, k.Method, k.Record.Authority, k.Cache
	if !sameAuthority(k.Record.Authority, cfg.AuthorityHost) {
		st.Problem = fmt.Sprintf("kept for %s, not for this Entra ID (%s)", k.Record.Authority, orAzure(cfg.AuthorityHost))
		return st, nil
	}
	if c == nil {
		cfg.Method, cfg.Tenant, cfg.Interactive, cfg.Notice = k.Method, k.Tenant, false, nil
		if c, err = NewSignInCredential(cfg); err != nil {
			return st, err
		}
	}
	tok, err := c.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{armScope}, EnableCAE: true})
	if err != nil {
		if ctx.Err() != nil {
			return st, ctx.Err()
		}
		st.Problem = SignInProblem(err).Msg
		return st, nil
	}
	st.SignedIn, st.ExpiresOn = true, tok.ExpiresOn.UTC().Truncate(time.Second)
	return st, nil
}

func orAzure(host string) string {
	if host == "" {
		return cloud.AzurePublic.ActiveDirectoryAuthorityHost
	}
	return host
}

// Problem is a sign-in failure, said for the user: what went wrong and how
// to get out of it. Code is Entra ID's error code when it gave one.
type Problem struct {
	Code string
	Msg  string
	Fix  string
}

// SignInProblem explains a sign-in error.
func SignInProblem(err error) Problem {
	var req *azidentity.AuthenticationRequiredError
	if errors.As(err, &req) {
		return Problem{Code: "interaction_required", Msg: "the kept sign-in no longer works without you (its refresh token expired or was revoked)", Fix: "sign in again: amlattach auth login"}
	}
	// MSAL bounds the wait for a device code by the code's expiry; azidentity
	// keeps only the text of that error.
	if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "DeviceCodeCredential: context deadline exceeded") {
		return Problem{Code: "expired_token", Msg: "the device code expired before the sign-in was completed", Fix: "run the command again and complete the sign-in within the time the code is valid"}
	}
	code, desc := oauthError(err)
	if code == "" {
		// The browser flow's errors come back through the redirect, not
		// in a response: look for Entra's codes in the message.
		desc = err.Error()
		if strings.Contains(desc, "access_denied") {
			code = "access_denied"
		}
	}
	switch {
	case code == "authorization_declined" || (code == "access_denied" && strings.Contains(desc, "AADSTS65004")):
		return Problem{Code: code, Msg: "the sign-in was declined", Fix: "sign in again and accept the request (amlattach auth login)"}
	case code == "expired_token":
		return Problem{Code: code, Msg: "the device code expired before the sign-in was completed", Fix: "sign in again and enter the code within the time it is valid"}
	case strings.Contains(desc, "AADSTS53003"):
		other := "--auth browser"
		if strings.Contains(desc, "browser is not allowed") {
			other = "--auth device-code"
		}
		return Problem{Code: code, Msg: "the tenant does not allow this sign-in method: " + firstLine(desc), Fix: "sign in with " + other + " (amlattach auth login " + other + ")"}
	case code == "invalid_tenant" || strings.Contains(desc, "AADSTS90002"):
		return Problem{Code: code, Msg: "the tenant was not found for this account: " + firstLine(desc), Fix: "check --tenant (the account's tenants: az account tenant list), or leave it out for the home tenant"}
	case code == "invalid_grant" && strings.Contains(desc, "AADSTS700082"):
		return Problem{Code: code, Msg: "the kept sign-in expired (its refresh token is too old)", Fix: "sign in again: amlattach auth login"}
	case code != "":
		return Problem{Code: code, Msg: code + ": " + firstLine(desc), Fix: "sign in again: amlattach auth login"}
	}
	return Problem{Msg: firstLine(err.Error()), Fix: "sign in again: amlattach auth login"}
}

// oauthError reads Entra ID's error and description from a failed token
// request's response.
func oauthError(err error) (code, desc string) {
	var ee *EntraError
	if errors.As(err, &ee) {
		return ee.Code, ee.Desc
	}
	var af *azidentity.AuthenticationFailedError
	if !errors.As(err, &af) || af.RawResponse == nil {
		return "", ""
	}
	body, rerr := runtime.Payload(af.RawResponse)
	if rerr != nil {
		return "", ""
	}
	var e struct {
		Error string `json:"error"`
		Desc  string `json:"error_description"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", ""
	}
	return e.Error, e.Desc
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\r")
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}

// identityServiceFiles are a cache's data and lock files in dir.
func identityServiceFiles(dir, name string) []string {
	var out []string
	for _, n := range []string{name, name + ".cae"} {
		p := filepath.Join(dir, n)
		out = append(out, p, p+".lockfile")
	}
	return out
}
