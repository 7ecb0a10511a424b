package sandbox_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"amlattach/azure/sandbox"
)

func TestParseWorldErrors(t *testing.T) {
	head := `subscriptions:
  - id: s1
    resourceGroups:
      - name: rg
        location: eastus
        virtualMachines:
`
	cases := []struct{ name, yaml, want string }{
		{"unknown key", head + "          - name: vm1\n            publicIp: 1.2.3.4\n",
			`world.yaml:8: unknown key "publicIp" in virtualMachines[0] (did you mean "publicIP"?)`},
		{"unknown top", "subscription: []\n", `world.yaml:1: unknown key "subscription" at the top level (did you mean "subscriptions"?)`},
		{"osDisk not allowed", head + "          - name: vm1\n            osDisk: {}\n", `world.yaml:8: unknown key "osDisk" in virtualMachines[0]`},
		{"power state", head + "          - name: vm1\n            powerState: sleeping\n",
			`world.yaml:8: powerState in virtualMachines[0]: "sleeping" is not one of running, starting, stopping, stopped, deallocating, deallocated`},
		{"duplicate vm", head + "          - name: vm1\n          - name: VM1\n", `world.yaml:8: duplicate virtual machine "VM1" in resource group rg (first at line 7)`},
		{"bad ports", head + "          - name: vm1\n            nsgRules:\n              - {name: r, priority: 100, access: Allow, ports: \"22-\"}\n",
			`world.yaml:9: ports in virtualMachines[0].nsgRules[0]: "22-" is not a port`},
		{"bad priority", head + "          - name: vm1\n            nsgRules:\n              - {name: r, priority: 5, access: Allow}\n",
			`world.yaml:9: VM "vm1": nsgRules: rule "r": priority 5 is outside 100-4096`},
		{"missing access", head + "          - name: vm1\n            nsgRules:\n              - {name: r, priority: 100}\n",
			`world.yaml:9: missing key "access" in virtualMachines[0].nsgRules[0]`},
		{"wrong kind", head + "          - name: vm1\n            ssh: {sim: {freeDiskGB: lots, users: {u: {password: p}}}}\n",
			`world.yaml:8: freeDiskGB in virtualMachines[0].ssh.sim: want a whole number, got "lots"`},
		{"sim key typo", head + "          - name: vm1\n            ssh:\n              sim:\n                dockerdaemon: true\n",
			`world.yaml:10: unknown key "dockerdaemon" in virtualMachines[0].ssh.sim (did you mean "dockerDaemon"?)`},
		{"address and sim", head + "          - name: vm1\n            ssh: {address: \"127.0.0.1:22\", sim: {users: {u: {password: p}}}}\n",
			`VM "vm1": ssh has both address and sim`},
		{"bad public IP", head + "          - name: vm1\n            publicIP: 300.1.1.1\n", `world.yaml:8: publicIP in virtualMachines[0]: "300.1.1.1" is not an IP address`},
		{"duplicate public IP", head + "          - {name: a, publicIP: 1.2.3.4}\n          - {name: b, publicIP: 1.2.3.4}\n", `publicIP 1.2.3.4 is already the public IP of VM a`},
		{"compute state", "subscriptions:\n  - id: s1\n    resourceGroups:\n      - name: rg\n        location: eastus\n        workspaces:\n          - name: ws\n            computes:\n              - {name: c, provisioningState: Done}\n",
			`world.yaml:9: provisioningState in computes[0]: "Done" is not one of`},
		{"syntax", "subscriptions: [\n", `world.yaml:`},
		{"missing location", "subscriptions:\n  - id: s1\n    resourceGroups:\n      - name: rg\n", `world.yaml:4: missing key "location" in resourceGroups[0]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := sandbox.ParseWorld([]byte(c.yaml), "world.yaml")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want %q, got %v", c.want, err)
			}
		})
	}
}

func TestParseWorldDefaults(t *testing.T) {
	w, err := sandbox.ParseWorld([]byte(`
subscriptions:
  - id: s1
    resourceGroups:
      - name: rg
        location: eastus
        workspaces: [{name: ws}]
        virtualMachines:
          - name: vm
            nsgRules: []
            ssh: {sim: {os: "Debian 12", users: {bob: {password: x}}}}
          - name: vm2
            image: {publisher: Canonical, offer: x, sku: y}
`), "w.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := w.Faults
	if f.AttachSeconds != 3 || f.DetachSeconds != 1 || f.PageSize != 1000 {
		t.Fatalf("fault defaults: %+v", f)
	}
	vm := w.Subscriptions[0].ResourceGroups[0].VirtualMachines[0]
	if vm.PowerState != "running" || vm.NSGRules == nil || len(*vm.NSGRules) != 0 || vm.SubnetNSGRules != nil ||
		vm.AdminUsername != "bob" || vm.SSH.Sim.FreeDiskGB != 80 || vm.Image.Publisher != "Debian" || vm.Location != "eastus" {
		t.Fatalf("vm defaults: %+v", vm)
	}
	if v := w.Subscriptions[0].ResourceGroups[0].VirtualMachines[1]; v.Image.Version != "latest" || v.AdminUsername != "azureuser" {
		t.Fatalf("vm2: %+v", v)
	}
	refs := w.Workspaces()
	if len(refs) != 1 || refs[0] != (sandbox.WorkspaceRef{SubscriptionID: "s1", SubscriptionName: "s1", ResourceGroup: "rg", Name: "ws", Location: "eastus"}) {
		t.Fatalf("workspaces: %+v", refs)
	}
}

func TestDemoWorldAndFiles(t *testing.T) {
	w := sandbox.DemoWorld()
	refs := w.Workspaces()
	if len(refs) != 1 || refs[0].Name != "contoso-ws" || refs[0].SubscriptionName != "Contoso ML" ||
		refs[0].SubscriptionID != "00000000-0000-0000-0000-000000000001" || refs[0].ResourceGroup != "ml-rg" {
		t.Fatalf("demo workspaces: %+v", refs)
	}
	srv, err := sandbox.Start(w)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	// The README's example world parses too.
	ex, err := sandbox.LoadWorldFile(filepath.Join("..", "..", "examples", "world.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.Workspaces()) != 1 {
		t.Fatalf("example: %+v", ex.Workspaces())
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(p, []byte("faults: {attachSecs: 1}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = sandbox.LoadWorldFile(p)
	if err == nil || !strings.Contains(err.Error(), p+`:1: unknown key "attachSecs" in faults (did you mean "attachSeconds"?)`) {
		t.Fatalf("load: %v", err)
	}
}

func TestParseWorldAnchors(t *testing.T) {
	w, err := sandbox.ParseWorld([]byte(`
subscriptions:
  - id: s1
    resourceGroups:
      - name: rg
        location: eastus
        virtualMachines:
          - name: a
            nsgRules:
              - &aml {name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}
          - name: b
            nsgRules:
              - <<: *aml
                ports: "2222"
`), "w.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := (*w.Subscriptions[0].ResourceGroups[0].VirtualMachines[1].NSGRules)[0]
	if r.Name != "AllowAMLSSH" || r.Ports != "2222" || r.Access != "Allow" {
		t.Fatalf("merged rule: %+v", r)
	}
	_, err = sandbox.ParseWorld([]byte("faults:\n  pageSize: 2\n  pageSize: 3\n"), "w.yaml")
	if err == nil || !strings.Contains(err.Error(), `w.yaml:3: duplicate key "pageSize" in faults (first at line 2)`) {
		t.Fatalf("duplicate key: %v", err)
	}
}
