package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"amlattach/azure"
	"amlattach/azure/sandbox"
	"amlattach/flows"
	"amlattach/probes"
)

// fixDemo starts one demo sandbox for every command of a test (so that a
// start is seen by the next command), with change applied to the world
// first, and returns the flags that aim `probe vm`/`fix vm` at stopped-vm.
func fixDemo(t *testing.T, change func(*sandbox.World)) []string {
	t.Helper()
	w := sandbox.DemoWorld()
	if change != nil {
		change(w)
	}
	sb, err := sandbox.Start(w)
	must(t, err)
	sharedSandbox = sb
	t.Cleanup(func() { sharedSandbox = nil; sb.Close() })
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	must(t, os.WriteFile(pw, []byte("Demo-Passw0rd!\n"), 0o600))
	return []string{"vm", "--world", "demo", "--resource-name", "stopped-vm", "--username", "azureuser", "--password-file", pw,
		"--known-hosts", filepath.Join(dir, "kh"), "--accept-new-host-key", "--timeout", "5s"}
}

func fixReport(t *testing.T, r result) flows.FixReport {
	t.Helper()
	var rep flows.FixReport
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("stdout is not one fix document: %v\n%s", err, r)
	}
	return rep
}

func fixOutcome(t *testing.T, rep flows.FixReport, id string) flows.FixOutcome {
	t.Helper()
	for _, f := range rep.Fixes {
		switch f.Status {
		case flows.FixApplied, flows.FixUnchanged, flows.FixRefused, flows.FixFailed, flows.FixPlanned: // DESIGN §8
		default:
			t.Fatalf("fixes[] holds a status outside the contract: %+v", f)
		}
	}
	for _, f := range append(append([]flows.FixOutcome{}, rep.Fixes...), rep.Advice...) {
		if f.ID == id {
			return f
		}
	}
	t.Fatalf("no fix %s among %+v (advice %+v)", id, rep.Fixes, rep.Advice)
	return flows.FixOutcome{}
}

// The demo's deallocated VM, through the real SDK against one sandbox:
// probe offers vm.start; fix without consent and --dry-run send nothing;
// fix --yes starts it (the POST only then, in the trace) and the preflight
// passes; a rerun changes nothing.
func TestFixStartsTheStoppedDemoVMOnlyWithConsent(t *testing.T) {
	args := fixDemo(t, nil)
	running := func() string {
		t.Helper()
		r := runCLI(t, nil, append([]string{"probe"}, append(args, "-o", "json")...)...)
		p := probeOf(t, report(t, r).Probes, probes.IDVMRunning)
		return p.Status
	}

	r := runCLI(t, nil, append([]string{"probe"}, append(args, "-o", "json")...)...)
	p := probeOf(t, report(t, r).Probes, probes.IDVMRunning)
	if r.code != 1 || p.Status != "fail" || p.Fix == nil || p.Fix.ID != flows.FixVMStart || p.Fix.Permission != azure.ActionVMStart ||
		!strings.Contains(p.Fix.Undo, "az vm deallocate -g ml-rg -n stopped-vm") || len(p.Fix.Changes) == 0 || p.Fix.Needs != "" {
		t.Fatalf("probe: want arm.vm.running failing with the vm.start fix, got %+v\n%s", p.Fix, r)
	}
	if q := probeOf(t, report(t, r).Probes, probes.IDVMImage); q.Fix != nil {
		t.Fatalf("a passing probe carries a fix: %+v", q.Fix)
	}

	dir := t.TempDir()
	trace := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		must(t, err)
		return string(b)
	}
	// No terminal, no --yes: exit 2, nothing sent.
	r = runCLI(t, nil, append([]string{"fix"}, append(args, "-o", "json", "--debug", filepath.Join(dir, "noconsent.log"))...)...)
	if r.code != 2 || !strings.Contains(r.stderr, "--yes") {
		t.Fatalf("fix without consent: want exit 2 naming --yes\n%s", r)
	}
	if strings.Contains(trace("noconsent.log"), "/start?") || running() != "fail" {
		t.Fatalf("fix without consent sent the start")
	}
	// --dry-run: planned, nothing sent.
	r = runCLI(t, nil, append([]string{"fix"}, append(args, "-o", "json", "--dry-run", "--debug", filepath.Join(dir, "dry.log"))...)...)
	if rep := fixReport(t, r); r.code != 1 || fixOutcome(t, rep, flows.FixVMStart).Status != flows.FixPlanned || rep.OK {
		t.Fatalf("dry run: want exit 1 with vm.start planned\n%s", r)
	}
	if strings.Contains(trace("dry.log"), "/start?") || running() != "fail" {
		t.Fatalf("--dry-run sent the start")
	}
	// --yes: applied, the preflight after passes.
	r = runCLI(t, nil, append([]string{"fix"}, append(args, "-o", "json", "--yes", "--debug", filepath.Join(dir, "yes.log"))...)...)
	rep := fixReport(t, r)
	if r.code != 0 || !rep.OK || fixOutcome(t, rep, flows.FixVMStart).Status != flows.FixApplied || probeOf(t, rep.After.Probes, probes.IDVMRunning).Status != "pass" ||
		probeOf(t, rep.Before.Probes, probes.IDVMRunning).Status != "fail" {
		t.Fatalf("fix --yes: want exit 0, vm.start applied and arm.vm.running passing after\n%s", r)
	}
	if ch := fixOutcome(t, rep, flows.FixVMStart).Changed; len(ch) != 1 || ch[0].After != "power state running" || !strings.Contains(ch[0].Before, "deallocated") {
		t.Fatalf("the applied fix does not record its change: %+v", ch)
	}
	if !strings.Contains(trace("yes.log"), "POST ") || !strings.Contains(trace("yes.log"), "/virtualMachines/stopped-vm/start?") {
		t.Fatalf("the consented fix left no POST in the trace:\n%s", trace("yes.log"))
	}
	// The trace records the fix and its change, and the rerun kept what the
	// fix did not touch; the password is nowhere.
	yes := trace("yes.log")
	if !strings.Contains(yes, "amlattach: fix vm.start (for arm.vm.running): applied: start the VM stopped-vm") ||
		!strings.Contains(yes, "amlattach:   changed: VM /subscriptions/") || !strings.Contains(yes, "-> power state running") ||
		!strings.Contains(yes, "probe ws.permission pass: kept from the run before") || strings.Contains(yes, "probe arm.vm.running pass: kept") {
		t.Fatalf("the trace does not record the fix or the rerun:\n%s", yes)
	}
	if strings.Contains(yes+r.stdout+r.stderr, "Demo-Passw0rd!") {
		t.Fatal("the password shows in the fix's output or trace")
	}
	if running() != "pass" {
		t.Fatal("the VM does not run after the fix")
	}
	// A rerun with --only: the fix is in place (unchanged), nothing sent.
	r = runCLI(t, nil, append([]string{"fix"}, append(args, "-o", "json", "--yes", "--only", "vm.start", "--debug", filepath.Join(dir, "again.log"))...)...)
	if rep := fixReport(t, r); r.code != 0 || len(rep.Fixes) != 1 || rep.Fixes[0].ID != flows.FixVMStart || rep.Fixes[0].Status != flows.FixUnchanged ||
		!strings.Contains(rep.Fixes[0].Summary, "already in place") || !rep.OK || len(rep.Fixes[0].Changed) != 0 {
		t.Fatalf("rerun: want exit 0 and vm.start unchanged\n%s", r)
	}
	if strings.Contains(trace("again.log"), "/start?") {
		t.Fatal("a fix in place already was sent again")
	}
	// The same in text: one line for what is in place, and the verdict.
	r = runCLI(t, nil, append([]string{"fix"}, append(args, "--yes")...)...)
	// (The other probes pass too: their VM fixes are listed in place as well.)
	if r.code != 0 || !strings.Contains(r.stdout, "Already in place, nothing sent: vm.start (arm.vm.running), ") ||
		!strings.Contains(r.stdout, "host.docker-setup (host.docker)") || !strings.Contains(r.stdout, "ssh.install-key (ssh.auth)") ||
		!strings.Contains(r.stdout, "The preflight passes: nothing needed fixing.") || strings.Contains(r.stdout, "Fixes to apply") {
		t.Fatalf("rerun (text): want the in-place line and the passing verdict\n%s", r)
	}
	if r := runCLI(t, nil, append([]string{"fix"}, append(args, "--only", "vm.stop")...)...); r.code != 2 || !strings.Contains(r.stderr, "--only") {
		t.Fatalf("an unknown --only: want exit 2 naming --only\n%s", r)
	}
}

// A caller whose roles do not grant the start action: the fix is shown as
// needing it and not sent, even with --yes (exit 1: the probe still fails,
// Azure refused nothing); the VM stays deallocated.
func TestFixWithoutStartPermissionSendsNothing(t *testing.T) {
	args := fixDemo(t, func(w *sandbox.World) {
		for i := range w.Subscriptions[0].ResourceGroups {
			w.Subscriptions[0].ResourceGroups[i].Permissions = &sandbox.Permissions{Actions: []string{"*"}, NotActions: []string{"Microsoft.Compute/virtualMachines/*/action"}}
		}
	})
	r := runCLI(t, nil, append([]string{"probe"}, append(args, "-o", "json")...)...)
	p := probeOf(t, report(t, r).Probes, probes.IDVMRunning)
	if p.Fix == nil || !strings.Contains(p.Fix.Needs, azure.ActionVMStart) {
		t.Fatalf("probe: want vm.start needing %s, got %+v\n%s", azure.ActionVMStart, p.Fix, r)
	}
	dir := t.TempDir()
	r = runCLI(t, nil, append([]string{"fix"}, append(args, "-o", "json", "--yes", "--debug", filepath.Join(dir, "d.log"))...)...)
	rep := fixReport(t, r)
	if f := fixOutcome(t, rep, flows.FixVMStart); r.code != 1 || f.Status != flows.FixRefused || !strings.Contains(f.Error, azure.ActionVMStart) {
		t.Fatalf("fix --yes without the permission: want exit 1, vm.start refused naming the action\n%s", r)
	}
	b, err := os.ReadFile(filepath.Join(dir, "d.log"))
	must(t, err)
	if strings.Contains(string(b), "/start?") {
		t.Fatal("a fix the caller's roles do not grant was sent")
	}
}

// In text, the preflight after vm.start lists every probe in plan order:
// those the fix touched with their new result, the others as before.
func TestFixTextShowsWhatTheRerunKept(t *testing.T) {
	args := fixDemo(t, nil)
	r := runCLI(t, nil, append([]string{"fix"}, append(args, "--yes")...)...)
	_, again, ok := strings.Cut(r.stdout, "Preflight again, after the fixes (what they touched runs again)\n")
	if r.code != 0 || !ok {
		t.Fatalf("want exit 0 and a second preflight\n%s", r)
	}
	lines := strings.Split(again, "\n")
	if !strings.Contains(lines[0], "Workspace permissions") || !strings.HasSuffix(lines[0], "(as before: not touched by the fixes)") {
		t.Fatalf("the first line of the rerun is not ws.permission kept: %q", lines[0])
	}
	running := -1
	for i, l := range lines {
		if strings.Contains(l, "VM is running") {
			running = i
		}
	}
	if running < 0 || !strings.Contains(lines[running], "✓ pass") || !strings.Contains(lines[running], "stopped-vm is running") ||
		!strings.Contains(again, "SSH login                   logged in as azureuser") || !strings.Contains(again, "After the fixes: the preflight passes.") {
		t.Fatalf("the rerun does not show the fixed probe and its dependents afresh:\n%s", again)
	}
}
