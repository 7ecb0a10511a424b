package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Network Watcher, IP flow verify and the AzureMachineLearning service
// tag's details: Azure's own verdict on a VM's inbound path.

// The RBAC actions the watcher's routes check.
const (
	actionIPFlowVerify    = "Microsoft.Network/networkWatchers/ipFlowVerify/action"
	actionWatchersRead    = "Microsoft.Network/networkWatchers/read"
	actionServiceTagsRead = "Microsoft.Network/locations/serviceTags/read"
)

// watcherGroup is where Azure creates Network Watcher instances by itself.
const watcherGroup = "NetworkWatcherRG"

// amlTag is the service tag whose details the sandbox serves.
const amlTag = "AzureMachineLearning"

// AdminRule is a security admin rule of Azure Virtual Network Manager that
// applies to a VM's virtual network. NSG reads do not show it; IP flow
// verify evaluates it before the NSGs.
type AdminRule struct {
	Name     string `yaml:"name" required:"true"`
	Priority int    `yaml:"priority" required:"true"`
	// Access: Deny stops the traffic whatever the NSGs say; AlwaysAllow
	// lets it in whatever they say; Allow leaves it to the NSGs.
	Access    string `yaml:"access" required:"true" oneof:"Allow|Deny|AlwaysAllow"`
	Direction string `yaml:"direction" default:"Inbound" oneof:"Inbound|Outbound"`
	Source    string `yaml:"source" default:"*" check:"source"`
	Protocol  string `yaml:"protocol" default:"*" oneof:"Tcp|Udp|Icmp|Any|*"`
	Ports     string `yaml:"ports" default:"*" check:"ports"`
	Line      int    `yaml:"-"`
}

// validateAdminRules checks a VM's adminRules: unique names, priorities
// 1-4096 and unique per direction, as Virtual Network Manager requires.
func (d *decoder) validateAdminRules(vm *VM) {
	names := map[string]int{}
	prios := map[string]string{}
	for _, r := range vm.AdminRules {
		if l, dup := names[strings.ToLower(r.Name)]; dup {
			d.errorf(r.Line, "VM %q: adminRules: duplicate rule name %q (first at line %d)", vm.Name, r.Name, l)
		}
		names[strings.ToLower(r.Name)] = r.Line
		if r.Priority < 1 || r.Priority > 4096 {
			d.errorf(r.Line, "VM %q: adminRules: rule %q: priority %d is outside 1-4096", vm.Name, r.Name, r.Priority)
		}
		pk := r.Direction + "/" + itoa(r.Priority)
		if other, dup := prios[pk]; dup {
			d.errorf(r.Line, "VM %q: adminRules: rules %q and %q have the same priority %d and direction", vm.Name, other, r.Name, r.Priority)
		}
		prios[pk] = r.Name
	}
}

// watcherRoutes serve the network watchers of a subscription (listed, read,
// and asked for IP flow verify), the operations IP flow verify starts, and
// the service tag details. The watchers live in a group the world need not
// name (NetworkWatcherRG), so their routes take the group as a plain
// capture: vars[0] is the group, vars[1] the watcher.
func (s *Server) watcherRoutes(mk func(pattern, api string, methods map[string]handler) route) []route {
	get := func(h handler) map[string]handler { return map[string]handler{http.MethodGet: h} }
	const (
		sub  = "subscriptions/{}"
		netw = "/providers/Microsoft.Network"
	)
	free := func(rt route) route { rt.hasRG = false; return rt }
	return []route{
		mk(sub+netw+"/networkWatchers", apiNetwork, get(s.listWatchers)),
		free(mk(sub+"/resourceGroups/{}"+netw+"/networkWatchers", apiNetwork, get(s.listWatchers))),
		free(mk(sub+"/resourceGroups/{}"+netw+"/networkWatchers/{}", apiNetwork, get(s.getWatcher))),
		free(mk(sub+"/resourceGroups/{}"+netw+"/networkWatchers/{}/ipFlowVerify", apiNetwork, map[string]handler{http.MethodPost: s.verifyIPFlow})),
		// .../locations/{}/operations/{} is served by networkOperationStatus,
		// which hands IP flow verify's operations to ipFlowOperation.
		mk(sub+netw+"/locations/{}/operationResults/{}", apiNetwork, get(s.ipFlowResult)),
		mk(sub+netw+"/locations/{}/serviceTagDetails", apiNetwork, get(s.serviceTagDetails)),
	}
}

// watcherRegions are the regions where the subscription has a Network
// Watcher: every region of its VMs (Azure enables the watcher with a
// region's first virtual network), less those the world names in
// noNetworkWatcherIn ("*": the subscription opted out everywhere).
func watcherRegions(sub *Subscription) []string {
	off := map[string]bool{}
	for _, r := range sub.NoNetworkWatcherIn {
		off[normLocation(r)] = true
	}
	if off["*"] {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for gi := range sub.ResourceGroups {
		g := &sub.ResourceGroups[gi]
		for vi := range g.VirtualMachines {
			loc := normLocation(g.VirtualMachines[vi].Location)
			if loc == "" {
				loc = normLocation(g.Location)
			}
			if loc != "" && !seen[loc] && !off[loc] {
				seen[loc] = true
				out = append(out, loc)
			}
		}
	}
	return out
}

func normLocation(s string) string { return strings.ToLower(strings.ReplaceAll(s, " ", "")) }

func watcherName(region string) string { return "NetworkWatcher_" + region }

func watcherID(sub *Subscription, region string) string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/networkWatchers/%s", sub.ID, watcherGroup, watcherName(region))
}

func watcherJSON(sub *Subscription, region string) map[string]any {
	id := watcherID(sub, region)
	return map[string]any{
		"id": id, "name": watcherName(region), "type": "Microsoft.Network/networkWatchers",
		"location": region, "etag": `W/"` + stableUUID(id+"etag") + `"`, "tags": map[string]any{},
		"properties": map[string]any{"provisioningState": "Succeeded"},
	}
}

// watcherAt finds the watcher a request names: its group must be the one
// Azure puts watchers in, its name NetworkWatcher_<region>.
func watcherAt(m *match, group, name string) (string, bool) {
	if !strings.EqualFold(group, watcherGroup) {
		return "", false
	}
	for _, r := range watcherRegions(m.sub) {
		if strings.EqualFold(name, watcherName(r)) {
			return r, true
		}
	}
	return "", false
}

// watcherScope is the match for permissions at the watcher's group: the
// world's group of that name when it has one, else the subscription's.
func watcherScope(m *match, group string) *match {
	return &match{sub: m.sub, rg: findRG(m.sub, group), api: m.api}
}

func (s *Server) listWatchers(w http.ResponseWriter, r *http.Request, m *match) {
	scope := "/subscriptions/" + m.sub.ID
	group := ""
	if len(m.vars) > 0 {
		group = m.vars[0]
		scope += "/resourceGroups/" + group
		if findRG(m.sub, group) == nil && !strings.EqualFold(group, watcherGroup) {
			armError(w, http.StatusNotFound, "ResourceGroupNotFound", fmt.Sprintf("Resource group '%s' could not be found.", group))
			return
		}
	}
	if !allows(watcherScope(m, group), actionWatchersRead) {
		authorizationFailed(w, actionWatchersRead, scope)
		return
	}
	items := []any{}
	if group == "" || strings.EqualFold(group, watcherGroup) {
		for _, region := range watcherRegions(m.sub) {
			items = append(items, watcherJSON(m.sub, region))
		}
	}
	s.writePage(w, r, items)
}

func (s *Server) getWatcher(w http.ResponseWriter, _ *http.Request, m *match) {
	region, ok := watcherAt(m, m.vars[0], m.vars[1])
	if !ok {
		notFound(w, "Microsoft.Network/networkWatchers", m.vars[1], m.vars[0])
		return
	}
	if !allows(watcherScope(m, m.vars[0]), actionWatchersRead) {
		authorizationFailed(w, actionWatchersRead, watcherID(m.sub, region))
		return
	}
	writeJSON(w, http.StatusOK, watcherJSON(m.sub, region))
}

// ipFlowParams is the body of an IP flow verify request.
type ipFlowParams struct {
	TargetResourceID    string `json:"targetResourceId"`
	TargetNicResourceID string `json:"targetNicResourceId"`
	Direction           string `json:"direction"`
	Protocol            string `json:"protocol"`
	LocalIPAddress      string `json:"localIPAddress"`
	LocalPort           string `json:"localPort"`
	RemoteIPAddress     string `json:"remoteIPAddress"`
	RemotePort          string `json:"remotePort"`
}

// ipFlowOp is an IP flow verify in progress: its verdict is reached at the
// request and handed out once due. Guarded by Server.mu.
type ipFlowOp struct {
	id, sub, location string
	start, due        time.Time
	result            map[string]any
}

// verifyIPFlow serves POST …/networkWatchers/{nw}/ipFlowVerify: the
// request is checked, the verdict reached from the VM's security admin
// rules and the NSGs on its subnet and NIC as they stand now, and the
// answer is a long-running operation (202 with Azure-AsyncOperation and
// Location) that ends after faults.ipFlowVerifySeconds.
func (s *Server) verifyIPFlow(w http.ResponseWriter, r *http.Request, m *match) {
	region, ok := watcherAt(m, m.vars[0], m.vars[1])
	if !ok {
		notFound(w, "Microsoft.Network/networkWatchers", m.vars[1], m.vars[0])
		return
	}
	if !allows(watcherScope(m, m.vars[0]), actionIPFlowVerify) {
		authorizationFailed(w, actionIPFlowVerify, watcherID(m.sub, region))
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var p ipFlowParams
	if err == nil {
		err = json.Unmarshal(data, &p)
	}
	if err != nil {
		armError(w, http.StatusBadRequest, "InvalidRequestFormat", "Cannot parse the request: "+err.Error())
		return
	}
	flow, code, msg := s.checkIPFlow(m, region, p)
	if code != "" {
		armError(w, http.StatusBadRequest, code, msg)
		return
	}
	access, rule := s.evaluateFlow(flow)
	result := map[string]any{"access": access}
	if rule != "" {
		result["ruleName"] = rule
	}
	s.mu.Lock()
	if s.flowOps == nil {
		s.flowOps = map[string]*ipFlowOp{}
	}
	now := s.now()
	op := &ipFlowOp{id: randomUUID(), sub: m.sub.ID, location: region, start: now,
		due: now.Add(seconds(s.world.Faults.IPFlowVerifySeconds)), result: result}
	s.flowOps[op.id] = op
	s.mu.Unlock()
	base := fmt.Sprintf("%s/subscriptions/%s/providers/Microsoft.Network/locations/%s/", s.endpoint, m.sub.ID, region)
	w.Header().Set("Azure-AsyncOperation", base+"operations/"+op.id+"?api-version="+apiNetwork)
	w.Header().Set("Location", base+"operationResults/"+op.id+"?api-version="+apiNetwork)
	w.WriteHeader(http.StatusAccepted)
}

// flowOp finds the IP flow verify operation a poll names.
func (s *Server) flowOp(w http.ResponseWriter, m *match) (*ipFlowOp, bool) {
	s.mu.Lock()
	op := s.flowOps[m.vars[1]]
	s.mu.Unlock()
	if op == nil || !strings.EqualFold(op.sub, m.sub.ID) || !strings.EqualFold(op.location, m.vars[0]) {
		armError(w, http.StatusNotFound, "NotFound", fmt.Sprintf("The operation '%s' was not found.", m.vars[1]))
		return nil, false
	}
	return op, !s.now().Before(op.due)
}

// ipFlowOperation serves the Azure-AsyncOperation URL.
func (s *Server) ipFlowOperation(w http.ResponseWriter, _ *http.Request, m *match) {
	op, done := s.flowOp(w, m)
	if op == nil {
		return
	}
	status := "InProgress"
	if done {
		status = "Succeeded"
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": status})
}

// ipFlowResult serves the Location URL: 202 while the operation runs, then
// the verdict.
func (s *Server) ipFlowResult(w http.ResponseWriter, r *http.Request, m *match) {
	op, done := s.flowOp(w, m)
	if op == nil {
		return
	}
	if !done {
		w.Header().Set("Location", s.endpoint+r.URL.RequestURI())
		w.WriteHeader(http.StatusAccepted)
		return
	}
	writeJSON(w, http.StatusOK, op.result)
}

// flowQuery is a checked IP flow verify request with what it points at.
type flowQuery struct {
	e                     *vmEntry
	nic                   map[string]any
	inbound               bool
	protocol              string
	local, remote         netip.Addr
	localPort, remotePort int
}

// checkIPFlow checks the request as Network Watcher does: the fields are
// there and well formed, the VM exists in the watcher's region and runs,
// and the local address is the NIC's. It returns the Azure error code and
// message of the first problem ("" when none).
func (s *Server) checkIPFlow(m *match, region string, p ipFlowParams) (flowQuery, string, string) {
	var q flowQuery
	bad := func(msg string, args ...any) (flowQuery, string, string) {
		return q, "InvalidRequestFormat", fmt.Sprintf(msg, args...)
	}
	for _, f := range []struct{ name, v string }{
		{"targetResourceId", p.TargetResourceID}, {"direction", p.Direction}, {"protocol", p.Protocol},
		{"localIPAddress", p.LocalIPAddress}, {"localPort", p.LocalPort}, {"remoteIPAddress", p.RemoteIPAddress}, {"remotePort", p.RemotePort},
	} {
		if f.v == "" {
			return bad("The request is missing the required property '%s'.", f.name)
		}
	}
	switch {
	case strings.EqualFold(p.Direction, "Inbound"):
		q.inbound = true
	case strings.EqualFold(p.Direction, "Outbound"):
	default:
		return bad("The value '%s' of 'direction' is not valid: use Inbound or Outbound.", p.Direction)
	}
	switch strings.ToUpper(p.Protocol) {
	case "TCP", "UDP":
		q.protocol = strings.ToUpper(p.Protocol)
	default:
		return bad("The value '%s' of 'protocol' is not valid: use TCP or UDP.", p.Protocol)
	}
	var err error
	if q.local, err = netip.ParseAddr(p.LocalIPAddress); err != nil || !q.local.Is4() {
		return bad("The value '%s' of 'localIPAddress' is not a valid IPv4 address.", p.LocalIPAddress)
	}
	if q.remote, err = netip.ParseAddr(p.RemoteIPAddress); err != nil || !q.remote.Is4() {
		return bad("The value '%s' of 'remoteIPAddress' is not a valid IPv4 address.", p.RemoteIPAddress)
	}
	if q.localPort, err = strconv.Atoi(p.LocalPort); err != nil || q.localPort < 0 || q.localPort > 65535 {
		return bad("The value '%s' of 'localPort' is not a port (a single integer from 0 to 65535).", p.LocalPort)
	}
	if q.remotePort, err = strconv.Atoi(p.RemotePort); err != nil || q.remotePort < 0 || q.remotePort > 65535 {
		return bad("The value '%s' of 'remotePort' is not a port (a single integer from 0 to 65535).", p.RemotePort)
	}
	vm, ok := parseARMID(p.TargetResourceID)
	if !ok || len(vm.names) != 1 || !strings.EqualFold(vm.kind, "Microsoft.Compute/virtualMachines") || !strings.EqualFold(vm.sub, m.sub.ID) {
		return bad("The target resource '%s' is not a virtual machine of subscription %s.", p.TargetResourceID, m.sub.ID)
	}
	q.e = s.vms[key(vm.sub, vm.rg, vm.names[0])]
	if q.e == nil || q.e.hdi != nil {
		return q, "ResourceNotFound", fmt.Sprintf("The Resource 'Microsoft.Compute/virtualMachines/%s' under resource group '%s' was not found.", vm.names[0], vm.rg)
	}
	if normLocation(q.e.vm.Location) != region {
		return q, "InvalidTargetResourceLocation", fmt.Sprintf("The virtual machine %s is in %s; Network Watcher %s checks only resources in %s.", q.e.vm.Name, normLocation(q.e.vm.Location), watcherName(region), region)
	}
	if ps := q.e.powerState(); ps != "running" {
		return q, "VmNotRunning", fmt.Sprintf("The virtual machine %s is %s; IP flow verify needs it running (allocated).", q.e.vm.Name, ps)
	}
	nic := p.TargetNicResourceID
	if nic == "" {
		nic = nicID(q.e)
	}
	q.nic = s.netBody(nic, "networkInterfaces")
	if q.nic == nil || !strings.EqualFold(jsonStr(q.nic["id"]), nicID(q.e)) {
		return q, "InvalidTargetNicResourceId", fmt.Sprintf("The network interface '%s' is not attached to the virtual machine %s.", nic, q.e.vm.Name)
	}
	for _, ic := range ipConfigs(q.nic) {
		if a, err := netip.ParseAddr(jsonStr(props(ic)["privateIPAddress"])); err == nil && a == q.local {
			return q, "", ""
		}
	}
	return q, "InvalidLocalIpAddress", fmt.Sprintf("The local IP address %s is not an address of the network interface %s.", q.local, jsonStr(q.nic["name"]))
}

// evaluateFlow reaches IP flow verify's verdict: the VM's security admin
// rules first (Deny and AlwaysAllow decide, Allow passes on), then, for
// inbound traffic, the subnet's NSG and then the NIC's (outbound: the
// reverse); each NSG's rules, Azure's defaults included, in priority order,
// the first that matches deciding. Every NSG on the path must allow. With
// no NSG at all nothing filters the traffic: Allow, and no rule to name.
func (s *Server) evaluateFlow(q flowQuery) (access, rule string) {
	vnetPrefixes := s.vnetPrefixes(q.nic)
	admin := append([]AdminRule(nil), q.e.vm.AdminRules...)
	sort.SliceStable(admin, func(i, j int) bool { return admin[i].Priority < admin[j].Priority })
	for _, a := range admin {
		if !strings.EqualFold(a.Direction, direction(q.inbound)) || !protocolMatches(a.Protocol, q.protocol) {
			continue
		}
		ports, _ := parsePorts(a.Ports)
		if !q.addrMatches(splitList(a.Source), true, vnetPrefixes) || !portIn(ports, q.localPort) {
			continue
		}
		switch a.Access {
		case "Deny":
			return "Deny", a.Name
		case "AlwaysAllow":
			return "Allow", a.Name
		}
		break // Allow: the NSGs decide
	}
	var nsgs []map[string]any
	if g := s.subnetNSG(q.nic); g != nil {
		nsgs = append(nsgs, g)
	}
	if id := refID((props(q.nic)["networkSecurityGroup"])); id != "" {
		if g := s.netBody(id, "networkSecurityGroups"); g != nil {
			nsgs = append(nsgs, g)
		}
	}
	if !q.inbound {
		for i, j := 0, len(nsgs)-1; i < j; i, j = i+1, j-1 {
			nsgs[i], nsgs[j] = nsgs[j], nsgs[i]
		}
	}
	access = "Allow"
	for _, g := range nsgs {
		a, r := q.evaluateNSG(g, vnetPrefixes)
		if a != "Allow" {
			return "Deny", r
		}
		rule = r
	}
	return access, rule
}

func direction(inbound bool) string {
	if inbound {
		return "Inbound"
	}
	return "Outbound"
}

// evaluateNSG applies one NSG's rules to the flow; the rule is named as
// IP flow verify names it ("securityRules/X", "defaultSecurityRules/X").
// No matching rule denies, with no name.
func (q flowQuery) evaluateNSG(g map[string]any, vnet []netip.Prefix) (string, string) {
	type ranked struct {
		kind string
		r    map[string]any
		prio int
	}
	var rules []ranked
	for _, kind := range []string{"securityRules", "defaultSecurityRules"} {
		list, _ := props(g)[kind].([]any)
		for _, x := range list {
			r, _ := x.(map[string]any)
			if r == nil {
				continue
			}
			rules = append(rules, ranked{kind, r, toInt(props(r)["priority"])})
		}
	}
	sort.SliceStable(rules, func(i, j int) bool { return rules[i].prio < rules[j].prio })
	for _, x := range rules {
		p := props(x.r)
		if !strings.EqualFold(jsonStr(p["direction"]), direction(q.inbound)) || !protocolMatches(jsonStr(p["protocol"]), q.protocol) {
			continue
		}
		src, dst := listOf(p, "sourceAddressPrefix"), listOf(p, "destinationAddressPrefix")
		sports, dports := portsOf(p, "sourcePortRange"), portsOf(p, "destinationPortRange")
		// Inbound, the remote end is the source; outbound, the destination.
		remoteAddrs, localAddrs, remotePorts, localPorts := src, dst, sports, dports
		if !q.inbound {
			remoteAddrs, localAddrs, remotePorts, localPorts = dst, src, dports, sports
		}
		if !q.addrMatches(remoteAddrs, true, vnet) || !q.addrMatches(localAddrs, false, vnet) ||
			!portIn(remotePorts, q.remotePort) || !portIn(localPorts, q.localPort) {
			continue
		}
		return jsonStr(p["access"]), x.kind + "/" + jsonStr(x.r["name"])
	}
	return "Deny", ""
}

// addrMatches says whether one of the prefixes (addresses, CIDRs, "*" or
// service tags) covers the remote address (remote) or the VM's own.
func (q flowQuery) addrMatches(prefixes []string, remote bool, vnet []netip.Prefix) bool {
	a := q.local
	if remote {
		a = q.remote
	}
	for _, p := range prefixes {
		if addrInPrefix(a, p, vnet) {
			return true
		}
	}
	return false
}

// azureLoadBalancer is the address Azure's health probes come from.
var azureLoadBalancer = netip.MustParseAddr("168.63.129.16")

// addrInPrefix matches one address against one rule prefix as Azure reads
// it: *, an address, a CIDR, or the service tags VirtualNetwork,
// AzureLoadBalancer, Internet and AzureMachineLearning (with its regional
// forms, from the sandbox's tag table). Other service tags match nothing
// here: the sandbox does not know their addresses.
func addrInPrefix(a netip.Addr, p string, vnet []netip.Prefix) bool {
	p = strings.TrimSpace(p)
	switch strings.ToLower(p) {
	case "*", "any", "0.0.0.0/0":
		return true
	case "virtualnetwork":
		return inAny(a, vnet)
	case "azureloadbalancer":
		return a == azureLoadBalancer
	case "internet":
		return !inAny(a, vnet) && !a.IsPrivate() && !a.IsLoopback() && a != azureLoadBalancer
	}
	if pf, err := netip.ParsePrefix(p); err == nil {
		return pf.Contains(a)
	}
	if x, err := netip.ParseAddr(p); err == nil {
		return x == a
	}
	tag, region, regional := strings.Cut(p, ".")
	if !strings.EqualFold(tag, amlTag) {
		return false
	}
	for _, e := range amlTagTable() {
		if regional && !strings.EqualFold(e.tagRegion, region) && !strings.EqualFold(e.region, region) {
			continue
		}
		for _, pf := range e.prefixes {
			if pf.Contains(a) {
				return true
			}
		}
	}
	return false
}

func inAny(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func protocolMatches(rule, proto string) bool {
	return rule == "*" || strings.EqualFold(rule, "any") || strings.EqualFold(rule, proto)
}

func portIn(ranges []portRange, port int) bool {
	for _, r := range ranges {
		if port >= r.lo && port <= r.hi {
			return true
		}
	}
	return false
}

// listOf is a rule's single property (key) and its plural (key+"es").
func listOf(p map[string]any, key string) []string {
	var out []string
	if s := jsonStr(p[key]); s != "" {
		out = append(out, s)
	}
	plural, _ := p[key+"es"].([]any)
	for _, x := range plural {
		if s := jsonStr(x); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// portsOf reads a rule's port range (key) and ranges (key+"s").
func portsOf(p map[string]any, key string) []portRange {
	items := []string{}
	if s := jsonStr(p[key]); s != "" {
		items = append(items, s)
	}
	plural, _ := p[key+"s"].([]any)
	for _, x := range plural {
		if s := jsonStr(x); s != "" {
			items = append(items, s)
		}
	}
	if len(items) == 0 {
		return nil
	}
	out, err := parsePorts(strings.Join(items, ","))
	if err != nil {
		return nil
	}
	return out
}

// netBody is the ARM body of a network resource by its ID, as GET serves
// it (nil when there is none): IP flow verify reads the resources as they
// stand, so a rule a fix added is seen at once.
func (s *Server) netBody(id, typ string) map[string]any {
	ref, sub, g := s.lookup(id, "Microsoft.Network/"+typ)
	if g == nil || len(ref.names) != 1 {
		return nil
	}
	n := s.findNet(&match{sub: sub, rg: g}, typ, ref.names[0])
	if n == nil {
		return nil
	}
	return n.body()
}

// subnetNSG is the NSG on the subnet of the NIC's first IP configuration.
func (s *Server) subnetNSG(nic map[string]any) map[string]any {
	sn := s.subnetOf(nic)
	if sn == nil {
		return nil
	}
	id := refID((props(sn)["networkSecurityGroup"]))
	if id == "" {
		return nil
	}
	return s.netBody(id, "networkSecurityGroups")
}

// subnetOf finds the subnet body of the NIC's first IP configuration.
func (s *Server) subnetOf(nic map[string]any) map[string]any {
	ics := ipConfigs(nic)
	if len(ics) == 0 {
		return nil
	}
	sid := refID((props(ics[0])["subnet"]))
	vnetID, name, ok := strings.Cut(sid, "/subnets/")
	if !ok {
		return nil
	}
	vnet := s.netBody(vnetID, "virtualNetworks")
	if vnet == nil {
		return nil
	}
	subs, _ := props(vnet)["subnets"].([]any)
	for _, x := range subs {
		if sn, _ := x.(map[string]any); sn != nil && strings.EqualFold(jsonStr(sn["name"]), name) {
			return sn
		}
	}
	return nil
}

// vnetPrefixes is the address space of the NIC's virtual network.
func (s *Server) vnetPrefixes(nic map[string]any) []netip.Prefix {
	ics := ipConfigs(nic)
	if len(ics) == 0 {
		return nil
	}
	vnetID, _, _ := strings.Cut(refID((props(ics[0])["subnet"])), "/subnets/")
	vnet := s.netBody(vnetID, "virtualNetworks")
	if vnet == nil {
		return nil
	}
	space, _ := props(vnet)["addressSpace"].(map[string]any)
	list, _ := space["addressPrefixes"].([]any)
	var out []netip.Prefix
	for _, x := range list {
		if p, err := netip.ParsePrefix(jsonStr(x)); err == nil {
			out = append(out, p)
		}
	}
	return out
}

func ipConfigs(nic map[string]any) []map[string]any {
	list, _ := props(nic)["ipConfigurations"].([]any)
	var out []map[string]any
	for _, x := range list {
		if m, _ := x.(map[string]any); m != nil {
			out = append(out, m)
		}
	}
	return out
}

func props(m map[string]any) map[string]any {
	p, _ := m["properties"].(map[string]any)
	return p
}

func jsonStr(v any) string {
	s, _ := v.(string)
	return s
}

func toInt(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case float64:
		return int(n)
	case json.Number:
		i, _ := n.Int64()
		return int(i)
	}
	return 0
}

// amlTagEntry is one regional entry of the AzureMachineLearning tag.
type amlTagEntry struct {
	region    string // as locations are written: eastus
	tagRegion string // as the tag's name writes it: EastUS
	prefixes  []netip.Prefix
}

// tagRegions are the regions the sandbox's AzureMachineLearning tag has
// entries for, with the tag's spelling of each, in a fixed order (the
// index picks the addresses).
var tagRegions = []struct{ loc, tag string }{
	{"eastus", "EastUS"}, {"eastus2", "EastUS2"}, {"westus", "WestUS"}, {"westus2", "WestUS2"},
	{"westus3", "WestUS3"}, {"centralus", "CentralUS"}, {"northcentralus", "NorthCentralUS"},
	{"southcentralus", "SouthCentralUS"}, {"westcentralus", "WestCentralUS"}, {"canadacentral", "CanadaCentral"},
	{"westeurope", "WestEurope"}, {"northeurope", "NorthEurope"}, {"uksouth", "UKSouth"},
	{"francecentral", "FranceCentral"}, {"germanywestcentral", "GermanyWestCentral"}, {"swedencentral", "SwedenCentral"},
	{"switzerlandnorth", "SwitzerlandNorth"}, {"norwayeast", "NorwayEast"}, {"japaneast", "JapanEast"},
	{"koreacentral", "KoreaCentral"}, {"southeastasia", "SoutheastAsia"}, {"eastasia", "EastAsia"},
	{"australiaeast", "AustraliaEast"}, {"centralindia", "CentralIndia"}, {"brazilsouth", "BrazilSouth"},
	{"uaenorth", "UAENorth"}, {"southafricanorth", "SouthAfricaNorth"},
}

// amlTagTable is the sandbox's AzureMachineLearning tag: per region an
// IPv6 prefix and a /28 from the documentation ranges (RFC 5737:
// 198.51.100.0/24, then 203.0.113.0/24), so that no real address is named.
func amlTagTable() []amlTagEntry {
	out := make([]amlTagEntry, 0, len(tagRegions))
	for i, r := range tagRegions {
		block := "198.51.100"
		if i >= 16 {
			block = "203.0.113"
		}
		v4 := netip.MustParsePrefix(fmt.Sprintf("%s.%d/28", block, (i%16)*16))
		v6 := netip.MustParsePrefix(fmt.Sprintf("2001:db8:%x::/64", i+1))
		out = append(out, amlTagEntry{region: r.loc, tagRegion: r.tag, prefixes: []netip.Prefix{v6, v4}})
	}
	return out
}

// amlTagChangeNumber is the tag's change number (any value; it changes
// when Azure changes the tag's addresses).
const amlTagChangeNumber = "61"

// serviceTagDetails serves GET …/locations/{loc}/serviceTagDetails: the
// AzureMachineLearning tag (the only one the sandbox knows) and its
// regional forms, "AzureMachineLearning.<Region>", as entries of a paged
// list. tagName filters to that tag and its regional forms (an unknown tag
// gives an empty list); noAddressPrefixes=true leaves the addresses out.
func (s *Server) serviceTagDetails(w http.ResponseWriter, r *http.Request, m *match) {
	if !allows(m, actionServiceTagsRead) {
		authorizationFailed(w, actionServiceTagsRead, "/subscriptions/"+m.sub.ID)
		return
	}
	q := r.URL.Query()
	noPrefixes := strings.EqualFold(q.Get("noAddressPrefixes"), "true")
	name := q.Get("tagName")
	tag, region, regional := strings.Cut(name, ".")
	if name != "" && !strings.EqualFold(tag, amlTag) {
		s.writePage(w, r, []any{})
		return
	}
	entry := func(n, region string, ps []netip.Prefix) map[string]any {
		pp := map[string]any{"changeNumber": amlTagChangeNumber, "region": region, "state": "GA", "systemService": amlTag}
		if !noPrefixes {
			list := make([]any, 0, len(ps))
			for _, p := range ps {
				list = append(list, p.String())
			}
			pp["addressPrefixes"] = list
		}
		return map[string]any{"id": n, "name": n, "serviceTagChangeNumber": amlTagChangeNumber, "properties": pp}
	}
	var items []any
	var all []netip.Prefix
	for _, e := range amlTagTable() {
		all = append(all, e.prefixes...)
	}
	if !regional {
		items = append(items, entry(amlTag, "", all))
	}
	for _, e := range amlTagTable() {
		if regional && !strings.EqualFold(region, e.tagRegion) {
			continue
		}
		items = append(items, entry(amlTag+"."+e.tagRegion, e.region, e.prefixes))
	}
	if items == nil {
		items = []any{}
	}
	s.writePage(w, r, items)
}
