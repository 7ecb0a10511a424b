package ui

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"amlattach/flows"
	"amlattach/probes"
)

const startAction = "Microsoft.Compute/virtualMachines/start/action"

// vmStartFix is the fix the fake offers for a stopped VM, as flows builds it.
func vmStartFix() flows.Fix {
	return flows.Fix{ID: flows.FixVMStart, Summary: "start the VM gpu-dsvm",
		Changes:    []string{"VM gpu-dsvm (resource group ml-rg): power state deallocated -> running", "request: POST " + testVM + "/start (long-running; followed to its end)"},
		Permission: startAction, Scope: testVM,
		Risk: "billing for the VM's compute resumes as soon as it runs",
		Undo: "az vm deallocate -g ml-rg -n gpu-dsvm (amlattach has no undo of its own)"}
}

// stoppedFake is a world whose VM is deallocated, with vm.start offered.
func stoppedFake() *fakeBackend {
	f := newFake()
	f.results[probes.IDVMRunning] = probes.Result{Status: probes.Fail, Detail: "gpu-dsvm is deallocated: Azure ML can only attach a running VM",
		Remedy: "start it: az vm start --ids " + testVM}
	f.fixes = map[string]flows.Fix{probes.IDVMRunning: vmStartFix()}
	return f
}

// helpBar is the wizard's last line: the keys that work now.
func (d *driver) helpBar() string {
	lines := strings.Split(d.screen(), "\n")
	return lines[len(lines)-1]
}

// The preflight shows the fix beside its probe and f in the help; f opens
// the fix screen with everything it changes; esc goes back and nothing is
// sent (no apply, no rerun).
func TestFixScreenShowsTheChangeAndEscSendsNothing(t *testing.T) {
	f := stoppedFake()
	d := toPreflight(t, f)
	d.want("✗ FAIL  VM is running", "f fixes this: start the VM gpu-dsvm (vm.start; nothing is sent before you confirm)",
		"Not ready: f shows the fix")
	if h := d.helpBar(); !strings.Contains(h, "f fix: vm.start") || strings.Contains(h, "F fix all") {
		t.Fatalf("help bar: %q", h)
	}
	d.keys("f")
	d.wantStep(stepFix)
	d.want("Step 6 of 8: Fix", "Fix: start the VM gpu-dsvm", "vm.start (for arm.vm.running): start the VM gpu-dsvm",
		"change: VM gpu-dsvm (resource group ml-rg): power state deallocated -> running",
		"change: request: POST "+testVM+"/start", "permission: "+startAction, "risk: billing for the VM's compute resumes",
		"undo: az vm deallocate -g ml-rg -n gpu-dsvm", "Nothing has been sent yet.", "enter apply this fix", "esc back, nothing sent")
	d.keys("esc")
	d.wantStep(stepPreflight)
	if len(f.applied) != 0 || f.reruns != 0 || len(f.probed) != 1 {
		t.Fatalf("esc sent something: applied %v, reruns %d, preflights %d", f.applied, f.reruns, len(f.probed))
	}
	d.want("✗ FAIL  VM is running")
}

// enter on the fix screen is the consent: the fix is applied, the outcome
// (before -> after) is shown on the preflight, which runs the fixed probes
// again; they pass and the attach goes on as usual.
func TestFixEnterAppliesRerunsAndAttaches(t *testing.T) {
	f := stoppedFake()
	d := toPreflight(t, f)
	d.keys("f", "enter")
	d.wantStep(stepPreflight)
	if len(f.applied) != 1 || f.applied[0] != flows.FixVMStart || f.reruns != 1 {
		t.Fatalf("applied %v, reruns %d", f.applied, f.reruns)
	}
	if len(f.probed) != 2 {
		t.Fatalf("the rerun did not run the probes: %d runs", len(f.probed))
	}
	d.want("Fixes (their probes, and those after them, run again below)", "✓ applied  vm.start: start the VM gpu-dsvm",
		"changed VM gpu-dsvm: power state deallocated -> power state running",
		"✓ pass  VM is running", "15 probes: 15 pass.", "Ready to attach")
	d.wantNot("f fixes this")
	if h := d.helpBar(); strings.Contains(h, "fix") {
		t.Fatalf("a fix is still offered: %q", h)
	}
	d.keys("enter")
	d.wantStep(stepConfirm)
	d.keys("enter")
	d.wantStep(stepAttach)
	d.want(`Attached: compute "gpu-dsvm" is Succeeded`)
	if len(f.submitted) != 1 {
		t.Fatalf("attached %d times", len(f.submitted))
	}
}

// A fix the caller's roles do not grant is shown with what it needs; it
// has no key, and f does nothing.
func TestFixNotOfferedShowsNeedsAndNoKey(t *testing.T) {
	f := stoppedFake()
	fx := vmStartFix()
	fx.Needs = "needs " + startAction + " at " + testVM + " (e.g. the role Virtual Machine Contributor); your roles there do not grant it"
	f.fixes[probes.IDVMRunning] = fx
	d := toPreflight(t, f)
	d.want("vm.start is not offered: needs "+startAction, "Virtual Machine Contributor", "Not ready: fix what failed")
	d.wantNot("f fixes this", "f shows the fix")
	if h := d.helpBar(); strings.Contains(h, "fix") {
		t.Fatalf("help offers a fix: %q", h)
	}
	d.keys("f", "F")
	d.wantStep(stepPreflight)
	if len(f.applied) != 0 {
		t.Fatalf("applied %v", f.applied)
	}
}

// F puts every fix on one checklist, all offered ones ticked; space
// unticks the one under the cursor; enter applies only the ticked ones,
// one after the other, and the preflight runs again.
func TestFixAllChecklist(t *testing.T) {
	f := stoppedFake()
	f.results[probes.IDNSGSSH] = probes.Result{Status: probes.Fail, Detail: "TCP 22 from AzureMachineLearning: denied by DenyAll"}
	f.results[probes.IDVMPublicIP] = probes.Result{Status: probes.Warn, Detail: "dynamic public IP 20.1.2.5"}
	f.fixes[probes.IDNSGSSH] = flows.Fix{ID: "nsg.allow-aml-ssh", Summary: "allow SSH from Azure ML on gpu-dsvm-nsg",
		Changes: []string{"NSG gpu-dsvm-nsg: add rule AllowAzureMLSSH (priority 200)"}, Permission: "Microsoft.Network/networkSecurityGroups/securityRules/write",
		Risk: "none beyond Azure ML reaching SSH", Undo: "az network nsg rule delete ..."}
	f.fixes[probes.IDVMPublicIP] = flows.Fix{ID: "ip.static", Summary: "make the public IP static", Permission: "Microsoft.Network/publicIPAddresses/write",
		Risk: "a static IP is billed", Undo: "az network public-ip update --allocation-method Dynamic",
		Needs: "needs Microsoft.Network/publicIPAddresses/write at the IP (e.g. the role Network Contributor)"}
	d := toPreflight(t, f)
	if h := d.helpBar(); !strings.Contains(h, "f fix: vm.start") || !strings.Contains(h, "F fix all") {
		t.Fatalf("help bar: %q", h)
	}
	d.keys("F")
	d.wantStep(stepFix)
	d.want("Fix what the preflight found: 3 fixes", "› [x] vm.start (for arm.vm.running)", "[x] nsg.allow-aml-ssh (for arm.nsg.ssh)",
		"ip.static (for arm.vm.public_ip)", "not offered: needs Microsoft.Network/publicIPAddresses/write", "enter applies the 2 ticked fixes")
	d.wantNot("[x] ip.static", "[ ] ip.static")
	d.keys(" ")
	d.want("› [ ] vm.start", "enter applies the ticked fix")
	d.keys("down", " ", " ") // unticked and ticked again: nsg stays ticked
	d.want("› [x] nsg.allow-aml-ssh")
	d.keys("enter")
	d.wantStep(stepPreflight)
	if strings.Join(f.applied, ",") != "nsg.allow-aml-ssh" {
		t.Fatalf("applied %v, want only the ticked fix", f.applied)
	}
	d.want("✓ applied  nsg.allow-aml-ssh", "✓ pass  NSG allows Azure ML", "✗ FAIL  VM is running", "f fixes this: start the VM")
}

// Azure's refusal is the fix's outcome, with the permission it names; the
// probe still fails and the fix is offered again.
func TestFixRefusedNamesThePermission(t *testing.T) {
	f := stoppedFake()
	f.applyOut = &flows.FixOutcome{Status: flows.FixRefused,
		Error: "Azure answered HTTP 403 AuthorizationFailed: no; you need " + startAction + " at " + testVM + " (e.g. the role Virtual Machine Contributor); nothing was changed"}
	d := toPreflight(t, f)
	d.keys("f", "enter")
	d.wantStep(stepPreflight)
	d.want("✗ refused  vm.start", "AuthorizationFailed", "you need "+startAction, "✗ FAIL  VM is running", "Not ready")
}

// Ctrl-C while a fix is applied asks first, saying the fix was sent and
// goes on in Azure; leaving ends with that said, and nothing half-shown.
func TestCtrlCDuringFixSaysWhatWasSent(t *testing.T) {
	f := stoppedFake()
	f.holdFix = make(chan struct{})
	d := toPreflight(t, f)
	d.keys("f", "enter")
	d.wantStep(stepFix)
	d.want("vm.start (for arm.vm.running)", "submitted: Starting", "applying vm.start", "elapsed", "ctrl+c stop following")
	d.keys("ctrl+c")
	d.want("Quit amlattach?", "vm.start was sent: Azure goes on with it; amlattach stops following it")
	d.keys("n")
	d.wantStep(stepFix)
	d.keys("ctrl+c", "y")
	if !d.quit {
		t.Fatal("y did not quit")
	}
	o := d.m.Outcome()
	var fe *flows.Error
	if o.Kind != OutcomeQuit || !errors.As(o.Err, &fe) || fe.Kind != flows.KindInterrupted || !strings.Contains(fe.Msg, "vm.start was sent") {
		t.Fatalf("outcome %+v", o)
	}
	if f.reruns != 0 || len(f.submitted) != 0 {
		t.Fatalf("after leaving: %d reruns, %d attaches", f.reruns, len(f.submitted))
	}
}

// In doctor, a stale login's fix installs a new key; the doctor then goes
// on to the reattach (--replace) with that key in the form.
func TestDoctorFixWithNewLoginGoesOnToReattach(t *testing.T) {
	f := troubleFake()
	plan, err := flows.ValidateVM(flows.VMInput{Name: "old-dsvm", ResourceID: f.computes[0].ResourceID, Username: "azureuser", Password: "Old-Passw0rd!", KnownHosts: knownHostsFile(t)}, false)
	if err != nil {
		t.Fatal(err)
	}
	f.doctor = func(c flows.Compute, in flows.DoctorInput) *flows.Diagnosis {
		return &flows.Diagnosis{SecretsFrom: "listKeys", Plan: plan.Target(), Results: []probes.Result{
			{ID: probes.IDArmResource, Status: probes.Pass, Detail: "found it"},
			{ID: probes.IDSSHAuth, Status: probes.Fail, Field: probes.FieldPassword, Detail: "the stored password is refused"}}}
	}
	f.fixes = map[string]flows.Fix{probes.IDSSHAuth: {ID: "ssh.install-key", Summary: "install a new key for azureuser on dsvm-legacy",
		Changes: []string{"VM dsvm-legacy: a new public key for azureuser (VM access extension)"}, Permission: "Microsoft.Compute/virtualMachines/extensions/write",
		Risk: "the VM agent runs the extension", Undo: "remove the key from ~azureuser/.ssh/authorized_keys"}}
	key := "/home/user/.config/amlattach/keys/old-dsvm.pem"
	f.newLogin = &flows.FixedLogin{Username: "azureuser", KeyFile: key}
	d := newDriver(t, testOptions(f), 99, 30)
	d.toDoctor("old-dsvm")
	d.want("✗ FAIL  SSH login", "f fixes this: install a new key for azureuser")
	if h := d.helpBar(); !strings.Contains(h, "f fix: ssh.install-key") {
		t.Fatalf("help bar: %q", h)
	}
	d.keys("f")
	d.wantStep(stepFix)
	d.want(`Troubleshoot: fix for the doctor of "old-dsvm"`, "then the doctor runs the fixed probe")
	d.keys("enter")
	if strings.Join(f.applied, ",") != "ssh.install-key" || f.reruns != 1 {
		t.Fatalf("applied %v, reruns %d", f.applied, f.reruns)
	}
	d.wantStep(stepDetails)
	if d.m.replacing == nil || d.m.replacing.Name != "old-dsvm" {
		t.Fatalf("not reattaching: %+v", d.m.replacing)
	}
	v := d.m.form.values()
	if v["login"] != flows.LoginKeyFile || v["ssh-key"] != key || v["username"] != "azureuser" {
		t.Fatalf("the reattach's form: %v", v)
	}
	d.want(`reattach: "old-dsvm" is detached and attached again`)
	d.keys("esc")
	d.wantStep(stepDoctor)
	d.want("✓ applied  ssh.install-key", "✓ pass  SSH login")
}

// A doctor fix that changes no login reruns its probes on the doctor
// screen and stays there.
func TestDoctorFixReruns(t *testing.T) {
	f := troubleFake()
	plan, err := flows.ValidateVM(flows.VMInput{Name: "old-dsvm", ResourceID: f.computes[0].ResourceID, Username: "azureuser", Password: "Old-Passw0rd!", KnownHosts: knownHostsFile(t)}, false)
	if err != nil {
		t.Fatal(err)
	}
	f.doctor = func(c flows.Compute, in flows.DoctorInput) *flows.Diagnosis {
		return &flows.Diagnosis{SecretsFrom: "listKeys", Plan: plan.Target(), Results: []probes.Result{
			{ID: probes.IDArmResource, Status: probes.Pass, Detail: "found it"},
			{ID: probes.IDVMRunning, Status: probes.Fail, Detail: "dsvm-legacy is deallocated"}}}
	}
	f.results[probes.IDVMRunning] = probes.Result{Status: probes.Fail, Detail: "dsvm-legacy is deallocated"}
	f.fixes = map[string]flows.Fix{probes.IDVMRunning: vmStartFix()}
	d := newDriver(t, testOptions(f), 99, 30)
	d.toDoctor("old-dsvm")
	d.want("f shows the fix and applies it once you confirm")
	d.keys("f", "enter")
	d.wantStep(stepDoctor)
	d.want("✓ applied  vm.start", "✓ pass  VM is running", "The compute looks healthy")
	d.wantNot("f fixes this")
	if doc := string(d.m.doctor.reportDoc()); !strings.Contains(doc, "## Fixes applied") || !strings.Contains(doc, "power state deallocated -> power state running") {
		t.Fatalf("the report lacks the fix:\n%s", doc)
	}
}

// knownHostsFile is an empty known_hosts file of the test's own.
func knownHostsFile(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
