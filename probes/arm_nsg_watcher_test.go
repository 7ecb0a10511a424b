package probes_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"amlattach/azure"
	"amlattach/azure/sandbox"
	"amlattach/internal/sandboxtest"
	"amlattach/probes"
)

// arm.nsg.ssh with Network Watcher's verdict beside ours, through the real
// SDK against the sandbox.

const nwSub = "00000000-0000-0000-0000-0000000000dd"

// In eastus (which has its watcher): "agree" is open by its NSG; "admin"
// is open by its NSG but a network manager admin rule denies SSH; "always"
// is closed by its NSG but an admin rule always allows Azure ML's region;
// "stopped" does not run. "euvm" is in westeurope, which has no watcher.
const nwWorld = `subscriptions:
  - id: ` + nwSub + `
    noNetworkWatcherIn: [westeurope]
    resourceGroups:
      - name: rg
        location: eastus
        virtualMachines:
          - name: agree
            privateIP: 10.20.0.4
            nsgRules:
              - {name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}
          - name: admin
            privateIP: 10.20.1.4
            nsgRules:
              - {name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}
            adminRules:
              - {name: BlockInboundSSH, priority: 5, access: Deny, source: "*", protocol: Tcp, ports: "22"}
          - name: always
            privateIP: 10.20.2.4
            nsgRules: []
            adminRules:
              - {name: AlwaysAllowAzureMLEastUS, priority: 7, access: AlwaysAllow, source: AzureMachineLearning.EastUS, protocol: Tcp, ports: "22"}
          - name: stopped
            powerState: stopped
            privateIP: 10.20.3.4
            nsgRules: []
      - name: eu
        location: westeurope
        virtualMachines:
          - {name: euvm, privateIP: 10.21.0.4, nsgRules: []}
`

func nwClient(t *testing.T, world string) *azure.Client {
	t.Helper()
	srv := sandboxtest.Start(t, []byte(world), "nw.yaml")
	return sandboxtest.Client(srv, azure.Options{PollInterval: 20 * time.Millisecond})
}

func nwVM(t *testing.T, c *azure.Client, sub, group, name string) azure.VM {
	t.Helper()
	id, err := azure.ParseResourceID("/subscriptions/" + sub + "/resourceGroups/" + group + "/providers/Microsoft.Compute/virtualMachines/" + name)
	if err != nil {
		t.Fatal(err)
	}
	vm, err := c.GetVM(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return vm
}

func watched(t *testing.T, c *azure.Client, vm azure.VM, timeout time.Duration) probes.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return probes.NSGSSHWatched(ctx, c, c, vm, 22, "eastus")
}

// The built-in world's dsvm-ubuntu: our reading and Network Watcher both
// allow, and the result shows both.
func TestWatcherAgreesOnDemoVM(t *testing.T) {
	srv, err := sandbox.Start(sandbox.DemoWorld())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c := sandboxtest.Client(srv, azure.Options{PollInterval: 20 * time.Millisecond})
	vm := nwVM(t, c, "00000000-0000-0000-0000-000000000001", "ml-rg", "dsvm-ubuntu")
	r := watched(t, c, vm, 10*time.Second)
	wantResult(t, "dsvm-ubuntu", r, probes.Pass,
		"AllowAMLSSH, priority 100",
		"Network Watcher says Allow by rule securityRules/AllowAMLSSH (NetworkWatcher_eastus, TCP from 198.51.100.1 (AzureMachineLearning.EastUS) to 10.0.0.4:22): it agrees")
}

// Where they differ, Network Watcher wins, and the result says so plainly:
// a network manager admin rule denies what the NSGs allow (fail, with a
// remedy that says NSG rules cannot help), and an admin rule always allows
// what the NSGs deny (pass).
func TestWatcherWinsWhenItDisagrees(t *testing.T) {
	c := nwClient(t, nwWorld)
	r := watched(t, c, nwVM(t, c, nwSub, "rg", "admin"), 10*time.Second)
	wantResult(t, "admin", r, probes.Fail,
		"Network Watcher says Deny by rule BlockInboundSSH",
		"our reading of the NSGs said allow (TCP 22 from AzureMachineLearning: admin-nsg on NIC admin-nic allows it",
		"Network Watcher's verdict wins",
		"network manager security admin rule, which NSG rules cannot override")
	if r.Field != probes.FieldPort {
		t.Errorf("field %q, want %q", r.Field, probes.FieldPort)
	}

	r = watched(t, c, nwVM(t, c, nwSub, "rg", "always"), 10*time.Second)
	wantResult(t, "always", r, probes.Pass,
		"Network Watcher says Allow by rule AlwaysAllowAzureMLEastUS",
		"our reading of the NSGs said deny (NSG always-nsg on NIC always-nic blocks TCP 22 from AzureMachineLearning: rule DenyAllInBound (priority 65500) denies it)")
	if r.Remedy != "" {
		t.Errorf("a pass with a remedy: %q", r.Remedy)
	}
}

// Where Azure cannot be asked, the result says why and keeps our verdict:
// no watcher in the VM's region; a VM that is not running (not even
// asked); a caller who may not use IP flow verify, or read the tag's
// addresses.
func TestWatcherNotCheckedKeepsOurVerdict(t *testing.T) {
	c := nwClient(t, nwWorld)
	r := watched(t, c, nwVM(t, c, nwSub, "eu", "euvm"), 10*time.Second)
	wantResult(t, "no watcher", r, probes.Fail,
		"blocks TCP 22 from AzureMachineLearning",
		"Network Watcher could not check the path: there is no Network Watcher in westeurope in this subscription",
		"az network watcher configure -g NetworkWatcherRG -l westeurope --enabled true")

	r = watched(t, c, nwVM(t, c, nwSub, "rg", "stopped"), 10*time.Second)
	wantResult(t, "stopped", r, probes.Fail, "Network Watcher could not check the path: it checks only a running VM (stopped is stopped)")

	reader := strings.Replace(nwWorld, "    noNetworkWatcherIn:", "    permissions: {actions: [\"*/read\"]}\n    noNetworkWatcherIn:", 1)
	rc := nwClient(t, reader)
	r = watched(t, rc, nwVM(t, rc, nwSub, "rg", "admin"), 10*time.Second)
	wantResult(t, "reader", r, probes.Pass, // ours: the admin rule is not seen
		"admin-nsg on NIC admin-nic allows it",
		"Network Watcher could not check the path: you may not ask NetworkWatcher_eastus (IP flow verify): it needs Microsoft.Network/networkWatchers/ipFlowVerify/action")

	noTags := strings.Replace(nwWorld, "    noNetworkWatcherIn:", "    permissions: {actions: [\"*\"], notActions: [Microsoft.Network/locations/serviceTags/read]}\n    noNetworkWatcherIn:", 1)
	tc := nwClient(t, noTags)
	r = watched(t, tc, nwVM(t, tc, nwSub, "rg", "agree"), 10*time.Second)
	wantResult(t, "no tag", r, probes.Pass,
		"Network Watcher could not check the path: you may not read the addresses of the AzureMachineLearning service tag: it needs Microsoft.Network/locations/serviceTags/read")
}

// A watcher slower than the step's time does not hold the probe past it
// nor fail it: our verdict stands, and the result says the watcher did not
// answer in time.
func TestWatcherBoundedByStepTimeout(t *testing.T) {
	c := nwClient(t, nwWorld+"faults: {ipFlowVerifySeconds: 30}\n")
	vm := nwVM(t, c, nwSub, "rg", "agree")
	start := time.Now()
	r := watched(t, c, vm, 700*time.Millisecond)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("the probe took %s with a 700 ms step", d)
	}
	wantResult(t, "slow watcher", r, probes.Pass, "agree-nsg on NIC agree-nic allows it", "NetworkWatcher_eastus did not answer in time")
}
