package ui

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"amlattach/flows"
	"amlattach/probes"
)

// runPlainStopped runs the plain wizard on the stopped VM's scenario with
// the answers given, one a line.
func runPlainStopped(t *testing.T, f *fakeBackend, answers ...string) (Outcome, string) {
	t.Helper()
	o := testOptions(f)
	o.Start = &Start{Scenario: "stopped", Summary: "the VM is deallocated", ResourceID: testVM, ComputeName: "gpu-dsvm", Username: "azureuser", Password: "Demo-Passw0rd!"}
	var out bytes.Buffer
	got, err := RunPlain(context.Background(), o, PlainIO{In: strings.NewReader(strings.Join(answers, "\n") + "\n"), Out: &out, NoEcho: func() func() { return func() {} }})
	if err != nil {
		t.Fatal(err)
	}
	return got, out.String()
}

func wantText(t *testing.T, text string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(text, p) {
			t.Fatalf("the output lacks %q:\n%s", p, text)
		}
	}
}

// --plain: "Not ready" offers f when a fix is offered; f lists the fix with
// everything it changes and asks (no by default); y applies it with
// progress lines, the fixed probes run again and pass, and the attach goes
// on as usual.
func TestPlainFixThenAttach(t *testing.T) {
	f := stoppedFake()
	got, text := runPlainStopped(t, f, "f", "y", "y")
	wantText(t, text, "FAIL  VM is running", "f fixes arm.vm.running: start the VM gpu-dsvm (vm.start)",
		"Not ready: f shows the fix (vm.start) and applies it after a yes",
		"Fixes (nothing is sent before you say yes):", "1. vm.start (for arm.vm.running): start the VM gpu-dsvm",
		"change: VM gpu-dsvm (resource group ml-rg): power state deallocated -> running", "permission: "+startAction,
		"risk: billing", "undo: az vm deallocate", "Apply vm.start now? (y/N)",
		"vm.start submitted: Starting", "vm.start done: Running", "✓ vm.start applied", "changed VM gpu-dsvm: power state deallocated -> power state running",
		"The fixed probes, and those after them, run again:", "PASS  VM is running", "15 probes: 15 pass.", "✓ Attached")
	if strings.Join(f.applied, ",") != flows.FixVMStart || f.reruns != 1 || len(f.probed) != 2 || len(f.submitted) != 1 {
		t.Fatalf("applied %v, reruns %d, preflights %d, attaches %d", f.applied, f.reruns, len(f.probed), len(f.submitted))
	}
	if got.Kind != OutcomeAttached {
		t.Fatalf("outcome %+v", got)
	}
}

// No (the default) sends nothing and asks again without running anything.
func TestPlainFixDeclinedSendsNothing(t *testing.T) {
	f := stoppedFake()
	got, text := runPlainStopped(t, f, "f", "", "q")
	wantText(t, text, "Apply vm.start now? (y/N)", "No fix applied: nothing was sent.")
	if len(f.applied) != 0 || f.reruns != 0 || len(f.probed) != 1 || got.Kind != OutcomeQuit {
		t.Fatalf("applied %v, reruns %d, preflights %d, outcome %+v", f.applied, f.reruns, len(f.probed), got)
	}
	if n := strings.Count(text, "Not ready:"); n != 2 {
		t.Fatalf("asked %d times:\n%s", n, text)
	}
}

// Several fixes: o asks for each; a fix not offered is listed with what
// it needs and never applied; without an offered fix there is no f.
func TestPlainFixOneByOne(t *testing.T) {
	f := stoppedFake()
	f.results[probes.IDNSGSSH] = probes.Result{Status: probes.Fail, Detail: "denied by DenyAll"}
	f.results[probes.IDVMPublicIP] = probes.Result{Status: probes.Warn, Detail: "dynamic"}
	f.fixes[probes.IDNSGSSH] = flows.Fix{ID: "nsg.allow-aml-ssh", Summary: "allow SSH from Azure ML", Permission: "Microsoft.Network/networkSecurityGroups/securityRules/write", Undo: "delete the rule"}
	f.fixes[probes.IDVMPublicIP] = flows.Fix{ID: "ip.static", Summary: "make the IP static", Needs: "needs Microsoft.Network/publicIPAddresses/write (e.g. the role Network Contributor)"}
	_, text := runPlainStopped(t, f, "f", "o", "n", "y", "q")
	wantText(t, text, "ip.static (for arm.vm.public_ip) is not offered: needs Microsoft.Network/publicIPAddresses/write",
		"f shows the 2 fixes and applies them after a yes", "a applies all 2, o asks for each, n applies none",
		"Apply vm.start (start the VM gpu-dsvm)? (y/N)", "Apply nsg.allow-aml-ssh (allow SSH from Azure ML)? (y/N)",
		"✓ nsg.allow-aml-ssh applied", "PASS  NSG allows Azure ML on SSH", "FAIL  VM is running")
	if strings.Join(f.applied, ",") != "nsg.allow-aml-ssh" {
		t.Fatalf("applied %v", f.applied)
	}
	// Not offered at all: no f.
	g := stoppedFake()
	fx := vmStartFix()
	fx.Needs = "needs " + startAction
	g.fixes[probes.IDVMRunning] = fx
	_, text = runPlainStopped(t, g, "f", "q")
	wantText(t, text, "vm.start (for arm.vm.running) is not offered: needs "+startAction)
	if strings.Contains(text, "f shows") || len(g.applied) != 0 {
		t.Fatalf("a fix not offered was offered:\n%s", text)
	}
}

// --plain doctor: f applies the stale login's fix; the new key then goes
// into the reattach (--replace), offered as the default answers.
func TestPlainDoctorFixNewLoginReattaches(t *testing.T) {
	f := troubleFake()
	keyFile := writeKey(t, t.TempDir(), "old-dsvm.pem", nil)
	plan, err := flows.ValidateVM(flows.VMInput{Name: "old-dsvm", ResourceID: f.computes[0].ResourceID, Username: "azureuser", Password: "Old-Passw0rd!", KnownHosts: knownHostsFile(t)}, false)
	if err != nil {
		t.Fatal(err)
	}
	f.doctor = func(c flows.Compute, in flows.DoctorInput) *flows.Diagnosis {
		return &flows.Diagnosis{SecretsFrom: "listKeys", Plan: plan.Target(), Results: []probes.Result{
			{ID: probes.IDSSHAuth, Status: probes.Fail, Field: probes.FieldPassword, Detail: "the stored password is refused"}}}
	}
	f.fixes = map[string]flows.Fix{probes.IDSSHAuth: {ID: "ssh.install-key", Summary: "install a new key for azureuser", Permission: "Microsoft.Compute/virtualMachines/extensions/write", Undo: "remove the key"}}
	f.newLogin = &flows.FixedLogin{Username: "azureuser", KeyFile: keyFile}
	o := testOptions(f)
	o.KnownHosts = knownHostsFile(t)
	ts := len(flows.Targets()) + 1
	// workspace yes, troubleshoot, compute 1 (old-dsvm), f, y, then the
	// reattach's answers all left at their defaults, then yes.
	in := strings.Join([]string{"", strconv.Itoa(ts), "1", "f", "y", "", "", "", "", "y"}, "\n") + "\n"
	var out bytes.Buffer
	got, err := RunPlain(context.Background(), o, PlainIO{In: strings.NewReader(in), Out: &out, NoEcho: func() func() { return func() {} }})
	if err != nil {
		t.Fatal(err)
	}
	text := out.String()
	wantText(t, text, "f fixes ssh.auth: install a new key for azureuser (ssh.install-key)", "f shows the fix (ssh.install-key)",
		"✓ ssh.install-key applied", "PASS  SSH login", "The fix installed a new login; the stored one is stale: reattach \"old-dsvm\" with the key file "+keyFile,
		"Reattach \"old-dsvm\"", "✓ Reattached")
	if len(f.replaced) != 1 || got.Kind != OutcomeAttached {
		t.Fatalf("replaced %d, outcome %+v\n%s", len(f.replaced), got, text)
	}
	if p := f.replaced[0]; !strings.Contains(strings.Join(fieldValues(p), " "), keyFile) {
		t.Fatalf("the reattach does not send the new key: %v", p.Fields)
	}
}

func fieldValues(p *flows.Plan) []string {
	var out []string
	for _, f := range p.Fields {
		out = append(out, f[0]+"="+f[1])
	}
	return out
}
