package flows

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveWorkspaceOrder(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b", "c")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "a", ".azureml"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := `{"subscription_id":"11111111-1111-1111-1111-111111111111","resource_group":"cfg-rg","workspace_name":"cfg-ws"}`
	cfgPath := filepath.Join(root, "a", ".azureml", "config.json")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	azdir := t.TempDir()
	if err := os.WriteFile(filepath.Join(azdir, "config"), []byte("[core]\noutput=json\n[defaults]\ngroup = az-rg\nworkspace = az-ws\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"AZURE_CONFIG_DIR": azdir}
	getenv := func(k string) string { return env[k] }

	ws, src, err := ResolveWorkspace(WorkspaceFlags{Workspace: "flag-ws"}, deep, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if ws.Name != "flag-ws" || src.Workspace != "--workspace" || ws.ResourceGroup != "cfg-rg" || src.ResourceGroup != cfgPath {
		t.Fatalf("flags then config.json: %+v %+v", ws, src)
	}
	// Outside the tree with config.json: az defaults fill group and workspace.
	env["AZURE_SUBSCRIPTION_ID"] = "22222222-2222-2222-2222-222222222222"
	ws, src, err = ResolveWorkspace(WorkspaceFlags{}, t.TempDir(), getenv)
	if err != nil {
		t.Fatal(err)
	}
	if ws.ResourceGroup != "az-rg" || ws.Name != "az-ws" || src.Subscription != "AZURE_SUBSCRIPTION_ID" {
		t.Fatalf("az defaults: %+v %+v", ws, src)
	}
	// Nothing anywhere: exit 2 naming the flags.
	_, _, err = ResolveWorkspace(WorkspaceFlags{}, t.TempDir(), func(string) string { return "" })
	var fe *Error
	if !errors.As(err, &fe) || fe.Kind != KindInput || !strings.Contains(fe.Field, "--workspace") {
		t.Fatalf("want an input error naming the flags, got %v", err)
	}
}

func TestMalformedMLConfigNamesFileAndKey(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, ".azureml"), 0o755)
	p := filepath.Join(dir, ".azureml", "config.json")
	os.WriteFile(p, []byte(`{"subscription_id":"x","workspace_name":"w"}`), 0o600)
	_, _, err := ResolveWorkspace(WorkspaceFlags{}, dir, func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "resource_group") {
		t.Fatalf("want an error naming %s and resource_group, got %v", p, err)
	}
	os.WriteFile(p, []byte(`{"Scope":"/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/s-rg/providers/Microsoft.MachineLearningServices/workspaces/s-ws"}`), 0o600)
	ws, _, err := ResolveWorkspace(WorkspaceFlags{}, dir, func(string) string { return "" })
	if err != nil || ws.Name != "s-ws" || ws.ResourceGroup != "s-rg" {
		t.Fatalf("Scope: %+v %v", ws, err)
	}
}
