package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// whilePaused runs fn (typing) while the program in the pane is stopped,
// as a machine too busy to run it between keystrokes would leave it: the
// keys wait in the terminal and the program reads them together.
func (s *tmuxSession) whilePaused(fn func()) {
	s.t.Helper()
	pid := s.programPID()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		s.t.Fatalf("stopping the program: %v", err)
	}
	resumed := false
	defer func() {
		if !resumed {
			syscall.Kill(pid, syscall.SIGCONT)
		}
	}()
	fn()
	time.Sleep(300 * time.Millisecond) // tmux writes what it was sent to the terminal
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		s.t.Fatalf("resuming the program: %v", err)
	}
	resumed = true
}

// programPID is the process id of amlattach in the pane: the child of the
// pane's shell.
func (s *tmuxSession) programPID() int {
	s.t.Helper()
	shell := strings.TrimSpace(s.tmux("display-message", "-p", "-t", s.name, "#{pane_pid}"))
	b, err := os.ReadFile("/proc/" + shell + "/task/" + shell + "/children")
	if err != nil {
		s.t.Skipf("the program's process cannot be found: %v", err)
	}
	f := strings.Fields(string(b))
	if len(f) != 1 {
		s.t.Fatalf("the pane's shell has children %q, want the program alone", f)
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil {
		s.t.Fatal(err)
	}
	return pid
}

// TestTmuxKeysTypedWhileBusy: keys typed while the program cannot read
// them (a busy machine, a slow link) reach the program together; each is
// still a key, and each goes to the step the keys before it led to. Enter
// on the workspace, enter on the type, then "/" and a filter, typed at
// once, filter the VMs.
func TestTmuxKeysTypedWhileBusy(t *testing.T) {
	needTmux(t)
	bin := buildBinary(t)
	s := startTmux(t, bin, "demo")
	s.waitFor("Attach to this workspace?")
	s.whilePaused(func() {
		s.send("Enter")
		s.send("Enter")
		s.send("/")
		s.typeText("dsvm-ub")
	})
	screen := s.waitFor("Which VM?", "/ dsvm-ub", "1 of 13", "dsvm-ubuntu")
	if strings.Contains(screen, "centos-vm") {
		t.Fatalf("the filter let other VMs through:\n%s", screen)
	}

}
