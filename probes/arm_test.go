package probes

import (
	"strings"
	"testing"

	"amlattach/azure"
)

func defaults() []azure.SecurityRule {
	return []azure.SecurityRule{
		{Name: "AllowVnetInBound", Priority: 65000, Inbound: true, Allow: true, Protocol: "*", Sources: []string{"VirtualNetwork"}, Ports: []string{"*"}, IsDefault: true},
		{Name: "AllowAzureLoadBalancerInBound", Priority: 65001, Inbound: true, Allow: true, Protocol: "*", Sources: []string{"AzureLoadBalancer"}, Ports: []string{"*"}, IsDefault: true},
		{Name: "DenyAllInBound", Priority: 65500, Inbound: true, Allow: false, Protocol: "*", Sources: []string{"*"}, Ports: []string{"*"}, IsDefault: true},
	}
}

func TestEvaluateNSG(t *testing.T) {
	allowAML := azure.SecurityRule{Name: "AllowAMLSSH", Priority: 100, Inbound: true, Allow: true, Protocol: "Tcp", Sources: []string{"AzureMachineLearning"}, Ports: []string{"22"}}
	cases := []struct {
		name    string
		rules   []azure.SecurityRule
		port    int
		allowed bool
		rule    string
	}{
		{"defaults only deny", defaults(), 22, false, "DenyAllInBound"},
		{"tag rule allows", append([]azure.SecurityRule{allowAML}, defaults()...), 22, true, "AllowAMLSSH"},
		{"tag rule on another port", append([]azure.SecurityRule{allowAML}, defaults()...), 2222, false, "DenyAllInBound"},
		{"deny with lower number wins", append([]azure.SecurityRule{allowAML, {Name: "DenyAll", Priority: 90, Inbound: true, Protocol: "*", Sources: []string{"*"}, Ports: []string{"*"}}}, defaults()...), 22, false, "DenyAll"},
		{"range and list ports", append([]azure.SecurityRule{{Name: "r", Priority: 200, Inbound: true, Allow: true, Protocol: "Tcp", Sources: []string{"Internet"}, Ports: []string{"80,2000-3000"}}}, defaults()...), 2222, true, "r"},
		{"udp rule does not count", append([]azure.SecurityRule{{Name: "udp", Priority: 200, Inbound: true, Allow: true, Protocol: "Udp", Sources: []string{"*"}, Ports: []string{"22"}}}, defaults()...), 22, false, "DenyAllInBound"},
		{"cidr source is not assumed to be Azure ML", append([]azure.SecurityRule{{Name: "office", Priority: 200, Inbound: true, Allow: true, Protocol: "Tcp", Sources: []string{"203.0.113.0/24"}, Ports: []string{"22"}}}, defaults()...), 22, false, "DenyAllInBound"},
		{"regional tag", append([]azure.SecurityRule{{Name: "reg", Priority: 300, Inbound: true, Allow: true, Protocol: "*", Sources: []string{"AzureMachineLearning.EastUS"}, Ports: []string{"22"}}}, defaults()...), 22, true, "reg"},
		{"outbound rule ignored", append([]azure.SecurityRule{{Name: "out", Priority: 100, Inbound: false, Allow: true, Protocol: "*", Sources: []string{"*"}, Ports: []string{"*"}}}, defaults()...), 22, false, "DenyAllInBound"},
		{"no rules at all", nil, 22, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := EvaluateNSG(azure.NSG{Name: "g", Rules: c.rules}, c.port)
			if v.Allowed != c.allowed || v.Rule.Name != c.rule {
				t.Fatalf("got allowed=%v rule=%q, want allowed=%v rule=%q", v.Allowed, v.Rule.Name, c.allowed, c.rule)
			}
		})
	}
}

func TestNameProblemAndSuggest(t *testing.T) {
	for name, bad := range map[string]bool{"dsvm-attach": false, "a": true, "ab": false, "1vm": true, "vm-": true, "vm_1": true, "abcdefghijklmnop": false, "abcdefghijklmnopq": true, "": true} {
		if got := NameProblem(name) != ""; got != bad {
			t.Errorf("NameProblem(%q) bad=%v, want %v", name, got, bad)
		}
	}
	existing := []azure.Compute{{Name: "dsvm1"}, {Name: "dsvm1-2"}}
	if s := SuggestName("DSVM1", existing); s != "dsvm1-3" {
		t.Errorf("SuggestName = %q, want dsvm1-3", s)
	}
	if s := SuggestName("my_very_long_vm_name_here", nil); NameProblem(s) != "" {
		t.Errorf("suggested %q is itself invalid: %s", s, NameProblem(s))
	}
}

func TestWsNameAndDuplicate(t *testing.T) {
	existing := []azure.Compute{{Name: "old-dsvm", Type: "VirtualMachine", ProvisioningState: "Succeeded",
		ResourceID: "/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/ml-rg/providers/microsoft.compute/virtualmachines/DSVM1"}}
	if r := WsName("Old-DSVM", "ws", existing); r.Status != Fail || r.Field != FieldName {
		t.Errorf("name clash (other casing) not caught: %+v", r)
	}
	if r := WsName("new-one", "ws", existing); r.Status != Pass {
		t.Errorf("free name: %+v", r)
	}
	id := "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/dsvm1"
	r := WsDuplicate(id, "new-one", "ws", existing)
	if r.Status != Fail || !strings.Contains(r.Detail, "old-dsvm") || !strings.Contains(r.Remedy, "detach") {
		t.Errorf("duplicate in other casing not caught: %+v", r)
	}
	if r := WsDuplicate(id+"x", "new-one", "ws", existing); r.Status != Pass {
		t.Errorf("different VM flagged: %+v", r)
	}
}

func TestVMImageAndRunning(t *testing.T) {
	cases := []struct {
		vm   azure.VM
		want Status
	}{
		{azure.VM{Name: "a", ImagePublisher: "microsoft-dsvm", ImageOffer: "ubuntu-2004", ImageSKU: "2004-gen2"}, Pass},
		{azure.VM{Name: "b", ImagePublisher: "Canonical", ImageOffer: "0001-com-ubuntu-server-jammy", ImageSKU: "22_04-lts"}, Pass},
		{azure.VM{Name: "c", ImagePublisher: "OpenLogic", ImageOffer: "CentOS", ImageSKU: "7_9"}, Fail},
		{azure.VM{Name: "d", ImageID: "/subscriptions/x/resourceGroups/r/providers/Microsoft.Compute/images/golden"}, Warn},
		{azure.VM{Name: "e", ImageID: "/x/images/golden", OSName: "ubuntu", OSVersion: "22.04"}, Pass},
		{azure.VM{Name: "f", OSType: "Windows", ImagePublisher: "MicrosoftWindowsServer"}, Fail},
	}
	for _, c := range cases {
		if r := VMImage(c.vm); r.Status != c.want {
			t.Errorf("VMImage(%s) = %s (%s), want %s", c.vm.Name, r.Status, r.Detail, c.want)
		}
	}
	if r := VMRunning(azure.VM{Name: "x", PowerState: "deallocated", ID: "/id"}); r.Status != Fail || !strings.Contains(r.Remedy, "az vm start") {
		t.Errorf("deallocated VM: %+v", r)
	}
	if r := VMRunning(azure.VM{Name: "x", PowerState: "running"}); r.Status != Pass {
		t.Errorf("running VM: %+v", r)
	}
}
