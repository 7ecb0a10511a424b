package main

import (
	"context"
	"strings"
	"testing"

	"amlattach/azure"
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

// closed-nsg-vm with an inbound Deny at priority 200 from 198.51.100.0/24,
// a range our reading of the NSG cannot resolve (it holds the sandbox's
// AzureMachineLearning.EastUS addresses, 198.51.100.0/28): the probe's
// remedy and nsg.allow-aml-ssh put the rule before it, not at 1000 where
// the Deny would still win; after the fix the preflight (Network Watcher
// included) passes and the attach, decided on the NSG as it stands, goes
// through.
func TestFixNSGRuleComesBeforeADenyOfAnUnresolvedRange(t *testing.T) {
	args, az := netDemo(t, "closed-nsg-vm", func(w *sandbox.World) {
		vm := worldVM(t, w, "closed-nsg-vm")
		rules := append(*vm.NSGRules, sandbox.NSGRule{Name: "DenyPartnerSSH", Priority: 200, Direction: "Inbound", Access: "Deny",
			Source: "198.51.100.0/24", Protocol: "Tcp", Ports: "22"})
		vm.NSGRules = &rules
	})
	r := runCLI(t, nil, append([]string{"probe"}, append(args, "-o", "json")...)...)
	p := probeOf(t, report(t, r).Probes, probes.IDNSGSSH)
	if p.Status != "fail" || !strings.Contains(p.Remedy, "--priority 190 ") || p.Fix == nil || p.Fix.ID != flows.FixNSGAllowAMLSSH ||
		!strings.Contains(strings.Join(p.Fix.Changes, "\n"), "priority: 190") {
		t.Fatalf("probe: want the remedy and the fix at priority 190, before the Deny at 200; got %+v %+v\n%s", p, p.Fix, r)
	}
	r = runCLI(t, nil, append([]string{"fix"}, append(args, "-o", "json", "--yes")...)...)
	rep := fixReport(t, r)
	if f := fixOutcome(t, rep, flows.FixNSGAllowAMLSSH); r.code != 0 || !rep.OK || f.Status != flows.FixApplied ||
		probeOf(t, rep.After.Probes, probes.IDNSGSSH).Status != "pass" {
		t.Fatalf("fix --yes: want exit 0 and arm.nsg.ssh passing after\n%s", r)
	}
	g, err := az.GetNSG(context.Background(), demoNet("networkSecurityGroups", "closed-nsg-vm-nsg"))
	must(t, err)
	ours, found := azure.SecurityRule{}, false
	for _, rule := range g.Rules {
		if rule.Name == "AllowAzureMLSSH" {
			ours, found = rule, true
		}
	}
	if !found || ours.Priority >= 200 {
		t.Fatalf("our rule must come before the Deny at 200: %+v", g.Rules)
	}
	r = runCLI(t, nil, append([]string{"attach"}, append(args, "--yes", "-o", "json")...)...)
	if r.code != 0 {
		t.Fatalf("attach after the fix\n%s", r)
	}
}

// A rule that Network Watcher names as denying is put after ours even when
// our reading of the NSG lets Azure ML in: here our reading skips a Deny of
// the workspace region's own addresses (a prefix it cannot resolve) and
// takes a later Allow of another region's tag for Azure ML's, while Azure
// finds the Deny deciding. Without Azure's word nothing would be offered.
func TestFixNSGRuleComesBeforeTheRuleNetworkWatcherNames(t *testing.T) {
	args, _ := netDemo(t, "closed-nsg-vm", func(w *sandbox.World) {
		vm := worldVM(t, w, "closed-nsg-vm")
		rules := append(*vm.NSGRules,
			sandbox.NSGRule{Name: "DenyEastUS", Priority: 250, Direction: "Inbound", Access: "Deny", Source: "198.51.100.0/28", Protocol: "Tcp", Ports: "22"},
			sandbox.NSGRule{Name: "AllowWestEurope", Priority: 260, Direction: "Inbound", Access: "Allow", Source: "AzureMachineLearning.WestEurope", Protocol: "Tcp", Ports: "22"})
		vm.NSGRules = &rules
	})
	r := runCLI(t, nil, append([]string{"fix"}, append(args, "-o", "json", "--yes")...)...)
	rep := fixReport(t, r)
	before := probeOf(t, rep.Before.Probes, probes.IDNSGSSH)
	if before.Status != "fail" || !strings.Contains(before.Detail, "DenyEastUS") {
		t.Fatalf("before: want Network Watcher's Deny by DenyEastUS, got %+v\n%s", before, r)
	}
	if f := fixOutcome(t, rep, flows.FixNSGAllowAMLSSH); r.code != 0 || f.Status != flows.FixApplied || len(f.Changed) != 1 ||
		!strings.Contains(f.Changed[0].After, "priority 240") {
		t.Fatalf("fix --yes: want our rule at 240, before DenyEastUS, and the preflight passing\n%s", r)
	}
}

// A job on an attached VM is decided on the VM's network as it stands
// (after fixes), as an attach is, not on the world file's rules.
// no-nsg-vm, attached before (the world's compute no-nsg): its Standard
// public IP with no NSG is closed, so the job fails unreachable; after
// nsg.create the same compute runs a job. closed-nsg-vm: fix, attach, and
// the job completes.
func TestJobFollowsTheNetworkAsFixesLeaveIt(t *testing.T) {
	quick := func(w *sandbox.World) {
		w.Faults.JobStepSeconds, w.Faults.AttachSeconds = 0.05, 0.1
		ws := &w.Subscriptions[0].ResourceGroups[0].Workspaces[0]
		ws.Computes = append(ws.Computes, sandbox.Compute{Name: "no-nsg", Type: "VirtualMachine", ProvisioningState: "Succeeded",
			ResourceID: "/subscriptions/" + demoSub + "/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/no-nsg-vm",
			Properties: sandbox.ComputeProperties{Address: "20.1.2.11", SSHPort: 22,
				AdministratorAccount: sandbox.AdminAccount{Username: "azureuser", Password: "Demo-Passw0rd!"}}})
	}
	args, _ := netDemo(t, "no-nsg-vm", quick)
	r := runCLI(t, nil, "job", "no-nsg", "--world", "demo", "-o", "json")
	rep := jobDoc(t, r)
	if r.code != 3 || rep.Job.Status != "Failed" || rep.Error == nil || !strings.Contains(rep.Error.Message, "Unable to establish SSH connection") {
		t.Fatalf("no NSG before a Standard IP: want the job Failed, unreachable\n%s", r)
	}
	// (exit 1: the VM is attached already, as ws.duplicate says.)
	r = runCLI(t, nil, append([]string{"fix"}, append(args, "--yes", "-o", "json", "--only", flows.FixNSGCreate)...)...)
	if f := fixOutcome(t, fixReport(t, r), flows.FixNSGCreate); f.Status != flows.FixApplied {
		t.Fatalf("nsg.create\n%s", r)
	}
	r = runCLI(t, nil, "job", "no-nsg", "--world", "demo", "-o", "json")
	if rep := jobDoc(t, r); r.code != 0 || rep.Job.Status != "Completed" {
		t.Fatalf("after nsg.create: want the job Completed\n%s", r)
	}

	args, _ = netDemo(t, "closed-nsg-vm", quick)
	if r := runCLI(t, nil, append([]string{"fix"}, append(args, "--yes")...)...); r.code != 0 {
		t.Fatalf("fix\n%s", r)
	}
	if r := runCLI(t, nil, append([]string{"attach"}, append(args, "--name", "closed", "--yes")...)...); r.code != 0 {
		t.Fatalf("attach\n%s", r)
	}
	r = runCLI(t, nil, "job", "closed", "--world", "demo", "-o", "json")
	if rep := jobDoc(t, r); r.code != 0 || rep.Job.Status != "Completed" {
		t.Fatalf("closed-nsg-vm after the fix: want the job Completed\n%s", r)
	}
}

// nsg.create makes the NSG, then its NIC update is refused twice for a
// stale etag: the fix fails (exit 3) having changed something. What it
// changed is listed, the probes it touched run again, and the run never
// says "Nothing was changed."
func TestAFixThatFailsHalfWayReportsWhatItChanged(t *testing.T) {
	args, az := netDemo(t, "no-nsg-vm", func(w *sandbox.World) { w.Faults.ETagConflicts = 2 })
	r := runCLI(t, nil, append([]string{"fix"}, append(args, "--yes")...)...)
	if r.code != 3 || !strings.Contains(r.stdout, "fix nsg.create (for arm.nsg.ssh): failed") ||
		!strings.Contains(r.stdout, "changed: NSG /subscriptions/") || !strings.Contains(r.stdout, "Preflight again, after the fixes") ||
		strings.Contains(r.stdout, "Nothing was changed.") {
		t.Fatalf("want exit 3, the NSG made listed, a preflight after and no \"Nothing was changed.\"\n%s", r)
	}
	if _, err := az.GetNSG(context.Background(), demoNet("networkSecurityGroups", "no-nsg-vm-nsg")); err != nil {
		t.Fatalf("the NSG the fix reports made is not there: %v", err)
	}
}

// Another client installs the Azure ML extension between k8s.extension's
// read and its PUT: the PUT (If-None-Match: *) is answered 412 and
// overwrites nothing; the fix reads the cluster again, finds the extension
// Succeeded, and ends unchanged, with the preflight after passing. One PUT
// only.
func TestFixK8sExtensionCreatedMeanwhileIsNotOverwritten(t *testing.T) {
	trace := k8sDemo(t, func(w *sandbox.World) { w.Faults.ExtensionRaces = 1 })
	args := []string{"kubernetes", "--world", "demo", "--resource-id", demoGroup + "Microsoft.ContainerService/managedClusters/aks-noext", "--timeout", "5s"}
	log := trace("race.log")
	r := runCLI(t, nil, append([]string{"fix"}, append(args, "-o", "json", "--yes", "--debug", log)...)...)
	rep := fixReport(t, r)
	f := fixOutcome(t, rep, flows.FixK8sExtension)
	if r.code != 0 || !rep.OK || f.Status != flows.FixUnchanged || len(f.Changed) != 0 || probeOf(t, rep.After.Probes, probes.IDK8sExtension).Status != "pass" {
		t.Fatalf("want exit 0, k8s.extension unchanged and the preflight passing after\n%s", r)
	}
	tr := readTrace(t, log)
	if n := puts(tr, "/providers/Microsoft.KubernetesConfiguration/extensions/azureml"); n != 1 || !strings.Contains(tr, "RESPONSE Status: 412") {
		t.Fatalf("want one PUT of the extension, answered 412; got %d\n%s", n, tr)
	}
	if !strings.Contains(strings.ToLower(tr), "if-none-match: *") {
		t.Fatalf("the PUT does not carry If-None-Match: *\n%s", tr)
	}
}
