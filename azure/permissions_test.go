package azure_test

import (
	"reflect"
	"testing"

	"amlattach/azure"
	"amlattach/internal/sandboxtest"
)

// The permissions API through the SDK pipeline against the sandbox: the
// default is everything; a subscription's setting holds in its groups; a
// group's own replaces it there; a workspace that does not exist is a 404.
func TestPermissionsByScope(t *testing.T) {
	const w = `subscriptions:
  - id: ` + sub + `
    permissions: {actions: ["*/read"]}
    resourceGroups:
      - name: rg
        location: westeurope
        workspaces: [{name: ws}]
      - name: own
        location: westeurope
        permissions: {actions: ["*"], notActions: ["Microsoft.MachineLearningServices/workspaces/computes/write"]}
        workspaces: [{name: ws2}]
  - id: 00000000-0000-0000-0000-000000000002
    resourceGroups:
      - {name: open, location: eastus, workspaces: [{name: ws3}]}
faults: {pageSize: 1}
`
	srv := sandboxtest.Start(t, []byte(w), "permissions")
	c := sandboxtest.Client(srv, azure.Options{})
	ctx := t.Context()
	for _, tc := range []struct {
		scope            string
		actions, notActs []string
	}{
		{"/subscriptions/" + sub, []string{"*/read"}, []string{}},
		{"/subscriptions/" + sub + "/resourceGroups/rg", []string{"*/read"}, []string{}},
		{azure.Workspace{SubscriptionID: sub, ResourceGroup: "rg", Name: "ws"}.Scope(), []string{"*/read"}, []string{}},
		{azure.Workspace{SubscriptionID: sub, ResourceGroup: "own", Name: "ws2"}.Scope(), []string{"*"}, []string{"Microsoft.MachineLearningServices/workspaces/computes/write"}},
		{azure.Workspace{SubscriptionID: "00000000-0000-0000-0000-000000000002", ResourceGroup: "open", Name: "ws3"}.Scope(), []string{"*"}, []string{}},
	} {
		got, err := c.Permissions(ctx, tc.scope)
		if err != nil {
			t.Fatalf("%s: %v", tc.scope, err)
		}
		if len(got) != 1 || !reflect.DeepEqual(got[0].Actions, tc.actions) || !reflect.DeepEqual(got[0].NotActions, tc.notActs) {
			t.Errorf("%s: %+v, want actions %v notActions %v", tc.scope, got, tc.actions, tc.notActs)
		}
	}
	_, err := c.Permissions(ctx, azure.Workspace{SubscriptionID: sub, ResourceGroup: "rg", Name: "nope"}.Scope())
	if ae, ok := azure.AsAzureError(err); !ok || ae.Status != 404 {
		t.Errorf("a workspace that does not exist: %v", err)
	}
}
