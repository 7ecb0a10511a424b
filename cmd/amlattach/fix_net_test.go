package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"amlattach/azure"
	"amlattach/azure/sandbox"
	"amlattach/flows"
	"amlattach/internal/sandboxtest"
	"amlattach/probes"
)

// netDemo starts one demo sandbox for every command of a test, with change
// applied to the world first, and returns the flags that aim `probe vm` /
// `fix vm` / `attach vm` at vm, and a facade on the same sandbox to look at
// what the commands changed.
func netDemo(t *testing.T, vm string, change func(*sandbox.World)) ([]string, *azure.Client) {
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
	return []string{"vm", "--world", "demo", "--resource-name", vm, "--username", "azureuser", "--password-file", pw,
		"--known-hosts", filepath.Join(dir, "kh"), "--accept-new-host-key", "--timeout", "5s"}, sandboxtest.Client(sb, azure.Options{})
}

func demoNet(typ, name string) azure.ResourceID {
	id, err := azure.ParseResourceID("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/ml-rg/providers/Microsoft.Network/" + typ + "/" + name)
	if err != nil {
		panic(err)
	}
	return id
}

// traceOf runs a command with --debug into a file of dir and returns the
// result and the trace.
func traceOf(t *testing.T, dir, name string, args ...string) (result, string) {
	t.Helper()
	p := filepath.Join(dir, name)
	r := runCLI(t, nil, append(args, "--debug", p)...)
	b, err := os.ReadFile(p)
	must(t, err)
	return r, string(b)
}

// puts counts the PUT requests sent to paths containing part, by the
// SDK's log of each try in a trace.
func puts(trace, part string) int {
	n := 0
	for _, l := range strings.Split(trace, "\n") {
		if tryRE.MatchString(l) && strings.Contains(l, " for PUT ") && strings.Contains(l, part) {
			n++
		}
	}
	return n
}

var tryRE = regexp.MustCompile(`Try=\d+ for `)

// closed-nsg-vm, whose NSG lets SSH in from an office range only: probe
// offers nsg.allow-aml-ssh with the PUT it will send; --dry-run sends
// nothing; fix --yes adds an AzureMachineLearning-only rule that wins over
// Azure's DenyAllInBound, the whole preflight passes after it and the
// attach (which the sandbox decides from the NSG as it stands) succeeds; a
// second fix has nothing to do.
func TestFixNSGAllowAMLSSHOnTheClosedNSGDemoVM(t *testing.T) {
	args, az := netDemo(t, "closed-nsg-vm", nil)
	dir := t.TempDir()
	r := runCLI(t, nil, append([]string{"probe"}, append(args, "-o", "json")...)...)
	p := probeOf(t, report(t, r).Probes, probes.IDNSGSSH)
	if r.code != 1 || p.Status != "fail" || p.Fix == nil || p.Fix.ID != flows.FixNSGAllowAMLSSH || p.Fix.Permission != azure.ActionSecurityRuleWrite || p.Fix.Needs != "" {
		t.Fatalf("probe: want arm.nsg.ssh failing with nsg.allow-aml-ssh, got %+v\n%s", p.Fix, r)
	}
	changes := strings.Join(p.Fix.Changes, "\n")
	for _, want := range []string{"PUT /subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/ml-rg/providers/Microsoft.Network/networkSecurityGroups/closed-nsg-vm-nsg/securityRules/AllowAzureMLSSH",
		"If-Match", "sourceAddressPrefix: AzureMachineLearning", "destinationPortRange: 22", "priority: 1000", "DenyAllInBound"} {
		if !strings.Contains(changes, want) {
			t.Errorf("the changes shown do not say %q:\n%s", want, changes)
		}
	}
	if p.Fix.Undo != "az network nsg rule delete -g ml-rg --nsg-name closed-nsg-vm-nsg -n AllowAzureMLSSH" {
		t.Errorf("undo: %q", p.Fix.Undo)
	}

	r, trace := traceOf(t, dir, "dry.log", append([]string{"fix"}, append(args, "-o", "json", "--dry-run")...)...)
	if rep := fixReport(t, r); r.code != 1 || fixOutcome(t, rep, flows.FixNSGAllowAMLSSH).Status != flows.FixPlanned {
		t.Fatalf("dry run: want exit 1 with the fix planned\n%s", r)
	}
	if strings.Contains(trace, "PUT ") {
		t.Fatalf("--dry-run sent a PUT:\n%s", trace)
	}

	r, trace = traceOf(t, dir, "yes.log", append([]string{"fix"}, append(args, "-o", "json", "--yes")...)...)
	rep := fixReport(t, r)
	f := fixOutcome(t, rep, flows.FixNSGAllowAMLSSH)
	if r.code != 0 || !rep.OK || f.Status != flows.FixApplied || probeOf(t, rep.After.Probes, probes.IDNSGSSH).Status != "pass" {
		t.Fatalf("fix --yes: want exit 0, applied, the preflight passing after\n%s", r)
	}
	if len(f.Changed) != 1 || !strings.Contains(f.Changed[0].Before, "DenyAllInBound") || !strings.Contains(f.Changed[0].After, "AllowAzureMLSSH (priority 1000, made by amlattach)") {
		t.Fatalf("the change is not recorded before -> after: %+v", f.Changed)
	}
	if puts(trace, "/securityRules/AllowAzureMLSSH") != 1 {
		t.Fatalf("want one PUT of the rule in the trace:\n%s", trace)
	}
	g, err := az.GetNSG(context.Background(), demoNet("networkSecurityGroups", "closed-nsg-vm-nsg"))
	must(t, err)
	for _, rule := range g.Rules {
		if rule.Allow && rule.Inbound {
			for _, s := range rule.Sources {
				if s == "*" || strings.EqualFold(s, "Internet") || s == "0.0.0.0/0" {
					t.Fatalf("a rule opens SSH wider than Azure ML: %+v", rule)
				}
			}
		}
		if rule.Name == "AllowAzureMLSSH" && !strings.Contains(rule.Description, "amlattach") {
			t.Fatalf("the rule does not say amlattach made it: %+v", rule)
		}
	}

	// A second fix: nothing to fix (every fix in place), nothing sent.
	r, trace = traceOf(t, dir, "again.log", append([]string{"fix"}, append(args, "-o", "json", "--yes")...)...)
	rep2 := fixReport(t, r)
	for _, f := range rep2.Fixes {
		if f.Status != flows.FixUnchanged {
			t.Fatalf("a second fix: want every fix unchanged, got %+v\n%s", f, r)
		}
	}
	if r.code != 0 || fixOutcome(t, rep2, flows.FixNSGAllowAMLSSH).Status != flows.FixUnchanged || !rep2.OK || strings.Contains(trace, "PUT ") {
		t.Fatalf("a second fix: want exit 0, nsg.allow-aml-ssh unchanged and no PUT\n%s", r)
	}
	// The attach goes through: the sandbox decides it on the NSG as it is now.
	r = runCLI(t, nil, append([]string{"attach"}, append(args, "--yes", "-o", "json")...)...)
	if r.code != 0 || !strings.Contains(r.stdout, `"provisioningState": "Succeeded"`) && !strings.Contains(r.stdout, `"provisioningState":"Succeeded"`) {
		t.Fatalf("attach after the fix: want it Succeeded\n%s", r)
	}
}

// Another client adds a rule of our rule's name between our read and our
// write (the world's etagConflicts): the PUT, sent with If-None-Match: *, is
// answered 412 and replaces nothing; the NSG is read again and the rule
// sent again under another name, once, and the fix ends
// applied. When it happens twice in a row the fix fails (exit 3) saying
// nothing of ours was written, and the NSG holds no rule of ours.
func TestFixNSGRereadsOnStaleETag(t *testing.T) {
	args, _ := netDemo(t, "closed-nsg-vm", func(w *sandbox.World) { w.Faults.ETagConflicts = 1 })
	r, trace := traceOf(t, t.TempDir(), "d.log", append([]string{"fix"}, append(args, "-o", "json", "--yes")...)...)
	rep := fixReport(t, r)
	if r.code != 0 || fixOutcome(t, rep, flows.FixNSGAllowAMLSSH).Status != flows.FixApplied {
		t.Fatalf("one 412: want the fix applied after a re-read\n%s", r)
	}
	if n := puts(trace, "/securityRules/AllowAzureMLSSH"); n != 2 || !strings.Contains(trace, "RESPONSE Status: 412") {
		t.Fatalf("want two PUTs of the rule, the first answered 412; got %d:\n%s", n, trace)
	}

	args, az := netDemo(t, "closed-nsg-vm", func(w *sandbox.World) { w.Faults.ETagConflicts = 2 })
	r = runCLI(t, nil, append([]string{"fix"}, append(args, "-o", "json", "--yes")...)...)
	rep = fixReport(t, r)
	f := fixOutcome(t, rep, flows.FixNSGAllowAMLSSH)
	if r.code != 3 || f.Status != flows.FixFailed || !strings.Contains(f.Error, "412") || !strings.Contains(f.Error, "nothing of ours was written") {
		t.Fatalf("two 412s: want exit 3 and a failed fix saying so\n%s", r)
	}
	g, err := az.GetNSG(context.Background(), demoNet("networkSecurityGroups", "closed-nsg-vm-nsg"))
	must(t, err)
	for _, rule := range g.Rules {
		// The other client's rules took our names (Allow 8080 from
		// 192.0.2.0/24); none of ours is there.
		if strings.HasPrefix(rule.Name, "AllowAzureML") && strings.Contains(rule.Description, "amlattach") {
			t.Fatalf("a rule was written despite the 412s: %+v", rule)
		}
	}
}

// In a resource group where the caller may not write security rules, the
// fix is shown as needing that action, nothing is sent even with --yes, and
// the run ends with exit 1 (the probe still fails).
func TestFixNSGWithoutRuleWritePermissionSendsNothing(t *testing.T) {
	args, _ := netDemo(t, "closed-nsg-vm", func(w *sandbox.World) {
		w.Subscriptions[0].ResourceGroups[0].Permissions = &sandbox.Permissions{Actions: []string{"*"}, NotActions: []string{"Microsoft.Network/*/write"}}
	})
	r := runCLI(t, nil, append([]string{"probe"}, append(args, "-o", "json")...)...)
	p := probeOf(t, report(t, r).Probes, probes.IDNSGSSH)
	if p.Fix == nil || !strings.Contains(p.Fix.Needs, azure.ActionSecurityRuleWrite) || !strings.Contains(p.Fix.Needs, "Network Contributor") {
		t.Fatalf("probe: want the fix needing %s, got %+v\n%s", azure.ActionSecurityRuleWrite, p.Fix, r)
	}
	r, trace := traceOf(t, t.TempDir(), "d.log", append([]string{"fix"}, append(args, "-o", "json", "--yes")...)...)
	f := fixOutcome(t, fixReport(t, r), flows.FixNSGAllowAMLSSH)
	if r.code != 1 || f.Status != flows.FixRefused || !strings.Contains(f.Error, azure.ActionSecurityRuleWrite) {
		t.Fatalf("fix --yes without the permission: want exit 1, refused naming the action\n%s", r)
	}
	if strings.Contains(trace, "PUT ") {
		t.Fatalf("a fix the caller's roles do not grant was sent:\n%s", trace)
	}
}

// no-nsg-vm: a Standard public IP and no NSG at all, so closed to inbound;
// nsg.create makes an NSG (tagged as amlattach's) with the rule and puts it
// on the NIC, and the preflight passes. Without the join permission the fix
// names that action (the first missing of the three) and sends nothing.
func TestFixNSGCreateOnTheNoNSGDemoVM(t *testing.T) {
	args, az := netDemo(t, "no-nsg-vm", nil)
	r := runCLI(t, nil, append([]string{"probe"}, append(args, "-o", "json")...)...)
	p := probeOf(t, report(t, r).Probes, probes.IDNSGSSH)
	if r.code != 1 || p.Fix == nil || p.Fix.ID != flows.FixNSGCreate || !strings.Contains(p.Fix.Permission, azure.ActionNSGJoin) ||
		!strings.Contains(p.Fix.Undo, "az network nsg delete -g ml-rg -n no-nsg-vm-nsg") {
		t.Fatalf("probe: want arm.nsg.ssh failing with nsg.create, got %+v\n%s", p.Fix, r)
	}
	r, trace := traceOf(t, t.TempDir(), "d.log", append([]string{"fix"}, append(args, "-o", "json", "--yes")...)...)
	rep := fixReport(t, r)
	f := fixOutcome(t, rep, flows.FixNSGCreate)
	if r.code != 0 || !rep.OK || f.Status != flows.FixApplied || len(f.Changed) != 2 {
		t.Fatalf("fix --yes: want exit 0 and the NSG made and joined\n%s", r)
	}
	if puts(trace, "/networkSecurityGroups/no-nsg-vm-nsg") != 1 || puts(trace, "/networkInterfaces/no-nsg-vm-nic") != 1 {
		t.Fatalf("want one PUT of the NSG and one of the NIC:\n%s", trace)
	}
	nic, err := az.GetNIC(context.Background(), demoNet("networkInterfaces", "no-nsg-vm-nic"))
	must(t, err)
	g, err := az.GetNSG(context.Background(), demoNet("networkSecurityGroups", "no-nsg-vm-nsg"))
	must(t, err)
	if !strings.EqualFold(nic.NSGID, g.ID) || g.Tags["createdBy"] != "amlattach" || !probes.EvaluateNSG(g, 22).Allowed {
		t.Fatalf("after: NIC %+v, NSG %+v", nic, g)
	}
	r = runCLI(t, nil, append([]string{"attach"}, append(args, "--yes", "-o", "json")...)...)
	if r.code != 0 {
		t.Fatalf("attach after the fix\n%s", r)
	}

	args, _ = netDemo(t, "no-nsg-vm", func(w *sandbox.World) {
		w.Subscriptions[0].ResourceGroups[0].Permissions = &sandbox.Permissions{Actions: []string{"*"}, NotActions: []string{azure.ActionNSGJoin}}
	})
	r, trace = traceOf(t, t.TempDir(), "d.log", append([]string{"fix"}, append(args, "-o", "json", "--yes")...)...)
	f = fixOutcome(t, fixReport(t, r), flows.FixNSGCreate)
	if r.code != 1 || f.Status != flows.FixRefused || !strings.Contains(f.Error, azure.ActionNSGJoin) || strings.Contains(trace, "PUT ") {
		t.Fatalf("without join: want exit 1, refused naming %s, nothing sent\n%s", azure.ActionNSGJoin, r)
	}
	// Nothing changed, so Azure ML still cannot reach it: an attach forced
	// past the probe ends Failed, as the attach after the fix above did not.
	r = runCLI(t, nil, append([]string{"attach"}, append(args, "--yes", "--force", "-o", "json")...)...)
	if r.code != 3 || !strings.Contains(r.stdout+r.stderr, "Connection failed to establish") {
		t.Fatalf("a forced attach without the fix: want exit 3, unreachable\n%s", r)
	}
}

// dynamic-ip-vm: a dynamic public IP warns (the preflight passes, exit 0)
// and offers ip.static; the fix makes it static with the same address.
func TestFixIPStaticOnTheDynamicDemoVM(t *testing.T) {
	args, az := netDemo(t, "dynamic-ip-vm", nil)
	r := runCLI(t, nil, append([]string{"probe"}, append(args, "-o", "json")...)...)
	p := probeOf(t, report(t, r).Probes, probes.IDVMPublicIP)
	if r.code != 0 || p.Status != "warn" || p.Fix == nil || p.Fix.ID != flows.FixIPStatic || p.Fix.Permission != azure.ActionPublicIPWrite {
		t.Fatalf("probe: want a warning with ip.static, got %s %+v\n%s", p.Status, p.Fix, r)
	}
	r, trace := traceOf(t, t.TempDir(), "d.log", append([]string{"fix"}, append(args, "-o", "json", "--yes")...)...)
	rep := fixReport(t, r)
	f := fixOutcome(t, rep, flows.FixIPStatic)
	if r.code != 0 || f.Status != flows.FixApplied || probeOf(t, rep.After.Probes, probes.IDVMPublicIP).Status != "pass" ||
		len(f.Changed) != 1 || f.Changed[0].Before != "Dynamic, address 20.1.2.10" || f.Changed[0].After != "Static, address 20.1.2.10" {
		t.Fatalf("fix --yes: want ip.static applied, 20.1.2.10 kept\n%s", r)
	}
	if puts(trace, "/publicIPAddresses/dynamic-ip-vm-ip") != 1 {
		t.Fatalf("want one PUT of the public IP:\n%s", trace)
	}
	pip, err := az.GetPublicIP(context.Background(), demoNet("publicIPAddresses", "dynamic-ip-vm-ip"))
	if err != nil || pip.Allocation != "Static" {
		t.Fatalf("after: %+v %v", pip, err)
	}
}

// no-ip-vm: no public IP; ip.create makes a Standard static one (tagged),
// puts it on the NIC, and the sandbox routes its address to the VM's
// simulated host, so the whole preflight, SSH included, passes after it.
func TestFixIPCreateOnTheNoIPDemoVM(t *testing.T) {
	args, az := netDemo(t, "no-ip-vm", nil)
	r := runCLI(t, nil, append([]string{"probe"}, append(args, "-o", "json")...)...)
	p := probeOf(t, report(t, r).Probes, probes.IDVMPublicIP)
	if r.code != 1 || p.Fix == nil || p.Fix.ID != flows.FixIPCreate || !strings.Contains(p.Fix.Risk, "reachable from the internet") ||
		!strings.Contains(p.Fix.Undo, "az network public-ip delete -g ml-rg -n no-ip-vm-ip") {
		t.Fatalf("probe: want ip.create, got %+v\n%s", p.Fix, r)
	}
	r, trace := traceOf(t, t.TempDir(), "d.log", append([]string{"fix"}, append(args, "-o", "json", "--yes")...)...)
	rep := fixReport(t, r)
	f := fixOutcome(t, rep, flows.FixIPCreate)
	if r.code != 0 || !rep.OK || f.Status != flows.FixApplied || probeOf(t, rep.After.Probes, probes.IDSSHAuth).Status != "pass" {
		t.Fatalf("fix --yes: want exit 0 and SSH passing at the new address\n%s", r)
	}
	if puts(trace, "/publicIPAddresses/no-ip-vm-ip") != 1 || puts(trace, "/networkInterfaces/no-ip-vm-nic") != 1 {
		t.Fatalf("want one PUT of the IP and one of the NIC:\n%s", trace)
	}
	pip, err := az.GetPublicIP(context.Background(), demoNet("publicIPAddresses", "no-ip-vm-ip"))
	if err != nil || pip.SKU != "Standard" || pip.Allocation != "Static" || pip.Tags["createdBy"] != "amlattach" || !strings.HasPrefix(pip.Address, "20.250.") {
		t.Fatalf("the new IP: %+v %v", pip, err)
	}
	if !strings.Contains(f.Changed[0].After, pip.Address) {
		t.Fatalf("the change does not name the address: %+v", f.Changed)
	}
}
