package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Options says where Resource Manager is and how to reach it.
type Options struct {
	// Endpoint of Resource Manager; empty means public Azure.
	Endpoint string
	// HTTPClient carries requests; nil means the SDK default. The sandbox
	// passes one that trusts its self-signed certificate.
	HTTPClient *http.Client
	// PollInterval between polls of a long-running operation when the
	// service gives no Retry-After; zero means 1 s, so that the end of an
	// attach is seen within about a second.
	PollInterval time.Duration
	// Retry overrides the SDK's retry policy (tests and the sandbox shorten it).
	Retry *policy.RetryOptions
	// UserAgent is appended to the SDK's telemetry value.
	UserAgent string
}

// Client is the facade. It is safe for concurrent use.
type Client struct {
	cred azcore.TokenCredential
	opts *arm.ClientOptions
	poll time.Duration
	// refused is the first 401 Resource Manager answered: the sign-in no
	// longer works (an expired or revoked token).
	refused *atomic.Pointer[azcore.ResponseError]
}

// New returns a facade that authenticates with cred.
func New(cred azcore.TokenCredential, o Options) *Client {
	co := &arm.ClientOptions{}
	if o.Endpoint != "" {
		co.Cloud = cloud.Configuration{
			ActiveDirectoryAuthorityHost: o.Endpoint,
			Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
				cloud.ResourceManager: {Endpoint: o.Endpoint, Audience: "https://management.core.windows.net/"},
			},
		}
	}
	// Never register a resource provider behind the user's back: azcore
	// would on a 409 MissingSubscriptionRegistration. Registering is a
	// change to the subscription, made only as the provider.register fix,
	// with consent (DESIGN §8).
	co.DisableRPRegistration = true
	if o.HTTPClient != nil {
		co.Transport = o.HTTPClient
	}
	if o.Retry != nil {
		co.Retry = *o.Retry
	}
	co.Telemetry.ApplicationID = "amlattach"
	if o.UserAgent != "" {
		co.Telemetry.ApplicationID = o.UserAgent
	}
	p := o.PollInterval
	if p <= 0 {
		p = time.Second
	}
	refused := &atomic.Pointer[azcore.ResponseError]{}
	co.PerCallPolicies = append(co.PerCallPolicies, signInWatch{refused}, tryBound{co.Retry})
	co.PerRetryPolicies = append(co.PerRetryPolicies, recordTries{})
	return &Client{cred: markingCredential{cred}, opts: co, poll: p, refused: refused}
}

// SignInRefused returns Resource Manager's first 401 answer to this client,
// or nil. A 401 means the token was refused (it expired, or the sign-in was
// revoked): whatever failed after it, the fix is to sign in again.
func (c *Client) SignInRefused() error {
	if re := c.refused.Load(); re != nil {
		return re
	}
	return nil
}

// IsSignInRefused reports whether err is Resource Manager refusing the
// token (HTTP 401).
func IsSignInRefused(err error) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && re.StatusCode == http.StatusUnauthorized
}

// tryBound gives each try of each request the step timeout that
// WithStepTimeout put in its context, when there is one, through azcore's
// own RetryOptions.TryTimeout: a listing of many pages is then bounded page
// by page, not as a whole. It runs before the retry policy and hands it the
// client's retry options with the bound added. The requests of an attach or
// a detach are bounded as a whole by the same step timeout (stepContext),
// as --timeout promises for every ARM call, so there a try that times out
// ends the call instead of being tried again.
type tryBound struct{ retry policy.RetryOptions }

func (b tryBound) Do(req *policy.Request) (*http.Response, error) {
	d, ok := req.Raw().Context().Value(stepKey{}).(time.Duration)
	if !ok || d <= 0 {
		return req.Next()
	}
	o := b.retry
	o.TryTimeout = d
	return req.WithContext(policy.WithRetryOptions(req.Raw().Context(), o)).Next()
}

// signInWatch records the first 401 answer (after the SDK's retries and its
// handling of authentication challenges).
type signInWatch struct {
	first *atomic.Pointer[azcore.ResponseError]
}

func (s signInWatch) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		var re *azcore.ResponseError
		if errors.As(runtime.NewResponseError(resp), &re) {
			s.first.CompareAndSwap(nil, re)
		}
	}
	return resp, err
}

type stepKey struct{}

// WithStepTimeout bounds each request an attach or detach makes (the PUT
// or DELETE, every poll, the final read) by d; ctx still bounds the wait as
// a whole. Without it, only ctx bounds them.
func WithStepTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, stepKey{}, d)
}

// stepContext is ctx bounded by the step timeout WithStepTimeout put in it.
func stepContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Value(stepKey{}).(time.Duration); ok && d > 0 {
		return context.WithTimeout(ctx, d)
	}
	return ctx, func() {}
}

// StaticCredential is the credential used against the sandbox, which accepts
// any bearer token. It must never be used with real Azure.
type StaticCredential struct{}

// GetToken returns a fixed token that expires in an hour.
func (StaticCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "sandbox", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// AuthMethods are the values of --auth.
var AuthMethods = []string{"default", "cli", "device-code", "browser", "managed-identity"}

// NewCredential builds the credential --auth names; tenant ("" for the
// default) applies to the interactive ones and the CLI. prompt shows the
// device code message (never a secret: a code the user types elsewhere).
func NewCredential(method, tenant string, prompt func(string)) (azcore.TokenCredential, error) {
	switch method {
	case "", "default":
		return azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{TenantID: tenant})
	case "cli":
		return azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: tenant})
	case "device-code":
		return azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{TenantID: tenant,
			UserPrompt: func(_ context.Context, m azidentity.DeviceCodeMessage) error { prompt(m.Message); return nil }})
	case "browser":
		return azidentity.NewInteractiveBrowserCredential(&azidentity.InteractiveBrowserCredentialOptions{TenantID: tenant})
	case "managed-identity":
		return azidentity.NewManagedIdentityCredential(nil)
	}
	return nil, fmt.Errorf("%q is not an authentication method; use one of %s", method, strings.Join(AuthMethods, ", "))
}

// DefaultCredential is azidentity's DefaultAzureCredential (environment,
// workload identity, managed identity, Azure CLI, Azure Developer CLI).
func DefaultCredential() (azcore.TokenCredential, error) {
	return azidentity.NewDefaultAzureCredential(nil)
}

// CredentialError is a failure to get a token: nobody is signed in, or the
// sign-in expired. It is not an answer from Azure.
type CredentialError struct{ Err error }

func (e *CredentialError) Error() string { return "no usable Azure credential: " + e.Err.Error() }
func (e *CredentialError) Unwrap() error { return e.Err }

// IsCredentialError reports whether err comes from failing to get a token.
func IsCredentialError(err error) bool {
	var ce *CredentialError
	return errors.As(err, &ce)
}

// markingCredential wraps every token failure in CredentialError so that the
// facade's callers can tell "sign in first" from "Azure said no".
type markingCredential struct{ inner azcore.TokenCredential }

func (m markingCredential) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	t, err := m.inner.GetToken(ctx, o)
	if err != nil && ctx.Err() == nil {
		return t, &CredentialError{Err: err}
	}
	return t, err
}
