package main

import (
	"strings"
	"testing"
)

// attach aci and attach local explain that the resource is never attached,
// whatever flags a user learnt on the other types follows them.
func TestAttachNeverAttachedExplainsWhateverTheFlags(t *testing.T) {
	for _, typ := range []string{"aci", "local"} {
		for _, flags := range [][]string{
			nil,
			{"--name", "x"},
			{"--name", "x", "--resource-id", "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerInstance/containerGroups/c", "--yes"},
			{"--name=x", "-y", "--force", "extra"},
			{"-f", "compute.yml", "--world", "demo"},
		} {
			args := append([]string{"attach", typ}, flags...)
			r := runCLI(t, nil, args...)
			if r.code != 2 || !strings.Contains(r.stderr, "never attached") || strings.Contains(r.stderr, "unknown") {
				t.Errorf("amlattach %s: want exit 2 with the explanation\n%s", strings.Join(args, " "), r)
			}
		}
		if r := runCLI(t, nil, "attach", typ, "--help"); r.code != 0 || !strings.Contains(r.stdout, "never attached") {
			t.Errorf("attach %s --help: want the help\n%s", typ, r)
		}
	}
}

// The root help names every type amlattach attaches, not only the VM.
func TestRootHelpNamesEveryType(t *testing.T) {
	r := runCLI(t, nil, "--help")
	if r.code != 0 || strings.Contains(r.stdout, "more to come") {
		t.Fatalf("root help\n%s", r)
	}
	for _, typ := range targetTypes {
		if !strings.Contains(r.stdout, "("+typ+")") {
			t.Errorf("root help does not name %s\n%s", typ, r.stdout)
		}
	}
}
