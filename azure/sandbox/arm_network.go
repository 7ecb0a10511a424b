package sandbox

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
)

// netRes is one network resource: generated from a world VM, or made
// through the API (a fix's NSG or public IP). A generated body is built when
// it is first asked for: a world of tens of thousands of VMs starts without
// building the bodies of resources nobody reads. A write replaces the body
// as a whole (see putNetwork): a body once handed out is never changed, so
// readers need no lock beyond the one that hands it out.
type netRes struct {
	sub  *Subscription
	rg   *ResourceGroup
	typ  string // networkInterfaces, publicIPAddresses, networkSecurityGroups, virtualNetworks
	name string
	// e is the VM the resource belongs to (its NIC, its public IP), nil
	// when none does.
	e *vmEntry

	mu    sync.Mutex
	build func() map[string]any
	cur   map[string]any
}

// body is the resource's ARM body as it stands.
func (n *netRes) body() map[string]any {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cur == nil {
		n.cur, n.build = n.build(), nil
	}
	return n.cur
}

// replace makes b the resource's body; b must not be changed afterwards.
func (n *netRes) replace(b map[string]any) {
	n.mu.Lock()
	n.cur, n.build = b, nil
	n.mu.Unlock()
}

// Generated names, after the portal's defaults.
func nicName(vm *VM) string       { return vm.Name + "-nic" }
func pipName(vm *VM) string       { return vm.Name + "-ip" }
func nsgName(vm *VM) string       { return vm.Name + "-nsg" }
func vnetName(vm *VM) string      { return vm.Name + "-vnet" }
func subnetNSGName(vm *VM) string { return vnetName(vm) + "-default-nsg" }

func netID(e *vmEntry, typ, name string) string {
	return rgPrefix(e.sub, e.rg) + "/providers/Microsoft.Network/" + typ + "/" + name
}

func nicID(e *vmEntry) string { return netID(e, "networkInterfaces", nicName(e.vm)) }

func ref(id string) map[string]any { return map[string]any{"id": id} }

// addNetwork generates the NIC, public IP, NSGs and virtual network of a VM:
// it registers each under its name, with how to build its body.
func (s *Server) addNetwork(e *vmEntry) {
	vm := e.vm
	prefix := rgPrefix(e.sub, e.rg) + "/providers/Microsoft.Network/"
	nic := prefix + "networkInterfaces/" + nicName(vm)
	ipcfg := nic + "/ipConfigurations/ipconfig1"
	vnet := prefix + "virtualNetworks/" + vnetName(vm)
	subnet := vnet + "/subnets/default"
	pip := prefix + "publicIPAddresses/" + pipName(vm)
	nicNSG := prefix + "networkSecurityGroups/" + nsgName(vm)
	subnetNSG := prefix + "networkSecurityGroups/" + subnetNSGName(vm)
	etag := func(id string) string { return `W/"` + stableUUID(id+"etag") + `"` }
	groupKey := key(e.sub.ID, e.rg.Name) + "/"
	add := func(typ, name string, build func() map[string]any) {
		n := &netRes{sub: e.sub, rg: e.rg, typ: typ, name: name, e: e, build: func() map[string]any {
			body := build()
			body["type"] = "Microsoft.Network/" + typ
			body["etag"] = etag(body["id"].(string))
			setChildETags(body)
			return body
		}}
		k := groupKey + strings.ToLower(typ)
		s.nets[k] = append(s.nets[k], n)
		s.netByName[k+"/"+strings.ToLower(name)] = n
	}

	if vm.PublicIP != "" {
		add("publicIPAddresses", pipName(vm), func() map[string]any {
			props := map[string]any{
				"provisioningState":        "Succeeded",
				"resourceGuid":             stableUUID(pip),
				"ipAddress":                vm.PublicIP,
				"publicIPAddressVersion":   "IPv4",
				"publicIPAllocationMethod": "Static",
				"idleTimeoutInMinutes":     4,
				"ipConfiguration":          ref(ipcfg),
			}
			if vm.PublicIPAllocation == "Dynamic" {
				// Only a Basic address is dynamic; it is released while the
				// VM is deallocated (see netView).
				props["publicIPAllocationMethod"] = "Dynamic"
			}
			return map[string]any{
				"id": pip, "name": pipName(vm), "location": vm.Location,
				"sku":        map[string]any{"name": vm.publicIPSku(), "tier": "Regional"},
				"properties": props,
			}
		})
	}
	if vm.NSGRules != nil {
		add("networkSecurityGroups", nsgName(vm), func() map[string]any {
			body := nsgJSON(nicNSG, nsgName(vm), vm.Location, *vm.NSGRules)
			body["properties"].(map[string]any)["networkInterfaces"] = []any{ref(nic)}
			return body
		})
	}
	add("networkInterfaces", nicName(vm), func() map[string]any {
		ipProps := map[string]any{
			"privateIPAddress":          vm.PrivateIP,
			"privateIPAllocationMethod": "Dynamic",
			"privateIPAddressVersion":   "IPv4",
			"primary":                   true,
			"provisioningState":         "Succeeded",
			"subnet":                    ref(subnet),
		}
		if vm.PublicIP != "" {
			ipProps["publicIPAddress"] = ref(pip)
		}
		nicProps := map[string]any{
			"provisioningState": "Succeeded",
			"resourceGuid":      stableUUID(nic),
			"ipConfigurations": []any{map[string]any{
				"id": ipcfg, "name": "ipconfig1", "type": "Microsoft.Network/networkInterfaces/ipConfigurations",
				"properties": ipProps,
			}},
			"macAddress":                  macAddress(nic),
			"primary":                     true,
			"enableAcceleratedNetworking": false,
			"enableIPForwarding":          false,
			"nicType":                     "Standard",
			"virtualMachine":              ref(e.id()),
			"dnsSettings":                 map[string]any{"dnsServers": []any{}, "appliedDnsServers": []any{}},
		}
		if vm.NSGRules != nil {
			nicProps["networkSecurityGroup"] = ref(nicNSG)
		}
		return map[string]any{
			"id": nic, "name": nicName(vm), "location": vm.Location, "kind": "Regular", "properties": nicProps,
		}
	})

	if vm.SubnetNSGRules != nil {
		add("networkSecurityGroups", subnetNSGName(vm), func() map[string]any {
			body := nsgJSON(subnetNSG, subnetNSGName(vm), vm.Location, *vm.SubnetNSGRules)
			body["properties"].(map[string]any)["subnets"] = []any{ref(subnet)}
			return body
		})
	}
	add("virtualNetworks", vnetName(vm), func() map[string]any {
		subnetProps := map[string]any{
			"provisioningState":                 "Succeeded",
			"addressPrefix":                     subnetPrefix(vm.PrivateIP),
			"ipConfigurations":                  []any{ref(ipcfg)},
			"privateEndpointNetworkPolicies":    "Disabled",
			"privateLinkServiceNetworkPolicies": "Enabled",
		}
		if vm.SubnetNSGRules != nil {
			subnetProps["networkSecurityGroup"] = ref(subnetNSG)
		}
		return map[string]any{
			"id": vnet, "name": vnetName(vm), "location": vm.Location,
			"properties": map[string]any{
				"provisioningState": "Succeeded",
				"resourceGuid":      stableUUID(vnet),
				"addressSpace":      map[string]any{"addressPrefixes": []any{vnetPrefix(vm.PrivateIP)}},
				"subnets": []any{map[string]any{
					"id": subnet, "name": "default", "type": "Microsoft.Network/virtualNetworks/subnets",
					"etag": etag(subnet), "properties": subnetProps,
				}},
				"virtualNetworkPeerings": []any{},
				"enableDdosProtection":   false,
			},
		}
	})
}

func macAddress(id string) string {
	u := strings.ReplaceAll(stableUUID(id), "-", "")
	return strings.ToUpper(fmt.Sprintf("00-0D-3A-%s-%s-%s", u[0:2], u[2:4], u[4:6]))
}

// subnetPrefix is the /24 around a private IP; vnetPrefix the /16.
func subnetPrefix(ip string) string { return maskedPrefix(ip, 24) }
func vnetPrefix(ip string) string   { return maskedPrefix(ip, 16) }

func maskedPrefix(ip string, bits int) string {
	p := net.ParseIP(ip).To4()
	if p == nil {
		return "10.0.0.0/" + itoa(bits)
	}
	n := &net.IPNet{IP: p.Mask(net.CIDRMask(bits, 32)), Mask: net.CIDRMask(bits, 32)}
	return n.String()
}

func ruleJSON(nsgID, kind string, r NSGRule, desc string) map[string]any {
	props := map[string]any{
		"provisioningState":          "Succeeded",
		"priority":                   r.Priority,
		"direction":                  r.Direction,
		"access":                     r.Access,
		"protocol":                   r.Protocol,
		"sourcePortRange":            "*",
		"destinationAddressPrefix":   "*",
		"sourceAddressPrefixes":      []any{},
		"destinationAddressPrefixes": []any{},
		"sourcePortRanges":           []any{},
		"destinationPortRanges":      []any{},
	}
	if desc != "" {
		props["description"] = desc
	}
	if src := splitList(r.Source); len(src) == 1 {
		props["sourceAddressPrefix"] = src[0]
	} else {
		props["sourceAddressPrefixes"] = toAny(src)
	}
	if ports := splitList(r.Ports); len(ports) == 1 {
		props["destinationPortRange"] = ports[0]
	} else {
		props["destinationPortRanges"] = toAny(ports)
	}
	return map[string]any{
		"id":         nsgID + "/" + kind + "/" + r.Name,
		"name":       r.Name,
		"type":       "Microsoft.Network/networkSecurityGroups/" + kind,
		"properties": props,
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// defaultRules are the rules Azure puts in every network security group.
func defaultRules() []struct {
	rule NSGRule
	desc string
	dest string
} {
	return []struct {
		rule NSGRule
		desc string
		dest string
	}{
		{NSGRule{Name: "AllowVnetInBound", Priority: 65000, Direction: "Inbound", Access: "Allow", Source: "VirtualNetwork", Protocol: "*", Ports: "*"}, "Allow inbound traffic from all VMs in VNET", "VirtualNetwork"},
		{NSGRule{Name: "AllowAzureLoadBalancerInBound", Priority: 65001, Direction: "Inbound", Access: "Allow", Source: "AzureLoadBalancer", Protocol: "*", Ports: "*"}, "Allow inbound traffic from azure load balancer", "*"},
		{NSGRule{Name: "DenyAllInBound", Priority: 65500, Direction: "Inbound", Access: "Deny", Source: "*", Protocol: "*", Ports: "*"}, "Deny all inbound traffic", "*"},
		{NSGRule{Name: "AllowVnetOutBound", Priority: 65000, Direction: "Outbound", Access: "Allow", Source: "VirtualNetwork", Protocol: "*", Ports: "*"}, "Allow outbound traffic from all VMs to all VMs in VNET", "VirtualNetwork"},
		{NSGRule{Name: "AllowInternetOutBound", Priority: 65001, Direction: "Outbound", Access: "Allow", Source: "*", Protocol: "*", Ports: "*"}, "Allow outbound traffic from all VMs to Internet", "Internet"},
		{NSGRule{Name: "DenyAllOutBound", Priority: 65500, Direction: "Outbound", Access: "Deny", Source: "*", Protocol: "*", Ports: "*"}, "Deny all outbound traffic", "*"},
	}
}

func nsgJSON(id, name, location string, rules []NSGRule) map[string]any {
	custom := []any{}
	for _, r := range rules {
		custom = append(custom, ruleJSON(id, "securityRules", r, ""))
	}
	defs := []any{}
	for _, d := range defaultRules() {
		j := ruleJSON(id, "defaultSecurityRules", d.rule, d.desc)
		j["properties"].(map[string]any)["destinationAddressPrefix"] = d.dest
		defs = append(defs, j)
	}
	return map[string]any{
		"id": id, "name": name, "location": location,
		"properties": map[string]any{
			"provisioningState":    "Succeeded",
			"resourceGuid":         stableUUID(id),
			"securityRules":        custom,
			"defaultSecurityRules": defs,
		},
	}
}

func (s *Server) listNetwork(typ string) handler {
	return func(w http.ResponseWriter, r *http.Request, m *match) {
		count := func(g *ResourceGroup) int { return len(s.groupNets(m.sub, g, typ)) }
		build := func(g *ResourceGroup, from, to int) []any {
			out := make([]any, 0, to-from)
			for _, n := range s.groupNets(m.sub, g, typ)[from:to] {
				out = append(out, n.view())
			}
			return out
		}
		s.writeListing(w, r, groupListing(m, count, build))
	}
}

func (s *Server) findNet(m *match, typ, name string) *netRes {
	s.netMu.Lock()
	defer s.netMu.Unlock()
	s.registerNetwork(m.sub, m.rg)
	return s.netByName[key(m.sub.ID, m.rg.Name, typ, name)]
}

// groupNets are group g's network resources of type typ, in world order.
func (s *Server) groupNets(sub *Subscription, g *ResourceGroup, typ string) []*netRes {
	s.netMu.Lock()
	defer s.netMu.Unlock()
	s.registerNetwork(sub, g)
	return s.nets[key(sub.ID, g.Name, typ)]
}

// registerNetwork registers the network resources of group g's VMs, once;
// the caller holds netMu. The lists are only appended to here, so a slice
// returned under the lock stays valid after it.
func (s *Server) registerNetwork(sub *Subscription, g *ResourceGroup) {
	k := key(sub.ID, g.Name)
	if s.netGroups[k] {
		return
	}
	s.netGroups[k] = true
	for vi := range g.VirtualMachines {
		s.addNetwork(s.vms[key(sub.ID, g.Name, g.VirtualMachines[vi].Name)])
	}
}

func (s *Server) getNetwork(typ string) handler {
	return func(w http.ResponseWriter, _ *http.Request, m *match) {
		n := s.findNet(m, typ, m.vars[0])
		if n == nil {
			notFound(w, "Microsoft.Network/"+typ, m.vars[0], m.rg.Name)
			return
		}
		writeJSON(w, http.StatusOK, n.view())
	}
}

func (s *Server) subnets(w http.ResponseWriter, m *match) []any {
	n := s.findNet(m, "virtualNetworks", m.vars[0])
	if n == nil {
		notFound(w, "Microsoft.Network/virtualNetworks", m.vars[0], m.rg.Name)
		return nil
	}
	return n.body()["properties"].(map[string]any)["subnets"].([]any)
}

func (s *Server) listSubnets(w http.ResponseWriter, r *http.Request, m *match) {
	if subs := s.subnets(w, m); subs != nil {
		s.writePage(w, r, subs)
	}
}

func (s *Server) getSubnet(w http.ResponseWriter, _ *http.Request, m *match) {
	subs := s.subnets(w, m)
	if subs == nil {
		return
	}
	for _, sn := range subs {
		if strings.EqualFold(sn.(map[string]any)["name"].(string), m.vars[1]) {
			writeJSON(w, http.StatusOK, sn)
			return
		}
	}
	notFound(w, "Microsoft.Network/virtualNetworks/"+m.vars[0]+"/subnets", m.vars[1], m.rg.Name)
}
