package sandbox

import (
	"net/netip"
	"sort"
	"strings"
)

// matchesAML says whether a rule source matches traffic from Azure ML's
// service in region (a workspace's location): the AzureMachineLearning
// service tag (part of Internet), and an address or prefix that overlaps
// the tag's addresses for region (the sandbox's, as serviceTagDetails
// serves them; every region's when region has no entry).
func matchesAML(src, region string) bool {
	switch strings.ToLower(src) {
	case "*", "any", "internet", "azuremachinelearning", "0.0.0.0/0":
		return true
	}
	if strings.HasPrefix(strings.ToLower(src), "azuremachinelearning.") {
		return true
	}
	p, err := netip.ParsePrefix(strings.TrimSpace(src))
	if err != nil {
		a, aerr := netip.ParseAddr(strings.TrimSpace(src))
		if aerr != nil {
			return false
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	entries := amlTags
	for _, e := range amlTags {
		if e.region == normLocation(region) {
			entries = []amlTagEntry{e}
		}
	}
	for _, e := range entries {
		for _, tp := range e.prefixes {
			if tp.Overlaps(p) {
				return true
			}
		}
	}
	return false
}

// amlTags is the sandbox's AzureMachineLearning tag, made once.
var amlTags = amlTagTable()

// nsgAllowsAML evaluates an NSG (nil: none, so everything passes) for
// inbound TCP to port from Azure ML, rules by priority, Azure's defaults
// included. It returns the verdict and the deciding rule's name.
func nsgAllowsAML(rules *[]NSGRule, port int, region string) (bool, string) {
	if rules == nil {
		return true, ""
	}
	if port == 0 {
		port = 22
	}
	all := append([]NSGRule(nil), *rules...)
	for _, d := range defaultRules() {
		all = append(all, d.rule)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Priority < all[j].Priority })
	for _, r := range all {
		if !strings.EqualFold(r.Direction, "Inbound") || (!strings.EqualFold(r.Protocol, "Tcp") && r.Protocol != "*") {
			continue
		}
		src := false
		for _, s := range splitList(r.Source) {
			src = src || matchesAML(s, region)
		}
		if !src {
			continue
		}
		ranges, err := parsePorts(r.Ports)
		if err != nil {
			continue
		}
		for _, pr := range ranges {
			if port >= pr.lo && port <= pr.hi {
				return strings.EqualFold(r.Access, "Allow"), r.Name
			}
		}
	}
	return false, ""
}
