package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// tmuxSession drives the built binary in a real terminal: a tmux server of
// the test's own, one window of 100x30.
type tmuxSession struct {
	t    *testing.T
	sock string
	name string
}

// The binary the tests drive is built once per test run (TestMain removes
// its folder at the end).
var (
	builtOnce sync.Once
	builtDir  string
	builtBin  string
	builtErr  error
)

// buildBinary builds amlattach once per test run and returns its path.
func buildBinary(t *testing.T) string {
	t.Helper()
	builtOnce.Do(func() {
		if builtDir, builtErr = os.MkdirTemp("", "amlattach-bin-"); builtErr != nil {
			return
		}
		builtBin = filepath.Join(builtDir, "amlattach")
		if out, err := exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput(); err != nil {
			builtErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if builtErr != nil {
		t.Fatal(builtErr)
	}
	return builtBin
}

func needTmux(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("AMLATTACH_REQUIRE_REAL") == "1" {
			t.Fatal("tmux is required (AMLATTACH_REQUIRE_REAL=1) but not installed")
		}
		t.Skip("tmux not installed")
	}
}

// startTmux runs `amlattach args...` in a new detached session with an
// isolated HOME and config folder; the shell prints the exit code when the
// program ends and keeps the pane open.
func startTmux(t *testing.T, bin string, args ...string) *tmuxSession {
	t.Helper()
	return startTmuxEnv(t, "TERM=xterm-256color", bin, args...)
}

// startTmuxEnv is startTmux with environment assignments such as "NO_COLOR=1 TERM=xterm".
func startTmuxEnv(t *testing.T, env, bin string, args ...string) *tmuxSession {
	t.Helper()
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	s := &tmuxSession{t: t, sock: filepath.Join(dir, "tmux.sock"), name: "amlattach"}
	script := "env -i PATH=/usr/bin:/bin HOME=" + home + " XDG_CONFIG_HOME=" + filepath.Join(home, ".config") +
		" " + env + " " + bin + " " + strings.Join(args, " ") + "; echo EXIT=$?; sleep 300"
	s.tmux("new-session", "-d", "-s", s.name, "-x", "100", "-y", "30", "sh", "-c", script)
	t.Cleanup(func() { exec.Command("tmux", "-S", s.sock, "kill-server").Run() })
	return s
}

func (s *tmuxSession) tmux(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", s.sock}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (s *tmuxSession) capture() string { return s.tmux("capture-pane", "-p", "-t", s.name) }

// captureEscapes is the screen with its colours and attributes as escapes.
func (s *tmuxSession) captureEscapes() string {
	return s.tmux("capture-pane", "-p", "-e", "-t", s.name)
}

// send types keys (tmux key names: Enter, Escape, C-u, ...).
func (s *tmuxSession) send(keys ...string) {
	s.t.Helper()
	s.tmux(append([]string{"send-keys", "-t", s.name}, keys...)...)
}

// typeText types literally.
func (s *tmuxSession) typeText(text string) {
	s.t.Helper()
	s.tmux("send-keys", "-t", s.name, "-l", text)
}

// waitFor polls the screen until it shows every text, or fails at the deadline.
func (s *tmuxSession) waitFor(texts ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		screen := s.capture()
		ok := true
		for _, text := range texts {
			if !strings.Contains(screen, text) {
				ok = false
			}
		}
		if ok {
			return screen
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the screen never showed %q:\n%s", texts, screen)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestTmuxDemo(t *testing.T) {
	needTmux(t)
	bin := buildBinary(t)

	t.Run("clean attach, every step", func(t *testing.T) {
		s := startTmux(t, bin, "demo")
		s.waitFor("SANDBOX — simulated Azure, nothing leaves this machine", "Attach to this workspace?")
		s.send("Enter")
		s.waitFor("What do you want to attach?", "✓ available")
		s.send("Enter")
		s.waitFor("Which VM?", "already attached as old-dsvm")
		s.send("/")
		s.typeText("gpu")
		s.waitFor("1 of 13")
		s.send("Enter")
		s.waitFor("How to reach the VM", `"gpu-dsvm" is free in contoso-ws`)
		s.send("Enter")
		s.waitFor("type the SSH password")
		s.typeText("Demo-Passw0rd!")
		s.send("Enter")
		s.waitFor("A new host key", "SHA256:")
		s.send("y")
		s.waitFor("15 probes: 15 pass.", "Ready to attach")
		s.send("Enter")
		s.waitFor("administratorAccount.password: ********", "enter attaches")
		s.send("Enter")
		s.waitFor("Attaching \"gpu-dsvm\"", "submitted")
		screen := s.waitFor(`Attached: compute "gpu-dsvm" is Succeeded`, `compute="gpu-dsvm"`)
		if strings.Contains(screen, "Demo-Passw0rd!") {
			t.Fatal("the password is on screen")
		}
		s.send("Enter")
		s.waitFor(`Attached "gpu-dsvm" to workspace contoso-ws`, "EXIT=0")
	})

	t.Run("failing preflight, edit the field, run again", func(t *testing.T) {
		s := startTmux(t, bin, "demo", "--scenario", "wrong-password")
		s.waitFor("A new host key")
		s.send("y")
		s.waitFor("✗ FAIL  SSH login", "Not ready", "e edit the password")
		s.send("e")
		s.waitFor("Fix the field, then enter runs the preflight again", "› Password")
		s.send("C-u")
		s.typeText("Demo-Passw0rd!")
		s.send("Enter")
		s.waitFor("✓ pass  SSH login", "Ready to attach")
		s.send("q")
		s.waitFor("Quit amlattach?")
		s.send("y")
		s.waitFor("nothing was sent to Azure", "EXIT=130")
	})

	t.Run("NO_COLOR draws no colour, glyphs and words stay", func(t *testing.T) {
		s := startTmuxEnv(t, "NO_COLOR=1 TERM=xterm-256color", bin, "demo", "--scenario", "no-daemon")
		s.waitFor("A new host key")
		s.send("y")
		s.waitFor("✗ FAIL  Docker", "✓ pass  SSH login")
		if esc := s.captureEscapes(); strings.Contains(esc, "\x1b[") {
			t.Fatalf("colour escapes with NO_COLOR:\n%q", esc)
		}
		s.send("C-c")
		s.waitFor("Quit amlattach?")
		s.send("y")
		s.waitFor("EXIT=130")
	})

	t.Run("troubleshoot: doctor of an expired Databricks token", func(t *testing.T) {
		s := startTmux(t, bin, "--world", "demo")
		s.waitFor("Attach to this workspace?")
		s.send("Enter")
		s.waitFor("What do you want to attach?", "t troubleshoots")
		s.send("t")
		s.waitFor("Computes of contoso-ws", "CONFLICT", "aks-tiny", "✗ Failed")
		s.send("/")
		s.typeText("dbx-legacy")
		s.waitFor("1 of 7")
		s.send("Enter")
		s.waitFor(`Doctor of "dbx-legacy"`, "✗ FAIL  Access token works", "the token has expired", "r reattaches")
		s.send("i") // the side panel closes: room for the remedy
		s.send("NPage")
		screen := s.waitFor("Remedy:", "r does this here")
		if !strings.Contains(strings.Join(strings.Fields(screen), " "), "attach again") {
			t.Fatalf("no reattach remedy:\n%s", screen)
		}
		s.send("r")
		s.waitFor("Details of the Databricks workspace", `reattach: "dbx-legacy"`)
		s.send("Escape")
		s.waitFor(`Doctor of "dbx-legacy"`)
		s.send("q")
		s.waitFor("EXIT=0")
	})

	t.Run("TERM=dumb asks line by line", func(t *testing.T) {
		s := startTmuxEnv(t, "TERM=dumb", bin, "demo", "--scenario", "clean-attach")
		s.waitFor("plain mode", "Accept it and save it to")
		s.send("y", "Enter")
		s.waitFor("15 probes: 15 pass.", "Attach now? (y/N)")
		s.send("n", "Enter")
		s.waitFor("nothing was sent to Azure", "EXIT=130")
	})
}

// TestTmuxWizardListsEverySubscription: the VM step of the real binary
// lists the VMs of every subscription, page by page, with a SUBSCRIPTION
// column, and a filter typed while pages still arrive keeps working.
func TestTmuxWizardListsEverySubscription(t *testing.T) {
	needTmux(t)
	bin := buildBinary(t)
	var b strings.Builder
	b.WriteString("subscriptions:\n")
	for si, name := range []string{"Alpha Team", "Beta Team"} {
		fmt.Fprintf(&b, "  - id: 00000000-0000-0000-0000-00000000a%03d\n    name: %s\n    resourceGroups:\n      - name: rg-%d\n        location: eastus\n", si, name, si)
		if si == 0 {
			b.WriteString("        workspaces:\n          - name: ws\n")
		}
		b.WriteString("        virtualMachines:\n")
		for v := 0; v < 30; v++ {
			fmt.Fprintf(&b, "          - {name: vm-%d-%02d}\n", si, v)
		}
	}
	b.WriteString("faults:\n  pageSize: 5\n  armLatencyMs: 60\n")
	world := filepath.Join(t.TempDir(), "two-subs.yaml")
	if err := os.WriteFile(world, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startTmux(t, bin, "--world", world)
	s.waitFor("Attach to this workspace?")
	s.send("Enter")
	s.waitFor("What do you want to attach?")
	s.send("Enter")
	s.send("/")
	s.typeText("vm-1-2")
	s.waitFor("60 VMs in 2 subscriptions", "SUBSCRIPTION", "Beta Team", "10 of 60", "vm-1-29")
	if screen := s.capture(); strings.Contains(screen, "vm-0-") {
		t.Fatalf("the filter let through a row of the other subscription:\n%s", screen)
	}
}
