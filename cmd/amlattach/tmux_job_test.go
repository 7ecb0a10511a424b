package main

import (
	"strings"
	"testing"
)

// TestTmuxTestJob drives the real binary in a terminal: the demo's clean
// VM is attached and j runs a test job that reaches Completed with its
// output on screen; the VM whose Docker daemon is stopped, attached
// anyway, runs a test job that fails with the service's message, the cause
// and the fix it names; f shows host.docker-setup, enter applies it (a
// Run Command on the VM) and the job runs again, to Completed.
func TestTmuxTestJob(t *testing.T) {
	needTmux(t)
	bin := buildBinary(t)

	t.Run("clean VM: j, Completed, output", func(t *testing.T) {
		s := startTmux(t, bin, "demo")
		s.waitFor("Attach to this workspace?")
		s.send("Enter")
		s.waitFor("What do you want to attach?", "✓ available")
		s.send("Enter")
		s.waitFor("Which VM?")
		s.send("/")
		s.typeText("dsvm-ub")
		s.waitFor("1 of ")
		s.send("Enter")
		s.waitFor("How to reach the VM")
		s.send("Enter")
		s.waitFor("type the SSH password")
		s.typeText("Demo-Passw0rd!")
		s.send("Enter")
		s.waitFor("A new host key", "SHA256:")
		s.send("y")
		s.waitFor("Ready to attach")
		s.send("Enter")
		s.waitFor("enter attaches")
		s.send("Enter")
		s.waitFor(`Attached: compute "dsvm-ubuntu" is Succeeded`, "j runs a test job", "j run a test job")
		s.send("j")
		s.waitFor(`Test job on "dsvm-ubuntu"`, "submitted: Azure ML accepted job amlattach-dsvm-ubuntu-", "studio  https://ml.azure.com/runs/")
		screen := s.waitFor(`✓ Completed in`, `"dsvm-ubuntu" runs jobs.`, "Output (user_logs/std_log.txt):", "host: ")
		for _, st := range []string{"Queued", "Running", "Completed"} {
			if !strings.Contains(screen, st) {
				t.Fatalf("the status %s is not on screen:\n%s", st, screen)
			}
		}
		s.send("Enter")
		s.waitFor(`Attached "dsvm-ubuntu" to workspace contoso-ws`, `Test job amlattach-dsvm-ubuntu-`, "EXIT=0")
	})

	t.Run("no Docker daemon, attached anyway: j fails with the message, the cause and the fix", func(t *testing.T) {
		s := startTmux(t, bin, "demo", "--scenario", "no-daemon")
		s.waitFor("A new host key")
		s.send("y")
		s.waitFor("✗ FAIL  Docker", "Not ready")
		s.send("Enter")
		s.waitFor("f attaches anyway")
		s.send("f")
		s.waitFor("Attach anyway?")
		s.send("y")
		s.waitFor(`Attached: compute "nodaemon-vm" is Succeeded`, "j run a test job")
		s.send("j")
		s.send("i") // the side panel closes: room for the error
		screen := s.waitFor("✗ The job ended Failed", "Unable to run docker with sudo", "cause", "daemon is not running", "remedy", "f fix: host.docker-setup")
		if !strings.Contains(strings.Join(strings.Fields(screen), " "), "f shows the fix host.docker-setup") {
			t.Fatalf("the fix is not offered:\n%s", screen)
		}
		s.send("f")
		s.waitFor("Fix for the test job on \"nodaemon-vm\"", "host.docker-setup", "Nothing has been sent yet.", "then the test job runs again")
		s.send("Enter")
		s.waitFor("✓ applied  host.docker-setup", "service docker: not running -> running")
		s.waitFor(`✓ Completed in`, `"nodaemon-vm" runs jobs.`, "Output (user_logs/std_log.txt):", "host: ")
		s.send("q")
		s.waitFor(`Test job amlattach-nodaemon-vm-`, ": Failed (", ": Completed in", "EXIT=0")
	})
}
