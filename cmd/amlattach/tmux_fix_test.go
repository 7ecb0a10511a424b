package main

import "testing"

// TestTmuxFixStoppedVM drives the real binary in a terminal through the
// whole loop on the demo's stopped VM: the preflight fails on the VM's
// power state and offers vm.start beside it; f shows the fix, enter applies
// it against the sandbox's start operation, the fixed probe and those after
// it run again and pass, and the attach succeeds.
func TestTmuxFixStoppedVM(t *testing.T) {
	needTmux(t)
	bin := buildBinary(t)
	s := startTmux(t, bin, "demo")
	s.waitFor("Attach to this workspace?")
	s.send("Enter")
	s.waitFor("What do you want to attach?", "✓ available")
	s.send("Enter")
	s.waitFor("Which VM?")
	s.send("/")
	s.typeText("stopped")
	s.waitFor("1 of 13")
	s.send("Enter")
	s.waitFor("How to reach the VM")
	s.send("Enter")
	s.waitFor("type the SSH password")
	s.typeText("Demo-Passw0rd!")
	s.send("Enter")
	s.waitFor("✗ FAIL  VM is running", "f fixes this: start the VM stopped-vm", "f fix: vm.start")
	s.send("f")
	s.waitFor("Fix: start the VM stopped-vm", "permission: Microsoft.Compute/virtualMachines/start/action", "undo: az vm deallocate",
		"Nothing has been sent yet.")
	s.send("Enter")
	// The VM runs now: its SSH host key is new, and the rerun asks about it.
	s.waitFor("A new host key", "SHA256:")
	s.send("y")
	s.waitFor("✓ applied  vm.start", "state deallocated -> power state running", "✓ pass  VM is running", "✓ pass  SSH login", "Ready to attach")
	s.send("Enter")
	s.waitFor("administratorAccount.password: ********", "enter attaches")
	s.send("Enter")
	s.waitFor(`Attached: compute "stopped-vm" is Succeeded`)
	s.send("Enter")
	s.waitFor(`Attached "stopped-vm" to workspace contoso-ws`, "EXIT=0")
}

// TestTmuxFixClosedNSGVM is the same loop on the demo VM whose NSG lets SSH
// in from an office range only: the preflight fails on the NSG with the
// nsg.allow-aml-ssh fix offered; f shows the rule it adds (source
// AzureMachineLearning, never Internet), enter writes it through the
// sandbox's Microsoft.Network, the NSG probe runs again and passes, and the
// attach succeeds.
func TestTmuxFixClosedNSGVM(t *testing.T) {
	needTmux(t)
	bin := buildBinary(t)
	s := startTmux(t, bin, "demo")
	s.waitFor("Attach to this workspace?")
	s.send("Enter")
	s.waitFor("What do you want to attach?", "✓ available")
	s.send("Enter")
	s.waitFor("Which VM?")
	s.send("/")
	s.typeText("closed-nsg")
	s.waitFor("1 of 13")
	s.send("Enter")
	s.waitFor("How to reach the VM")
	s.send("Enter")
	s.waitFor("type the SSH password")
	s.typeText("Demo-Passw0rd!")
	s.send("Enter")
	s.waitFor("A new host key", "SHA256:")
	s.send("y")
	s.waitFor("✗ FAIL  NSG allows Azure ML on SSH", "f fix: nsg.allow-aml-ssh")
	s.send("f")
	s.waitFor("Fix: allow TCP 22 from AzureMachineLearning on NSG closed-nsg-vm", "sourceAddressPrefix: AzureMachineLearning", "permission: Microsoft.Network/networkSecurityGroups/",
		"securityRules/write", "Nothing has been sent yet.")
	s.send("Enter")
	s.waitFor("✓ applied  nsg.allow-aml-ssh", "✓ pass  NSG allows Azure ML on SSH", "Ready to attach")
	s.send("Enter")
	s.waitFor("administratorAccount.password: ********", "enter attaches")
	s.send("Enter")
	s.waitFor(`Attached: compute "closed-nsg-vm" is Succeeded`)
	s.send("Enter")
	s.waitFor(`Attached "closed-nsg-vm" to workspace contoso-ws`, "EXIT=0")
}
