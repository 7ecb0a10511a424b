package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"amlattach/azure"
	"amlattach/azure/sandbox"
	"amlattach/flows"
	"amlattach/probes"
)

// dockerFix aims the fix tests at the demo VM vm (one sandbox for every
// command of the test, change applied to the world first) and returns the
// flags and a function that reads a --debug trace written in dir.
func dockerFix(t *testing.T, vm string, change func(*sandbox.World)) ([]string, string) {
	t.Helper()
	args := fixDemo(t, change)
	for i, a := range args {
		if a == "stopped-vm" {
			args[i] = vm
		}
	}
	return args, t.TempDir()
}

func readTrace(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	return string(b)
}

// traceHas tells whether the trace shows a request with method to a URL
// containing path.
func traceHas(trace, method, path string) bool {
	for _, l := range strings.Split(trace, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), method+" https://") && strings.Contains(l, path) {
			return true
		}
	}
	return false
}

// demoSim is the simulated host of a demo VM, to change for a test.
func demoSim(t *testing.T, w *sandbox.World, vm string) *sandbox.Sim {
	t.Helper()
	for si := range w.Subscriptions {
		for gi := range w.Subscriptions[si].ResourceGroups {
			g := &w.Subscriptions[si].ResourceGroups[gi]
			for vi := range g.VirtualMachines {
				if g.VirtualMachines[vi].Name == vm {
					return g.VirtualMachines[vi].SSH.Sim
				}
			}
		}
	}
	t.Fatalf("no VM %s in the demo world", vm)
	return nil
}

const runCommandPath = "/virtualMachines/nodaemon-vm/runCommands/amlattach-docker-setup"

// The demo's VM whose Docker daemon is stopped, headless through the real
// SDK against one sandbox: probe offers host.docker-setup with its whole
// script; --dry-run prints the script and sends nothing; fix --yes runs it
// through a managed Run Command (PUT, GET with the instance view, DELETE
// in the trace), records what it changed, and the preflight after passes,
// as does a later probe; a rerun has nothing to fix.
func TestFixDockerSetupStartsTheDaemon(t *testing.T) {
	args, dir := dockerFix(t, "nodaemon-vm", nil)
	r := runCLI(t, nil, append([]string{"probe"}, append(args, "-o", "json")...)...)
	p := probeOf(t, report(t, r).Probes, probes.IDHostDocker)
	if r.code != 1 || p.Status != "fail" || p.Fix == nil || p.Fix.ID != flows.FixDockerSetup || p.Fix.Permission != azure.ActionRunCommandWrite ||
		p.Fix.Needs != "" || !strings.Contains(p.Fix.Script, "systemctl enable --now docker") || !strings.Contains(p.Fix.Script, "visudo -c -q -f") ||
		!strings.Contains(p.Fix.Undo, "sudo rm /etc/sudoers.d/amlattach-docker-azureuser") {
		t.Fatalf("probe: want host.docker failing with the host.docker-setup fix and its script, got %+v\n%s", p.Fix, r)
	}

	r = runCLI(t, nil, append([]string{"fix"}, append(args, "--dry-run", "--debug", filepath.Join(dir, "dry.log"))...)...)
	if r.code != 1 || !strings.Contains(r.stdout, "fix host.docker-setup (for host.docker): planned") ||
		!strings.Contains(r.stdout, "    | user='azureuser'") || !strings.Contains(r.stdout, "    |   systemctl enable --now docker") ||
		!strings.Contains(r.stdout, "permission: "+azure.ActionRunCommandWrite) {
		t.Fatalf("--dry-run: want exit 1 and the whole script listed\n%s", r)
	}
	if strings.Contains(readTrace(t, filepath.Join(dir, "dry.log")), "runCommands") {
		t.Fatal("--dry-run sent a Run Command")
	}

	r = runCLI(t, nil, append([]string{"fix"}, append(args, "-o", "json", "--yes", "--debug", filepath.Join(dir, "yes.log"))...)...)
	rep := fixReport(t, r)
	f := fixOutcome(t, rep, flows.FixDockerSetup)
	if r.code != 0 || !rep.OK || f.Status != flows.FixApplied || probeOf(t, rep.After.Probes, probes.IDHostDocker).Status != "pass" {
		t.Fatalf("fix --yes: want exit 0, host.docker-setup applied and host.docker passing after\n%s", r)
	}
	if len(f.Changed) != 1 || f.Changed[0].Resource != "service docker" || f.Changed[0].After != "running, enabled at boot" {
		t.Fatalf("the changes recorded: %+v (want only the service started: Docker was installed and sudo needs no password)", f.Changed)
	}
	trace := readTrace(t, filepath.Join(dir, "yes.log"))
	for _, want := range [][2]string{{"PUT", runCommandPath + "?api-version"}, {"GET", runCommandPath + "?%24expand="}, {"DELETE", runCommandPath + "?api-version"}} {
		if !traceHas(trace, want[0], want[1]) {
			t.Fatalf("the trace has no %s %s:\n%s", want[0], want[1], trace)
		}
	}
	if strings.Contains(r.stdout+r.stderr+trace, "Demo-Passw0rd!") {
		t.Fatal("the password reached the output or the trace")
	}

	r = runCLI(t, nil, append([]string{"probe"}, append(args, "-o", "json")...)...)
	if p := probeOf(t, report(t, r).Probes, probes.IDHostDocker); r.code != 0 || p.Status != "pass" || p.Fix != nil {
		t.Fatalf("a probe after the fix: %+v\n%s", p, r)
	}
	r = runCLI(t, nil, append([]string{"fix"}, append(args, "-o", "json", "--yes", "--only", flows.FixDockerSetup, "--debug", filepath.Join(dir, "again.log"))...)...)
	if rep := fixReport(t, r); r.code != 0 || len(rep.Fixes) != 1 || rep.Fixes[0].Status != flows.FixUnchanged || len(rep.Fixes[0].Changed) != 0 || !rep.OK {
		t.Fatalf("rerun: want exit 0 and host.docker-setup unchanged\n%s", r)
	}
	if strings.Contains(readTrace(t, filepath.Join(dir, "again.log")), "runCommands") {
		t.Fatal("a fix in place already sent a Run Command")
	}
}

// The demo VM whose Docker only root may use and whose sudo asks for a
// password: the fix writes the sudoers file (after visudo), and the
// preflight passes, through sudo -n as Azure ML runs docker.
func TestFixDockerSetupAllowsSudoDocker(t *testing.T) {
	args, _ := dockerFix(t, "sudopw-vm", nil)
	r := runCLI(t, nil, append([]string{"fix"}, append(args, "-o", "json", "--yes")...)...)
	rep := fixReport(t, r)
	f := fixOutcome(t, rep, flows.FixDockerSetup)
	if probeOf(t, rep.Before.Probes, probes.IDHostDocker).Status != "fail" {
		t.Fatalf("before: want host.docker failing\n%s", r)
	}
	after := probeOf(t, rep.After.Probes, probes.IDHostDocker)
	if r.code != 0 || f.Status != flows.FixApplied || after.Status != "pass" || !strings.Contains(after.Detail, "only through sudo -n") {
		t.Fatalf("fix --yes: want exit 0 and docker usable through sudo -n\n%s", r)
	}
	want := flows.Change{Resource: "file /etc/sudoers.d/amlattach-docker-azureuser", Before: "absent or different", After: "azureuser ALL=(root) NOPASSWD: /usr/bin/docker (mode 0440)"}
	if len(f.Changed) != 1 || f.Changed[0] != want {
		t.Fatalf("the changes recorded: %+v, want %+v", f.Changed, want)
	}
}

// Docker missing: the fix installs docker.io with apt-get. With apt's lock
// held the script exits non-zero: the fix failed (exit 3) with the
// script's own output, and nothing else changed.
func TestFixDockerSetupInstallsDockerOrSaysWhyNot(t *testing.T) {
	t.Run("installs", func(t *testing.T) {
		args, _ := dockerFix(t, "nodaemon-vm", func(w *sandbox.World) {
			sim := demoSim(t, w, "nodaemon-vm")
			sim.Docker, sim.DockerDaemon = "", false
		})
		r := runCLI(t, nil, append([]string{"fix"}, append(args, "-o", "json", "--yes")...)...)
		rep := fixReport(t, r)
		f := fixOutcome(t, rep, flows.FixDockerSetup)
		if r.code != 0 || f.Status != flows.FixApplied || probeOf(t, rep.After.Probes, probes.IDHostDocker).Status != "pass" {
			t.Fatalf("fix --yes on a VM without Docker: want exit 0 and host.docker passing\n%s", r)
		}
		if len(f.Changed) == 0 || f.Changed[0].Resource != "package docker.io" || f.Changed[0].After != "installed (apt-get)" {
			t.Fatalf("the changes recorded: %+v (want docker.io installed first)", f.Changed)
		}
	})
	t.Run("apt locked", func(t *testing.T) {
		args, _ := dockerFix(t, "nodaemon-vm", func(w *sandbox.World) {
			sim := demoSim(t, w, "nodaemon-vm")
			sim.Docker, sim.DockerDaemon, sim.AptLocked = "", false, true
		})
		r := runCLI(t, nil, append([]string{"fix"}, append(args, "-o", "json", "--yes")...)...)
		rep := fixReport(t, r)
		f := fixOutcome(t, rep, flows.FixDockerSetup)
		if r.code != 3 || rep.OK || f.Status != flows.FixFailed || len(f.Changed) != 0 ||
			!strings.Contains(f.Error, "exit status 100") || !strings.Contains(f.Error, "E: Could not get lock /var/lib/apt/lists/lock") {
			t.Fatalf("a failing script: want exit 3, the fix failed with the exit status and apt's words\n%s", r)
		}
		if probeOf(t, rep.After.Probes, probes.IDHostDocker).Status != "fail" {
			t.Fatalf("after a failed fix host.docker should still fail\n%s", r)
		}
	})
}

// A user name that is not a portable user name never goes into the root
// script: with --yes the run ends as bad input (exit 2) naming --username,
// and no Run Command is sent.
func TestFixDockerSetupRefusesAnUnsafeUserName(t *testing.T) {
	const user = "ml;touch${IFS}x"
	args, dir := dockerFix(t, "nodaemon-vm", func(w *sandbox.World) {
		demoSim(t, w, "nodaemon-vm").Users[user] = sandbox.SimUser{Password: "Demo-Passw0rd!"}
	})
	for i, a := range args {
		if a == "azureuser" {
			args[i] = user
		}
	}
	r := runCLI(t, nil, append([]string{"probe"}, append(args, "-o", "json")...)...)
	p := probeOf(t, report(t, r).Probes, probes.IDHostDocker)
	if p.Status != "fail" || p.Fix == nil || !strings.Contains(p.Fix.Needs, "--username") || p.Fix.Script != "" {
		t.Fatalf("probe: want the fix shown as not offered, naming --username, with no script: %+v\n%s", p.Fix, r)
	}
	r = runCLI(t, nil, append([]string{"fix"}, append(args, "--yes", "--debug", filepath.Join(dir, "d.log"))...)...)
	if r.code != 2 || !strings.Contains(r.stderr, "--username") || !strings.Contains(r.stderr, "portable user name") {
		t.Fatalf("fix --yes with an unsafe user name: want exit 2 naming --username\n%s", r)
	}
	if strings.Contains(readTrace(t, filepath.Join(dir, "d.log")), "runCommands") {
		t.Fatal("a Run Command was sent for an unsafe user name")
	}
}
