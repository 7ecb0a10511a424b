//go:build !windows

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"amlattach/azure/sandbox"
)

// auth login --auth browser end to end on the sandbox: the real azidentity
// interactive browser credential, MSAL's own opener lookup and listener,
// the sandbox's simulated browser in place of the user's.

// userBrowser puts openers first on PATH that record that they ran: the
// user's own browser, which a sandbox run must never open.
func userBrowser(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ran := filepath.Join(dir, "ran")
	for _, n := range []string{"xdg-open", "x-www-browser", "www-browser", "open"} {
		must(t, os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\necho \"$0\" >> '"+ran+"'\nexit 3\n"), 0o700))
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return ran
}

func TestAuthLoginBrowserOnTheSandbox(t *testing.T) {
	sb, world, home := authSandbox(t, "")
	ran := userBrowser(t)
	path := os.Getenv("PATH")
	debug := filepath.Join(home, "trace.log")
	var runs []result

	r := runCLI(t, nil, "auth", "login", "--auth", "browser", "--world", world, "--debug", debug+".login")
	runs = append(runs, r)
	if r.code != 0 || !strings.Contains(r.stdout, "Signed in to the sandbox as grace@fabrikam.example") || !strings.Contains(r.stdout, "browser") {
		t.Fatalf("login:\n%s", r)
	}
	if b, err := os.ReadFile(ran); err == nil {
		t.Fatalf("the user's browser was opened: %s", b)
	}
	if os.Getenv("PATH") != path {
		t.Fatalf("PATH changed: %s", os.Getenv("PATH"))
	}

	r = runCLI(t, nil, "auth", "status", "-o", "json", "--world", world)
	runs = append(runs, r)
	st := decodeStatus(t, r)
	if r.code != 0 || !st.SignedIn || st.Method != "browser" || st.Account != "grace@fabrikam.example" || st.Cache != "persistent" {
		t.Fatalf("status after login: %+v\n%s", st, r)
	}
	if fi, err := os.Stat(st.File); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the record file %s: %v %v", st.File, fi, err)
	}

	// The next commands are silent, with --auth browser or without.
	for _, args := range [][]string{{"list", "-o", "json", "--debug", debug}, {"list", "--auth", "browser"}} {
		r = runCLI(t, nil, append(args, "--world", world)...)
		runs = append(runs, r)
		if r.code != 0 {
			t.Fatalf("%v after login:\n%s", args, r)
		}
	}
	if s := sb.SignInStats(); s.CodeGrants != 1 || s.DeviceCodes != 0 {
		t.Fatalf("the later commands signed in again: %+v", s)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Fatal("the user's browser was opened by a later command")
	}

	// No token, refresh token or authorization code anywhere.
	trace, err := os.ReadFile(debug + ".login")
	must(t, err)
	listTrace, err := os.ReadFile(debug)
	must(t, err)
	trace = append(trace, listTrace...)
	if !strings.Contains(string(trace), "/oauth2/v2.0/token") {
		t.Fatalf("the trace has no token request; it is not the run's:\n%s", trace)
	}
	secrets := sb.IssuedSecrets()
	if len(secrets) < 3 {
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
			t.Fatalf("a token or code (%d characters) shows in the output, the trace or a file", len(s))
		}
	}
}

// startAuthWorld is authSandbox with a world of the test's own.
func startAuthWorld(t *testing.T, world string) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
	file := filepath.Join(home, "world.yaml")
	must(t, os.WriteFile(file, []byte(world), 0o600))
	w, err := sandbox.LoadWorldFile(file)
	must(t, err)
	sb, err := sandbox.Start(w)
	must(t, err)
	sharedSandbox = sb
	t.Cleanup(func() { sharedSandbox = nil; sb.Close() })
	return file
}

func TestAuthLoginBrowserErrors(t *testing.T) {
	for _, tc := range []struct {
		name, extra string
		args        []string
		want        []string
	}{
		{"declined", "  signInDeclined: true\n", nil, []string{"sign-in failed", "declined"}},
		{"tenant blocks the browser", "", []string{"--tenant", "33333333-0000-0000-0000-000000000003"}, []string{"--auth device-code"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// a third tenant that refuses the browser flow
			w := strings.Replace(authWorld, "    - {id: 22222222",
				"    - {id: 33333333-0000-0000-0000-000000000003, name: Contoso, blockBrowser: true}\n    - {id: 22222222", 1)
			world := startAuthWorld(t, w+tc.extra)
			userBrowser(t)
			r := runCLI(t, nil, append([]string{"auth", "login", "--auth", "browser", "--world", world}, tc.args...)...)
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

// The wizard's sign-in step with --auth browser on the sandbox: it signs in
// by itself (the simulated browser), moves on to the workspace, and the
// next run asks nothing.
func TestPlainWizardBrowserSignInOnTheSandbox(t *testing.T) {
	sb, world, _ := authSandbox(t, "")
	ran := userBrowser(t)
	r := runPlainWizard(t, "1\nq\n", "--world", world, "demo", "--auth", "browser", "--plain")
	for _, want := range []string{"No credential works here yet", "Signed in as grace@fabrikam.example.", "Workspace: ws"} {
		if !strings.Contains(r.stderr, want) {
			t.Fatalf("plain browser sign-in lacks %q\n%s", want, r)
		}
	}
	if r.code != 130 || strings.Contains(r.stderr, "enter the code") {
		t.Fatalf("want exit 130 at the workspace, no device code\n%s", r)
	}
	if st := sb.SignInStats(); st.CodeGrants != 1 || st.DeviceCodes != 0 {
		t.Fatalf("sign-in stats %+v: want one authorization code grant", st)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Fatal("the user's browser was opened")
	}
	for _, s := range sb.IssuedSecrets() {
		if strings.Contains(r.stdout+r.stderr, s) {
			t.Fatal("a token or code reached the output")
		}
	}
	r = runPlainWizard(t, "q\n", "--world", world, "demo", "--auth", "browser", "--plain")
	if strings.Contains(r.stderr, "No credential works") || !strings.Contains(r.stderr, "Workspace: ws") {
		t.Fatalf("the second run asked again\n%s", r)
	}
	if st := sb.SignInStats(); st.CodeGrants != 1 {
		t.Fatalf("sign-in stats %+v: the second run signed in again", st)
	}
}
