package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Writes to network resources, as Microsoft.Network answers them: PUT of a
// security rule, an NSG, a NIC or a public IP. Each write is long-running
// (201 on a create, 200 on an update, the body with provisioningState
// Updating and an Azure-AsyncOperation header to poll), gives the resource
// a new etag, honours If-Match (412 PreconditionFailed on a stale one) and
// If-None-Match: * (412 when the resource exists), and is refused with 403
// when the world's permissions at the group deny the action. The world
// changes as Azure's would: the rule is in the NSG the probe reads, the NIC
// points to the NSG and the public IP and they point back, and attaches and
// dials follow (see netView).

// The RBAC actions of a NIC write that joins an NSG or a public IP (the
// writes themselves are checked in authorize, before any handler).
const (
	actionNSGJoin  = "Microsoft.Network/networkSecurityGroups/join/action"
	actionNICWrite = "Microsoft.Network/networkInterfaces/write"
	actionPIPJoin  = "Microsoft.Network/publicIPAddresses/join/action"
)

// NewPublicIPRange is where the sandbox takes the address of a public IP
// made through the API: the first address of it that no world VM uses.
const NewPublicIPRange = "20.250.0.0/16"

// netWrites is the state of the network writes: one at a time, so that a
// read-modify-write of a NIC and of the NSG it points to is one step.
type netWrites struct {
	mu        sync.Mutex
	ops       map[string]*netOp
	conflicts int // ETagConflicts used so far
	nextIP    uint32
	ipMu      sync.RWMutex // guards Server.byIP once the server runs
}

// netOp is a network write in progress: Updating until due.
type netOp struct {
	id         string
	sub        string
	start, due time.Time
	done       bool
	finish     func() // sets provisioningState Succeeded
}

// publicIPSku is the VM's public IP SKU (Standard unless the world says
// Basic or the address is Dynamic).
func (vm *VM) publicIPSku() string {
	switch {
	case vm.PublicIPSku != "":
		return vm.PublicIPSku
	case vm.PublicIPAllocation == "Dynamic":
		return "Basic"
	}
	return "Standard"
}

// setChildETags gives an NSG's rules and a NIC's IP configurations the
// etag of the resource they are part of: Network changes them together.
func setChildETags(body map[string]any) {
	props, _ := body["properties"].(map[string]any)
	for _, k := range []string{"securityRules", "defaultSecurityRules", "ipConfigurations"} {
		list, _ := props[k].([]any)
		for _, c := range list {
			if m, ok := c.(map[string]any); ok {
				m["etag"] = body["etag"]
			}
		}
	}
}

// view is the body as a GET answers it now: a Dynamic public IP of a VM
// that is deallocated has no address.
func (n *netRes) view() map[string]any {
	b := n.body()
	e := n.owner()
	if n.typ != "publicIPAddresses" || e == nil {
		return b
	}
	props, _ := b["properties"].(map[string]any)
	if props["publicIPAllocationMethod"] != "Dynamic" || e.powerState() != "deallocated" {
		return b
	}
	c := copyBody(b)
	delete(c["properties"].(map[string]any), "ipAddress")
	return c
}

// owner is the VM the resource belongs to now (nil: none).
func (n *netRes) owner() *vmEntry {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.e
}

func (n *netRes) setOwner(e *vmEntry) {
	n.mu.Lock()
	n.e = e
	n.mu.Unlock()
}

// copyBody deep-copies a JSON body (numbers become float64).
func copyBody(b map[string]any) map[string]any {
	raw, err := json.Marshal(b)
	if err != nil {
		panic(err) // bodies are built from JSON values only
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		panic(err)
	}
	return out
}

func newETag() string { return `W/"` + randomUUID() + `"` }

// networkWriteRoutes are the write routes, the security rules' GETs, the
// operation status, and the permissions API at a network resource's scope.
func (s *Server) networkWriteRoutes(mk func(pattern, api string, methods map[string]handler) route) []route {
	const (
		sub  = "subscriptions/{}"
		rg   = sub + "/resourceGroups/{}"
		netw = "/providers/Microsoft.Network"
	)
	rts := []route{
		mk(rg+netw+"/networkSecurityGroups/{}/securityRules", apiNetwork, map[string]handler{http.MethodGet: s.listSecurityRules}),
		mk(rg+netw+"/networkSecurityGroups/{}/securityRules/{}", apiNetwork, map[string]handler{
			http.MethodGet: s.getSecurityRule, http.MethodPut: s.putSecurityRule}),
		mk(sub+netw+"/locations/{}/operations/{}", apiNetwork, map[string]handler{http.MethodGet: s.networkOperationStatus}),
	}
	for _, t := range []string{"networkInterfaces", "publicIPAddresses", "networkSecurityGroups"} {
		rts = append(rts, mk(rg+netw+"/"+t+"/{}/providers/Microsoft.Authorization/permissions", apiAuthorization,
			map[string]handler{http.MethodGet: s.listNetworkPermissions(t)}))
	}
	return rts
}

// networkMethods are the methods a network resource of type typ answers:
// GET, and PUT for NSGs, NICs and public IPs.
func (s *Server) networkMethods(typ string) map[string]handler {
	h := map[string]handler{http.MethodGet: s.getNetwork(typ)}
	switch typ {
	case "networkSecurityGroups":
		h[http.MethodPut] = s.putNSG
	case "networkInterfaces":
		h[http.MethodPut] = s.putNIC
	case "publicIPAddresses":
		h[http.MethodPut] = s.putPublicIP
	}
	return h
}

func (s *Server) listNetworkPermissions(typ string) handler {
	return func(w http.ResponseWriter, r *http.Request, m *match) {
		if s.findNet(m, typ, m.vars[0]) == nil {
			notFound(w, "Microsoft.Network/"+typ, m.vars[0], m.rg.Name)
			return
		}
		s.writePermissions(w, r, m)
	}
}

// readJSONBody reads a request body into v; false after answering 400.
func readJSONBody(w http.ResponseWriter, r *http.Request, v any, what string) bool {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(raw, v)
	}
	if err != nil {
		armError(w, http.StatusBadRequest, "InvalidRequestFormat", "Cannot parse the request: the body is not a valid "+what+".")
		return false
	}
	return true
}

// preconditions checks If-Match and If-None-Match against the resource's
// current etag ("" when it does not exist). A world with etagConflicts
// first has another client change the resource (cur is then replaced),
// once per conflict, for writes that carry If-Match. false after 412.
func (s *Server) preconditions(w http.ResponseWriter, r *http.Request, n *netRes) bool {
	ifMatch := r.Header.Get("If-Match")
	etag := ""
	if n != nil {
		if ifMatch != "" && s.nw.conflicts < s.world.Faults.ETagConflicts {
			s.nw.conflicts++
			b := copyBody(n.body())
			tags, _ := b["tags"].(map[string]any)
			if tags == nil {
				tags = map[string]any{}
			}
			tags["changedBy"] = "another-client"
			b["tags"] = tags
			b["etag"] = newETag()
			setChildETags(b)
			n.replace(b)
		}
		etag, _ = n.body()["etag"].(string)
	}
	fail := func() bool {
		armError(w, http.StatusPreconditionFailed, "PreconditionFailed", "The condition specified using HTTP conditional header(s) is not met.")
		return false
	}
	if ifMatch != "" && ifMatch != "*" && ifMatch != etag {
		return fail()
	}
	if ifMatch == "*" && n == nil {
		return fail()
	}
	if r.Header.Get("If-None-Match") == "*" && n != nil {
		return fail()
	}
	return true
}

// startNetworkOp answers a network write: status (201 or 200), the body,
// and the Azure-AsyncOperation URL of an operation that ends after
// faults.networkWriteSeconds, when finish runs. Callers hold s.nw.mu.
func (s *Server) startNetworkOp(w http.ResponseWriter, m *match, status int, body any, location string, finish func()) {
	now := s.now()
	op := &netOp{id: randomUUID(), sub: m.sub.ID, start: now, due: now.Add(seconds(s.world.Faults.NetworkWriteSeconds)), finish: finish}
	s.nw.ops[op.id] = op
	s.advanceNetworkOps()
	loc := strings.ToLower(strings.ReplaceAll(location, " ", ""))
	if loc == "" {
		loc = strings.ToLower(m.rg.Location)
	}
	w.Header().Set("Azure-AsyncOperation", fmt.Sprintf("%s/subscriptions/%s/providers/Microsoft.Network/locations/%s/operations/%s?api-version=%s",
		s.endpoint, m.sub.ID, loc, op.id, apiNetwork))
	w.Header().Set("Retry-After", "1")
	writeJSON(w, status, body)
}

// advanceNetworkOps ends the writes whose time has come. Callers hold s.nw.mu.
func (s *Server) advanceNetworkOps() {
	now := s.now()
	for _, op := range s.nw.ops {
		if !op.done && !now.Before(op.due) {
			op.done = true
			op.finish()
		}
	}
}

func (s *Server) networkOperationStatus(w http.ResponseWriter, r *http.Request, m *match) {
	s.nw.mu.Lock()
	s.advanceNetworkOps()
	op := s.nw.ops[m.vars[1]]
	if op == nil {
		// Not a write's operation: Network Watcher's IP flow verify
		// answers on the same URL.
		s.nw.mu.Unlock()
		s.ipFlowOperation(w, r, m)
		return
	}
	defer s.nw.mu.Unlock()
	if !strings.EqualFold(op.sub, m.sub.ID) {
		armError(w, http.StatusNotFound, "OperationNotFound", fmt.Sprintf("The operation '%s' was not found.", m.vars[1]))
		return
	}
	status := "InProgress"
	if op.done {
		status = "Succeeded"
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": status})
}

// succeeded returns a finish function that sets provisioningState
// Succeeded on the resource n and, when child names one, on that rule.
func succeeded(n *netRes, child string) func() {
	return func() {
		b := copyBody(n.body())
		props := b["properties"].(map[string]any)
		if child == "" {
			props["provisioningState"] = "Succeeded"
		}
		for _, k := range []string{"securityRules", "ipConfigurations"} {
			list, _ := props[k].([]any)
			for _, c := range list {
				cm := c.(map[string]any)
				if child == "" || strings.EqualFold(fmt.Sprint(cm["name"]), child) {
					cm["properties"].(map[string]any)["provisioningState"] = "Succeeded"
				}
			}
		}
		n.replace(b)
	}
}

// ---- security rules ----

// ruleBody is a security rule as a PUT sends it.
type ruleBody struct {
	Properties struct {
		Description                string   `json:"description"`
		Protocol                   string   `json:"protocol"`
		SourcePortRange            string   `json:"sourcePortRange"`
		SourcePortRanges           []string `json:"sourcePortRanges"`
		DestinationPortRange       string   `json:"destinationPortRange"`
		DestinationPortRanges      []string `json:"destinationPortRanges"`
		SourceAddressPrefix        string   `json:"sourceAddressPrefix"`
		SourceAddressPrefixes      []string `json:"sourceAddressPrefixes"`
		DestinationAddressPrefix   string   `json:"destinationAddressPrefix"`
		DestinationAddressPrefixes []string `json:"destinationAddressPrefixes"`
		Access                     string   `json:"access"`
		Priority                   *int     `json:"priority"`
		Direction                  string   `json:"direction"`
	} `json:"properties"`
}

// check says what Network would refuse in the rule ("" when nothing): the
// code and message of its 400.
func (rb *ruleBody) check(name string) (string, string) {
	p := &rb.Properties
	oneOf := func(v string, vals ...string) bool {
		for _, x := range vals {
			if strings.EqualFold(v, x) {
				return true
			}
		}
		return false
	}
	switch {
	case p.Priority == nil || *p.Priority < 100 || *p.Priority > 4096:
		return "SecurityRuleInvalidPriority", fmt.Sprintf("Security rule %s has invalid Priority. Value provided: %s Allowed range 100-4096.", name, intOrNone(p.Priority))
	case !oneOf(p.Direction, "Inbound", "Outbound"):
		return "SecurityRuleInvalidDirection", fmt.Sprintf("Security rule %s has invalid Direction %q. Allowed values: Inbound, Outbound.", name, p.Direction)
	case !oneOf(p.Access, "Allow", "Deny"):
		return "SecurityRuleInvalidAccess", fmt.Sprintf("Security rule %s has invalid Access %q. Allowed values: Allow, Deny.", name, p.Access)
	case !oneOf(p.Protocol, "Tcp", "Udp", "Icmp", "Esp", "Ah", "*"):
		return "SecurityRuleInvalidProtocol", fmt.Sprintf("Security rule %s has invalid Protocol %q.", name, p.Protocol)
	case p.SourceAddressPrefix == "" && len(p.SourceAddressPrefixes) == 0:
		return "SecurityRuleInvalidAddressPrefix", fmt.Sprintf("Security rule %s has no source address prefix.", name)
	case p.DestinationAddressPrefix == "" && len(p.DestinationAddressPrefixes) == 0:
		return "SecurityRuleInvalidAddressPrefix", fmt.Sprintf("Security rule %s has no destination address prefix.", name)
	case p.DestinationPortRange == "" && len(p.DestinationPortRanges) == 0:
		return "SecurityRuleInvalidPortRange", fmt.Sprintf("Security rule %s has no destination port range.", name)
	case p.SourcePortRange == "" && len(p.SourcePortRanges) == 0:
		return "SecurityRuleInvalidPortRange", fmt.Sprintf("Security rule %s has no source port range.", name)
	}
	for _, pr := range append([]string{p.DestinationPortRange}, p.DestinationPortRanges...) {
		if pr == "" {
			continue
		}
		if _, err := parsePorts(pr); err != nil {
			return "SecurityRuleInvalidPortRange", fmt.Sprintf("Security rule %s has invalid Port range %q.", name, pr)
		}
	}
	return "", ""
}

func intOrNone(p *int) string {
	if p == nil {
		return "none"
	}
	return strconv.Itoa(*p)
}

// json is the rule as Network stores and returns it.
func (rb *ruleBody) json(nsgID, name, state string) map[string]any {
	p := &rb.Properties
	list := func(ss []string) []any {
		if ss == nil {
			return []any{}
		}
		return toAny(ss)
	}
	props := map[string]any{
		"provisioningState":          state,
		"protocol":                   canonical(p.Protocol, "Tcp", "Udp", "Icmp", "Esp", "Ah", "*"),
		"sourcePortRanges":           list(p.SourcePortRanges),
		"destinationPortRanges":      list(p.DestinationPortRanges),
		"sourceAddressPrefixes":      list(p.SourceAddressPrefixes),
		"destinationAddressPrefixes": list(p.DestinationAddressPrefixes),
		"access":                     canonical(p.Access, "Allow", "Deny"),
		"priority":                   *p.Priority,
		"direction":                  canonical(p.Direction, "Inbound", "Outbound"),
	}
	for k, v := range map[string]string{"description": p.Description, "sourcePortRange": p.SourcePortRange,
		"destinationPortRange": p.DestinationPortRange, "sourceAddressPrefix": p.SourceAddressPrefix,
		"destinationAddressPrefix": p.DestinationAddressPrefix} {
		if v != "" {
			props[k] = v
		}
	}
	return map[string]any{
		"id": nsgID + "/securityRules/" + name, "name": name,
		"type": "Microsoft.Network/networkSecurityGroups/securityRules", "properties": props,
	}
}

// canonical is v spelled as the matching one of vals (case aside).
func canonical(v string, vals ...string) string {
	for _, x := range vals {
		if strings.EqualFold(v, x) {
			return x
		}
	}
	return v
}

// ruleConflict names the other rule of the NSG body that has the same
// priority and direction as the rule name would have ("" when none).
func ruleConflict(nsg map[string]any, name string, prio int, dir string) string {
	rules, _ := nsg["properties"].(map[string]any)["securityRules"].([]any)
	for _, r := range rules {
		rm := r.(map[string]any)
		p := rm["properties"].(map[string]any)
		if strings.EqualFold(fmt.Sprint(rm["name"]), name) {
			continue
		}
		if num(p["priority"]) == prio && strings.EqualFold(fmt.Sprint(p["direction"]), dir) {
			return fmt.Sprint(rm["name"])
		}
	}
	return ""
}

// num reads a JSON number (an int when built in code, a float64 once
// copied).
func num(v any) int {
	switch x := v.(type) {
	case int:
		return x
	case float64:
		return int(x)
	}
	return 0
}

func (s *Server) securityRules(w http.ResponseWriter, m *match) ([]any, bool) {
	n := s.findNet(m, "networkSecurityGroups", m.vars[0])
	if n == nil {
		notFound(w, "Microsoft.Network/networkSecurityGroups", m.vars[0], m.rg.Name)
		return nil, false
	}
	rules, _ := n.body()["properties"].(map[string]any)["securityRules"].([]any)
	return rules, true
}

func (s *Server) listSecurityRules(w http.ResponseWriter, r *http.Request, m *match) {
	if rules, ok := s.securityRules(w, m); ok {
		s.writePage(w, r, rules)
	}
}

func (s *Server) getSecurityRule(w http.ResponseWriter, _ *http.Request, m *match) {
	rules, ok := s.securityRules(w, m)
	if !ok {
		return
	}
	for _, r := range rules {
		if strings.EqualFold(fmt.Sprint(r.(map[string]any)["name"]), m.vars[1]) {
			writeJSON(w, http.StatusOK, r)
			return
		}
	}
	notFound(w, "Microsoft.Network/networkSecurityGroups/"+m.vars[0]+"/securityRules", m.vars[1], m.rg.Name)
}

// ruleNamedIn reports whether the NSG body has a rule called name.
func ruleNamedIn(b map[string]any, name string) bool {
	rules, _ := b["properties"].(map[string]any)["securityRules"].([]any)
	for _, x := range rules {
		if strings.EqualFold(fmt.Sprint(x.(map[string]any)["name"]), name) {
			return true
		}
	}
	return false
}

// foreignRule is another client adding a rule called name to n (an Allow
// of TCP 8080 from a documentation range, which lets Azure ML in on no SSH
// port) at the first inbound priority free from 3000: n's etag moves and a
// tag says who changed it.
func (s *Server) foreignRule(n *netRes, name string) {
	b := copyBody(n.body())
	props := b["properties"].(map[string]any)
	rules, _ := props["securityRules"].([]any)
	prio := 3000
	for ruleConflict(b, name, prio, "Inbound") != "" {
		prio++
	}
	var rb ruleBody
	rb.Properties.Protocol, rb.Properties.Access, rb.Properties.Direction = "Tcp", "Allow", "Inbound"
	rb.Properties.SourceAddressPrefix, rb.Properties.SourcePortRange = "192.0.2.0/24", "*"
	rb.Properties.DestinationAddressPrefix, rb.Properties.DestinationPortRange = "*", "8080"
	rb.Properties.Description = "made by another client"
	rb.Properties.Priority = &prio
	rule := rb.json(b["id"].(string), name, "Succeeded")
	rule["etag"] = b["etag"]
	props["securityRules"] = append(rules, rule)
	tags, _ := b["tags"].(map[string]any)
	if tags == nil {
		tags = map[string]any{}
	}
	tags["changedBy"] = "another-client"
	b["tags"] = tags
	b["etag"] = newETag()
	setChildETags(b)
	n.replace(b)
}

// putSecurityRule serves PUT .../networkSecurityGroups/{nsg}/securityRules/{rule}.
// The rule's etag is its NSG's, so If-Match is checked against the NSG's.
func (s *Server) putSecurityRule(w http.ResponseWriter, r *http.Request, m *match) {
	var rb ruleBody
	if !readJSONBody(w, r, &rb, "security rule") {
		return
	}
	s.nw.mu.Lock()
	defer s.nw.mu.Unlock()
	n := s.findNet(m, "networkSecurityGroups", m.vars[0])
	if n == nil {
		notFound(w, "Microsoft.Network/networkSecurityGroups", m.vars[0], m.rg.Name)
		return
	}
	nsgID := n.body()["id"].(string)
	if code, msg := rb.check(m.vars[1]); code != "" {
		armError(w, http.StatusBadRequest, code, msg)
		return
	}
	if r.Header.Get("If-None-Match") == "*" {
		// A new rule: 412 when one of that name exists. With
		// etagConflicts, another client makes one of that name first.
		if s.nw.conflicts < s.world.Faults.ETagConflicts {
			s.nw.conflicts++
			s.foreignRule(n, m.vars[1])
		}
		if ruleNamedIn(n.body(), m.vars[1]) {
			armError(w, http.StatusPreconditionFailed, "PreconditionFailed", "The condition specified using HTTP conditional header(s) is not met.")
			return
		}
	} else if !s.preconditions(w, r, n) {
		return
	}
	b := copyBody(n.body())
	if other := ruleConflict(b, m.vars[1], *rb.Properties.Priority, rb.Properties.Direction); other != "" {
		armError(w, http.StatusBadRequest, "SecurityRuleConflict", fmt.Sprintf(
			"Security rule %s conflicts with rule %s. Rules cannot have the same Priority and Direction. To learn more, see aka.ms/nsgrules.", m.vars[1], other))
		return
	}
	props := b["properties"].(map[string]any)
	rules, _ := props["securityRules"].([]any)
	rule := rb.json(nsgID, m.vars[1], "Updating")
	status := http.StatusCreated
	name := m.vars[1]
	for i, x := range rules {
		if strings.EqualFold(fmt.Sprint(x.(map[string]any)["name"]), m.vars[1]) {
			name = fmt.Sprint(x.(map[string]any)["name"])
			rule = rb.json(nsgID, name, "Updating")
			rules[i], status = rule, http.StatusOK
		}
	}
	if status == http.StatusCreated {
		rules = append(rules, rule)
	}
	props["securityRules"] = rules
	b["etag"] = newETag()
	setChildETags(b)
	n.replace(b)
	loc, _ := b["location"].(string)
	s.startNetworkOp(w, m, status, rule, loc, succeeded(n, name))
}

// ---- network security groups ----

// nsgBody is an NSG as a PUT sends it.
type nsgBody struct {
	Location   string            `json:"location"`
	Tags       map[string]string `json:"tags"`
	Properties struct {
		SecurityRules []struct {
			Name string `json:"name"`
			ruleBody
		} `json:"securityRules"`
	} `json:"properties"`
}

// putNSG serves PUT .../networkSecurityGroups/{nsg}: a create, or an
// update of its rules and tags (references to it are Network's to keep).
func (s *Server) putNSG(w http.ResponseWriter, r *http.Request, m *match) {
	var nb nsgBody
	if !readJSONBody(w, r, &nb, "network security group") {
		return
	}
	s.nw.mu.Lock()
	defer s.nw.mu.Unlock()
	n := s.findNet(m, "networkSecurityGroups", m.vars[0])
	id := rgPrefix(m.sub, m.rg) + "/providers/Microsoft.Network/networkSecurityGroups/" + m.vars[0]
	if nb.Location == "" {
		armError(w, http.StatusBadRequest, "LocationRequired", "The location property is required for this definition.")
		return
	}
	seen := map[string]string{}
	for _, sr := range nb.Properties.SecurityRules {
		if sr.Name == "" {
			armError(w, http.StatusBadRequest, "InvalidRequestFormat", "Every security rule needs a name.")
			return
		}
		if code, msg := sr.check(sr.Name); code != "" {
			armError(w, http.StatusBadRequest, code, msg)
			return
		}
		k := strings.ToLower(sr.Properties.Direction) + "/" + strconv.Itoa(*sr.Properties.Priority)
		if other, dup := seen[k]; dup {
			armError(w, http.StatusBadRequest, "SecurityRuleConflict", fmt.Sprintf(
				"Security rule %s conflicts with rule %s. Rules cannot have the same Priority and Direction. To learn more, see aka.ms/nsgrules.", sr.Name, other))
			return
		}
		seen[k] = sr.Name
	}
	if !s.preconditions(w, r, n) {
		return
	}
	name := m.vars[0]
	status := http.StatusCreated
	body := nsgJSON(id, name, nb.Location, nil)
	props := body["properties"].(map[string]any)
	if n != nil {
		old := copyBody(n.body())
		name = old["name"].(string)
		body = old
		props = body["properties"].(map[string]any)
		body["location"] = nb.Location
		status = http.StatusOK
	}
	custom := []any{}
	for _, sr := range nb.Properties.SecurityRules {
		custom = append(custom, sr.json(id, sr.Name, "Updating"))
	}
	props["securityRules"] = custom
	props["provisioningState"] = "Updating"
	body["type"] = "Microsoft.Network/networkSecurityGroups"
	if len(nb.Tags) > 0 {
		body["tags"] = nb.Tags
	} else {
		delete(body, "tags")
	}
	body["etag"] = newETag()
	setChildETags(body)
	if n == nil {
		n = s.addNet(m, "networkSecurityGroups", name, nil)
	}
	n.replace(body)
	s.startNetworkOp(w, m, status, body, nb.Location, succeeded(n, ""))
}

// addNet registers a resource made through the API.
func (s *Server) addNet(m *match, typ, name string, e *vmEntry) *netRes {
	s.netMu.Lock()
	defer s.netMu.Unlock()
	s.registerNetwork(m.sub, m.rg)
	n := &netRes{sub: m.sub, rg: m.rg, typ: typ, name: name, e: e}
	k := key(m.sub.ID, m.rg.Name, typ)
	s.nets[k] = append(s.nets[k], n)
	s.netByName[k+"/"+strings.ToLower(name)] = n
	return n
}

// netByID finds a network resource by its ID (nil when there is none).
func (s *Server) netByID(id string) *netRes {
	segs := splitPath(id)
	if len(segs) != 8 || !strings.EqualFold(segs[0], "subscriptions") || !strings.EqualFold(segs[2], "resourceGroups") ||
		!strings.EqualFold(segs[4], "providers") || !strings.EqualFold(segs[5], "Microsoft.Network") {
		return nil
	}
	sub := s.findSub(segs[1])
	if sub == nil {
		return nil
	}
	g := findRG(sub, segs[3])
	if g == nil {
		return nil
	}
	return s.findNet(&match{sub: sub, rg: g}, segs[6], segs[7])
}

// ---- public IP addresses ----

type pipBody struct {
	Location string            `json:"location"`
	Tags     map[string]string `json:"tags"`
	SKU      *struct {
		Name string `json:"name"`
		Tier string `json:"tier"`
	} `json:"sku"`
	Properties struct {
		PublicIPAllocationMethod string `json:"publicIPAllocationMethod"`
		PublicIPAddressVersion   string `json:"publicIPAddressVersion"`
		IdleTimeoutInMinutes     *int   `json:"idleTimeoutInMinutes"`
	} `json:"properties"`
}

// putPublicIP serves PUT .../publicIPAddresses/{ip}: a create (a Static
// address gets one from NewPublicIPRange at once), or an update of the
// allocation method, idle timeout and tags. The SKU cannot change.
func (s *Server) putPublicIP(w http.ResponseWriter, r *http.Request, m *match) {
	var pb pipBody
	if !readJSONBody(w, r, &pb, "public IP address") {
		return
	}
	s.nw.mu.Lock()
	defer s.nw.mu.Unlock()
	n := s.findNet(m, "publicIPAddresses", m.vars[0])
	id := rgPrefix(m.sub, m.rg) + "/providers/Microsoft.Network/publicIPAddresses/" + m.vars[0]
	if pb.Location == "" {
		armError(w, http.StatusBadRequest, "LocationRequired", "The location property is required for this definition.")
		return
	}
	sku := "Basic" // Network's default when no SKU is given
	if pb.SKU != nil && pb.SKU.Name != "" {
		sku = canonical(pb.SKU.Name, "Basic", "Standard")
	}
	alloc := canonical(pb.Properties.PublicIPAllocationMethod, "Static", "Dynamic")
	if alloc == "" {
		alloc = "Dynamic"
	}
	switch {
	case sku != "Basic" && sku != "Standard":
		armError(w, http.StatusBadRequest, "InvalidRequestFormat", fmt.Sprintf("The public IP SKU %q is not valid: use Basic or Standard.", pb.SKU.Name))
		return
	case alloc != "Static" && alloc != "Dynamic":
		armError(w, http.StatusBadRequest, "InvalidRequestFormat", fmt.Sprintf("The allocation method %q is not valid: use Static or Dynamic.", pb.Properties.PublicIPAllocationMethod))
		return
	case sku == "Standard" && alloc != "Static":
		armError(w, http.StatusBadRequest, "StandardSkuPublicIPAddressesMustBeStatic", fmt.Sprintf(
			"Standard sku publicIp %s must have AllocationMethod set to Static.", id))
		return
	}
	if n != nil {
		cur, _ := n.body()["sku"].(map[string]any)
		if was := fmt.Sprint(cur["name"]); !strings.EqualFold(was, sku) {
			armError(w, http.StatusBadRequest, "PublicIPSkuUpdateNotSupported", fmt.Sprintf(
				"The SKU of public IP %s cannot be changed from %s to %s.", id, was, sku))
			return
		}
	}
	if !s.preconditions(w, r, n) {
		return
	}
	status := http.StatusCreated
	var body map[string]any
	if n != nil {
		body = copyBody(n.body())
		status = http.StatusOK
	} else {
		body = map[string]any{"id": id, "name": m.vars[0], "type": "Microsoft.Network/publicIPAddresses",
			"properties": map[string]any{"resourceGuid": randomUUID(), "publicIPAddressVersion": "IPv4", "idleTimeoutInMinutes": 4}}
	}
	props := body["properties"].(map[string]any)
	body["location"] = pb.Location
	body["sku"] = map[string]any{"name": sku, "tier": "Regional"}
	props["publicIPAllocationMethod"] = alloc
	props["provisioningState"] = "Updating"
	if pb.Properties.IdleTimeoutInMinutes != nil {
		props["idleTimeoutInMinutes"] = *pb.Properties.IdleTimeoutInMinutes
	}
	if _, has := props["ipAddress"]; !has && alloc == "Static" {
		props["ipAddress"] = s.freePublicIP()
	}
	if len(pb.Tags) > 0 {
		body["tags"] = pb.Tags
	} else {
		delete(body, "tags")
	}
	body["etag"] = newETag()
	if n == nil {
		n = s.addNet(m, "publicIPAddresses", m.vars[0], nil)
	}
	n.replace(body)
	s.startNetworkOp(w, m, status, n.view(), pb.Location, succeeded(n, ""))
}

// freePublicIP is the first address of NewPublicIPRange that no VM and no
// public IP uses. Callers hold s.nw.mu.
func (s *Server) freePublicIP() string {
	_, block, _ := net.ParseCIDR(NewPublicIPRange)
	base := block.IP.To4()
	for {
		s.nw.nextIP++
		v := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3]) + s.nw.nextIP
		ip := net.IPv4(byte(v>>24), byte(v>>16), byte(v>>8), byte(v)).String()
		s.nw.ipMu.RLock()
		_, used := s.byIP[ip]
		s.nw.ipMu.RUnlock()
		if !used {
			return ip
		}
	}
}

// ---- network interfaces ----

type nicBody struct {
	Location   string            `json:"location"`
	Tags       map[string]string `json:"tags"`
	Properties struct {
		NetworkSecurityGroup *idRef `json:"networkSecurityGroup"`
		IPConfigurations     []struct {
			Name       string `json:"name"`
			Properties struct {
				PublicIPAddress *idRef `json:"publicIPAddress"`
			} `json:"properties"`
		} `json:"ipConfigurations"`
	} `json:"properties"`
}

// putNIC serves PUT .../networkInterfaces/{nic} on an existing NIC: its
// NSG and the public IPs of its IP configurations may change (and their
// references back to it); the sandbox does not make NICs. Joining an NSG
// or a public IP needs its join action (403 LinkedAuthorizationFailed).
func (s *Server) putNIC(w http.ResponseWriter, r *http.Request, m *match) {
	var nb nicBody
	if !readJSONBody(w, r, &nb, "network interface") {
		return
	}
	s.nw.mu.Lock()
	defer s.nw.mu.Unlock()
	n := s.findNet(m, "networkInterfaces", m.vars[0])
	id := rgPrefix(m.sub, m.rg) + "/providers/Microsoft.Network/networkInterfaces/" + m.vars[0]
	if n == nil {
		armError(w, http.StatusBadRequest, "InvalidRequestFormat", "The sandbox changes the network interfaces of the world's VMs; it does not make new ones.")
		return
	}
	cur := n.body()
	id = cur["id"].(string)
	loc, _ := cur["location"].(string)
	curProps := cur["properties"].(map[string]any)
	curCfgs := curProps["ipConfigurations"].([]any)
	if len(nb.Properties.IPConfigurations) != len(curCfgs) {
		armError(w, http.StatusBadRequest, "InvalidRequestFormat", "The sandbox does not add or remove IP configurations: send the NIC's IP configurations as read.")
		return
	}
	// What changes, checked before anything is.
	oldNSG := refID(curProps["networkSecurityGroup"])
	newNSG := ""
	if nb.Properties.NetworkSecurityGroup != nil {
		newNSG = nb.Properties.NetworkSecurityGroup.ID
	}
	var nsgRes *netRes
	if newNSG != "" && !strings.EqualFold(newNSG, oldNSG) {
		if nsgRes = s.netByID(newNSG); nsgRes == nil || nsgRes.typ != "networkSecurityGroups" {
			armError(w, http.StatusBadRequest, "InvalidResourceReference", fmt.Sprintf("Resource %s referenced by resource %s was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.", newNSG, id))
			return
		}
		if l, _ := nsgRes.body()["location"].(string); !sameRegion(l, loc) {
			armError(w, http.StatusBadRequest, "ResourceNotInSameRegion", fmt.Sprintf("Network security group %s is in %s, not in the network interface's region %s.", newNSG, l, loc))
			return
		}
		if !allows(&match{sub: nsgRes.sub, rg: nsgRes.rg}, actionNSGJoin) {
			linkedAuthorizationFailed(w, actionNICWrite, id, actionNSGJoin, newNSG)
			return
		}
	}
	type pipChange struct {
		cfg      map[string]any
		old, new string
		res      *netRes
	}
	var pips []pipChange
	for i, c := range nb.Properties.IPConfigurations {
		cm := curCfgs[i].(map[string]any)
		if !strings.EqualFold(fmt.Sprint(cm["name"]), c.Name) {
			armError(w, http.StatusBadRequest, "InvalidRequestFormat", "The sandbox does not rename IP configurations: send the NIC's IP configurations as read.")
			return
		}
		old := refID(cm["properties"].(map[string]any)["publicIPAddress"])
		nw := ""
		if c.Properties.PublicIPAddress != nil {
			nw = c.Properties.PublicIPAddress.ID
		}
		if strings.EqualFold(old, nw) {
			continue
		}
		pc := pipChange{cfg: cm, old: old, new: nw}
		if nw != "" {
			if pc.res = s.netByID(nw); pc.res == nil || pc.res.typ != "publicIPAddresses" {
				armError(w, http.StatusBadRequest, "InvalidResourceReference", fmt.Sprintf("Resource %s referenced by resource %s was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.", nw, id))
				return
			}
			pb := pc.res.body()
			if used := refID(pb["properties"].(map[string]any)["ipConfiguration"]); used != "" {
				armError(w, http.StatusBadRequest, "PublicIPAddressInUse", fmt.Sprintf("Resource %s is already in use by %s.", nw, used))
				return
			}
			if l, _ := pb["location"].(string); !sameRegion(l, loc) {
				armError(w, http.StatusBadRequest, "ResourceNotInSameRegion", fmt.Sprintf("Public IP %s is in %s, not in the network interface's region %s.", nw, l, loc))
				return
			}
			if !allows(&match{sub: pc.res.sub, rg: pc.res.rg}, actionPIPJoin) {
				linkedAuthorizationFailed(w, actionNICWrite, id, actionPIPJoin, nw)
				return
			}
		}
		pips = append(pips, pc)
	}
	if !s.preconditions(w, r, n) {
		return
	}

	b := copyBody(n.body())
	props := b["properties"].(map[string]any)
	if newNSG == "" {
		delete(props, "networkSecurityGroup")
	} else {
		props["networkSecurityGroup"] = ref(newNSG)
	}
	props["provisioningState"] = "Updating"
	cfgs := props["ipConfigurations"].([]any)
	for i, c := range nb.Properties.IPConfigurations {
		cp := cfgs[i].(map[string]any)["properties"].(map[string]any)
		if c.Properties.PublicIPAddress == nil || c.Properties.PublicIPAddress.ID == "" {
			delete(cp, "publicIPAddress")
		} else {
			cp["publicIPAddress"] = ref(c.Properties.PublicIPAddress.ID)
		}
	}
	if nb.Tags != nil {
		b["tags"] = nb.Tags
	}
	b["etag"] = newETag()
	setChildETags(b)
	n.replace(b)

	// The references back, as Network keeps them.
	if !strings.EqualFold(newNSG, oldNSG) {
		if old := s.netByID(oldNSG); old != nil {
			setBackRefs(old, "networkInterfaces", id, false)
		}
		if nsgRes != nil {
			setBackRefs(nsgRes, "networkInterfaces", id, true)
		}
	}
	for _, pc := range pips {
		cfgID := fmt.Sprint(pc.cfg["id"])
		if old := s.netByID(pc.old); old != nil {
			s.setPublicIPUser(old, "", nil)
		}
		if pc.res != nil {
			s.setPublicIPUser(pc.res, cfgID, n.e)
		}
	}
	s.startNetworkOp(w, m, http.StatusOK, b, loc, succeeded(n, ""))
}

func sameRegion(a, b string) bool {
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, " ", "")) }
	return a == "" || b == "" || norm(a) == norm(b)
}

// refID is the id of a {"id": ...} reference ("" when there is none).
func refID(v any) string {
	if m, ok := v.(map[string]any); ok {
		if s, ok := m["id"].(string); ok {
			return s
		}
	}
	return ""
}

// setBackRefs adds (or removes) id in the list key of n's properties.
func setBackRefs(n *netRes, key, id string, add bool) {
	b := copyBody(n.body())
	props := b["properties"].(map[string]any)
	list, _ := props[key].([]any)
	out := []any{}
	for _, x := range list {
		if !strings.EqualFold(refID(x), id) {
			out = append(out, x)
		}
	}
	if add {
		out = append(out, ref(id))
	}
	if len(out) == 0 {
		delete(props, key)
	} else {
		props[key] = out
	}
	n.replace(b)
}

// setPublicIPUser points the public IP at the IP configuration cfg ("":
// none) of the VM e's NIC, and routes dials to its address to that VM
// (or, with e nil, to nothing any more).
func (s *Server) setPublicIPUser(n *netRes, cfg string, e *vmEntry) {
	b := copyBody(n.body())
	props := b["properties"].(map[string]any)
	if cfg == "" {
		delete(props, "ipConfiguration")
	} else {
		props["ipConfiguration"] = ref(cfg)
	}
	n.replace(b)
	n.setOwner(e)
	addr, _ := props["ipAddress"].(string)
	if ip := net.ParseIP(addr); ip != nil {
		s.nw.ipMu.Lock()
		if e == nil {
			delete(s.byIP, ip.String())
		} else {
			s.byIP[ip.String()] = e
		}
		s.nw.ipMu.Unlock()
	}
}

// ---- the network as it stands, for attaches ----

// netView is what stands between Azure ML and a VM now: the public IP
// (address and SKU) on its NIC's primary IP configuration, and the rules of
// the NSGs on the NIC and its subnet (nil: no NSG there).
type netView struct {
	address, sku      string
	nicNSG, subnetNSG *[]NSGRule
}

// vmNetView reads the VM's network resources as they stand.
func (s *Server) vmNetView(e *vmEntry) netView {
	var v netView
	nic := s.findNet(&match{sub: e.sub, rg: e.rg}, "networkInterfaces", nicName(e.vm))
	if nic == nil {
		return v
	}
	props := nic.body()["properties"].(map[string]any)
	v.nicNSG = s.nsgRulesOf(refID(props["networkSecurityGroup"]))
	cfgs, _ := props["ipConfigurations"].([]any)
	var primary map[string]any
	for _, c := range cfgs {
		cp := c.(map[string]any)["properties"].(map[string]any)
		if primary == nil || cp["primary"] == true {
			primary = cp
		}
	}
	if primary == nil {
		return v
	}
	if pip := s.netByID(refID(primary["publicIPAddress"])); pip != nil {
		pb := pip.view()
		v.address, _ = pb["properties"].(map[string]any)["ipAddress"].(string)
		if sku, ok := pb["sku"].(map[string]any); ok {
			v.sku, _ = sku["name"].(string)
		}
	}
	subnetID := refID(primary["subnet"])
	if i := strings.LastIndex(strings.ToLower(subnetID), "/subnets/"); i >= 0 {
		if vnet := s.netByID(subnetID[:i]); vnet != nil {
			subs, _ := vnet.body()["properties"].(map[string]any)["subnets"].([]any)
			for _, sn := range subs {
				if strings.EqualFold(refID(sn), subnetID) {
					v.subnetNSG = s.nsgRulesOf(refID(sn.(map[string]any)["properties"].(map[string]any)["networkSecurityGroup"]))
				}
			}
		}
	}
	return v
}

// nsgRulesOf reads the custom rules of the NSG id (nil: no such NSG).
func (s *Server) nsgRulesOf(id string) *[]NSGRule {
	n := s.netByID(id)
	if n == nil {
		return nil
	}
	out := []NSGRule{}
	rules, _ := n.body()["properties"].(map[string]any)["securityRules"].([]any)
	for _, r := range rules {
		rm := r.(map[string]any)
		p := rm["properties"].(map[string]any)
		strs := func(one string, many string) string {
			if s, _ := p[one].(string); s != "" {
				return s
			}
			var parts []string
			list, _ := p[many].([]any)
			for _, x := range list {
				parts = append(parts, fmt.Sprint(x))
			}
			return strings.Join(parts, ",")
		}
		out = append(out, NSGRule{Name: fmt.Sprint(rm["name"]), Priority: num(p["priority"]), Direction: fmt.Sprint(p["direction"]),
			Access: fmt.Sprint(p["access"]), Protocol: fmt.Sprint(p["protocol"]),
			Source: strs("sourceAddressPrefix", "sourceAddressPrefixes"), Ports: strs("destinationPortRange", "destinationPortRanges")})
	}
	slices.SortStableFunc(out, func(a, b NSGRule) int { return a.Priority - b.Priority })
	return &out
}

// reachesAML says whether Azure ML (from its addresses for region, the
// workspace's location) reaches the VM's SSH port through what stands now,
// and at which address. A Standard public IP with no NSG on either side is
// closed to inbound traffic.
func (s *Server) reachesAML(e *vmEntry, port int, region string) (bool, string) {
	v := s.vmNetView(e)
	if v.address == "" {
		return false, ""
	}
	if v.nicNSG == nil && v.subnetNSG == nil && !strings.EqualFold(v.sku, "Basic") {
		return false, v.address
	}
	if ok, _ := nsgAllowsAML(v.subnetNSG, port, region); !ok {
		return false, v.address
	}
	if ok, _ := nsgAllowsAML(v.nicNSG, port, region); !ok {
		return false, v.address
	}
	return true, v.address
}
