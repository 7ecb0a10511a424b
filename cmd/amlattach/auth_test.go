package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"amlattach/azure/sandbox"
)

// auth login / status / logout end to end: the real azidentity device code
// credential against the sandbox's simulated Entra ID, with Resource
// Manager requiring its tokens.

const authWorld = `
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
faults:
`

// authSandbox writes the world (with extra appended), starts one sandbox
// for all the commands of the test, and points the user's folders at the
// test's own. It returns the world flag's value and the home folder.
func authSandbox(t *testing.T, extra string) (*sandbox.Server, string, string) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
	world := filepath.Join(home, "world.yaml")
	if !strings.Contains(extra, "signInApproveSeconds") {
		extra += "  signInApproveSeconds: 0.2\n"
	}
	must(t, os.WriteFile(world, []byte(authWorld+extra), 0o600))
	w, err := sandbox.LoadWorldFile(world)
	must(t, err)
	sb, err := sandbox.Start(w)
	must(t, err)
	sharedSandbox = sb
	t.Cleanup(func() { sharedSandbox = nil; sb.Close() })
	return sb, world, home
}

type authStatus struct {
	SignedIn  bool      `json:"signedIn"`
	Account   string    `json:"account"`
	Tenant    string    `json:"tenant"`
	Method    string    `json:"method"`
	Authority string    `json:"authority"`
	ExpiresOn time.Time `json:"expiresOn"`
	Cache     string    `json:"cache"`
	Problem   string    `json:"problem"`
	File      string    `json:"file"`
	Sandbox   bool      `json:"sandbox"`
}

func decodeStatus(t *testing.T, r result) authStatus {
	t.Helper()
	var st authStatus
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		t.Fatalf("auth status -o json: %v\n%s", err, r)
	}
	return st
}

func TestAuthLoginStatusLogoutOnTheSandbox(t *testing.T) {
	sb, world, home := authSandbox(t, "")
	debug := filepath.Join(home, "trace.log")
	var runs []result

	// Nobody signed in: status says so (exit 4), and a command is refused
	// with the way out.
	r := runCLI(t, nil, "auth", "status", "-o", "json", "--world", world)
	runs = append(runs, r)
	if st := decodeStatus(t, r); r.code != 4 || st.SignedIn || st.Cache != "none" {
		t.Fatalf("status before login: %+v\n%s", st, r)
	}
	r = runCLI(t, nil, "list", "--world", world)
	runs = append(runs, r)
	if r.code != 4 || !strings.Contains(r.stderr, "requires sign-in") || !strings.Contains(r.stderr, "auth login") {
		t.Fatalf("list before login:\n%s", r)
	}

	r = runCLI(t, nil, "auth", "login", "--auth", "device-code", "--world", world, "--debug", debug+".login")
	runs = append(runs, r)
	if r.code != 0 {
		t.Fatalf("login:\n%s", r)
	}
	if n := strings.Count(r.stderr, "enter the code"); n != 1 || !strings.Contains(r.stderr, sb.EntraEndpoint()+"/devicelogin") {
		t.Fatalf("the device code was shown %d times:\n%s", n, r)
	}
	if !strings.Contains(r.stdout, "Signed in to the sandbox as grace@fabrikam.example") {
		t.Fatalf("login output:\n%s", r)
	}

	r = runCLI(t, nil, "auth", "status", "-o", "json", "--world", world)
	runs = append(runs, r)
	st := decodeStatus(t, r)
	if r.code != 0 || !st.SignedIn || st.Account != "grace@fabrikam.example" || st.Tenant != "11111111-0000-0000-0000-000000000001" ||
		st.Method != "device-code" || st.Cache != "persistent" || !st.Sandbox || !st.ExpiresOn.After(time.Now().Add(30*time.Minute)) {
		t.Fatalf("status after login: %+v\n%s", st, r)
	}
	if fi, err := os.Stat(st.File); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the record file %s: %v %v", st.File, fi, err)
	}
	filepath.WalkDir(filepath.Join(home, "cache"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, _ := d.Info(); fi.Mode().Perm()&0o077 != 0 {
				t.Errorf("cache file %s has mode %v", p, fi.Mode().Perm())
			}
		}
		return err
	})

	// The next commands ask nothing: the kept sign-in works silently.
	r = runCLI(t, nil, "list", "-o", "json", "--world", world, "--debug", debug)
	runs = append(runs, r)
	if r.code != 0 || strings.Contains(r.stderr, "enter the code") {
		t.Fatalf("list after login:\n%s", r)
	}
	r = runCLI(t, nil, "list", "--auth", "device-code", "--world", world)
	runs = append(runs, r)
	if r.code != 0 || strings.Contains(r.stderr, "enter the code") {
		t.Fatalf("list --auth device-code after login:\n%s", r)
	}
	if s := sb.SignInStats(); s.DeviceCodes != 1 {
		t.Fatalf("the later commands asked for a new code: %+v", s)
	}

	r = runCLI(t, nil, "auth", "logout", "--world", world)
	runs = append(runs, r)
	if r.code != 0 || !strings.Contains(r.stdout, "Signed out grace@fabrikam.example") {
		t.Fatalf("logout:\n%s", r)
	}
	if _, err := os.Stat(st.File); !os.IsNotExist(err) {
		t.Fatalf("the record is still there: %v", err)
	}
	r = runCLI(t, nil, "auth", "status", "-o", "json", "--world", world)
	runs = append(runs, r)
	if st := decodeStatus(t, r); r.code != 4 || st.SignedIn {
		t.Fatalf("status after logout: %+v\n%s", st, r)
	}

	// No token, refresh token or device code anywhere: output, errors,
	// the trace, the files left behind.
	trace, err := os.ReadFile(debug + ".login")
	must(t, err)
	listTrace, err := os.ReadFile(debug)
	must(t, err)
	trace = append(trace, listTrace...)
	if !strings.Contains(string(trace), "/oauth2/v2.0/token") {
		t.Fatalf("the trace has no token request; it is not the run's:\n%s", trace)
	}
	secrets := sb.IssuedSecrets()
	if len(secrets) < 4 {
		t.Fatalf("the sandbox issued %d secrets", len(secrets))
	}
	var all strings.Builder
	for _, r := range runs {
		all.WriteString(r.stdout + r.stderr)
	}
	all.Write(trace)
	filepath.WalkDir(home, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(p)
			all.Write(data)
		}
		return nil
	})
	for _, s := range secrets {
		if strings.Contains(all.String(), s) {
			t.Fatalf("a token (%d characters) shows in the output, the trace or a file", len(s))
		}
	}
}

func TestAuthLoginErrors(t *testing.T) {
	for _, tc := range []struct {
		name, extra string
		args        []string
		want        []string
	}{
		{"declined", "  signInDeclined: true\n", nil, []string{"sign-in failed: the sign-in was declined", "fix: sign in again"}},
		{"expired", "  deviceCodeSeconds: 0.5\n  signInApproveSeconds: 30\n", nil, []string{"the device code expired"}},
		{"tenant needs another method", "", []string{"--tenant", "22222222-0000-0000-0000-000000000002"}, []string{"does not allow this sign-in method", "--auth browser"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, world, _ := authSandbox(t, tc.extra)
			r := runCLI(t, nil, append([]string{"auth", "login", "--auth", "device-code", "--world", world}, tc.args...)...)
			if r.code != 4 {
				t.Fatalf("exit %d, want 4\n%s", r.code, r)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Fatalf("stderr lacks %q\n%s", w, r)
				}
			}
		})
	}
}

func TestAuthLoginCannotKeep(t *testing.T) {
	_, world, home := authSandbox(t, "")
	// A config folder that cannot be made (its parent is a file): as a
	// read-only home, even for root.
	blocker := filepath.Join(home, "file")
	must(t, os.WriteFile(blocker, nil, 0o600))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(blocker, "config"))
	r := runCLI(t, nil, "auth", "login", "--auth", "device-code", "--world", world)
	if r.code != 4 || !strings.Contains(r.stderr, "cannot be kept") || !strings.Contains(r.stderr, "XDG_CONFIG_HOME") {
		t.Fatalf("login with an unwritable config folder:\n%s", r)
	}
	// A command still works for this run, with a notice.
	r = runCLI(t, nil, "list", "--auth", "device-code", "--world", world)
	if r.code != 0 || !strings.Contains(r.stderr, "the next run asks again") {
		t.Fatalf("list with an unwritable config folder:\n%s", r)
	}
}
