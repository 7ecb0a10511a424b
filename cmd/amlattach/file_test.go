package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A compute YAML written for `az ml compute attach --file` attaches here
// unchanged; its relative key path is taken from the file's folder.
func TestAttachFromComputeYAMLWithRelativeKey(t *testing.T) {
	f := newFixture(t, true)
	key, err := os.ReadFile(f.srv.Ubuntu.RSAPEMKeyFile)
	must(t, err)
	yamlDir := filepath.Join(f.dir, "project")
	must(t, os.MkdirAll(filepath.Join(yamlDir, "keys"), 0o700))
	must(t, os.WriteFile(filepath.Join(yamlDir, "keys", "azureml"), key, 0o600))
	file := filepath.Join(yamlDir, "vm.yml")
	must(t, os.WriteFile(file, []byte(fmt.Sprintf(`$schema: https://azuremlschemas.azureedge.net/latest/vmCompute.schema.json
name: from-yaml
type: virtualmachine
resource_id: %s
ssh_settings:
  admin_username: %s
  ssh_private_key_file: keys/azureml
  ssh_port: 22
`, fmt.Sprintf(vmIDf, "ubuntu-vm"), f.srv.Ubuntu.Name)), 0o600))

	// From another folder: the key is found next to the YAML file.
	r := runCLI(t, nil, "attach", "-f", file, "--world", f.world, "--known-hosts", f.knownHosts, "--yes", "-o", "json")
	rep := report(t, r)
	if r.code != 0 || rep.Compute == nil || rep.Compute.ProvisioningState != "Succeeded" || rep.Target.Name != "from-yaml" {
		t.Fatalf("want the YAML's compute attached\n%s", r)
	}
	wantStatuses(t, rep, map[string]string{"ssh.auth": "pass", "host.os": "pass"})
	f.noSecrets(t, r.stdout, r.stderr)

	// Flags override the file.
	r = runCLI(t, nil, "probe", "-f", file, "--name", "renamed", "--world", f.world, "--known-hosts", f.knownHosts, "-o", "json")
	if rep := report(t, r); rep.Target.Name != "renamed" {
		t.Fatalf("--name should override the file's name\n%s", r)
	}
	// An unknown field is an error with its line.
	bad := filepath.Join(yamlDir, "bad.yml")
	must(t, os.WriteFile(bad, []byte("name: x\ntype: virtualmachine\nresource_id: /x\nssh_settings:\n  admin_username: u\n  private_key: k\n"), 0o600))
	r = runCLI(t, nil, "attach", "-f", bad, "--world", f.world, "--yes")
	if r.code != 2 || !strings.Contains(r.stderr, bad+":6: field private_key") {
		t.Fatalf("want exit 2 naming the file, the line and the field\n%s", r)
	}
}

// The example compute file probes cleanly against the example world.
func TestExampleComputeFile(t *testing.T) {
	r := runCLI(t, nil, "probe", "-f", "../../examples/my-dsvm.compute.yml", "--world", "../../examples/world.yaml",
		"--known-hosts", filepath.Join(t.TempDir(), "kh"), "--accept-new-host-key", "-o", "json")
	rep := report(t, r)
	if r.code != 0 || !rep.OK || rep.Target.Name != "my-dsvm" {
		t.Fatalf("want the example file to pass\n%s", r)
	}
	wantStatuses(t, rep, map[string]string{"ssh.auth": "pass", "host.docker": "pass"})
	if strings.Contains(r.stdout+r.stderr, "Train-Passw0rd!") {
		t.Fatal("the file's password reached the output")
	}
}
