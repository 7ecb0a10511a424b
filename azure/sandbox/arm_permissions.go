package sandbox

import (
	"net/http"
)

// apiAuthorization is the version of Microsoft.Authorization's permissions
// API that amlattach reads.
const apiAuthorization = "2022-04-01"

// Permissions is what the caller may do (a world's stand-in for the caller's
// role assignments): actions and notActions as in a role definition, "*"
// wildcards and all.
type Permissions struct {
	Actions    []string `yaml:"actions"`
	NotActions []string `yaml:"notActions"`
}

// permissionRoutes serve GET {scope}/providers/Microsoft.Authorization/permissions
// for a subscription, a resource group and a workspace.
func (s *Server) permissionRoutes(mk func(pattern, api string, methods map[string]handler) route) []route {
	get := map[string]handler{http.MethodGet: s.listPermissions}
	const perms = "/providers/Microsoft.Authorization/permissions"
	return []route{
		mk("subscriptions/{}"+perms, apiAuthorization, get),
		mk("subscriptions/{}/resourceGroups/{}"+perms, apiAuthorization, get),
		mk("subscriptions/{}/resourceGroups/{}/providers/Microsoft.MachineLearningServices/workspaces/{}"+perms, apiAuthorization, get),
		mk("subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/virtualMachines/{}"+perms, apiAuthorization,
			map[string]handler{http.MethodGet: s.listVMPermissions}),
	}
}

// listPermissions answers what the caller may do at the scope: the resource
// group's permissions when the scope is in a group that sets them, else the
// subscription's, else everything (["*"]), so that a world without the key
// behaves as one where the caller is Owner.
func (s *Server) listPermissions(w http.ResponseWriter, r *http.Request, m *match) {
	if len(m.vars) > 0 { // a workspace scope: it must exist
		s.mu.Lock()
		ws := s.workspace(w, m)
		s.mu.Unlock()
		if ws == nil {
			return
		}
	}
	s.writePermissions(w, r, m)
}

// listVMPermissions is listPermissions at a VM's scope: the VM must exist.
func (s *Server) listVMPermissions(w http.ResponseWriter, r *http.Request, m *match) {
	if s.vmEntry(w, m) != nil {
		s.writePermissions(w, r, m)
	}
}

// permissionsAt is what the world lets the caller do where m points: the
// resource group's permissions when it sets them, else the subscription's,
// else everything (["*"]), as for an Owner.
func permissionsAt(m *match) Permissions {
	switch {
	case m.rg != nil && m.rg.Permissions != nil:
		return *m.rg.Permissions
	case m.sub.Permissions != nil:
		return *m.sub.Permissions
	}
	return Permissions{Actions: []string{"*"}}
}

func (s *Server) writePermissions(w http.ResponseWriter, r *http.Request, m *match) {
	p := permissionsAt(m)
	s.writePage(w, r, []any{map[string]any{
		"actions":        orEmpty(p.Actions),
		"notActions":     orEmpty(p.NotActions),
		"dataActions":    []string{},
		"notDataActions": []string{},
	}})
}

// orEmpty is s, or an empty list where s is nil (JSON [] rather than null).
func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
