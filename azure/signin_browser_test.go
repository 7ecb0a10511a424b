//go:build !windows

package azure_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"amlattach/azure"
	"amlattach/azure/sandbox"
	"amlattach/internal/sandboxtest"
)

// The real azidentity interactive browser credential (and MSAL's own
// browser opener and localhost listener) against the sandbox's Entra ID.

// decoyBrowser puts a folder first on PATH whose openers (what MSAL's
// browser package looks up) record that they ran and fail: the user's own
// browser. It returns the file they write.
func decoyBrowser(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ran := filepath.Join(dir, "ran")
	script := "#!/bin/sh\necho \"$0 $1\" >> '" + ran + "'\nexit 3\n"
	for _, n := range []string{"xdg-open", "x-www-browser", "www-browser", "open"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(script), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return ran
}

func browserConfig(t *testing.T, srv *sandbox.Server) azure.SignInConfig {
	st, err := azure.DefaultSignInStore(true)
	if err != nil {
		t.Fatal(err)
	}
	return azure.SignInConfig{
		Method: azure.MethodBrowser, AuthorityHost: srv.EntraEndpoint(), HTTPClient: srv.HTTPClient(), Store: st,
		Interactive: true, Notice: func(s string) { t.Log("notice:", s) },
		OpenURL: azure.SandboxBrowser(srv.EntraEndpoint(), srv.HTTPClient()),
	}
}

func TestBrowserSignInCompletesAgainstTheSandbox(t *testing.T) {
	signInEnv(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	ran := decoyBrowser(t)
	path := os.Getenv("PATH")
	srv := sandboxtest.Start(t, []byte(signInWorld), "signin.yaml")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	cfg := browserConfig(t, srv)
	cred, err := azure.NewSignInCredential(cfg)
	if err != nil {
		t.Fatal(err)
	}
	k, err := cred.Login(ctx)
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if k.Method != azure.MethodBrowser || k.Record.Username != "grace@fabrikam.example" || k.Record.TenantID != "11111111-0000-0000-0000-000000000001" {
		t.Fatalf("kept %+v", k)
	}
	if st := srv.SignInStats(); st.CodeGrants != 1 || st.DeviceCodes != 0 {
		t.Fatalf("stats %+v: want one authorization code grant", st)
	}
	if b, err := os.ReadFile(ran); err == nil {
		t.Fatalf("the user's own browser was opened against the sandbox: %s", b)
	}
	if got := os.Getenv("PATH"); got != path {
		t.Fatalf("PATH after the sign-in:\n%s\nwant\n%s", got, path)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "amlattach-browser-*")); len(left) != 0 {
		t.Fatalf("the shim folder was left behind: %v", left)
	}

	// The token works with Resource Manager, which requires the sandbox's.
	c := azure.New(cred, azure.Options{Endpoint: srv.Endpoint(), HTTPClient: srv.HTTPClient()})
	if _, err := c.ListSubscriptions(ctx); err != nil {
		t.Fatalf("ListSubscriptions with the browser sign-in: %v", err)
	}

	// The next run is silent: the kept record and the token cache.
	cfg2 := browserConfig(t, srv)
	cfg2.Interactive = false
	cred2, err := azure.NewSignInCredential(cfg2)
	if err != nil {
		t.Fatal(err)
	}
	if cred2.Kept() == nil {
		t.Fatal("the next run found no kept sign-in")
	}
	if _, err := cred2.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://management.core.windows.net//.default"}, EnableCAE: true}); err != nil {
		t.Fatalf("silent GetToken: %v", err)
	}
	if st := srv.SignInStats(); st.CodeGrants != 1 {
		t.Fatalf("the next run signed in again: %+v", st)
	}
}

// Without OpenURL (Azure) nothing is replaced: MSAL runs the opener it
// finds on PATH, the user's browser, as before.
func TestBrowserSignInWithoutOpenURLOpensTheSystemBrowser(t *testing.T) {
	signInEnv(t)
	ran := decoyBrowser(t)
	srv := sandboxtest.Start(t, []byte(signInWorld), "signin.yaml")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := browserConfig(t, srv)
	cfg.OpenURL = nil
	cred, err := azure.NewSignInCredential(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cred.Login(ctx); err == nil {
		t.Fatal("Login succeeded though the system browser failed")
	}
	b, err := os.ReadFile(ran)
	if err != nil || !strings.Contains(string(b), srv.EntraEndpoint()+"/") || !strings.Contains(string(b), "/oauth2/v2.0/authorize?") {
		t.Fatalf("the system opener was not run with the authorize address: %q %v", b, err)
	}
	if st := srv.SignInStats(); st.CodeGrants != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestBrowserSignInRefusedByTheTenant(t *testing.T) {
	signInEnv(t)
	decoyBrowser(t)
	world := strings.Replace(signInWorld, "name: Northwind, blockDeviceCode: true", "name: Northwind, blockBrowser: true", 1)
	srv := sandboxtest.Start(t, []byte(world), "signin.yaml")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := browserConfig(t, srv)
	cfg.Tenant = "22222222-0000-0000-0000-000000000002"
	cred, err := azure.NewSignInCredential(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cred.Login(ctx)
	if err == nil {
		t.Fatal("Login succeeded in a tenant that blocks the browser flow")
	}
	if p := azure.SignInProblem(err); !strings.Contains(p.Fix, "device-code") {
		t.Fatalf("problem %+v for %v", p, err)
	}
	if ctx.Err() != nil {
		t.Fatal("the refusal was not reported until the deadline")
	}
}

func TestSandboxBrowserOpensOnlyTheSandbox(t *testing.T) {
	srv := sandboxtest.Start(t, []byte(signInWorld), "signin.yaml")
	open := azure.SandboxBrowser(srv.EntraEndpoint(), srv.HTTPClient())
	for _, addr := range []string{
		"https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize?client_id=x",
		"http://" + strings.TrimPrefix(srv.EntraEndpoint(), "https://") + "/organizations/oauth2/v2.0/authorize",
		srv.Endpoint() + "/subscriptions",
	} {
		if err := open(context.Background(), addr); err == nil || !strings.Contains(err.Error(), "opens only its own Entra ID") {
			t.Errorf("%s: %v", addr, err)
		}
	}
	// An authorize request whose redirect is not on the loopback: the
	// sandbox refuses it, and the browser says so.
	err := open(context.Background(), srv.EntraEndpoint()+"/organizations/oauth2/v2.0/authorize?client_id=x&response_mode=form_post&redirect_uri=https%3A%2F%2Fexample.com%2Fcb")
	if err == nil || !strings.Contains(err.Error(), "answered 400") {
		t.Fatalf("a redirect off the loopback: %v", err)
	}
}
