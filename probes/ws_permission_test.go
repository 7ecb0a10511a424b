package probes

import (
	"context"
	"errors"
	"testing"

	"amlattach/azure"
)

func TestActionAllowed(t *testing.T) {
	entry := func(actions []string, not ...string) azure.Permission {
		return azure.Permission{Actions: actions, NotActions: not}
	}
	list := func(s ...string) []string { return s }
	for _, c := range []struct {
		name   string
		perms  []azure.Permission
		action string
		want   bool
	}{
		{"everything", []azure.Permission{entry(list("*"))}, ActionComputeWrite, true},
		{"nothing", nil, ActionComputeWrite, false},
		{"an empty entry", []azure.Permission{entry(nil)}, ActionComputeWrite, false},
		{"the provider's star", []azure.Permission{entry(list("Microsoft.MachineLearningServices/*"))}, ActionComputeWrite, true},
		{"another provider's star", []azure.Permission{entry(list("Microsoft.Compute/*"))}, ActionComputeWrite, false},
		{"read only (Reader)", []azure.Permission{entry(list("*/read"))}, ActionComputeWrite, false},
		{"*/read grants a read deep down", []azure.Permission{entry(list("*/read"))}, "Microsoft.MachineLearningServices/workspaces/computes/read", true},
		{"star in the middle spans slashes", []azure.Permission{entry(list("Microsoft.MachineLearningServices/*/write"))}, ActionComputeWrite, true},
		{"exact action", []azure.Permission{entry(list(ActionComputeWrite))}, ActionComputeWrite, true},
		{"exact action, another one asked", []azure.Permission{entry(list(ActionComputeWrite))}, ActionComputeListKeys, false},
		{"case does not matter", []azure.Permission{entry(list("microsoft.machinelearningservices/WORKSPACES/computes/Write"))}, ActionComputeWrite, true},
		{"notActions carve out", []azure.Permission{entry(list("*"), ActionComputeWrite)}, ActionComputeWrite, false},
		{"notActions with a star carve out", []azure.Permission{entry(list("*"), "Microsoft.MachineLearningServices/workspaces/computes/*")}, ActionComputeListKeys, false},
		{"notActions leave the rest", []azure.Permission{entry(list("*"), "Microsoft.Authorization/*/write")}, ActionComputeWrite, true},
		{"notActions case-insensitive", []azure.Permission{entry(list("*"), "MICROSOFT.machinelearningservices/workspaces/computes/WRITE")}, ActionComputeWrite, false},
		// Each entry is judged on its own: one entry's notActions do not take
		// away what another entry grants.
		{"another entry grants what one carves out", []azure.Permission{
			entry(list("*"), ActionComputeWrite),
			entry(list("Microsoft.MachineLearningServices/workspaces/computes/*")),
		}, ActionComputeWrite, true},
		{"several entries, none grants", []azure.Permission{
			entry(list("*/read")),
			entry(list("Microsoft.MachineLearningServices/workspaces/*"), "Microsoft.MachineLearningServices/workspaces/computes/*"),
		}, ActionComputeWrite, false},
		{"a pattern longer than the action", []azure.Permission{entry(list(ActionComputeWrite + "/more"))}, ActionComputeWrite, false},
		{"a prefix without a star is not a match", []azure.Permission{entry(list("Microsoft.MachineLearningServices/workspaces"))}, ActionComputeWrite, false},
		{"two stars", []azure.Permission{entry(list("*/computes/*"))}, ActionComputeListKeys, true},
	} {
		if got := ActionAllowed(c.perms, c.action); got != c.want {
			t.Errorf("%s: ActionAllowed(%s) = %v, want %v", c.name, c.action, got, c.want)
		}
	}
}

// permsReader is a PermissionsReader that answers perms or err, and keeps
// the scope it was asked about.
type permsReader struct {
	perms []azure.Permission
	err   error
	scope string
}

func (f *permsReader) Permissions(_ context.Context, scope string) ([]azure.Permission, error) {
	f.scope = scope
	return f.perms, f.err
}

func TestWsPermission(t *testing.T) {
	ws := azure.Workspace{SubscriptionID: "00000000-0000-0000-0000-000000000001", ResourceGroup: "ml-rg", Name: "contoso-ws"}
	scope := "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/contoso-ws"
	ctx := context.Background()
	attach := []string{ActionComputeWrite}
	doctor := []string{ActionComputeWrite, ActionComputeListKeys}

	all := &permsReader{perms: []azure.Permission{{Actions: []string{"*"}}}}
	want(t, WsPermission(ctx, all, ws, attach), Pass, parts("contoso-ws", ActionComputeWrite), nil)
	if all.scope != scope {
		t.Errorf("asked about %q, want the workspace %q", all.scope, scope)
	}
	want(t, WsPermission(ctx, all, ws, doctor), Pass, parts(ActionComputeWrite, ActionComputeListKeys), nil)

	reader := &permsReader{perms: []azure.Permission{{Actions: []string{"*/read"}}}}
	r := WsPermission(ctx, reader, ws, attach)
	want(t, r, Fail, parts("may not attach computes", "contoso-ws", ActionComputeWrite),
		parts(ActionComputeWrite, "AzureML Compute Operator", "Contributor", "--scope "+scope))

	// Doctor: write granted, listKeys carved out; only listKeys is named.
	noKeys := &permsReader{perms: []azure.Permission{{Actions: []string{"*"}, NotActions: []string{"*/listKeys/action"}}}}
	want(t, WsPermission(ctx, noKeys, ws, doctor), Fail,
		parts(ActionComputeListKeys, "!"+ActionComputeWrite), parts(ActionComputeListKeys, "!"+ActionComputeWrite))

	// The permissions API refused or failed: a warning, never a failure.
	refused := &permsReader{err: armErr(403, "AuthorizationFailed", "The client does not have authorization to perform action 'Microsoft.Authorization/permissions/read'")}
	want(t, WsPermission(ctx, refused, ws, attach), Warn, parts("could not check", "403", "AuthorizationFailed"), parts(ActionComputeWrite))
	broken := &permsReader{err: errors.New("connection reset by peer")}
	want(t, WsPermission(ctx, broken, ws, attach), Warn, parts("could not check", "connection reset"), nil)
}
