package azure_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	network "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v11"

	"amlattach/azure"
	"amlattach/internal/sandboxtest"
)

// Two regions with VMs: eastus has its Network Watcher, westeurope none
// (the world opts it out). In eastus: "open" lets Azure ML in on 22,
// "closed" only an office range (the default DenyAllInBound decides),
// "managed" is open by its NSG but a network manager admin rule denies
// SSH, "subnet" is open on its NIC and closed on its subnet.
const watcherWorld = `subscriptions:
  - id: %[1]s
    noNetworkWatcherIn: [westeurope]
    resourceGroups:
      - name: rg
        location: eastus
        virtualMachines:
          - name: open
            privateIP: 10.8.0.4
            nsgRules:
              - {name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}
          - name: closed
            privateIP: 10.8.1.4
            nsgRules:
              - {name: AllowOfficeSSH, priority: 300, access: Allow, source: 203.0.113.200/29, protocol: Tcp, ports: "22"}
          - name: managed
            privateIP: 10.8.2.4
            nsgRules:
              - {name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}
            adminRules:
              - {name: DenySSHFromOutside, priority: 10, access: Deny, source: Internet, protocol: Tcp, ports: "22"}
          - name: subnet
            privateIP: 10.8.3.4
            nsgRules:
              - {name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning.EastUS, protocol: Tcp, ports: "22"}
            subnetNsgRules:
              - {name: DenySSH, priority: 200, access: Deny, source: "*", protocol: Tcp, ports: "22"}
          - {name: stopped, powerState: deallocated, privateIP: 10.8.4.4, nsgRules: []}
      - name: eu
        location: westeurope
        virtualMachines:
          - {name: euvm, privateIP: 10.9.0.4, nsgRules: []}
      - name: locked
        location: eastus
        permissions: {actions: ["*/read"]}
`

// bodies records the JSON bodies of the POSTs the SDK sends.
type bodies struct {
	base http.RoundTripper
	mu   sync.Mutex
	sent map[string][]byte // by URL path
}

func (b *bodies) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && r.Body != nil {
		data, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(data))
		b.mu.Lock()
		b.sent[r.URL.Path] = data
		b.mu.Unlock()
	}
	return b.base.RoundTrip(r)
}

func watcherClient(t *testing.T, world string) (*azure.Client, *bodies) {
	t.Helper()
	srv := sandboxtest.Start(t, []byte(world), "watcher.yaml")
	hc := srv.HTTPClient()
	rec := &bodies{base: hc.Transport, sent: map[string][]byte{}}
	return sandboxtest.Client(srv, azure.Options{HTTPClient: &http.Client{Transport: rec}, PollInterval: 20 * time.Millisecond}), rec
}

func eastWatcher(t *testing.T, c *azure.Client) azure.NetworkWatcher {
	t.Helper()
	nw, ok, err := c.NetworkWatcherIn(context.Background(), sub, "East US")
	if err != nil || !ok {
		t.Fatalf("watcher in eastus: %+v %v %v", nw, ok, err)
	}
	return nw
}

// The watcher of a region is found by listing the subscription's (the
// location compared as Azure writes it either way); a region the world
// opted out has none, and that is an answer, not an error.
func TestNetworkWatcherByRegion(t *testing.T) {
	c, _ := watcherClient(t, fmt.Sprintf(watcherWorld, sub))
	nw := eastWatcher(t, c)
	if nw.Name != "NetworkWatcher_eastus" || nw.ResourceGroup != "NetworkWatcherRG" || nw.Location != "eastus" || nw.ProvisioningState != "Succeeded" {
		t.Fatalf("watcher: %+v", nw)
	}
	if nw, ok, err := c.NetworkWatcherIn(context.Background(), sub, "westeurope"); err != nil || ok {
		t.Fatalf("westeurope: %+v %v %v, want none", nw, ok, err)
	}
}

// The tag's details: the global entry and the regional ones, each region
// with an IPv6 and an IPv4 prefix from the documentation ranges.
func TestServiceTagDetails(t *testing.T) {
	c, _ := watcherClient(t, fmt.Sprintf(watcherWorld, sub))
	entries, err := c.ServiceTag(context.Background(), sub, "eastus", "AzureMachineLearning")
	if err != nil {
		t.Fatal(err)
	}
	var east, global *azure.ServiceTagPrefixes
	for i, e := range entries {
		switch {
		case e.Name == "AzureMachineLearning.EastUS":
			east = &entries[i]
		case e.Name == "AzureMachineLearning":
			global = &entries[i]
		}
	}
	if east == nil || global == nil {
		t.Fatalf("entries: %+v", entries)
	}
	if east.Region != "eastus" || east.SystemService != "AzureMachineLearning" || len(east.Prefixes) != 2 ||
		!strings.HasPrefix(east.Prefixes[0], "2001:db8:") || !strings.HasPrefix(east.Prefixes[1], "198.51.100.") {
		t.Fatalf("eastus entry: %+v", east)
	}
	if global.Region != "" || len(global.Prefixes) < 2*len(entries)-2 {
		t.Fatalf("global entry: %+v (of %d entries)", global, len(entries))
	}
	// Pages of 5: the SDK's pager follows nextLink to the same entries.
	paged, _ := watcherClient(t, fmt.Sprintf(watcherWorld, sub)+"faults: {pageSize: 5}\n")
	again, err := paged.ServiceTag(context.Background(), sub, "eastus", "AzureMachineLearning")
	if err != nil || len(again) != len(entries) || len(entries) <= 5 {
		t.Fatalf("paged: %d entries (%v), unpaged %d", len(again), err, len(entries))
	}
	other, err := c.ServiceTag(context.Background(), sub, "eastus", "Storage")
	if err != nil || len(other) != 0 {
		t.Fatalf("a tag the sandbox does not know: %+v %v", other, err)
	}
}

func vmFlow(t *testing.T, c *azure.Client, group, name string, port int, remote string) azure.IPFlow {
	t.Helper()
	id := vmID(group, name)
	vm, err := c.GetVM(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	nicID, _ := azure.ParseResourceID(vm.NICIDs[0])
	nic, err := c.GetNIC(context.Background(), nicID)
	if err != nil {
		t.Fatal(err)
	}
	return azure.IPFlow{VMID: vm.ID, NICID: nic.ID, LocalIP: nic.IPConfigs[0].PrivateIP, LocalPort: port, RemoteIP: remote, RemotePort: 50000}
}

// IP flow verify through the SDK's poller, each verdict with the rule that
// reached it as Azure names it: the NIC's own rule, a default rule, a
// network manager admin rule no NSG shows, the subnet's rule before the
// NIC's, the virtual network's default rule; and a port no rule opens.
func TestVerifyIPFlowVerdicts(t *testing.T) {
	c, rec := watcherClient(t, fmt.Sprintf(watcherWorld, sub))
	nw := eastWatcher(t, c)
	const aml = "198.51.100.1" // the first usable address of AzureMachineLearning.EastUS
	for _, tc := range []struct {
		vm          string
		port        int
		remote      string
		access, why string
	}{
		{"open", 22, aml, "Allow", "securityRules/AllowAMLSSH"},
		{"open", 2222, aml, "Deny", "defaultSecurityRules/DenyAllInBound"},
		{"closed", 22, aml, "Deny", "defaultSecurityRules/DenyAllInBound"},
		{"closed", 22, "203.0.113.201", "Allow", "securityRules/AllowOfficeSSH"},
		{"managed", 22, aml, "Deny", "DenySSHFromOutside"},
		{"subnet", 22, aml, "Deny", "securityRules/DenySSH"},
		{"open", 22, "10.8.9.9", "Allow", "defaultSecurityRules/AllowVnetInBound"},
		{"open", 22, "10.99.0.1", "Deny", "defaultSecurityRules/DenyAllInBound"},
	} {
		v, err := c.VerifyIPFlow(context.Background(), nw, vmFlow(t, c, "rg", tc.vm, tc.port, tc.remote))
		if err != nil {
			t.Fatalf("%s:%d from %s: %v", tc.vm, tc.port, tc.remote, err)
		}
		if v.Access != tc.access || v.RuleName != tc.why || v.Allowed() != (tc.access == "Allow") {
			t.Errorf("%s:%d from %s: %+v, want %s by %s", tc.vm, tc.port, tc.remote, v, tc.access, tc.why)
		}
	}
	// The request as the SDK sent it, against the SDK's own type: every
	// field the REST API requires, with Azure's spelling and values.
	var raw map[string]any
	path := "/subscriptions/" + sub + "/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_eastus/ipFlowVerify"
	if err := json.Unmarshal(rec.sent[path], &raw); err != nil {
		t.Fatalf("the POST body %q: %v", rec.sent[path], err)
	}
	var keys []string
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if got := strings.Join(keys, ","); got != "direction,localIPAddress,localPort,protocol,remoteIPAddress,remotePort,targetNicResourceId,targetResourceId" {
		t.Fatalf("request keys: %s", got)
	}
	var p network.VerificationIPFlowParameters
	if err := json.Unmarshal(rec.sent[path], &p); err != nil {
		t.Fatal(err)
	}
	if *p.Direction != network.DirectionInbound || *p.Protocol != network.IPFlowProtocolTCP || *p.LocalPort != "22" || *p.RemotePort != "50000" ||
		*p.LocalIPAddress != "10.8.0.4" || *p.RemoteIPAddress != "10.99.0.1" ||
		!strings.HasSuffix(*p.TargetResourceID, "/virtualMachines/open") || !strings.HasSuffix(*p.TargetNicResourceID, "/networkInterfaces/open-nic") {
		t.Fatalf("request: %s", rec.sent[path])
	}
}

// What Network Watcher refuses: a VM that is not running, a VM in another
// region than the watcher's, an address that is not the NIC's, and a
// caller without the ipFlowVerify action (403 naming it).
func TestVerifyIPFlowRefusals(t *testing.T) {
	world := fmt.Sprintf(watcherWorld, sub)
	c, _ := watcherClient(t, world)
	nw := eastWatcher(t, c)
	ctx := context.Background()
	refused := func(what string, f azure.IPFlow, status int, code string) {
		t.Helper()
		_, err := c.VerifyIPFlow(ctx, nw, f)
		ae, ok := azure.AsAzureError(err)
		if !ok || ae.Status != status || ae.Code != code {
			t.Errorf("%s: %v, want HTTP %d %s", what, err, status, code)
		}
	}
	refused("deallocated", vmFlow(t, c, "rg", "stopped", 22, "198.51.100.1"), 400, "VmNotRunning")
	refused("other region", vmFlow(t, c, "eu", "euvm", 22, "198.51.100.1"), 400, "InvalidTargetResourceLocation")
	f := vmFlow(t, c, "rg", "open", 22, "198.51.100.1")
	f.LocalIP = "10.8.0.99"
	refused("not the NIC's address", f, 400, "InvalidLocalIpAddress")

	// A reader everywhere: the watcher is listed, the tag read, the
	// verify refused.
	reader := strings.Replace(world, "    noNetworkWatcherIn:", "    permissions: {actions: [\"*/read\"]}\n    noNetworkWatcherIn:", 1)
	rc, _ := watcherClient(t, reader)
	rnw := eastWatcher(t, rc)
	if _, err := rc.ServiceTag(ctx, sub, "eastus", "AzureMachineLearning"); err != nil {
		t.Fatalf("a reader reads the tag: %v", err)
	}
	_, err := rc.VerifyIPFlow(ctx, rnw, vmFlow(t, rc, "rg", "open", 22, "198.51.100.1"))
	ae, ok := azure.AsAzureError(err)
	if !ok || ae.Status != 403 || ae.Code != "AuthorizationFailed" || !strings.Contains(ae.Message, azure.ActionIPFlowVerify) {
		t.Fatalf("reader's verify: %v", err)
	}
}

// The verdict waits for the operation's end: with a verify that takes a
// while, the answer comes after it, and a context that ends sooner stops
// the wait.
func TestVerifyIPFlowWaitsAndIsBounded(t *testing.T) {
	world := fmt.Sprintf(watcherWorld, sub) + "faults: {ipFlowVerifySeconds: 0.3}\n"
	c, _ := watcherClient(t, world)
	nw := eastWatcher(t, c)
	f := vmFlow(t, c, "rg", "open", 22, "198.51.100.1")
	start := time.Now()
	v, err := c.VerifyIPFlow(context.Background(), nw, f)
	if err != nil || v.Access != "Allow" || time.Since(start) < 300*time.Millisecond {
		t.Fatalf("%+v %v after %s", v, err, time.Since(start))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.VerifyIPFlow(ctx, nw, f); err == nil || ctx.Err() == nil {
		t.Fatalf("a 100 ms bound on a 300 ms verify: %v", err)
	}
}
