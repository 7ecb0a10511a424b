package probes

import (
	"context"
	"fmt"
	"strings"

	"amlattach/azure"
)

// The RBAC actions ws.permission checks.
const (
	// ActionComputeWrite is what an attach (a PUT of the compute) needs.
	ActionComputeWrite = "Microsoft.MachineLearningServices/workspaces/computes/write"
	// ActionComputeListKeys is what doctor needs to read a compute's stored secrets.
	ActionComputeListKeys = "Microsoft.MachineLearningServices/workspaces/computes/listKeys/action"
)

// PermissionsReader reads what the signed-in principal may do at a scope.
type PermissionsReader interface {
	Permissions(ctx context.Context, scope string) ([]azure.Permission, error)
}

// WsPermission checks, through ARM's permissions API at the workspace's
// scope, that the caller is granted each of actions (ActionComputeWrite for
// an attach; doctor adds ActionComputeListKeys). When the permissions cannot
// be read it warns and lets the run go on: a caller may be allowed to attach
// without being allowed to read its own permissions.
func WsPermission(ctx context.Context, az PermissionsReader, ws azure.Workspace, actions []string) Result {
	perms, err := az.Permissions(ctx, ws.Scope())
	if err != nil {
		why := err.Error()
		if ae, ok := azure.AsAzureError(err); ok {
			why = fmt.Sprintf("HTTP %d %s: %s", ae.Status, ae.Code, ae.Message)
		}
		return warnf("nothing to do if the attach goes through; if Azure refuses it, ask for a role that grants "+strings.Join(actions, " and ")+" on the workspace (e.g. AzureML Compute Operator or Contributor)",
			"could not check your permissions on %s (%s): the attach is tried anyway", ws.Name, why)
	}
	var missing []string
	for _, a := range actions {
		if !ActionAllowed(perms, a) {
			missing = append(missing, a)
		}
	}
	if len(missing) == 0 {
		return passf("you may %s in %s (%s)", doing(actions), ws.Name, strings.Join(actions, ", "))
	}
	return failf(FieldNone,
		fmt.Sprintf("ask an Owner of the workspace for a role that grants %s, e.g. AzureML Compute Operator or Contributor on the workspace: az role assignment create --assignee YOUR-SIGN-IN --role \"AzureML Compute Operator\" --scope %s",
			strings.Join(missing, " and "), ws.Scope()),
		"you may not %s in %s: your roles there do not grant %s", doing(missing), ws.Name, strings.Join(missing, " or "))
}

// doing says in words what the actions allow.
func doing(actions []string) string {
	var words []string
	for _, a := range actions {
		switch a {
		case ActionComputeWrite:
			words = append(words, "attach computes")
		case ActionComputeListKeys:
			words = append(words, "read computes' stored secrets")
		default:
			words = append(words, a)
		}
	}
	return strings.Join(words, " and ")
}

// ActionAllowed evaluates permissions as Azure does: action is granted when
// some entry has an action that matches it and no notAction of that same
// entry matches it. Patterns are compared case-insensitively, and "*"
// stands for any run of characters, "/" included.
func ActionAllowed(perms []azure.Permission, action string) bool {
	for _, p := range perms {
		if anyActionMatches(p.Actions, action) && !anyActionMatches(p.NotActions, action) {
			return true
		}
	}
	return false
}

func anyActionMatches(patterns []string, action string) bool {
	for _, p := range patterns {
		if actionMatches(p, action) {
			return true
		}
	}
	return false
}

// actionMatches matches one wildcard pattern against an action. It keeps the
// last "*" seen and, on a mismatch, lets it take one more character: linear
// in practice, with no backtracking beyond that star.
func actionMatches(pattern, action string) bool {
	p, s := strings.ToLower(pattern), strings.ToLower(action)
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && p[pi] == s[si]:
			pi++
			si++
		case star >= 0:
			mark++
			pi, si = star+1, mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
