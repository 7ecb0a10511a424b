package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// twoWorkspaces is a world where the workspace must be discovered.
const twoWorkspaces = `subscriptions:
  - id: 00000000-0000-0000-0000-000000000001
    resourceGroups:
      - name: rg-a
        location: eastus
        workspaces: [{name: ws-a}]
      - name: rg-b
        location: westeurope
        workspaces: [{name: ws-b}]
`

func TestWorkspaceDiscoveryFromAProjectSubfolder(t *testing.T) {
	root := t.TempDir()
	world := filepath.Join(root, "world.yaml")
	must(t, os.WriteFile(world, []byte(twoWorkspaces), 0o600))
	must(t, os.MkdirAll(filepath.Join(root, "project", ".azureml"), 0o755))
	must(t, os.MkdirAll(filepath.Join(root, "project", "src", "deep"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "project", ".azureml", "config.json"),
		[]byte(`{"subscription_id": "00000000-0000-0000-0000-000000000001", "resource_group": "rg-b", "workspace_name": "ws-b"}`), 0o600))
	azdir := filepath.Join(root, "azconfig")
	must(t, os.MkdirAll(azdir, 0o755))
	must(t, os.WriteFile(filepath.Join(azdir, "config"), []byte("[defaults]\ngroup = rg-a\nworkspace = ws-a\n"), 0o600))
	env := map[string]string{"AZURE_CONFIG_DIR": filepath.Join(root, "empty")}

	t.Chdir(filepath.Join(root, "project", "src", "deep"))
	r := runCLI(t, env, "list", "--world", world)
	if r.code != 0 || !strings.Contains(r.stdout, "Workspace ws-b (resource group rg-b") || !strings.Contains(r.stdout, filepath.Join(".azureml", "config.json")) {
		t.Fatalf("from a subfolder of the project: want ws-b from .azureml/config.json, named as the source\n%s", r)
	}

	// Outside the project, with only az configure defaults (and the subscription from the environment).
	t.Chdir(root)
	env = map[string]string{"AZURE_CONFIG_DIR": azdir, "AZURE_SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000000001"}
	r = runCLI(t, env, "list", "--world", world)
	if r.code != 0 || !strings.Contains(r.stdout, "Workspace ws-a (resource group rg-a") || !strings.Contains(r.stdout, "AZURE_SUBSCRIPTION_ID") {
		t.Fatalf("with az configure defaults: want ws-a\n%s", r)
	}

	// A malformed config.json is an error naming the file.
	must(t, os.WriteFile(filepath.Join(root, "config.json"), []byte(`{"subscription_id": `), 0o600))
	r = runCLI(t, map[string]string{"AZURE_CONFIG_DIR": filepath.Join(root, "empty")}, "list", "--subscription", "00000000-0000-0000-0000-000000000001")
	if r.code != 2 || !strings.Contains(r.stderr, "config.json") {
		t.Fatalf("malformed config.json: want exit 2 naming the file\n%s", r)
	}
}

func TestNoCredentialExits4WithTheFix(t *testing.T) {
	if _, err := exec.LookPath("az"); err == nil {
		t.Skip("the Azure CLI is installed here: --auth cli would really sign in")
	}
	r := runCLI(t, nil, "list", "--auth", "cli", "--subscription", "00000000-0000-0000-0000-000000000009", "-g", "g", "-w", "w")
	if r.code != 4 || !strings.Contains(r.stderr, "no usable Azure credential") || !strings.Contains(r.stderr, "az login") {
		t.Fatalf("want exit 4 and the sign-in command\n%s", r)
	}
	r = runCLI(t, nil, "list", "--auth", "magic", "--subscription", "00000000-0000-0000-0000-000000000009", "-g", "g", "-w", "w")
	if r.code != 2 || !strings.Contains(r.stderr, "--auth") || !strings.Contains(r.stderr, "device-code") {
		t.Fatalf("want exit 2 naming --auth and its values\n%s", r)
	}
}
