package sandbox

import (
	"sort"
	"strings"
)

// amlSources are the rule sources that match traffic from Azure ML's
// service (the AzureMachineLearning service tag is part of Internet).
func matchesAML(src string) bool {
	switch strings.ToLower(src) {
	case "*", "any", "internet", "azuremachinelearning", "0.0.0.0/0":
		return true
	}
	return strings.HasPrefix(strings.ToLower(src), "azuremachinelearning.")
}

// nsgAllowsAML evaluates an NSG (nil: none, so everything passes) for
// inbound TCP to port from Azure ML, rules by priority, Azure's defaults
// included. It returns the verdict and the deciding rule's name.
func nsgAllowsAML(rules *[]NSGRule, port int) (bool, string) {
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
			src = src || matchesAML(s)
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
