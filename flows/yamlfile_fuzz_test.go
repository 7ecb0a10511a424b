package flows

import (
	"errors"
	"strings"
	"testing"
)

func FuzzParseComputeFile(f *testing.F) {
	for _, s := range []string{
		"$schema: https://azuremlschemas.azureedge.net/latest/vmCompute.schema.json\nname: my-vm\ntype: virtualmachine\n" +
			"resource_id: /subscriptions/x/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/vm1\n" +
			"ssh_settings:\n  admin_username: azureuser\n  ssh_private_key_file: keys/id_rsa\n  ssh_port: 2222\n",
		"name: k8s\ntype: kubernetes\nresource_id: /subscriptions/x/resourceGroups/g/providers/Microsoft.Kubernetes/connectedClusters/arc\n" +
			"namespace: azureml\nidentity:\n  type: user_assigned\n  user_assigned_identities:\n    - resource_id: /subscriptions/x/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id\n",
		"name: syn\ntype: synapsespark\nresource_id: /subscriptions/x/resourceGroups/g/providers/Microsoft.Synapse/workspaces/w/bigDataPools/p\ntags: {a: b}\n",
		"name: x\ntype: amlcompute\n",
		"name: x\ntype: kubernetes\nssh_settings: {admin_username: u}\n",
		"name: x\ntype: vm\nnamespace: n\n",
		"name: x\ntype: vm\nidentity: {type: system_assigned}\n",
		"name: x\ntype: vm\nssh_settings:\n  ssh_port: twenty-two\n  colour: blue\n",
		"name: a\ntype: vm\n---\nname: b\ntype: vm\n",
		"nmae: typo\n",
		"- a list\n",
		"type: [vm]\n",
		"a: &a [*a]\n",
		"",
		"\t:",
	} {
		f.Add([]byte(s), "compute.yml")
	}
	f.Add([]byte("type: vm\n"), "sub dir/my file.yaml")
	f.Fuzz(func(t *testing.T, data []byte, path string) {
		if path == "" || len(data) > 4096 {
			return
		}
		cf, err := ParseComputeFile(data, path)
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("ParseComputeFile(%q): error %T %v is not a *flows.Error", data, err, err)
			}
			if fe.Field != "-f/--file" || fe.Kind != KindInput || fe.Fix == "" {
				t.Fatalf("ParseComputeFile(%q): error %+v: want field -f/--file, an input error and a fix", data, fe)
			}
			if !strings.Contains(fe.Msg, path) {
				t.Fatalf("ParseComputeFile(%q, %q): the message %q does not name the file", data, path, fe.Msg)
			}
			return
		}
		switch tt := cf.TargetType(); tt {
		case "vm", "kubernetes", "synapse":
		default:
			t.Fatalf("ParseComputeFile(%q) succeeded with target type %q", data, tt)
		}
		if cf.Path != path {
			t.Fatalf("ParseComputeFile: Path %q, want %q", cf.Path, path)
		}
		_ = cf.KeyPath()
		_ = cf.IdentityInput()
	})
}
