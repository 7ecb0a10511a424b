package probes

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"amlattach/azure"
)

// WatcherReader is the part of the Azure facade that asks Azure itself to
// judge the network path (Network Watcher's IP flow verify).
type WatcherReader interface {
	NetworkWatcherIn(ctx context.Context, subscriptionID, location string) (azure.NetworkWatcher, bool, error)
	ServiceTag(ctx context.Context, subscriptionID, location, tag string) ([]azure.ServiceTagPrefixes, error)
	VerifyIPFlow(ctx context.Context, w azure.NetworkWatcher, f azure.IPFlow) (azure.IPFlowVerdict, error)
}

// watcherSourcePort is the source port of the packet Network Watcher is
// asked about: Azure ML connects from an ephemeral port, and the rules
// that matter leave the source port open ("*").
const watcherSourcePort = 50000

// watcherOutcome is what asking Network Watcher gave: a verdict, or why
// there is none (notChecked).
type watcherOutcome struct {
	verdict    azure.IPFlowVerdict
	from       string // the source address asked about, and where it came from
	watcher    string // the watcher's name
	notChecked string
}

// NSGSSHWatched is NSGSSH with Azure's own verdict beside ours: when the
// VM's region has a Network Watcher, it asks it (IP flow verify) whether
// TCP from an AzureMachineLearning address of the workspace's region
// (wsRegion; the service tag's details) to the VM's private address and
// port is allowed, while our own reading of the NSGs runs. Its verdict and
// rule are shown beside ours, and it wins when they differ, except that an
// Allow that names no rule (no security rule was evaluated at all) does not
// overturn a failure of ours. When Azure cannot be asked (no watcher in the
// region, no permission, no answer in time) the result says so and keeps
// our verdict: the probe never fails because the watcher could not be
// asked. ctx bounds the whole probe, the watcher's wait included.
func NSGSSHWatched(ctx context.Context, r NetworkReader, w WatcherReader, vm azure.VM, port int, wsRegion string) Result {
	done := make(chan watcherOutcome, 1)
	go func() { done <- askWatcher(ctx, r, w, vm, port, wsRegion) }()
	ours := NSGSSH(ctx, r, vm, port)
	return mergeWatcher(ours, <-done, port)
}

// askWatcher asks Network Watcher about the path; it never fails, it says
// why it could not tell instead.
func askWatcher(ctx context.Context, r NetworkReader, w WatcherReader, vm azure.VM, port int, wsRegion string) watcherOutcome {
	if w == nil {
		return watcherOutcome{notChecked: "no Azure client to ask it"}
	}
	if vm.PowerState != "" && vm.PowerState != "running" {
		return watcherOutcome{notChecked: fmt.Sprintf("it checks only a running VM (%s is %s)", vm.Name, vm.PowerState)}
	}
	vmID, err := azure.ParseResourceID(vm.ID)
	if err != nil || len(vm.NICIDs) == 0 {
		return watcherOutcome{notChecked: "the VM's ID or network interface is not known"}
	}
	region := vm.Location
	if wsRegion == "" {
		wsRegion = region
	}
	// The watcher list, the tag's addresses and the NIC (shared with our
	// own reading through r) are read at once.
	type found struct {
		nw  azure.NetworkWatcher
		ok  bool
		err error
	}
	nwc := make(chan found, 1)
	go func() {
		nw, ok, err := w.NetworkWatcherIn(ctx, vmID.SubscriptionID, region)
		nwc <- found{nw, ok, err}
	}()
	type tags struct {
		entries []azure.ServiceTagPrefixes
		err     error
	}
	tagc := make(chan tags, 1)
	go func() {
		e, err := w.ServiceTag(ctx, vmID.SubscriptionID, wsRegion, AzureMLTag)
		tagc <- tags{e, err}
	}()
	nicID, nicErr := azure.ParseResourceID(vm.NICIDs[0])
	var nic azure.NIC
	if nicErr == nil {
		nic, nicErr = r.GetNIC(ctx, nicID)
	}
	f := <-nwc
	t := <-tagc
	switch {
	case f.err != nil:
		return watcherOutcome{notChecked: refusal("list the subscription's network watchers", azure.ActionNetworkWatchersRead, f.err)}
	case !f.ok:
		return watcherOutcome{notChecked: fmt.Sprintf("there is no Network Watcher in %s in this subscription (Azure creates NetworkWatcher_%s in NetworkWatcherRG with a region's first virtual network, unless the subscription opted out; to enable it: az network watcher configure -g NetworkWatcherRG -l %s --enabled true)",
			region, azure.NormalizeLocation(region), azure.NormalizeLocation(region))}
	case t.err != nil:
		return watcherOutcome{notChecked: refusal("read the addresses of the "+AzureMLTag+" service tag", azure.ActionServiceTagsRead, t.err)}
	case nicErr != nil:
		return watcherOutcome{notChecked: fmt.Sprintf("could not read the VM's network interface: %v", nicErr)}
	}
	src, from, ok := tagAddress(t.entries, wsRegion)
	if !ok {
		return watcherOutcome{notChecked: fmt.Sprintf("Azure listed no IPv4 address for the %s service tag", AzureMLTag)}
	}
	local := ""
	for _, ic := range nic.IPConfigs {
		if a, err := netip.ParseAddr(ic.PrivateIP); err == nil && a.Is4() {
			local = a.String()
			break
		}
	}
	if local == "" {
		return watcherOutcome{notChecked: fmt.Sprintf("network interface %s has no private IPv4 address", nic.Name)}
	}
	v, err := w.VerifyIPFlow(ctx, f.nw, azure.IPFlow{VMID: vm.ID, NICID: nic.ID, LocalIP: local, LocalPort: port, RemoteIP: src, RemotePort: watcherSourcePort})
	if err != nil {
		if ctx.Err() != nil {
			return watcherOutcome{notChecked: fmt.Sprintf("%s did not answer in time (give it more with --timeout)", f.nw.Name)}
		}
		return watcherOutcome{notChecked: refusal("ask "+f.nw.Name+" (IP flow verify)", azure.ActionIPFlowVerify, err)}
	}
	return watcherOutcome{verdict: v, watcher: f.nw.Name, from: fmt.Sprintf("%s (%s) to %s:%d", src, from, local, port)}
}

// refusal says why a request to Azure gave no answer, naming the
// permission when Azure refused it for want of one.
func refusal(what, action string, err error) string {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return "could not " + what + " in time (give it more with --timeout)"
	}
	if ae, ok := azure.AsAzureError(err); ok {
		if ae.Status == 403 || strings.EqualFold(ae.Code, "AuthorizationFailed") {
			return fmt.Sprintf("you may not %s: it needs %s (e.g. Network Contributor)", what, action)
		}
		return fmt.Sprintf("could not %s: HTTP %d %s: %s", what, ae.Status, ae.Code, ae.Message)
	}
	return fmt.Sprintf("could not %s: %v", what, err)
}

// tagAddress picks the address Network Watcher is asked about: the first
// usable address of an IPv4 prefix of the tag's entry for region (the tag's
// regional form), else of the tag's global entry. from says which entry.
func tagAddress(entries []azure.ServiceTagPrefixes, region string) (addr, from string, ok bool) {
	want := azure.NormalizeLocation(region)
	var regional, global []azure.ServiceTagPrefixes
	for _, e := range entries {
		tag, suffix, dotted := strings.Cut(e.Name, ".")
		switch {
		case !strings.EqualFold(tag, AzureMLTag):
		case e.Region != "" && azure.NormalizeLocation(e.Region) == want,
			e.Region == "" && dotted && strings.EqualFold(suffix, want):
			regional = append(regional, e)
		case !dotted:
			global = append(global, e)
		}
	}
	for _, set := range [][]azure.ServiceTagPrefixes{regional, global} {
		for _, e := range set {
			for _, p := range e.Prefixes {
				if a, ok := firstUsable(p); ok {
					return a, e.Name, true
				}
			}
		}
	}
	return "", "", false
}

// firstUsable is the first host address of an IPv4 prefix: the one after
// the network address, or the address itself for a /31 or /32.
func firstUsable(prefix string) (string, bool) {
	p, err := netip.ParsePrefix(strings.TrimSpace(prefix))
	if err != nil {
		a, aerr := netip.ParseAddr(strings.TrimSpace(prefix))
		if aerr != nil || !a.Is4() {
			return "", false
		}
		return a.String(), true
	}
	if !p.Addr().Is4() {
		return "", false
	}
	a := p.Masked().Addr()
	if p.Bits() <= 30 {
		a = a.Next()
	}
	return a.String(), true
}

// nsgRuleName says whether a rule name Network Watcher gave is an NSG's
// rule ("securityRules/X", "defaultSecurityRules/X") rather than, say, a
// network manager's security admin rule.
func nsgRuleName(name string) bool {
	l := strings.ToLower(name)
	return strings.HasPrefix(l, "securityrules/") || strings.HasPrefix(l, "defaultsecurityrules/")
}

// mergeWatcher puts Network Watcher's verdict beside ours and lets it win
// when they differ.
func mergeWatcher(ours Result, w watcherOutcome, port int) Result {
	if w.notChecked != "" {
		ours.Detail += "; Network Watcher could not check the path: " + w.notChecked
		return ours
	}
	by := ""
	if w.verdict.RuleName != "" {
		by = " by rule " + w.verdict.RuleName
	}
	says := fmt.Sprintf("Network Watcher says %s%s (%s, TCP from %s)", w.verdict.Access, by, w.watcher, w.from)
	oursAllows := ours.Status == Pass
	if !w.verdict.Allowed() && nsgRuleName(w.verdict.RuleName) {
		_, name, _ := strings.Cut(w.verdict.RuleName, "/")
		if !strings.HasPrefix(strings.ToLower(w.verdict.RuleName), "default") {
			ours.Decider = name
		}
	}
	switch {
	case w.verdict.Allowed() == oursAllows:
		ours.Detail += "; " + says + ": it agrees"
		return ours
	case w.verdict.Allowed() && w.verdict.RuleName == "":
		// Nothing was evaluated (no security group on the path): that says
		// nothing against our finding.
		ours.Detail += "; " + says + ", with no security rule on the path: our verdict stands"
		return ours
	case w.verdict.Allowed():
		return Result{Status: Pass, Detail: fmt.Sprintf("%s; our reading of the NSGs said deny (%s): Network Watcher's verdict wins", says, ours.Detail)}
	}
	remedy := fmt.Sprintf("allow TCP %d from %s above rule %s (Network Watcher → IP flow verify in the portal shows the same verdict)", port, AzureMLTag, w.verdict.RuleName)
	if w.verdict.RuleName != "" && !nsgRuleName(w.verdict.RuleName) {
		remedy = fmt.Sprintf("%s is not an NSG rule but a network manager security admin rule, which NSG rules cannot override: ask your network administrator to allow TCP %d from %s to this VM in the security admin configuration", w.verdict.RuleName, port, AzureMLTag)
	} else if w.verdict.RuleName == "" {
		remedy = fmt.Sprintf("no rule on the path allows TCP %d from %s: add an inbound Allow rule for it", port, AzureMLTag)
	}
	return Result{Status: Fail, Field: FieldPort, Remedy: remedy, Decider: ours.Decider,
		Detail: fmt.Sprintf("%s; our reading of the NSGs said allow (%s): Network Watcher's verdict wins", says, ours.Detail)}
}
