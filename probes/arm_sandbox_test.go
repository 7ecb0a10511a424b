package probes_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"amlattach/azure"
	"amlattach/internal/sandboxtest"
	"amlattach/probes"
)

// The ARM probes against the sandbox through the real SDK, on the answers
// Azure gives that a kinder simulation would not: power states in
// transition, an instance view without a power state, Windows and gallery
// images, a dynamic public IP without an address, and a VM's only NIC
// referenced without "primary".

const armSub = "00000000-0000-0000-0000-0000000000cc"

const armWorld = `subscriptions:
  - id: ` + armSub + `
    resourceGroups:
      - name: rg
        location: eastus
        virtualMachines:
          - {name: ok, publicIP: 20.3.0.1, ssh: {sim: {users: {azureuser: {password: pw}}}}}
          - {name: starting, powerState: starting, publicIP: 20.3.0.2}
          - {name: stopping, powerState: stopping, publicIP: 20.3.0.3}
          - {name: deallocating, powerState: deallocating, publicIP: 20.3.0.4}
          - {name: unreported, hidePowerState: true, publicIP: 20.3.0.5}
          - name: windows
            image: {publisher: MicrosoftWindowsServer, offer: WindowsServer, sku: 2022-datacenter-azure-edition}
            publicIP: 20.3.0.6
          - name: wingallery
            image: {id: /subscriptions/` + armSub + `/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/win/versions/1.0.0}
            osType: Windows
          - name: shared
            image: {id: /SharedGalleries/0000000-1111-shared/Images/golden/Versions/1.0.0}
          - name: community
            image: {id: /CommunityGalleries/contoso-1234/Images/ubuntu-golden/Versions/latest}
            ssh: {sim: {os: ubuntu 22.04, users: {azureuser: {password: pw}}}}
          - {name: dynoff, powerState: deallocated, publicIP: 20.3.0.7, publicIPAllocation: Dynamic}
          - {name: dynstopped, powerState: stopped, publicIP: 20.3.0.8, publicIPAllocation: Dynamic}
          - {name: basicopen, publicIP: 20.3.0.9, publicIPSku: Basic}
          - {name: noip}
          - name: withnsg
            publicIP: 20.3.0.10
            nsgRules: [{name: AML, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}]
`

func armClient(t *testing.T, faults string) *azure.Client {
	t.Helper()
	srv := sandboxtest.Start(t, []byte(armWorld+faults), "arm.yaml")
	return sandboxtest.Client(srv, azure.Options{PollInterval: 50 * time.Millisecond})
}

func getVM(t *testing.T, c *azure.Client, name string) azure.VM {
	t.Helper()
	id, err := azure.ParseResourceID("/subscriptions/" + armSub + "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/" + name)
	if err != nil {
		t.Fatal(err)
	}
	vm, err := c.GetVM(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return vm
}

func wantResult(t *testing.T, what string, r probes.Result, status probes.Status, parts ...string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: %s (%s; %s), want %s", what, r.Status, r.Detail, r.Remedy, status)
	}
	for _, p := range parts {
		if !strings.Contains(r.Detail+" | "+r.Remedy, p) {
			t.Errorf("%s: %q lacks %q", what, r.Detail+" | "+r.Remedy, p)
		}
	}
}

func TestPowerStatesThroughTheSDK(t *testing.T) {
	c := armClient(t, "")
	for _, tc := range []struct {
		vm     string
		status probes.Status
		parts  []string
	}{
		{"ok", probes.Pass, []string{"running"}},
		{"starting", probes.Warn, []string{"is starting", "wait until it is running"}},
		{"stopping", probes.Fail, []string{"is stopping", "wait until it has stopped", "az vm start"}},
		{"deallocating", probes.Fail, []string{"is deallocating", "wait until it has stopped"}},
		{"unreported", probes.Warn, []string{"no power state", "az vm get-instance-view"}},
	} {
		wantResult(t, tc.vm, probes.VMRunning(getVM(t, c, tc.vm)), tc.status, tc.parts...)
	}
}

func TestImagesThroughTheSDK(t *testing.T) {
	c := armClient(t, "")
	for _, tc := range []struct {
		vm     string
		status probes.Status
		parts  []string
	}{
		{"ok", probes.Pass, []string{"Ubuntu"}},
		{"windows", probes.Fail, []string{"runs Windows", "MicrosoftWindowsServer:WindowsServer"}},
		// A gallery image says nothing of its OS; the OS disk does.
		{"wingallery", probes.Fail, []string{"runs Windows"}},
		{"shared", probes.Warn, []string{"custom image (1.0.0)", "host.os"}},
		{"community", probes.Pass, []string{"the VM agent reports ubuntu 22.04"}},
	} {
		vm := getVM(t, c, tc.vm)
		wantResult(t, tc.vm, probes.VMImage(vm), tc.status, tc.parts...)
	}
	if vm := getVM(t, c, "shared"); !strings.HasPrefix(vm.ImageID, "/SharedGalleries/") || vm.OSType != "Linux" {
		t.Errorf("shared gallery image: %+v", vm)
	}
	if vm := getVM(t, c, "windows"); vm.OSName != "Windows Server 2022 Datacenter" || vm.AdminUsername == "" {
		t.Errorf("Windows VM: %+v", vm)
	}
}

func TestPublicIPsThroughTheSDK(t *testing.T) {
	for _, faults := range []string{"", "faults: {lenient: {primaryNIC: true}}\n"} {
		c := armClient(t, faults)
		ctx := context.Background()
		r, addr := probes.VMPublicIP(ctx, c, getVM(t, c, "ok"))
		if wantResult(t, "ok "+faults, r, probes.Pass, "20.3.0.1"); addr != "20.3.0.1" {
			t.Errorf("%q: address %q", faults, addr)
		}
		// A dynamic address is released while the VM is deallocated,
		// and kept while it is only stopped.
		r, addr = probes.VMPublicIP(ctx, c, getVM(t, c, "dynoff"))
		if wantResult(t, "dynoff", r, probes.Fail, "dynoff-ip has no address assigned", "--allocation-method Static"); addr != "" {
			t.Errorf("dynoff: address %q", addr)
		}
		// A dynamic address that is assigned works today and is a warning:
		// Azure ML keeps the address, which changes on deallocation.
		r, addr = probes.VMPublicIP(ctx, c, getVM(t, c, "dynstopped"))
		if wantResult(t, "dynstopped", r, probes.Warn, "20.3.0.8", "dynamic address", "Unable to establish SSH connection", "--allocation-method Static"); addr != "20.3.0.8" {
			t.Errorf("dynstopped: address %q", addr)
		}
		if len(getVM(t, c, "ok").NICIDs) != 1 {
			t.Errorf("%q: the only NIC is not found", faults)
		}
	}
}

// With no NSG on the NIC or its subnet, a Standard public IP (the default)
// is closed to inbound traffic: the probe fails and says how to open it; a
// Basic one is open; without a public IP nothing is filtered; an NSG that
// allows Azure ML passes.
func TestNSGSSHWithoutAnNSGThroughTheSDK(t *testing.T) {
	c := armClient(t, "")
	ctx := context.Background()
	wantResult(t, "standard, no NSG", probes.NSGSSH(ctx, c, getVM(t, c, "ok"), 22), probes.Fail,
		"ok-ip is Standard SKU", "closed to inbound", "az network nsg create -g rg -n ok-nsg", "--source-address-prefixes AzureMachineLearning")
	wantResult(t, "basic, no NSG", probes.NSGSSH(ctx, c, getVM(t, c, "basicopen"), 22), probes.Pass, "Basic public IP basicopen-ip")
	wantResult(t, "no IP, no NSG", probes.NSGSSH(ctx, c, getVM(t, c, "noip"), 22), probes.Pass, "no public IP")
	wantResult(t, "NSG allows", probes.NSGSSH(ctx, c, getVM(t, c, "withnsg"), 22), probes.Pass, "rule AML")
}
