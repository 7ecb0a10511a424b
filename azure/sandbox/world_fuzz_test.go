package sandbox

import (
	"errors"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// maxFuzzWorld keeps fuzzed worlds small enough for thousands of parses a
// second; the built-in world, the largest seed, fits.
const maxFuzzWorld = 20 << 10

func FuzzParseWorld(f *testing.F) {
	f.Add(demoYAML)
	if ex, err := os.ReadFile("../../examples/world.yaml"); err == nil {
		f.Add(ex)
	}
	for _, s := range []string{
		"subscriptions:\n- id: 00000000-0000-0000-0000-000000000001\n  resourceGroups:\n  - name: rg\n    location: westeurope\n    workspaces: [{name: ws}]\n",
		"subscriptions:\n- id: s\n  resourceGroups:\n  - {name: rg, location: x, virtualMachines: [{name: a}, {name: A}]}\n",
		"subscriptions:\n- id: s\n  resourceGroups:\n  - name: rg\n    location: x\n    virtualMachines:\n    - name: vm\n      publicIP: 203.0.113.9\n      nsgRules: [{name: ssh, priority: 100, access: Allow, ports: \"22\"}]\n      ssh:\n        sim: {os: debian 12, users: {u: {password: p}}}\n",
		"base: &b {name: rg, location: x}\nsubscriptions: [{id: s, resourceGroups: [{<<: *b}]}]\n",
		"subscriptions: [{id: s, resourceGroups: [{name: rg, location: x, aksClusters: [{name: k, agentPools: [{name: p, mode: User}]}]}]}]\n",
		"kubernetesVersions: []\nfaults: {attachError: {code: X}}\n",
		"subscriptions: [{id: \"a b\"}]\nsubscriptions: []\n",
		"faults: {pageSize: 0, attachSeconds: -1, armLatencyMs: 1.5}\n",
		"subscriptions:\n  - id: s\n    resourceGroup: [rg]\n",
		"- just a list\n",
		"a: *nowhere\n",
		"",
		"\t",
	} {
		f.Add([]byte(s))
	}
	const source = "fuzz.yaml"
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzWorld {
			return
		}
		w, err := ParseWorld(data, source)
		if err != nil {
			if w != nil {
				t.Fatalf("ParseWorld returned a world and an error: %v", err)
			}
			checkProblems(t, data, err, source)
			return
		}
		if w.Source != source {
			t.Fatalf("Source is %q, want %q", w.Source, source)
		}
		checkWorld(t, data, w)

		// The parsed world, written out again, parses to the same world.
		out, err := yaml.Marshal(w)
		if err != nil {
			t.Fatalf("a parsed world does not marshal: %v\ninput:\n%s", err, data)
		}
		w2, err := ParseWorld(out, "again.yaml")
		if err != nil {
			t.Fatalf("a parsed world, marshalled, does not parse again: %v\ninput:\n%s\nmarshalled:\n%s", err, data, out)
		}
		out2, err := yaml.Marshal(w2)
		if err != nil || string(out2) != string(out) {
			t.Fatalf("a parsed world changes when parsed again (%v)\ninput:\n%s\nfirst:\n%s\nthen:\n%s", err, data, out, out2)
		}
	})
}

// checkProblems: every problem is one line that starts with the source.
func checkProblems(t *testing.T, data []byte, err error, source string) {
	t.Helper()
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	if len(errs) == 0 || len(errs) > maxProblems+1 {
		t.Fatalf("%d problems in %v", len(errs), err)
	}
	for _, e := range errs {
		var p *problem
		if !errors.As(e, &p) {
			t.Fatalf("problem %T %v is not a *problem\ninput:\n%s", e, e, data)
		}
		msg := e.Error()
		if !strings.HasPrefix(msg, source+":") {
			t.Fatalf("problem %q does not name the source %s\ninput:\n%s", msg, source, data)
		}
		if strings.Contains(msg, "\n") {
			t.Fatalf("problem %q spans lines: problems are joined one per line\ninput:\n%s", msg, data)
		}
	}
}

// checkWorld checks what validation promises of a world it accepts.
func checkWorld(t *testing.T, data []byte, w *World) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf(format+"\ninput:\n%s", append(args, data)...)
	}
	unique := func(what string, seen map[string]bool, name string) {
		t.Helper()
		k := strings.ToLower(name)
		if seen[k] {
			fail("two %ss named %q were accepted", what, name)
		}
		seen[k] = true
	}
	if len(w.KubernetesVersions) == 0 {
		fail("no Kubernetes versions after parsing")
	}
	subs := map[string]bool{}
	for _, s := range w.Subscriptions {
		unique("subscription", subs, s.ID)
		if s.Name == "" {
			fail("subscription %q has no name", s.ID)
		}
		groups := map[string]bool{}
		for _, g := range s.ResourceGroups {
			unique("resource group", groups, g.Name)
			wss, vms := map[string]bool{}, map[string]bool{}
			for _, ws := range g.Workspaces {
				unique("workspace", wss, ws.Name)
				computes := map[string]bool{}
				for _, c := range ws.Computes {
					unique("compute", computes, c.Name)
				}
			}
			for _, vm := range g.VirtualMachines {
				unique("virtual machine", vms, vm.Name)
				if vm.AdminUsername == "" || vm.PrivateIP == "" || vm.DisablePasswordAuthentication == nil {
					fail("VM %q lacks its defaults: %+v", vm.Name, vm)
				}
				if vm.SSH.Sim != nil && len(vm.SSH.Sim.Users) == 0 {
					fail("VM %q has a sim without users", vm.Name)
				}
			}
			for _, c := range g.AKSClusters {
				system := false
				for _, p := range c.AgentPools {
					system = system || p.Mode == "System"
				}
				if !system {
					fail("AKS cluster %q has no System pool", c.Name)
				}
			}
		}
	}
}
