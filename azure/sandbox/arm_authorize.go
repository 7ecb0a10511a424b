package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// callerObjectID is the object ID of the principal the sandbox's tokens
// stand for, as Azure's authorization errors name it.
const callerObjectID = "00000000-0000-0000-0000-0000000000aa"

// writeRule says which RBAC action Resource Manager checks before it hands
// a write (PUT, PATCH, POST, DELETE) on a path to its provider, and which
// resources the body may link to (each needing its own join action).
// Patterns are path segments: literals compared case aside, "{}" any one
// segment.
type writeRule struct {
	methods []string
	pattern string
	action  string // "{ns}" stands for the namespace of the provider register rule
	// links are the join actions the body's references need, at the
	// referenced resources.
	links func(body []byte) []linkedAction
}

// linkedAction is an action needed at a resource the request's body points
// to (a NIC's NSG, subnet or public IP): Azure's linked access check.
type linkedAction struct{ action, scope string }

const (
	wrRG        = "subscriptions/{}/resourceGroups/{}/providers/"
	wrWorkspace = wrRG + "Microsoft.MachineLearningServices/workspaces/{}"
	wrVM        = wrRG + "Microsoft.Compute/virtualMachines/{}"
	wrNet       = wrRG + "Microsoft.Network/"
)

// writeRules are the writes amlattach sends (DESIGN §8's fixes, attach,
// detach, listKeys, test jobs), whether or not the sandbox serves them yet.
// A write no rule names is checked all the same, with the action Resource
// Manager derives from its path (armAction).
var writeRules = []writeRule{
	{methods: []string{http.MethodPut}, pattern: wrWorkspace + "/computes/{}", action: "Microsoft.MachineLearningServices/workspaces/computes/write"},
	{methods: []string{http.MethodDelete}, pattern: wrWorkspace + "/computes/{}", action: "Microsoft.MachineLearningServices/workspaces/computes/delete"},
	{methods: []string{http.MethodPost}, pattern: wrWorkspace + "/computes/{}/listKeys", action: "Microsoft.MachineLearningServices/workspaces/computes/listKeys/action"},
	{methods: []string{http.MethodPut}, pattern: wrWorkspace + "/jobs/{}", action: "Microsoft.MachineLearningServices/workspaces/jobs/write"},
	{methods: []string{http.MethodDelete}, pattern: wrWorkspace + "/jobs/{}", action: "Microsoft.MachineLearningServices/workspaces/jobs/delete"},
	{methods: []string{http.MethodPost}, pattern: wrWorkspace + "/jobs/{}/cancel", action: "Microsoft.MachineLearningServices/workspaces/jobs/cancel/action"},

	{methods: []string{http.MethodPost}, pattern: wrVM + "/start", action: actionVMStart},
	{methods: []string{http.MethodPost}, pattern: wrVM + "/runCommand", action: "Microsoft.Compute/virtualMachines/runCommand/action"},
	{methods: []string{http.MethodPut, http.MethodPatch}, pattern: wrVM + "/extensions/{}", action: "Microsoft.Compute/virtualMachines/extensions/write"},
	{methods: []string{http.MethodDelete}, pattern: wrVM + "/extensions/{}", action: "Microsoft.Compute/virtualMachines/extensions/delete"},
	{methods: []string{http.MethodPut, http.MethodPatch}, pattern: wrVM + "/runCommands/{}", action: "Microsoft.Compute/virtualMachines/runCommands/write"},
	{methods: []string{http.MethodDelete}, pattern: wrVM + "/runCommands/{}", action: "Microsoft.Compute/virtualMachines/runCommands/delete"},

	{methods: []string{http.MethodPut, http.MethodPatch}, pattern: wrNet + "networkSecurityGroups/{}", action: "Microsoft.Network/networkSecurityGroups/write"},
	{methods: []string{http.MethodDelete}, pattern: wrNet + "networkSecurityGroups/{}", action: "Microsoft.Network/networkSecurityGroups/delete"},
	{methods: []string{http.MethodPut}, pattern: wrNet + "networkSecurityGroups/{}/securityRules/{}", action: "Microsoft.Network/networkSecurityGroups/securityRules/write"},
	{methods: []string{http.MethodDelete}, pattern: wrNet + "networkSecurityGroups/{}/securityRules/{}", action: "Microsoft.Network/networkSecurityGroups/securityRules/delete"},
	{methods: []string{http.MethodPut, http.MethodPatch}, pattern: wrNet + "networkInterfaces/{}", action: "Microsoft.Network/networkInterfaces/write", links: nicLinks},
	{methods: []string{http.MethodDelete}, pattern: wrNet + "networkInterfaces/{}", action: "Microsoft.Network/networkInterfaces/delete"},
	{methods: []string{http.MethodPut, http.MethodPatch}, pattern: wrNet + "publicIPAddresses/{}", action: "Microsoft.Network/publicIPAddresses/write"},
	{methods: []string{http.MethodDelete}, pattern: wrNet + "publicIPAddresses/{}", action: "Microsoft.Network/publicIPAddresses/delete"},
	{methods: []string{http.MethodPut}, pattern: wrNet + "virtualNetworks/{}/subnets/{}", action: "Microsoft.Network/virtualNetworks/subnets/write", links: subnetLinks},
	{methods: []string{http.MethodPost}, pattern: wrNet + "networkWatchers/{}/ipFlowVerify", action: "Microsoft.Network/networkWatchers/ipFlowVerify/action"},

	{methods: []string{http.MethodPost}, pattern: "subscriptions/{}/providers/{}/register", action: "{ns}/register/action"},

	{methods: []string{http.MethodPut, http.MethodPatch}, pattern: wrRG + "Microsoft.ContainerService/managedClusters/{}/providers/Microsoft.KubernetesConfiguration/extensions/{}",
		action: "Microsoft.KubernetesConfiguration/extensions/write"},
	{methods: []string{http.MethodDelete}, pattern: wrRG + "Microsoft.ContainerService/managedClusters/{}/providers/Microsoft.KubernetesConfiguration/extensions/{}",
		action: "Microsoft.KubernetesConfiguration/extensions/delete"},
	{methods: []string{http.MethodPut, http.MethodPatch}, pattern: wrRG + "Microsoft.Kubernetes/connectedClusters/{}/providers/Microsoft.KubernetesConfiguration/extensions/{}",
		action: "Microsoft.KubernetesConfiguration/extensions/write"},
	{methods: []string{http.MethodDelete}, pattern: wrRG + "Microsoft.Kubernetes/connectedClusters/{}/providers/Microsoft.KubernetesConfiguration/extensions/{}",
		action: "Microsoft.KubernetesConfiguration/extensions/delete"},
}

// isWrite reports whether Resource Manager checks a write action for method.
func isWrite(method string) bool {
	switch method {
	case http.MethodPut, http.MethodPatch, http.MethodPost, http.MethodDelete:
		return true
	}
	return false
}

// writeRuleFor is the rule for method on the path segments segs, or nil.
func writeRuleFor(method string, segs []string) *writeRule {
	for i := range writeRules {
		wr := &writeRules[i]
		if !containsFold(wr.methods, method) {
			continue
		}
		if segsMatch(strings.Split(wr.pattern, "/"), segs) {
			return wr
		}
	}
	return nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func segsMatch(pattern, segs []string) bool {
	if len(pattern) != len(segs) {
		return false
	}
	for i, p := range pattern {
		if p != "{}" && !strings.EqualFold(p, segs[i]) {
			return false
		}
	}
	return true
}

// armAction is the action Resource Manager checks for a write on the path
// segs, and the scope it checks it over, derived as ARM does: the
// namespace after the last "providers", then the resource types (every
// other segment), then "write" or "delete" for PUT/PATCH/DELETE on a
// resource, or the action's name and "action" for a POST to a resource's
// action (virtualMachines/{vm}/start: Microsoft.Compute/virtualMachines/start/action).
// It is "" for a path that names no provider's resource.
func armAction(method string, segs []string) (action, scope string) {
	last := -1
	for i := 0; i+1 < len(segs); i++ {
		if strings.EqualFold(segs[i], "providers") {
			last = i
		}
	}
	if last < 0 {
		// A resource group itself (PUT/DELETE subscriptions/{}/resourceGroups/{}).
		if len(segs) == 4 && strings.EqualFold(segs[0], "subscriptions") && strings.EqualFold(segs[2], "resourceGroups") {
			verb := "write"
			if method == http.MethodDelete {
				verb = "delete"
			}
			return "Microsoft.Resources/subscriptions/resourceGroups/" + verb, "/" + strings.Join(segs, "/")
		}
		return "", ""
	}
	ns, rest := segs[last+1], segs[last+2:]
	parts := []string{ns}
	for i := 0; i < len(rest); i += 2 {
		parts = append(parts, rest[i])
	}
	scope = "/" + strings.Join(segs, "/")
	switch {
	case method == http.MethodPost && len(rest)%2 == 1:
		// The last segment is the action's name: the scope is what it acts on.
		parts = append(parts, "action")
		scope = "/" + strings.Join(segs[:len(segs)-1], "/")
		if len(rest) == 1 { // {ns}/register at a subscription: the subscription
			scope = "/" + strings.Join(segs[:last], "/")
		}
	case method == http.MethodDelete:
		parts = append(parts, "delete")
	case method == http.MethodPost:
		parts = append(parts, "action")
	default:
		parts = append(parts, "write")
	}
	return strings.Join(parts, "/"), scope
}

// requiredAction is the action a write needs and its scope: the rule's
// when one names the path, else armAction's.
func requiredAction(method string, segs []string) (action, scope string, rule *writeRule) {
	action, scope = armAction(method, segs)
	rule = writeRuleFor(method, segs)
	if rule != nil {
		action = rule.action
		if strings.Contains(action, "{ns}") && len(segs) >= 4 {
			action = strings.ReplaceAll(action, "{ns}", segs[3])
		}
	}
	return action, scope, rule
}

// authorize answers 403 for a write the world's permissions at the
// request's scope (its resource group's, else its subscription's) do not
// grant, as Resource Manager does before any provider sees the request:
// AuthorizationFailed naming the action and the scope, or
// LinkedAuthorizationFailed when the body links to a resource whose join
// action is not granted there. It reports whether the request may go on.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, segs []string, m *match) bool {
	if !isWrite(r.Method) || m.sub == nil {
		return true
	}
	action, scope, rule := requiredAction(r.Method, segs)
	if action == "" {
		return true
	}
	if !allows(m, action) {
		authorizationFailed(w, action, scope)
		return false
	}
	if rule == nil || rule.links == nil || r.Body == nil {
		return true
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return true // the handler answers for a body it cannot read
	}
	denied := map[string][]string{} // action -> linked scopes
	var order []string
	for _, l := range rule.links(body) {
		if s.allowsAt(l.scope, l.action) {
			continue
		}
		if _, ok := denied[l.action]; !ok {
			order = append(order, l.action)
		}
		denied[l.action] = append(denied[l.action], l.scope)
	}
	if len(order) == 0 {
		return true
	}
	linkedAuthorizationFailed(w, action, scope, order[0], strings.Join(denied[order[0]], ","))
	return false
}

// allowsAt reports whether the world's permissions where the resource ID
// id lives (its group's, else its subscription's) grant action. An ID
// outside the world's subscriptions is granted: the handler then answers
// for the resource it cannot find.
func (s *Server) allowsAt(id, action string) bool {
	segs := splitPath(id)
	if len(segs) < 2 || !strings.EqualFold(segs[0], "subscriptions") {
		return true
	}
	m := &match{sub: s.findSub(segs[1])}
	if m.sub == nil {
		return true
	}
	if len(segs) >= 4 && strings.EqualFold(segs[2], "resourceGroups") {
		m.rg = findRG(m.sub, segs[3])
	}
	return allows(m, action)
}

type idRef struct {
	ID string `json:"id"`
}

// nicLinks are a NIC body's references: its NSG, and each IP
// configuration's subnet and public IP.
func nicLinks(body []byte) []linkedAction {
	var nic struct {
		Properties struct {
			NetworkSecurityGroup *idRef `json:"networkSecurityGroup"`
			IPConfigurations     []struct {
				Properties struct {
					Subnet          *idRef `json:"subnet"`
					PublicIPAddress *idRef `json:"publicIPAddress"`
				} `json:"properties"`
			} `json:"ipConfigurations"`
		} `json:"properties"`
	}
	if json.Unmarshal(body, &nic) != nil {
		return nil
	}
	var out []linkedAction
	if g := nic.Properties.NetworkSecurityGroup; g != nil && g.ID != "" {
		out = append(out, linkedAction{"Microsoft.Network/networkSecurityGroups/join/action", g.ID})
	}
	for _, c := range nic.Properties.IPConfigurations {
		if sn := c.Properties.Subnet; sn != nil && sn.ID != "" {
			out = append(out, linkedAction{"Microsoft.Network/virtualNetworks/subnets/join/action", sn.ID})
		}
		if ip := c.Properties.PublicIPAddress; ip != nil && ip.ID != "" {
			out = append(out, linkedAction{"Microsoft.Network/publicIPAddresses/join/action", ip.ID})
		}
	}
	return out
}

// subnetLinks are a subnet body's references: its NSG.
func subnetLinks(body []byte) []linkedAction {
	var sn struct {
		Properties struct {
			NetworkSecurityGroup *idRef `json:"networkSecurityGroup"`
		} `json:"properties"`
	}
	if json.Unmarshal(body, &sn) != nil || sn.Properties.NetworkSecurityGroup == nil || sn.Properties.NetworkSecurityGroup.ID == "" {
		return nil
	}
	return []linkedAction{{"Microsoft.Network/networkSecurityGroups/join/action", sn.Properties.NetworkSecurityGroup.ID}}
}

// authorizationFailed is Azure's 403 for an action the caller lacks at scope.
func authorizationFailed(w http.ResponseWriter, action, scope string) {
	armError(w, http.StatusForbidden, "AuthorizationFailed", fmt.Sprintf(
		"The client '%[1]s' with object id '%[1]s' does not have authorization to perform action '%[2]s' over scope '%[3]s' or the scope is invalid. If access was recently granted, please refresh your credentials.",
		callerObjectID, action, scope))
}

// linkedAuthorizationFailed is Azure's 403 for a write the caller may make
// that references a resource it may not join (an NSG, a public IP).
func linkedAuthorizationFailed(w http.ResponseWriter, action, scope, linkedAction, linked string) {
	armError(w, http.StatusForbidden, "LinkedAuthorizationFailed", fmt.Sprintf(
		"The client '%[1]s' with object id '%[1]s' has permission to perform action '%[2]s' on scope '%[3]s'; however, it does not have permission to perform action '%[4]s' on the linked scope(s) '%[5]s' or the linked scope(s) are invalid.",
		callerObjectID, action, scope, linkedAction, linked))
}
