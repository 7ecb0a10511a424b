package azure

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	subs "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions/v2"
)

// ErrNotSignedIn is a token asked of a SwitchCredential that holds no
// credential yet: nobody has signed in.
var ErrNotSignedIn = errors.New("nobody is signed in")

// SwitchCredential is the credential of a run that may sign in while it
// runs (the wizard's sign-in step): the clients are built once with it, and
// Use puts in the credential of the sign-in when it is done. Until then it
// passes requests to the credential it started with, or answers
// ErrNotSignedIn when it started with none.
type SwitchCredential struct {
	cur atomic.Pointer[credBox]
}

type credBox struct{ c azcore.TokenCredential }

// NewSwitchCredential starts with initial (nil: nobody signed in).
func NewSwitchCredential(initial azcore.TokenCredential) *SwitchCredential {
	s := &SwitchCredential{}
	if initial != nil {
		s.Use(initial)
	}
	return s
}

// Use makes c the credential of every request from now on.
func (s *SwitchCredential) Use(c azcore.TokenCredential) { s.cur.Store(&credBox{c}) }

// Current is the credential in use, or nil.
func (s *SwitchCredential) Current() azcore.TokenCredential {
	if b := s.cur.Load(); b != nil {
		return b.c
	}
	return nil
}

// GetToken asks the credential in use.
func (s *SwitchCredential) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c := s.Current()
	if c == nil {
		return azcore.AccessToken{}, ErrNotSignedIn
	}
	return c.GetToken(ctx, o)
}

// Tenant is one Microsoft Entra tenant of the signed-in account.
type Tenant struct {
	ID, Name, Domain string
}

// ListTenants lists the tenants of the signed-in account (Resource
// Manager's GET /tenants), in the order Azure gives them.
func (c *Client) ListTenants(ctx context.Context) ([]Tenant, error) {
	tc, err := subs.NewTenantsClient(c.cred, c.opts)
	if err != nil {
		return nil, err
	}
	var out []Tenant
	pg := tc.NewListPager(nil)
	for pg.More() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list tenants: %w", err)
		}
		for _, t := range page.Value {
			if t == nil || t.TenantID == nil {
				continue
			}
			out = append(out, Tenant{ID: *t.TenantID, Name: str(t.DisplayName), Domain: str(t.DefaultDomain)})
		}
	}
	return out, nil
}

// SwitchTenant makes the credential get its tokens from tenant (an
// account's other tenant, or "" for the one it signed in to) without
// asking the user: the refresh token of the sign-in serves every tenant of
// the account. It gets a token now to prove it, and keeps the choice for
// the next runs. A tenant that needs the user again (multi-factor, a
// Conditional Access policy) answers an error that SignInProblem explains.
func (c *SignInCredential) SwitchTenant(ctx context.Context, tenant string) (KeptSignIn, error) {
	prev := c.tenant.Load()
	c.tenant.Store(&tenant)
	if _, err := c.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{armScope}, EnableCAE: true}); err != nil {
		c.tenant.Store(prev)
		return KeptSignIn{}, err
	}
	if c.kept == nil {
		return KeptSignIn{}, nil
	}
	k := *c.kept
	k.Tenant = tenant
	if strings.EqualFold(tenant, k.Record.TenantID) {
		k.Tenant = ""
	}
	c.cfg.Tenant = k.Tenant
	return c.keep(k.Record)
}
