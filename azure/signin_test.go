package azure_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"amlattach/azure"
	"amlattach/azure/sandbox"
	"amlattach/internal/sandboxtest"
)

// The real azidentity device code credential against the sandbox's
// simulated Entra ID, with Resource Manager requiring its tokens.

const signInWorld = `
signIn:
  required: true
  username: grace@fabrikam.example
  tenants:
    - {id: 11111111-0000-0000-0000-000000000001, name: Fabrikam}
    - {id: 22222222-0000-0000-0000-000000000002, name: Northwind, blockDeviceCode: true}
subscriptions:
  - id: 00000000-0000-0000-0000-000000000001
    name: Fabrikam ML
    resourceGroups:
      - name: ml-rg
        location: eastus
        workspaces: [{name: ws}]
  - id: 00000000-0000-0000-0000-000000000002
    name: Northwind ML
    tenantId: 22222222-0000-0000-0000-000000000002
faults:
  signInApproveSeconds: 0.3
`

// signInEnv points the user's config and cache folders at the test's own.
func signInEnv(t *testing.T) string {
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
	return home
}

func signInConfig(t *testing.T, srv *sandbox.Server, prompts *[]azure.DeviceCodeMessage) azure.SignInConfig {
	st, err := azure.DefaultSignInStore(true)
	if err != nil {
		t.Fatal(err)
	}
	return azure.SignInConfig{
		Method: azure.MethodDeviceCode, AuthorityHost: srv.EntraEndpoint(), HTTPClient: srv.HTTPClient(), Store: st,
		Interactive: true, Prompt: func(m azure.DeviceCodeMessage) { *prompts = append(*prompts, m) },
		Notice: func(s string) { t.Log("notice:", s) },
	}
}

func TestDeviceCodeSignInIsRequiredKeptAndSilentNextTime(t *testing.T) {
	home := signInEnv(t)
	srv := sandboxtest.Start(t, []byte(signInWorld), "signin.yaml")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Without a token of its Entra ID, Resource Manager answers 401.
	if _, err := sandboxtest.Client(srv, azure.Options{}).ListSubscriptions(ctx); !azure.IsSignInRefused(err) {
		t.Fatalf("a sandbox token was taken by a sandbox that requires sign-in: %v", err)
	}

	var prompts []azure.DeviceCodeMessage
	cfg := signInConfig(t, srv, &prompts)
	cred, err := azure.NewSignInCredential(cfg)
	if err != nil {
		t.Fatal(err)
	}
	k, err := cred.Login(ctx)
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if len(prompts) != 1 || !strings.HasPrefix(prompts[0].VerificationURL, srv.EntraEndpoint()) || prompts[0].UserCode == "" {
		t.Fatalf("prompts = %+v", prompts)
	}
	if k.Record.Username != "grace@fabrikam.example" || k.Record.TenantID != "11111111-0000-0000-0000-000000000001" || k.Cache != azure.CachePersistent {
		t.Fatalf("kept %+v", k)
	}
	if st := srv.SignInStats(); st.DeviceGrants != 1 || st.Pending == 0 {
		t.Fatalf("stats %+v: want one grant after some pending polls", st)
	}
	fi, err := os.Stat(cfg.Store.Path())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("record file: %v, %v", fi, err)
	}
	if di, _ := os.Stat(cfg.Store.Dir); di.Mode().Perm() != 0o700 {
		t.Fatalf("record folder mode %v", di.Mode().Perm())
	}

	// The token works for the home tenant's subscriptions, and only them.
	c := azure.New(cred, azure.Options{Endpoint: srv.Endpoint(), HTTPClient: srv.HTTPClient()})
	subs, err := c.ListSubscriptions(ctx)
	if err != nil || len(subs) != 1 || subs[0].ID != "00000000-0000-0000-0000-000000000001" {
		t.Fatalf("subscriptions = %+v, %v", subs, err)
	}
	// A subscription of the other tenant refuses it: wrong issuer.
	_, err = c.ListWorkspaces(ctx, "00000000-0000-0000-0000-000000000002")
	if ae, ok := azure.AsAzureError(err); !ok || ae.Code != "InvalidAuthenticationTokenTenant" {
		t.Fatalf("other tenant's subscription: %v", err)
	}

	// The next run: a new credential, not interactive, asks nothing.
	var again []azure.DeviceCodeMessage
	cfg2 := signInConfig(t, srv, &again)
	cfg2.Interactive = false
	cred2, err := azure.NewSignInCredential(cfg2)
	if err != nil {
		t.Fatal(err)
	}
	if cred2.Kept() == nil {
		t.Fatal("the kept sign-in was not found")
	}
	if _, err := azure.New(cred2, azure.Options{Endpoint: srv.Endpoint(), HTTPClient: srv.HTTPClient()}).ListSubscriptions(ctx); err != nil {
		t.Fatalf("second run: %v", err)
	}
	if len(again) != 0 || srv.SignInStats().DeviceCodes != 1 {
		t.Fatalf("the second run asked again: %d prompts, stats %+v", len(again), srv.SignInStats())
	}

	// Nothing on disk holds a token in plain text.
	secrets := srv.IssuedSecrets()
	filepath.WalkDir(home, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		data, _ := os.ReadFile(p)
		for _, s := range secrets {
			if strings.Contains(string(data), s) {
				t.Errorf("%s holds a token in plain text", p)
			}
		}
		return nil
	})

	// Logout removes the record and the cache files.
	removed, err := cfg.Store.Remove()
	if err != nil || len(removed) < 2 {
		t.Fatalf("Remove: %v, %v", removed, err)
	}
	if st, err := azure.Status(ctx, cfg2); err != nil || st.SignedIn {
		t.Fatalf("status after logout: %+v, %v", st, err)
	}
}

func TestShortLivedTokensAreRefreshed(t *testing.T) {
	signInEnv(t)
	srv := sandboxtest.Start(t, []byte(signInWorld+"  accessTokenSeconds: 60\n"), "signin.yaml")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var prompts []azure.DeviceCodeMessage
	cred, err := azure.NewSignInCredential(signInConfig(t, srv, &prompts))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cred.Login(ctx); err != nil {
		t.Fatal(err)
	}
	c := azure.New(cred, azure.Options{Endpoint: srv.Endpoint(), HTTPClient: srv.HTTPClient()})
	for range 3 {
		if _, err := c.ListSubscriptions(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// A token that lives under five minutes is refreshed on every request
	// (MSAL and azcore both renew within five minutes of the expiry).
	if st := srv.SignInStats(); st.RefreshGrants < 2 || st.DeviceCodes != 1 {
		t.Fatalf("stats %+v: want refreshes and no second sign-in", st)
	}
}

func TestSignInProblems(t *testing.T) {
	signInEnv(t)
	for _, tc := range []struct {
		name, faults, tenant, want, fix string
	}{
		{"declined", "  signInDeclined: true\n", "", "declined", "auth login"},
		{"blocked", "", "22222222-0000-0000-0000-000000000002", "does not allow", "--auth browser"},
		{"unknown tenant", "", "33333333-0000-0000-0000-000000000003", "not found", "--tenant"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := sandboxtest.Start(t, []byte(signInWorld+tc.faults), "signin.yaml")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var prompts []azure.DeviceCodeMessage
			cfg := signInConfig(t, srv, &prompts)
			cfg.Tenant = tc.tenant
			cred, err := azure.NewSignInCredential(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = cred.Login(ctx)
			if err == nil {
				t.Fatal("signed in")
			}
			p := azure.SignInProblem(err)
			if !strings.Contains(p.Msg, tc.want) || !strings.Contains(p.Fix, tc.fix) {
				t.Fatalf("problem %+v for %v", p, err)
			}
		})
	}
}
