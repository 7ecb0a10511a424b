package main

import (
	"strings"
	"testing"

	"amlattach/azure/sandbox"
	"amlattach/flows"
	"amlattach/probes"
)

// worldVM is a demo VM's entry in w, to change for a test.
func worldVM(t *testing.T, w *sandbox.World, name string) *sandbox.VM {
	t.Helper()
	for si := range w.Subscriptions {
		for gi := range w.Subscriptions[si].ResourceGroups {
			g := &w.Subscriptions[si].ResourceGroups[gi]
			for vi := range g.VirtualMachines {
				if g.VirtualMachines[vi].Name == name {
					return &g.VirtualMachines[vi]
				}
			}
		}
	}
	t.Fatalf("no VM %s in the demo world", name)
	return nil
}

// A VM with neither a public IP nor an NSG: arm.nsg.ssh passes (nothing
// filters a NIC that has no public address). ip.create gives it a Standard
// public IP, closed to inbound traffic without an NSG: the rerun must judge
// arm.nsg.ssh again (it follows the public IP), fail it and offer
// nsg.create for the next run (consent covered ip.create only), never
// report nsg.create "already in place". A second fix --yes applies
// nsg.create and the preflight passes; the attach then goes through.
func TestFixIPCreateUncoversNSGCreate(t *testing.T) {
	noNSG := func(w *sandbox.World) { worldVM(t, w, "no-ip-vm").NSGRules = nil }
	args, _ := netDemo(t, "no-ip-vm", noNSG)
	r := runCLI(t, nil, append([]string{"probe"}, append(args, "-o", "json")...)...)
	if p := probeOf(t, report(t, r).Probes, probes.IDNSGSSH); p.Status != "pass" {
		t.Fatalf("before: want arm.nsg.ssh passing (no public IP, no NSG), got %+v\n%s", p, r)
	}

	r = runCLI(t, nil, append([]string{"fix"}, append(args, "-o", "json", "--yes")...)...)
	rep := fixReport(t, r)
	if f := fixOutcome(t, rep, flows.FixIPCreate); f.Status != flows.FixApplied {
		t.Fatalf("want ip.create applied\n%s", r)
	}
	nsg := probeOf(t, rep.After.Probes, probes.IDNSGSSH)
	if r.code != 1 || rep.OK || nsg.Status != "fail" || nsg.Fix == nil || nsg.Fix.ID != flows.FixNSGCreate || nsg.Fix.Needs != "" {
		t.Fatalf("after ip.create: want exit 1, arm.nsg.ssh failing afresh with nsg.create offered, got %+v\n%s", nsg, r)
	}
	for _, f := range rep.Fixes {
		if f.Probe == probes.IDNSGSSH {
			t.Fatalf("a fix of arm.nsg.ssh is reported although its probe fails after the run: %+v\n%s", f, r)
		}
	}

	// The second run applies what the first uncovered.
	r = runCLI(t, nil, append([]string{"fix"}, append(args, "-o", "json", "--yes")...)...)
	rep = fixReport(t, r)
	if f := fixOutcome(t, rep, flows.FixNSGCreate); r.code != 0 || !rep.OK || f.Status != flows.FixApplied ||
		probeOf(t, rep.After.Probes, probes.IDNSGSSH).Status != "pass" {
		t.Fatalf("second fix: want exit 0 with nsg.create applied\n%s", r)
	}
	if f := fixOutcome(t, rep, flows.FixIPCreate); f.Status != flows.FixUnchanged {
		t.Fatalf("second fix: want ip.create in place, got %+v", f)
	}
	r = runCLI(t, nil, append([]string{"attach"}, append(args, "--yes", "-o", "json")...)...)
	if r.code != 0 {
		t.Fatalf("attach after both fixes\n%s", r)
	}

	// In text, the run says what is offered now, and claims nothing in place
	// for the probe that fails.
	args, _ = netDemo(t, "no-ip-vm", noNSG)
	r = runCLI(t, nil, append([]string{"fix"}, append(args, "--yes")...)...)
	if r.code != 1 || !strings.Contains(r.stdout, "After the fixes: a probe still fails.") ||
		!strings.Contains(r.stdout, "Now offered (run fix again to apply it): nsg.create (for arm.nsg.ssh)") ||
		strings.Contains(r.stdout, "nsg.create (arm.nsg.ssh)") {
		t.Fatalf("text: want nsg.create offered for the next run, not in place\n%s", r)
	}
}
