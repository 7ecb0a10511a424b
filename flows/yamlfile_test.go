package flows

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestComputeFileVM(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "vm.yml")
	os.MkdirAll(filepath.Dir(path), 0o755)
	f, err := ParseComputeFile([]byte(`$schema: https://azuremlschemas.azureedge.net/latest/vmCompute.schema.json
name: my-vm
type: virtualmachine
resource_id: /subscriptions/x/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/vm1
ssh_settings:
  admin_username: azureuser
  ssh_private_key_file: keys/id_rsa
  ssh_port: 2222
`), path)
	if err != nil {
		t.Fatal(err)
	}
	if f.TargetType() != "vm" || f.Name != "my-vm" || f.SSHSettings.AdminUsername != "azureuser" || f.SSHSettings.SSHPort != 2222 {
		t.Fatalf("%+v", f)
	}
	if got, want := f.KeyPath(), filepath.Join(dir, "sub", "keys", "id_rsa"); got != want {
		t.Fatalf("relative key path %s, want %s (relative to the YAML file)", got, want)
	}
}

func TestComputeFileKubernetesIdentity(t *testing.T) {
	f, err := ParseComputeFile([]byte(`name: k8s
type: kubernetes
resource_id: /subscriptions/x/resourceGroups/g/providers/Microsoft.Kubernetes/connectedClusters/arc
namespace: azureml
identity:
  type: user_assigned
  user_assigned_identities:
    - resource_id: /subscriptions/x/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mi
`), "k.yml")
	if err != nil {
		t.Fatal(err)
	}
	in := f.IdentityInput()
	if f.TargetType() != "kubernetes" || f.Namespace != "azureml" || in.Type != "userassigned" || len(in.IDs) != 1 {
		t.Fatalf("%+v %+v", f, in)
	}
	if _, err := in.validate(); err == nil || !strings.Contains(err.Error(), "userAssignedIdentities") && !strings.Contains(err.Error(), "subscription") {
		// the identity ID above has a bad subscription: the identity check must see it
		t.Fatalf("identity IDs are checked: %v", err)
	}
}

func TestComputeFileErrorsNameFileAndLine(t *testing.T) {
	cases := map[string]struct{ yaml, want string }{
		"unknown field":     {"name: a\ntype: virtualmachine\nresource_id: x\nssh_setings: {}\n", "f.yml:4: field ssh_setings is not a compute YAML field"},
		"unknown nested":    {"name: a\ntype: virtualmachine\nssh_settings:\n  admin_user: u\n", "f.yml:4: field admin_user is not a field here"},
		"wrong kind":        {"name: a\ntype: virtualmachine\nssh_settings:\n  ssh_port: twenty\n", "f.yml:4:"},
		"other type":        {"name: a\ntype: amlcompute\n", "f.yml:2: type \"amlcompute\" is not an attachable compute type"},
		"no type":           {"name: a\n", "has no type"},
		"ssh on kubernetes": {"name: a\ntype: kubernetes\nssh_settings: {admin_username: u}\n", "f.yml:3: ssh_settings is not a field of type kubernetes"},
		"two documents":     {"name: a\ntype: kubernetes\n---\nname: b\n", "more than one YAML document"},
		"empty":             {"", "is empty"},
	}
	for name, c := range cases {
		_, err := ParseComputeFile([]byte(c.yaml), "f.yml")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: want %q, got %v", name, c.want, err)
			continue
		}
		var fe *Error
		if !asError(err, &fe) || fe.Kind != KindInput || fe.Field != "-f/--file" {
			t.Errorf("%s: want an input error on -f/--file: %#v", name, err)
		}
	}
}

func asError(err error, target **Error) bool {
	e, ok := err.(*Error)
	if ok {
		*target = e
	}
	return ok
}
