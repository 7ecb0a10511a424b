package probes

import (
	"strings"
	"testing"

	"amlattach/azure"
)

func TestFirstUsableAddress(t *testing.T) {
	for _, tc := range []struct {
		prefix, want string
		ok           bool
	}{
		{"198.51.100.16/28", "198.51.100.17", true},
		{"198.51.100.21/28", "198.51.100.17", true}, // not masked as given
		{"20.37.67.40/30", "20.37.67.41", true},
		{"40.74.146.80/31", "40.74.146.80", true},
		{"13.64.39.16/32", "13.64.39.16", true},
		{"203.0.113.9", "203.0.113.9", true},
		{"2001:db8:1::/64", "", false},
		{"not a prefix", "", false},
	} {
		got, ok := firstUsable(tc.prefix)
		if got != tc.want || ok != tc.ok {
			t.Errorf("firstUsable(%q) = %q, %v; want %q, %v", tc.prefix, got, ok, tc.want, tc.ok)
		}
	}
}

// The workspace region's entry wins over the global one (found by its
// region, or by its name where Azure leaves the region out); an entry with
// only IPv6 prefixes is passed over; another tag's entry is never used.
func TestTagAddressPrefersTheRegion(t *testing.T) {
	global := azure.ServiceTagPrefixes{Name: "AzureMachineLearning", Prefixes: []string{"2001:db8::/48", "192.0.2.0/24"}}
	east := azure.ServiceTagPrefixes{Name: "AzureMachineLearning.EastUS", Region: "eastus", Prefixes: []string{"2001:db8:1::/64", "198.51.100.0/28"}}
	west := azure.ServiceTagPrefixes{Name: "AzureMachineLearning.WestEurope", Prefixes: []string{"203.0.113.0/28"}}
	other := azure.ServiceTagPrefixes{Name: "Storage.EastUS", Region: "eastus", Prefixes: []string{"192.0.2.128/25"}}
	v6only := azure.ServiceTagPrefixes{Name: "AzureMachineLearning.NorthEurope", Region: "northeurope", Prefixes: []string{"2001:db8:2::/64"}}
	for _, tc := range []struct {
		region    string
		entries   []azure.ServiceTagPrefixes
		addr, src string
	}{
		{"East US", []azure.ServiceTagPrefixes{other, global, east}, "198.51.100.1", "AzureMachineLearning.EastUS"},
		{"westeurope", []azure.ServiceTagPrefixes{global, east, west}, "203.0.113.1", "AzureMachineLearning.WestEurope"},
		{"northeurope", []azure.ServiceTagPrefixes{v6only, global}, "192.0.2.1", "AzureMachineLearning"},
		{"japaneast", []azure.ServiceTagPrefixes{other, east, global}, "192.0.2.1", "AzureMachineLearning"},
	} {
		addr, src, ok := tagAddress(tc.entries, tc.region)
		if !ok || addr != tc.addr || src != tc.src {
			t.Errorf("%s: %q from %q (%v), want %q from %q", tc.region, addr, src, ok, tc.addr, tc.src)
		}
	}
	if addr, _, ok := tagAddress([]azure.ServiceTagPrefixes{other, v6only}, "eastus"); ok {
		t.Errorf("no IPv4 address of the tag: got %q", addr)
	}
}

// The merge rules, including the one case where Network Watcher's
// different verdict does not win: an Allow that names no rule (nothing on
// the path was evaluated) does not overturn our failure, which may rest on
// what Network Watcher does not judge.
func TestMergeWatcher(t *testing.T) {
	pass := Result{Status: Pass, Detail: "ours allows"}
	fail := Result{Status: Fail, Detail: "ours denies", Remedy: "our remedy", Field: FieldPort}
	allowBy := func(rule string) watcherOutcome {
		return watcherOutcome{verdict: azure.IPFlowVerdict{Access: "Allow", RuleName: rule}, watcher: "nw", from: "x"}
	}
	denyBy := func(rule string) watcherOutcome {
		return watcherOutcome{verdict: azure.IPFlowVerdict{Access: "Deny", RuleName: rule}, watcher: "nw", from: "x"}
	}
	for _, tc := range []struct {
		name   string
		ours   Result
		w      watcherOutcome
		status Status
		detail []string
		remedy string
	}{
		{"agree allow", pass, allowBy("securityRules/A"), Pass, []string{"ours allows; Network Watcher says Allow by rule securityRules/A", "it agrees"}, ""},
		{"agree deny", fail, denyBy("defaultSecurityRules/DenyAllInBound"), Fail, []string{"ours denies; Network Watcher says Deny", "it agrees"}, "our remedy"},
		{"nsg deny wins", pass, denyBy("securityRules/DenySSH"), Fail, []string{"Network Watcher says Deny by rule securityRules/DenySSH", "our reading of the NSGs said allow (ours allows)"}, "above rule securityRules/DenySSH"},
		{"admin deny wins", pass, denyBy("BlockSSH"), Fail, []string{"Deny by rule BlockSSH"}, "network manager security admin rule"},
		{"unnamed deny wins", pass, denyBy(""), Fail, []string{"Network Watcher says Deny (nw"}, "no rule on the path allows TCP 22"},
		{"named allow wins", fail, allowBy("securityRules/AllowRange"), Pass, []string{"says Allow by rule securityRules/AllowRange", "our reading of the NSGs said deny (ours denies)"}, ""},
		{"unnamed allow does not", fail, allowBy(""), Fail, []string{"ours denies; Network Watcher says Allow (nw", "no security rule on the path: our verdict stands"}, "our remedy"},
		{"not checked", fail, watcherOutcome{notChecked: "no watcher"}, Fail, []string{"ours denies; Network Watcher could not check the path: no watcher"}, "our remedy"},
	} {
		r := mergeWatcher(tc.ours, tc.w, 22)
		if r.Status != tc.status {
			t.Errorf("%s: %s, want %s (%s)", tc.name, r.Status, tc.status, r.Detail)
		}
		for _, d := range tc.detail {
			if !strings.Contains(r.Detail, d) {
				t.Errorf("%s: detail %q lacks %q", tc.name, r.Detail, d)
			}
		}
		if (tc.remedy == "") != (r.Remedy == "") || !strings.Contains(r.Remedy, tc.remedy) {
			t.Errorf("%s: remedy %q, want %q", tc.name, r.Remedy, tc.remedy)
		}
		if r.Status == Fail && r.Field != FieldPort {
			t.Errorf("%s: field %q", tc.name, r.Field)
		}
	}
}
