package probes

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"amlattach/azure"
)

// AzureMLTag is the service tag Azure ML's traffic comes from.
const AzureMLTag = "AzureMachineLearning"

// NSGVerdict is what one NSG does with TCP traffic from Azure ML to a port.
type NSGVerdict struct {
	Allowed bool
	Rule    azure.SecurityRule // the deciding rule; zero when the NSG has no matching rule
}

// EvaluateNSG applies the NSG's inbound rules in priority order to TCP
// traffic from the AzureMachineLearning service tag to port, as Azure does:
// the first matching rule decides. With no matching rule (not even Azure's
// DenyAllInBound default), traffic is denied.
func EvaluateNSG(g azure.NSG, port int) NSGVerdict {
	rules := append([]azure.SecurityRule(nil), g.Rules...)
	sort.SliceStable(rules, func(i, j int) bool { return rules[i].Priority < rules[j].Priority })
	for _, r := range rules {
		if !r.Inbound || !protoMatches(r.Protocol) || !portMatches(r.Ports, port) || !sourceMatchesAzureML(r.Sources) {
			continue
		}
		return NSGVerdict{Allowed: r.Allow, Rule: r}
	}
	return NSGVerdict{}
}

func protoMatches(p string) bool {
	switch strings.ToLower(p) {
	case "tcp", "*", "any", "":
		return true
	}
	return false
}

func portMatches(ranges []string, port int) bool {
	for _, r := range ranges {
		for _, part := range strings.Split(r, ",") {
			part = strings.TrimSpace(part)
			if part == "*" || strings.EqualFold(part, "any") {
				return true
			}
			lo, hi, isRange := strings.Cut(part, "-")
			a, err1 := strconv.Atoi(strings.TrimSpace(lo))
			if err1 != nil {
				continue
			}
			b := a
			if isRange {
				var err error
				if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil {
					continue
				}
			}
			if port >= a && port <= b {
				return true
			}
		}
	}
	return false
}

// sourceMatchesAzureML: "*", "Any", "Internet" and the AzureMachineLearning
// tag (also its regional forms) cover Azure ML's addresses. Address prefixes
// are not resolved: we cannot know from here whether they hold Azure ML's.
func sourceMatchesAzureML(srcs []string) bool {
	for _, s := range srcs {
		l := strings.ToLower(strings.TrimSpace(s))
		if l == "*" || l == "any" || l == "internet" || l == "0.0.0.0/0" || l == strings.ToLower(AzureMLTag) || strings.HasPrefix(l, strings.ToLower(AzureMLTag)+".") {
			return true
		}
	}
	return false
}

// NSGSSH checks that the NSGs on the VM's primary NIC and on its subnet both
// let Azure ML in on TCP port (the SSH port).
func NSGSSH(ctx context.Context, r NetworkReader, vm azure.VM, port int) Result {
	if len(vm.NICIDs) == 0 {
		return failf(FieldNone, "attach a network interface with a public IP to the VM", "%s has no network interface", vm.Name)
	}
	nicID, err := azure.ParseResourceID(vm.NICIDs[0])
	if err != nil {
		return failf(FieldNone, "report this: Azure returned a malformed NIC ID", "NIC ID %q: %v", vm.NICIDs[0], err)
	}
	nic, err := r.GetNIC(ctx, nicID)
	if err != nil {
		return readFail("network interface "+nicID.Name, err)
	}
	// Every read below starts at once: the NIC's NSG, and each subnet with
	// its NSG right after it. The answers are then judged in the order Azure
	// applies the groups, so the verdict is what reading them one by one
	// would give, in two round trips after the NIC instead of one per read.
	type subnetRead struct {
		id    azure.ResourceID
		nsgID string
		err   error
		nsg   *nsgRead
		done  chan struct{}
	}
	var subnets []*subnetRead
	seen := map[string]bool{}
	for _, ic := range nic.IPConfigs {
		if ic.SubnetID == "" || seen[strings.ToLower(ic.SubnetID)] {
			continue
		}
		seen[strings.ToLower(ic.SubnetID)] = true
		sid, err := azure.ParseResourceID(ic.SubnetID)
		if err != nil {
			continue
		}
		sr := &subnetRead{id: sid, done: make(chan struct{})}
		subnets = append(subnets, sr)
		go func() {
			defer close(sr.done)
			sr.nsgID, sr.err = r.SubnetNSG(ctx, sr.id)
			if sr.err == nil && sr.nsgID != "" {
				sr.nsg = startNSGRead(ctx, r, sr.nsgID)
			}
		}()
	}
	var nicNSG *nsgRead
	if nic.NSGID != "" {
		nicNSG = startNSGRead(ctx, r, nic.NSGID)
	}
	// A verdict may come before every read has answered (the first group
	// that fails decides); the probe still returns only once they all have,
	// so no read outlives the preflight that started it.
	defer func() {
		for _, sr := range subnets {
			<-sr.done
			if sr.nsg != nil {
				<-sr.nsg.done
			}
		}
		if nicNSG != nil {
			<-nicNSG.done
		}
	}()
	type scoped struct {
		where string
		id    string
		read  *nsgRead
	}
	var groups []scoped
	// Inbound traffic meets the subnet's NSG first, then the NIC's.
	for _, sr := range subnets {
		<-sr.done
		if sr.err != nil {
			return readFail("subnet "+sr.id.ChildName, sr.err)
		}
		if sr.nsgID != "" {
			groups = append(groups, scoped{"subnet " + sr.id.ChildName, sr.nsgID, sr.nsg})
		}
	}
	if nic.NSGID != "" {
		groups = append(groups, scoped{"NIC " + nic.Name, nic.NSGID, nicNSG})
	}
	if len(groups) == 0 {
		return noNSG(ctx, r, vm.Name, nic, port)
	}
	var allowed []string
	for _, g := range groups {
		gid, err := azure.ParseResourceID(g.id)
		if err != nil {
			return failf(FieldNone, "report this: Azure returned a malformed NSG ID", "NSG ID %q: %v", g.id, err)
		}
		<-g.read.done
		nsg, err := g.read.nsg, g.read.err
		if err != nil {
			return readFail("network security group "+gid.Name, err)
		}
		v := EvaluateNSG(nsg, port)
		if !v.Allowed {
			why := "no rule allows it"
			if v.Rule.Name != "" {
				why = fmt.Sprintf("rule %s (priority %d) denies it", v.Rule.Name, v.Rule.Priority)
			}
			remedy := fmt.Sprintf("no priority is free before the inbound Deny rules of NSG %s that may cover %s's addresses: free one below them (or change them) and allow TCP %d from %s there", nsg.Name, AzureMLTag, port, AzureMLTag)
			if prio := WinningPriority(nsg, port, ""); prio > 0 {
				remedy = fmt.Sprintf("allow it: az network nsg rule create -g %s --nsg-name %s -n AllowAzureMLSSH --priority %d --direction Inbound --access Allow --protocol Tcp --source-address-prefixes %s --destination-port-ranges %d",
					gid.ResourceGroup, nsg.Name, prio, AzureMLTag, port)
			}
			return failf(FieldPort, remedy, "NSG %s on %s blocks TCP %d from %s: %s", nsg.Name, g.where, port, AzureMLTag, why)
		}
		src := strings.Join(v.Rule.Sources, ",")
		allowed = append(allowed, fmt.Sprintf("%s on %s allows it (rule %s, priority %d, source %s)", nsg.Name, g.where, v.Rule.Name, v.Rule.Priority, src))
	}
	return passf("TCP %d from %s: %s", port, AzureMLTag, strings.Join(allowed, "; "))
}

// nsgRead is an NSG being read; done is closed when nsg or err is set.
type nsgRead struct {
	nsg  azure.NSG
	err  error
	done chan struct{}
}

// startNSGRead reads the NSG id in the background; a malformed ID is left
// for the caller to report, and reads nothing.
func startNSGRead(ctx context.Context, r NetworkReader, id string) *nsgRead {
	nr := &nsgRead{done: make(chan struct{})}
	gid, err := azure.ParseResourceID(id)
	if err != nil {
		nr.err = err
		close(nr.done)
		return nr
	}
	go func() {
		defer close(nr.done)
		nr.nsg, nr.err = r.GetNSG(ctx, gid)
	}()
	return nr
}

// notAzureML are address ranges Azure ML's service addresses (public ones)
// are never in: private, shared, loopback and link-local space.
var notAzureML = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("fc00::/7"), netip.MustParsePrefix("fe80::/10"), netip.MustParsePrefix("::1/128"),
}

// disjointFromAzureML says whether the source s (an address, a prefix, a
// service tag) provably holds none of Azure ML's addresses: only an
// address or prefix inside private or special-use space does. A public
// prefix may hold some (we do not resolve the tag's addresses here), and so
// may any other tag.
func disjointFromAzureML(s string) bool {
	s = strings.TrimSpace(s)
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, aerr := netip.ParseAddr(s)
		if aerr != nil {
			return false
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	for _, n := range notAzureML {
		if n.Bits() <= p.Bits() && n.Contains(p.Masked().Addr()) {
			return true
		}
	}
	return false
}

// MayHoldAzureML says whether the rule's sources may include Azure ML's
// addresses: those EvaluateNSG matches, and every source that is not
// provably disjoint from them (a public prefix, another service tag, an
// application security group).
func MayHoldAzureML(r azure.SecurityRule) bool {
	if len(r.SourceASGs) > 0 || len(r.Sources) == 0 {
		return true
	}
	for _, s := range r.Sources {
		if sourceMatchesAzureML([]string{s}) || !disjointFromAzureML(s) {
			return true
		}
	}
	return false
}

// WinningPriority is a priority, free among g's inbound rules, for an
// Allow rule from AzureMachineLearning on TCP port that comes before every
// inbound Deny of TCP on port whose source may hold Azure ML's addresses
// (MayHoldAzureML), and before the rule decider names (the rule Network
// Watcher found deciding, "" when none): just below the first of them, or
// around 1000 when only Azure's default rules deny. 0 when none is free
// (such a Deny has priority 100, or every priority before it is taken).
func WinningPriority(g azure.NSG, port int, decider string) int {
	used := map[int]bool{}
	bound := 4097 // the first priority ours must come before
	for _, r := range g.Rules {
		if !r.Inbound {
			continue
		}
		used[r.Priority] = true
		denies := !r.Allow && protoMatches(r.Protocol) && portMatches(r.Ports, port) && MayHoldAzureML(r)
		if (denies || (decider != "" && strings.EqualFold(r.Name, decider))) && r.Priority < bound {
			bound = r.Priority
		}
	}
	hi := bound - 1
	start := min(1000, bound-10)
	start = min(max(start, 100), hi)
	for p := start; p >= 100; p-- {
		if !used[p] {
			return p
		}
	}
	for p := start + 1; p <= hi; p++ {
		if !used[p] {
			return p
		}
	}
	return 0
}

// noNSG judges a NIC with no NSG on it or its subnet: a Basic public IP is
// open to inbound traffic, a Standard one closed to it until an NSG allows
// it (Azure's public IP SKUs), so Azure ML cannot reach it.
func noNSG(ctx context.Context, r NetworkReader, vmName string, nic azure.NIC, port int) Result {
	ic, ok := nic.PrimaryIPConfig()
	if !ok || ic.PublicIPID == "" {
		return passf("no network security group on %s or its subnet, and no public IP on it: nothing filters inbound TCP %d", nic.Name, port)
	}
	pid, err := azure.ParseResourceID(ic.PublicIPID)
	if err != nil {
		return failf(FieldNone, "report this: Azure returned a malformed public IP ID", "public IP ID %q: %v", ic.PublicIPID, err)
	}
	pip, err := r.GetPublicIP(ctx, pid)
	if err != nil {
		return readFail("public IP "+pid.Name, err)
	}
	if strings.EqualFold(pip.SKU, "Basic") {
		return passf("no network security group on %s or its subnet: its Basic public IP %s lets inbound TCP %d in unfiltered", nic.Name, pid.Name, port)
	}
	nicID, _ := azure.ParseResourceID(nic.ID)
	return failf(FieldPort,
		fmt.Sprintf("create an NSG that allows it and put it on the NIC: az network nsg create -g %s -n %s-nsg && az network nsg rule create -g %s --nsg-name %s-nsg -n AllowAzureMLSSH --priority 1000 --direction Inbound --access Allow --protocol Tcp --source-address-prefixes %s --destination-port-ranges %d && az network nic update -g %s -n %s --network-security-group %s-nsg",
			nicID.ResourceGroup, vmName, nicID.ResourceGroup, vmName, AzureMLTag, port, nicID.ResourceGroup, nic.Name, vmName),
		"no network security group on %s or its subnet, and its public IP %s is Standard SKU, which is closed to inbound traffic until an NSG allows it: Azure ML cannot reach TCP %d", nic.Name, pid.Name, port)
}
