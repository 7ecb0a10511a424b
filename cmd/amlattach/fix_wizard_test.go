package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"amlattach/azure/sandbox"
	"amlattach/flows"
)

// runPlainCLI runs amlattach with --plain answers on stdin, with a config
// folder of the test's own (the sandbox's known_hosts starts empty).
func runPlainCLI(t *testing.T, answers []string, args ...string) result {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	var out, errb bytes.Buffer
	s := &streams{In: strings.NewReader(strings.Join(answers, "\n") + "\n"), Out: &out, Err: &errb}
	code := run(context.Background(), append(args, "--plain"), s, func(string) string { return "" })
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// The plain wizard on the demo's stopped VM, through the real SDK against
// one sandbox: the preflight fails, f lists vm.start and asks; a yes starts
// the VM, the fixed probes run again and pass, and the attach succeeds.
// The password never reaches the output.
func TestPlainWizardFixesTheStoppedDemoVM(t *testing.T) {
	fixDemo(t, nil)
	// f, yes to the fix, yes to the VM's new host key, yes to the attach
	r := runPlainCLI(t, []string{"f", "y", "y", "y"}, "demo", "--scenario", "stopped")
	text := r.stderr
	for _, want := range []string{"FAIL  VM is running: stopped-vm is deallocated", "f fixes arm.vm.running: start the VM stopped-vm (vm.start)",
		"permission: Microsoft.Compute/virtualMachines/start/action", "Apply vm.start now? (y/N)", "vm.start submitted: Starting",
		"✓ vm.start applied", "power state deallocated -> power state running", "PASS  VM is running: stopped-vm is running",
		"New host key for 20.1.2.7:22", "PASS  SSH login", `✓ Attached: compute "stopped-vm" is Succeeded.`} {
		if !strings.Contains(text, want) {
			t.Fatalf("lacks %q:\n%s", want, r)
		}
	}
	if r.code != 0 || strings.Contains(r.stdout+r.stderr, "Demo-Passw0rd!") {
		t.Fatalf("exit %d (or the password shown)\n%s", r.code, r)
	}
}

// Plain doctor of an attachment whose VM was deallocated since: doctor's
// probes fail on the power state, f starts the VM (after a yes), and the
// probes run again with the stored login and pass.
func TestPlainDoctorStartsTheDeallocatedVM(t *testing.T) {
	fixDemo(t, func(w *sandbox.World) {
		ws := &w.Subscriptions[0].ResourceGroups[0].Workspaces[0]
		ws.Computes = append(ws.Computes, sandbox.Compute{Name: "stopped-att", Type: "VirtualMachine", ProvisioningState: "Succeeded",
			ResourceID: "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/stopped-vm",
			Properties: sandbox.ComputeProperties{Address: "20.1.2.7", SSHPort: 22, AdministratorAccount: sandbox.AdminAccount{Username: "azureuser", Password: "Demo-Passw0rd!"}}})
	})
	// Find the compute's number in the list the plain doctor prints.
	probe := runPlainCLI(t, []string{"", strconv.Itoa(len(flows.Targets()) + 1), "q"}, "--world", "demo")
	n := ""
	for _, l := range strings.Split(probe.stderr, "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[1] == "stopped-att:" {
			n = strings.TrimSuffix(f[0], ".")
		}
	}
	if n == "" {
		t.Fatalf("stopped-att is not listed:\n%s", probe)
	}
	// the workspace, troubleshoot, the compute, f, yes to the fix, yes to
	// the VM's new host key (the rerun logs in), a report, then leave
	dir := t.TempDir()
	trace, report := filepath.Join(dir, "trace.log"), filepath.Join(dir, "doctor.md")
	r := runPlainCLI(t, []string{"", strconv.Itoa(len(flows.Targets()) + 1), n, "f", "y", "y", "w", report, "q"}, "--world", "demo", "--debug", trace)
	text := r.stderr
	for _, want := range []string{`Doctor of "stopped-att"`, "FAIL  VM is running", "f shows the fix (vm.start) and applies it after a yes",
		"Apply vm.start now? (y/N)", "✓ vm.start applied", "PASS  VM is running: stopped-vm is running", "New host key for 20.1.2.7:22",
		"PASS  SSH login: logged in as azureuser@20.1.2.7:22 with password", "14 probes: 13 pass, 1 skip.\nThe compute looks healthy."} { // no ws.name: the name is the compute's own
		if !strings.Contains(text, want) {
			t.Fatalf("lacks %q:\n%s", want, r)
		}
	}
	if strings.Contains(r.stdout+r.stderr, "Demo-Passw0rd!") {
		t.Fatalf("the stored password is shown:\n%s", r)
	}
	// The record of the change: in the --debug trace and in the report.
	for file, want := range map[string]string{trace: "fix vm.start (for arm.vm.running): applied", report: "## Fixes applied"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), want) || !strings.Contains(string(b), "power state deallocated -> power state running") || strings.Contains(string(b), "Demo-Passw0rd!") {
			t.Fatalf("%s lacks the fix's record (or shows the password):\n%s", file, b)
		}
	}
}

// The other broken demo VMs of issue 12's "Done when", in the plain wizard
// on one sandbox each: the preflight fails, f offers the fix and asks, a yes
// applies it, the fixed probe runs again and passes, and the attach
// succeeds. answers are the lines typed, in the order the wizard asks.
func TestPlainWizardFixesEachBrokenDemoVM(t *testing.T) {
	for _, c := range []struct {
		scenario, vm, fix string
		answers           []string
		want              []string
	}{
		{"closed-nsg", "closed-nsg-vm", flows.FixNSGAllowAMLSSH, []string{"y", "f", "y", "y"},
			[]string{"FAIL  NSG allows Azure ML on SSH", "permission: Microsoft.Network/networkSecurityGroups/securityRules/write",
				"✓ nsg.allow-aml-ssh applied", "PASS  NSG allows Azure ML on SSH"}},
		{"no-daemon", "nodaemon-vm", flows.FixDockerSetup, []string{"y", "f", "y", "y"},
			[]string{"FAIL  Docker", "permission: Microsoft.Compute/virtualMachines/runCommands/write", "✓ host.docker-setup applied", "PASS  Docker"}},
		{"no-public-ip", "no-ip-vm", flows.FixIPCreate, []string{"f", "y", "y", "y"},
			[]string{"FAIL  Public IP address", "permission: Microsoft.Network/publicIPAddresses/write", "✓ ip.create applied", "PASS  Public IP address",
				"PASS  SSH login"}},
	} {
		t.Run(c.scenario, func(t *testing.T) {
			fixDemo(t, nil)
			r := runPlainCLI(t, c.answers, "demo", "--scenario", c.scenario)
			for _, want := range append(c.want, "Apply "+c.fix+" now? (y/N)", `✓ Attached: compute "`+c.vm+`" is Succeeded.`) {
				if !strings.Contains(r.stderr, want) {
					t.Fatalf("lacks %q:\n%s", want, r)
				}
			}
			if r.code != 0 || strings.Contains(r.stdout+r.stderr, "Demo-Passw0rd!") {
				t.Fatalf("exit %d (or the password shown)\n%s", r.code, r)
			}
		})
	}
}
