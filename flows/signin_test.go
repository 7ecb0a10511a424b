package flows_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"amlattach/azure"
	"amlattach/flows"
	"amlattach/internal/sandboxtest"
)

const signInTenantsWorld = `
signIn:
  required: true
  username: grace@fabrikam.example
  tenants:
    - {id: 11111111-0000-0000-0000-000000000001, name: Fabrikam}
    - {id: 22222222-0000-0000-0000-000000000002, name: Northwind}
subscriptions:
  - id: 00000000-0000-0000-0000-000000000001
    name: Fabrikam ML
  - id: 00000000-0000-0000-0000-000000000002
    name: Northwind ML
    tenantId: 22222222-0000-0000-0000-000000000002
faults:
  signInApproveSeconds: 0.2
`

// The sign-in of the wizard with the real device code credential: events
// in order, the run's credential replaced, the tenants listed, and the
// other tenant chosen without a second code, kept for the next run.
func TestSignInRunThenAnotherTenant(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
	srv := sandboxtest.Start(t, []byte(signInTenantsWorld), "signin.yaml")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := azure.DefaultSignInStore(true)
	if err != nil {
		t.Fatal(err)
	}
	sw := azure.NewSwitchCredential(nil)
	client := azure.New(sw, azure.Options{Endpoint: srv.Endpoint(), HTTPClient: srv.HTTPClient()})
	si := &flows.SignIn{Base: azure.SignInConfig{AuthorityHost: srv.EntraEndpoint(), HTTPClient: srv.HTTPClient(), Store: st}, Cred: sw, Azure: client}

	if _, err := si.Check(ctx); err == nil {
		t.Fatal("the check passed with nobody signed in")
	} else if fe := flows.SignInError(err).(*flows.Error); fe.Kind != flows.KindCredential || !strings.Contains(fe.Msg, "nobody is signed in") {
		t.Fatalf("check error %v", fe)
	}

	var kinds []string
	res, err := si.Run(ctx, flows.MethodDeviceCode, func(ev flows.SignInEvent) {
		kinds = append(kinds, string(ev.Kind))
		if ev.Kind == flows.SignInCode && (ev.Code == "" || !strings.HasPrefix(ev.URL, srv.EntraEndpoint())) {
			t.Errorf("code event %+v", ev)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(kinds, ","); got != "code,waiting,done" {
		t.Fatalf("events %s", got)
	}
	if res.Account != "grace@fabrikam.example" || res.Tenant != "11111111-0000-0000-0000-000000000001" || len(res.Tenants) != 2 || res.Tenants[1].Name != "Northwind" {
		t.Fatalf("result %+v", res)
	}
	subs, err := client.ListSubscriptions(ctx)
	if err != nil || len(subs) != 1 || subs[0].Name != "Fabrikam ML" {
		t.Fatalf("home tenant's subscriptions %+v, %v", subs, err)
	}

	// The other tenant: its subscriptions, with no second code.
	if err := si.UseTenant(ctx, "22222222-0000-0000-0000-000000000002"); err != nil {
		t.Fatal(err)
	}
	subs, err = client.ListSubscriptions(ctx)
	if err != nil || len(subs) != 1 || subs[0].Name != "Northwind ML" {
		t.Fatalf("other tenant's subscriptions %+v, %v", subs, err)
	}
	if _, err := client.ListWorkspaces(ctx, "00000000-0000-0000-0000-000000000002"); err != nil {
		t.Fatalf("the other tenant's subscription refused its token: %v", err)
	}
	if s := srv.SignInStats(); s.DeviceCodes != 1 {
		t.Fatalf("stats %+v: the tenant switch asked for a code", s)
	}

	// The next run starts in the chosen tenant, silently.
	k, err := st.Load()
	if err != nil || k.Tenant != "22222222-0000-0000-0000-000000000002" {
		t.Fatalf("kept %+v, %v", k, err)
	}
	next, err := azure.NewSignInCredential(azure.SignInConfig{Method: k.Method, AuthorityHost: srv.EntraEndpoint(), HTTPClient: srv.HTTPClient(), Store: st})
	if err != nil || next.Kept() == nil {
		t.Fatalf("next run: %v", err)
	}
	subs, err = azure.New(next, azure.Options{Endpoint: srv.Endpoint(), HTTPClient: srv.HTTPClient()}).ListSubscriptions(ctx)
	if err != nil || len(subs) != 1 || subs[0].Name != "Northwind ML" {
		t.Fatalf("next run's subscriptions %+v, %v", subs, err)
	}
	if s := srv.SignInStats(); s.DeviceCodes != 1 {
		t.Fatalf("stats %+v: the next run asked for a code", s)
	}
}

// A cancelled sign-in keeps nothing and leaves the run's credential alone.
func TestSignInCancelledKeepsNothing(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
	srv := sandboxtest.Start(t, []byte(strings.Replace(signInTenantsWorld, "0.2", "30", 1)), "signin.yaml")
	st, _ := azure.DefaultSignInStore(true)
	sw := azure.NewSwitchCredential(nil)
	si := &flows.SignIn{Base: azure.SignInConfig{AuthorityHost: srv.EntraEndpoint(), HTTPClient: srv.HTTPClient(), Store: st}, Cred: sw,
		Azure: azure.New(sw, azure.Options{Endpoint: srv.Endpoint(), HTTPClient: srv.HTTPClient()})}
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	_, err := si.Run(ctx, flows.MethodDeviceCode, func(ev flows.SignInEvent) {
		if ev.Kind == flows.SignInWaiting {
			cancel()
		}
	})
	if err == nil || ctx.Err() == nil || time.Since(start) > 10*time.Second {
		t.Fatalf("Run after cancel: %v after %v", err, time.Since(start))
	}
	if sw.Current() != nil {
		t.Fatal("a cancelled sign-in replaced the run's credential")
	}
	if _, err := os.Stat(st.Path()); !os.IsNotExist(err) {
		t.Fatalf("a cancelled sign-in was kept: %v", err)
	}
}

func TestWorkspaceMemoryPerAccount(t *testing.T) {
	m := &flows.WorkspaceMemory{Path: filepath.Join(t.TempDir(), "amlattach", "last-workspace.json")}
	if _, ok := m.Last("ada@contoso.example"); ok {
		t.Fatal("remembered before anything was chosen")
	}
	a := flows.Workspace{SubscriptionID: "s1", ResourceGroup: "g1", Name: "ws-a", Location: "eastus"}
	b := flows.Workspace{SubscriptionID: "s2", ResourceGroup: "g2", Name: "ws-b"}
	if err := m.Remember("Ada@Contoso.example", a); err != nil {
		t.Fatal(err)
	}
	if err := m.Remember("grace@fabrikam.example", b); err != nil {
		t.Fatal(err)
	}
	if got, ok := m.Last("ada@contoso.example"); !ok || got != a {
		t.Fatalf("ada's: %+v %v", got, ok)
	}
	if got, ok := m.Last("grace@fabrikam.example"); !ok || got != b {
		t.Fatalf("grace's: %+v %v", got, ok)
	}
	fi, err := os.Stat(m.Path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("memory file: %v %v", fi, err)
	}
	if di, _ := os.Stat(filepath.Dir(m.Path)); di.Mode().Perm() != 0o700 {
		t.Fatalf("memory folder mode %v", di.Mode().Perm())
	}
}

// A sign-in that stops working later in the run (its refresh token
// expired) does not wait for a code nobody sees: the request fails at once.
func TestSignInExpiredLaterFailsAtOnce(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
	srv := sandboxtest.Start(t, []byte(signInTenantsWorld+"  accessTokenSeconds: 1\n  refreshTokenSeconds: 1\n"), "signin.yaml")
	st, _ := azure.DefaultSignInStore(true)
	sw := azure.NewSwitchCredential(nil)
	client := azure.New(sw, azure.Options{Endpoint: srv.Endpoint(), HTTPClient: srv.HTTPClient()})
	si := &flows.SignIn{Base: azure.SignInConfig{AuthorityHost: srv.EntraEndpoint(), HTTPClient: srv.HTTPClient(), Store: st}, Cred: sw, Azure: client}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	codes := 0
	if _, err := si.Run(ctx, flows.MethodDeviceCode, func(ev flows.SignInEvent) {
		if ev.Kind == flows.SignInCode {
			codes++
		}
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	start := time.Now()
	_, err := client.ListSubscriptions(ctx)
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("an expired sign-in: %v after %v", err, time.Since(start))
	}
	if codes != 1 {
		t.Fatalf("%d codes shown: the later one went to the finished sign-in's screen", codes)
	}
}
