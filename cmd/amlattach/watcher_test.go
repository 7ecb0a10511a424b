package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"amlattach/azure/sandbox"
	"amlattach/flows"
	"amlattach/probes"
)

// Network Watcher's verdict in arm.nsg.ssh, through the CLI on the demo
// world: not asked while the VM is deallocated (the probe says why), asked
// again in the preflight that follows the start fix, where it agrees with
// our reading.
func TestWatcherAskedAgainAfterAFix(t *testing.T) {
	args := fixDemo(t, nil)
	dir := t.TempDir()
	r := runCLI(t, nil, append([]string{"fix"}, append(args, "-o", "json", "--yes", "--debug", filepath.Join(dir, "trace.log"))...)...)
	rep := fixReport(t, r)
	if r.code != 0 || fixOutcome(t, rep, flows.FixVMStart).Status != flows.FixApplied {
		t.Fatalf("fix --yes on stopped-vm\n%s", r)
	}
	before := probeOf(t, rep.Before.Probes, probes.IDNSGSSH)
	after := probeOf(t, rep.After.Probes, probes.IDNSGSSH)
	if before.Status != "pass" || !strings.Contains(before.Detail, "Network Watcher could not check the path: it checks only a running VM (stopped-vm is deallocated)") {
		t.Fatalf("before the start: %+v", before)
	}
	if after.Status != "pass" || !strings.Contains(after.Detail, "Network Watcher says Allow by rule securityRules/AllowAMLSSH (NetworkWatcher_eastus, TCP from 198.51.100.1 (AzureMachineLearning.EastUS) to 10.4.0.4:22): it agrees") {
		t.Fatalf("after the start: %+v", after)
	}
	trace, err := os.ReadFile(filepath.Join(dir, "trace.log"))
	must(t, err)
	// Every POST is in the trace: the start and one IP flow verify, none
	// while the VM was deallocated.
	if n := strings.Count(string(trace), "Try=1 for POST https://"); n != 2 || !strings.Contains(string(trace), "/networkWatchers/NetworkWatcher_eastus/ipFlowVerify?") {
		t.Fatalf("the trace holds %d IP flow verify requests, want 2 (the start, then IP flow verify after it)", n)
	}
}

// A network manager admin rule the NSGs do not show: probe -o json fails
// arm.nsg.ssh on Network Watcher's word, saying that our reading allowed
// it; in a region without a watcher the same VM passes on our reading, and
// the result says why Azure was not asked.
func TestWatcherVerdictInProbeJSON(t *testing.T) {
	deny := func(w *sandbox.World) {
		g := &w.Subscriptions[0].ResourceGroups[0]
		for i := range g.VirtualMachines {
			if g.VirtualMachines[i].Name == "dsvm-ubuntu" {
				g.VirtualMachines[i].AdminRules = []sandbox.AdminRule{{Name: "DenyInboundSSH", Priority: 10, Access: "Deny", Direction: "Inbound", Source: "*", Protocol: "Tcp", Ports: "22"}}
			}
		}
	}
	args := fixDemo(t, deny)
	for i, a := range args {
		if a == "stopped-vm" {
			args[i] = "dsvm-ubuntu"
		}
	}
	r := runCLI(t, nil, append([]string{"probe"}, append(args, "-o", "json")...)...)
	p := probeOf(t, report(t, r).Probes, probes.IDNSGSSH)
	if r.code != 1 || p.Status != "fail" || !strings.HasPrefix(p.Detail, "Network Watcher says Deny by rule DenyInboundSSH") ||
		!strings.Contains(p.Detail, "our reading of the NSGs said allow") || !strings.Contains(p.Remedy, "security admin rule") {
		t.Fatalf("want arm.nsg.ssh failing on Network Watcher's verdict: %+v\n%s", p, r)
	}

	args2 := fixDemo(t, func(w *sandbox.World) {
		deny(w)
		w.Subscriptions[0].NoNetworkWatcherIn = []string{"eastus"}
	})
	for i, a := range args2 {
		if a == "stopped-vm" {
			args2[i] = "dsvm-ubuntu"
		}
	}
	r = runCLI(t, nil, append([]string{"probe"}, append(args2, "-o", "json")...)...)
	p = probeOf(t, report(t, r).Probes, probes.IDNSGSSH)
	if p.Status != "pass" || !strings.Contains(p.Detail, "Network Watcher could not check the path: there is no Network Watcher in eastus") {
		t.Fatalf("without a watcher: want our pass and why Azure was not asked: %+v\n%s", p, r)
	}
}
