package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The wizard's sign-in step end to end: the real azidentity device code
// credential against the sandbox's simulated Entra ID, in --plain and in a
// real terminal (tmux).

// runPlainWizard runs the wizard in-process with input on stdin, in the
// user folders authSandbox chose.
func runPlainWizard(t *testing.T, input string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	s := &streams{In: strings.NewReader(input), Out: &out, Err: &errb}
	code := run(context.Background(), args, s, func(string) string { return "" })
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

var deviceCodeLine = regexp.MustCompile(`(?m)^  ([A-Z0-9]{9})$`)

func TestPlainWizardSignsInOnceThenAsksNothing(t *testing.T) {
	sb, world, home := authSandbox(t, "")
	// Sign in with the device code (--auth chose it), keep the home
	// tenant of the two, then leave at the workspace.
	r := runPlainWizard(t, "1\nq\n", "--world", world, "demo", "--auth", "device-code", "--plain")
	for _, want := range []string{"No credential works here yet", "To sign in, open this address on any device:", sb.EntraEndpoint() + "/devicelogin", "and enter the code:", "waiting…",
		"Signed in as grace@fabrikam.example.", "1. Fabrikam 11111111-0000-0000-0000-000000000001 (signed in here: the home tenant)", "2. Northwind", "Workspace: ws"} {
		if !strings.Contains(r.stderr, want) {
			t.Fatalf("plain sign-in lacks %q\n%s", want, r)
		}
	}
	if r.code != 130 {
		t.Fatalf("leaving at the workspace: want exit 130\n%s", r)
	}
	if !deviceCodeLine.MatchString(r.stderr) {
		t.Fatalf("no device code on a line of its own\n%s", r)
	}
	// Entra ID's own sentence is not printed as well (the code is said once, our way).
	if strings.Contains(r.stderr, "To sign in, use a web browser") {
		t.Fatalf("the credential's prompt went to stderr\n%s", r)
	}
	if st := sb.SignInStats(); st.DeviceCodes != 1 || st.DeviceGrants != 1 {
		t.Fatalf("sign-in stats %+v: want one code, one grant", st)
	}
	rec := filepath.Join(home, "config", "amlattach", "sandbox-signin.json")
	if fi, err := os.Stat(rec); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the kept sign-in %s: %v %v", rec, fi, err)
	}
	for _, s := range sb.IssuedSecrets() {
		if strings.Contains(r.stdout+r.stderr, s) {
			t.Fatal("a token reached the output")
		}
	}

	// The next run over the same sandbox asks nothing.
	r = runPlainWizard(t, "q\n", "--world", world, "demo", "--auth", "device-code", "--plain")
	if strings.Contains(r.stderr, "enter the code") || strings.Contains(r.stderr, "No credential works") || !strings.Contains(r.stderr, "Workspace: ws") {
		t.Fatalf("the second run asked again\n%s", r)
	}
	if st := sb.SignInStats(); st.DeviceCodes != 1 {
		t.Fatalf("sign-in stats %+v: a second code was asked for", st)
	}
}

func TestPlainWizardSignInDeclinedSaysTheWayOut(t *testing.T) {
	_, world, _ := authSandbox(t, "  signInDeclined: true\n")
	r := runPlainWizard(t, "q\n", "--world", world, "demo", "--auth", "device-code", "--plain")
	for _, want := range []string{"✗ sign-in failed: the sign-in was declined", "fix: sign in again and accept the request", "Try again (q leaves; nothing was kept):", "1. Device code"} {
		if !strings.Contains(r.stderr, want) {
			t.Fatalf("a declined sign-in lacks %q\n%s", want, r)
		}
	}
	if r.code != 130 {
		t.Fatalf("want exit 130\n%s", r)
	}
	if _, err := os.Stat(filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "amlattach", "sandbox-signin.json")); !os.IsNotExist(err) {
		t.Fatalf("a declined sign-in was kept: %v", err)
	}
}

// In a real terminal: amlattach sandbox serve, then the demo over it with
// --auth device-code shows the address and the code on the wizard's own
// screen, moves on to the workspace by itself, and a second run asks
// nothing.
func TestTmuxDemoSignsInOnTheWizardsScreenOnce(t *testing.T) {
	needTmux(t)
	bin := buildBinary(t)
	dir := t.TempDir()
	world := filepath.Join(dir, "world.yaml")
	must(t, os.WriteFile(world, []byte(authWorld+"  signInApproveSeconds: 1.5\n"), 0o600))
	conn, _ := serveSandbox(t, world)
	home := filepath.Join(dir, "user")
	env := "TERM=xterm-256color HOME=" + home + " XDG_CONFIG_HOME=" + filepath.Join(home, "config") + " XDG_CACHE_HOME=" + filepath.Join(home, "cache")

	s := startTmuxEnv(t, env, bin, "--sandbox", conn, "demo", "--auth", "device-code")
	screen := s.waitFor("Before step 1: sign in", "1. On any device, open:", "/devicelogin", "2. Enter this code:", "the code: ")
	code := regexp.MustCompile(`the code: ([A-Z0-9]{9})`).FindStringSubmatch(screen)
	if code == nil || !strings.Contains(screen, strings.Join(strings.Split(code[1], ""), " ")) {
		t.Fatalf("no code in large on the screen:\n%s", screen)
	}
	if strings.Contains(screen, "To sign in, use a web browser") {
		t.Fatalf("the credential's own prompt was printed over the wizard:\n%s", screen)
	}
	// The simulated user approves: the tenants of the account, then the workspace.
	s.waitFor("several tenants", "Fabrikam", "Northwind")
	s.send("Enter")
	s.waitFor("Step 1 of 8: Workspace", "Signed in as   grace@fabrikam.example", "Attach to this workspace?")
	s.send("q")
	s.waitFor("EXIT=")

	// The same command again asks nothing.
	s2 := startTmuxEnv(t, env, bin, "--sandbox", conn, "demo", "--auth", "device-code")
	deadline := time.Now().Add(20 * time.Second)
	for {
		sc := s2.capture()
		if strings.Contains(sc, "Enter this code") || strings.Contains(sc, "How do you want to sign in?") {
			t.Fatalf("the second run asked to sign in again:\n%s", sc)
		}
		if strings.Contains(sc, "Attach to this workspace?") && strings.Contains(sc, "grace@fabrikam.example") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the second run never reached the workspace:\n%s", sc)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if fi, err := os.Stat(filepath.Join(home, "config", "amlattach", "sandbox-signin.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the kept sign-in: %v %v", fi, err)
	}
}
