package sandbox_test

import (
	"strings"
	"testing"

	"amlattach/azure/sandbox"
)

// adminRules are checked like NSG rules, with Virtual Network Manager's
// own ranges and access values, each problem on its line.
func TestAdminRulesAreChecked(t *testing.T) {
	head := `subscriptions:
  - id: s1
    noNetworkWatcherIn: [westeurope]
    resourceGroups:
      - name: rg
        location: eastus
        virtualMachines:
          - name: vm1
            adminRules:
`
	for _, c := range []struct{ name, rules, want string }{
		{"access", "              - {name: a, priority: 10, access: Block}\n",
			`world.yaml:10: access in virtualMachines[0].adminRules[0]: "Block" is not one of Allow, Deny, AlwaysAllow`},
		{"priority", "              - {name: a, priority: 5000, access: Deny}\n",
			`world.yaml:10: VM "vm1": adminRules: rule "a": priority 5000 is outside 1-4096`},
		{"duplicate", "              - {name: a, priority: 10, access: Deny}\n              - {name: A, priority: 11, access: Deny}\n",
			`world.yaml:11: VM "vm1": adminRules: duplicate rule name "A" (first at line 10)`},
		{"same priority", "              - {name: a, priority: 10, access: Deny}\n              - {name: b, priority: 10, access: AlwaysAllow}\n",
			`world.yaml:11: VM "vm1": adminRules: rules "a" and "b" have the same priority 10 and direction`},
		{"source", "              - {name: a, priority: 10, access: Deny, source: \"not a source!\"}\n",
			`world.yaml:10: source in virtualMachines[0].adminRules[0]: "not a source!" is not a source`},
	} {
		_, err := sandbox.ParseWorld([]byte(head+c.rules), "world.yaml")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	w, err := sandbox.ParseWorld([]byte(head+"              - {name: a, priority: 1, access: alwaysallow}\n"), "world.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := w.Subscriptions[0].ResourceGroups[0].VirtualMachines[0].AdminRules[0]
	if r.Access != "AlwaysAllow" || r.Direction != "Inbound" || r.Source != "*" || r.Protocol != "*" || r.Ports != "*" {
		t.Fatalf("defaults: %+v", r)
	}
	if got := w.Subscriptions[0].NoNetworkWatcherIn; len(got) != 1 || got[0] != "westeurope" {
		t.Fatalf("noNetworkWatcherIn: %v", got)
	}
}
