package flows

import (
	"context"
	"fmt"
	"strings"

	"amlattach/azure"
	"amlattach/probes"
)

// Fixes for arm.nsg.ssh (DESIGN §8).
const (
	FixNSGAllowAMLSSH = "nsg.allow-aml-ssh"
	FixNSGCreate      = "nsg.create"
)

func init() {
	registerFix(probes.IDNSGSSH, []string{FixNSGAllowAMLSSH, FixNSGCreate}, func(ctx context.Context, d Deps, p *Plan, r probes.Result) *Fix {
		if !isVM(p) {
			return nil
		}
		path, err := readPath(ctx, d, p.ID)
		if err != nil {
			return nil // the probe says what could not be read
		}
		port := sshPortOf(p)
		if len(path.groups) == 0 {
			return nsgCreateFix(ctx, d, path, port)
		}
		return nsgAllowFix(ctx, d, path, port, r.Decider)
	})
}

// amlRuleName is the name our rule takes in g: AllowAzureMLSSH (with the
// port when it is not 22), or with -2, -3, ... when a rule has that name
// already: a PUT on an existing name would replace that rule.
func amlRuleName(g azure.NSG, port int) string {
	base := "AllowAzureMLSSH"
	if port != 22 {
		base = fmt.Sprintf("AllowAzureMLSSH%d", port)
	}
	used := map[string]bool{}
	for _, r := range g.Rules {
		if !r.IsDefault {
			used[strings.ToLower(r.Name)] = true
		}
	}
	for i := 1; ; i++ {
		name := base
		if i > 1 {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		if !used[strings.ToLower(name)] {
			return name
		}
	}
}

// amlRule is the rule that lets Azure ML in on port, for g as it stands,
// or nil when g lets it in already; ok is false when no priority is free.
// Its priority comes before every inbound Deny that may cover Azure ML's
// addresses (a public prefix, another tag, an application security group:
// our reading of the NSG cannot tell), and before decider, the rule Network
// Watcher found deciding ("" when none).
func amlRule(g azure.NSG, port int, decider string) (rule *azure.NewRule, why string, ok bool) {
	v := probes.EvaluateNSG(g, port)
	why = "no rule allows it"
	switch {
	case v.Allowed:
		// Our reading lets it in, unless Azure found a rule of g denying it
		// that comes first (a source our reading cannot resolve).
		d, found := ruleNamed(g, decider)
		if !found || d.Allow || d.Priority >= v.Rule.Priority {
			return nil, "", true
		}
		why = fmt.Sprintf("Network Watcher finds rule %s (priority %d) denies it", d.Name, d.Priority)
	case v.Rule.Name != "":
		why = fmt.Sprintf("rule %s (priority %d) denies it", v.Rule.Name, v.Rule.Priority)
	}
	prio := probes.WinningPriority(g, port, decider)
	if prio == 0 {
		return nil, why, false
	}
	return &azure.NewRule{Name: amlRuleName(g, port), Priority: prio, Source: probes.AzureMLTag, Port: port,
		Description: fmt.Sprintf("Made by amlattach (fix %s): lets Azure Machine Learning reach SSH on TCP %d", FixNSGAllowAMLSSH, port)}, why, true
}

// ruleNamed is g's inbound rule called name ("" finds none).
func ruleNamed(g azure.NSG, name string) (azure.SecurityRule, bool) {
	for _, r := range g.Rules {
		if name != "" && r.Inbound && strings.EqualFold(r.Name, name) {
			return r, true
		}
	}
	return azure.SecurityRule{}, false
}

// ruleRequest describes the PUT of a rule: method, path, the body's
// meaningful fields.
func ruleRequest(nsgID string, r azure.NewRule) string {
	return fmt.Sprintf("request: PUT %s/securityRules/%s (If-Match: the NSG's etag as read) {access: Allow, direction: Inbound, protocol: Tcp, sourceAddressPrefix: %s, sourcePortRange: *, destinationAddressPrefix: *, destinationPortRange: %d, priority: %d, description: %q}",
		nsgID, r.Name, r.Source, r.Port, r.Priority, r.Description)
}

// nsgAllowFix adds our rule to each NSG on the path that blocks Azure ML.
func nsgAllowFix(ctx context.Context, d Deps, path *vmPath, port int, decider string) *Fix {
	type target struct {
		g    nsgOnPath
		rule azure.NewRule
		why  string // why it blocks now
	}
	var targets []target
	for _, g := range path.groups {
		rule, why, ok := amlRule(g.nsg, port, decider)
		if !ok {
			return nil // no free priority wins: the remedy stays advice
		}
		if rule != nil {
			targets = append(targets, target{g, *rule, why})
		}
	}
	if len(targets) == 0 {
		return nil // our reading lets it in: nothing for us to change
	}
	f := &Fix{ID: FixNSGAllowAMLSSH, Permission: azure.ActionSecurityRuleWrite, Scope: targets[0].g.id.String(),
		Risk: fmt.Sprintf("opens TCP %d to Azure Machine Learning's addresses only (service tag %s), never to the internet or any address; no cost", port, probes.AzureMLTag)}
	var names, undo []string
	for _, t := range targets {
		names = append(names, t.g.nsg.Name)
		f.Changes = append(f.Changes,
			fmt.Sprintf("NSG %s on %s (resource group %s): TCP %d from %s is blocked (%s) -> allowed by a new inbound rule %s, priority %d",
				t.g.nsg.Name, t.g.where, t.g.id.ResourceGroup, port, probes.AzureMLTag, t.why, t.rule.Name, t.rule.Priority),
			ruleRequest(t.g.id.String(), t.rule))
		undo = append(undo, fmt.Sprintf("az network nsg rule delete -g %s --nsg-name %s -n %s", t.g.id.ResourceGroup, t.g.nsg.Name, t.rule.Name))
		if t.g.id.String() != f.Scope {
			if m := missingPermission(ctx, d, t.g.id.String(), f.Permission); m != "" && f.Needs == "" {
				f.Needs = m
			}
		}
	}
	f.Summary = fmt.Sprintf("allow TCP %d from %s on NSG %s", port, probes.AzureMLTag, strings.Join(names, " and "))
	f.Undo = strings.Join(undo, " && ")
	f.apply = func(ctx context.Context, d Deps, emit Emit) (FixStatus, []Change, error) {
		var changed []Change
		for _, t := range targets {
			var before string
			oc, cancel := d.OperationContext(ctx)
			_, added, err := d.Azure.AddSecurityRule(oc, t.g.id, func(g azure.NSG) (*azure.NewRule, error) {
				// Decided on each read: the NSG as it stands now.
				rule, why, ok := amlRule(g, port, decider)
				if !ok {
					return nil, fmt.Errorf("no priority from 100 up to the one that blocks is free in NSG %s: %s", g.Name, why)
				}
				before = why
				return rule, nil
			}, fixProgress(d, FixNSGAllowAMLSSH, emit))
			cancel()
			if err != nil {
				return FixFailed, changed, err
			}
			if added != nil {
				changed = append(changed, Change{
					Resource: fmt.Sprintf("NSG %s (%s)", t.g.nsg.Name, t.g.id.String()),
					Before:   fmt.Sprintf("TCP %d from %s blocked: %s", port, probes.AzureMLTag, before),
					After:    fmt.Sprintf("allowed by rule %s (priority %d, made by amlattach)", added.Name, added.Priority)})
			}
		}
		if len(changed) == 0 {
			return FixUnchanged, nil, nil
		}
		return FixApplied, changed, nil
	}
	return f
}

// nsgCreateFix makes an NSG with our rule and puts it on the NIC, when no
// NSG stands in front of a Standard public IP (closed to inbound).
func nsgCreateFix(ctx context.Context, d Deps, path *vmPath, port int) *Fix {
	ic, ok := path.nic.PrimaryIPConfig()
	if !ok || ic.PublicIPID == "" {
		return nil
	}
	pid, err := azure.ParseResourceID(ic.PublicIPID)
	if err != nil {
		return nil
	}
	c, cancel := d.withTimeout(ctx)
	pip, err := d.Azure.GetPublicIP(c, pid)
	cancel()
	if err != nil || strings.EqualFold(pip.SKU, "Basic") {
		return nil // a Basic address is open without an NSG
	}
	nicID := path.nicID
	name := freeName(path.vm.Name+"-nsg", func(n string) (bool, error) {
		c, cancel := d.withTimeout(ctx)
		defer cancel()
		_, err := d.Azure.GetNSG(c, azure.ResourceID{SubscriptionID: nicID.SubscriptionID, ResourceGroup: nicID.ResourceGroup,
			Provider: "Microsoft.Network", Type: "networkSecurityGroups", Name: n})
		return existsBy(err)
	})
	if name == "" {
		return nil
	}
	nsgID := azure.ResourceID{SubscriptionID: nicID.SubscriptionID, ResourceGroup: nicID.ResourceGroup, Provider: "Microsoft.Network", Type: "networkSecurityGroups", Name: name}
	location := path.nic.Location
	if location == "" {
		location = path.vm.Location
	}
	tags := madeBy(FixNSGCreate)
	rule := azure.NewRule{Name: amlRuleName(azure.NSG{}, port), Priority: 1000, Source: probes.AzureMLTag, Port: port,
		Description: fmt.Sprintf("Made by amlattach (fix %s): lets Azure Machine Learning reach SSH on TCP %d", FixNSGCreate, port)}
	actions := []string{azure.ActionNSGWrite, azure.ActionNICWrite, azure.ActionNSGJoin}
	scope := rgScope(nicID)
	f := &Fix{ID: FixNSGCreate,
		Summary: fmt.Sprintf("create NSG %s allowing TCP %d from %s and put it on %s", name, port, probes.AzureMLTag, path.nic.Name),
		Changes: []string{
			fmt.Sprintf("NSG %s (resource group %s, %s): none -> created, tagged %s, with inbound rule %s: Allow TCP %d from %s, priority %d; everything else inbound stays denied by Azure's default rules",
				name, nicID.ResourceGroup, location, tagsText(tags), rule.Name, port, probes.AzureMLTag, rule.Priority),
			fmt.Sprintf("request: PUT %s (If-None-Match: *) {location: %s, tags: {%s}, securityRules: [{name: %s, access: Allow, direction: Inbound, protocol: Tcp, sourceAddressPrefix: %s, sourcePortRange: *, destinationAddressPrefix: *, destinationPortRange: %d, priority: %d}]}",
				nsgID.String(), location, tagsText(tags), rule.Name, rule.Source, port, rule.Priority),
			fmt.Sprintf("NIC %s (resource group %s): networkSecurityGroup none -> %s", path.nic.Name, nicID.ResourceGroup, name),
			fmt.Sprintf("request: GET, then PUT %s: the NIC as read with properties.networkSecurityGroup.id = %s (If-Match: its etag)", nicID.String(), nsgID.String()),
		},
		Permission: strings.Join(actions, ", "), Scope: scope,
		Needs: firstMissing(ctx, d, scope, actions...),
		Risk:  fmt.Sprintf("the public IP %s lets TCP %d in from Azure Machine Learning's addresses only (service tag %s); all other inbound traffic stays blocked; an NSG costs nothing", pid.Name, port, probes.AzureMLTag),
		Undo:  fmt.Sprintf("az network nic update -g %s -n %s --remove networkSecurityGroup && az network nsg delete -g %s -n %s", nicID.ResourceGroup, path.nic.Name, nicID.ResourceGroup, name),
	}
	f.apply = func(ctx context.Context, d Deps, emit Emit) (FixStatus, []Change, error) {
		progress := fixProgress(d, FixNSGCreate, emit)
		oc, cancel := d.OperationContext(ctx)
		defer cancel()
		// Read first: an NSG on the NIC now (ours from a run that was cut
		// short, or anyone's) is not replaced.
		nic, err := d.Azure.GetNIC(oc, nicID)
		if err != nil {
			return FixFailed, nil, err
		}
		if nic.NSGID != "" {
			return nsgCreateSettled(oc, d, nic, port)
		}
		var changed []Change
		g, err := d.Azure.GetNSG(oc, nsgID)
		switch {
		case err == nil && !madeByUs(g.Tags):
			return FixFailed, nil, fmt.Errorf("an NSG named %s was made in %s since the fix was planned; nothing was changed: run the fix again", name, nicID.ResourceGroup)
		case err == nil:
			// Ours, left unassociated by a run that was cut short: reuse it.
		case azure.IsNotFound(err):
			if _, err := d.Azure.CreateNSG(oc, nsgID, location, []azure.NewRule{rule}, tags, progress); err != nil {
				return FixFailed, nil, err
			}
			changed = append(changed, Change{Resource: "NSG " + nsgID.String(), Before: "none",
				After: fmt.Sprintf("created (tagged %s) with rule %s: Allow TCP %d from %s, priority %d", tagsText(tags), rule.Name, port, probes.AzureMLTag, rule.Priority)})
		default:
			return FixFailed, nil, err
		}
		_, ch, err := d.Azure.UpdateNIC(oc, nicID, func(n azure.NIC) (*azure.NICChange, error) {
			switch {
			case strings.EqualFold(n.NSGID, nsgID.String()):
				return nil, nil
			case n.NSGID != "":
				return nil, fmt.Errorf("NIC %s got the NSG %s meanwhile; it was left as it is (NSG %s was made but not put on it): run the preflight again", n.Name, n.NSGID, name)
			}
			return &azure.NICChange{NSGID: nsgID.String()}, nil
		}, progress)
		if err != nil {
			return FixFailed, changed, err
		}
		if ch != nil {
			changed = append(changed, Change{Resource: "NIC " + nicID.String(), Before: "no NSG", After: "NSG " + name})
		}
		if len(changed) == 0 {
			return FixUnchanged, nil, nil
		}
		return FixApplied, changed, nil
	}
	return f
}

// nsgCreateSettled judges a NIC that has an NSG by the time nsg.create
// runs: when it lets Azure ML in, the fix is in place; otherwise nothing is
// replaced and nsg.allow-aml-ssh is the fix now.
func nsgCreateSettled(ctx context.Context, d Deps, nic azure.NIC, port int) (FixStatus, []Change, error) {
	gid, err := azure.ParseResourceID(nic.NSGID)
	if err != nil {
		return FixFailed, nil, err
	}
	g, err := d.Azure.GetNSG(ctx, gid)
	if err != nil {
		return FixFailed, nil, err
	}
	if probes.EvaluateNSG(g, port).Allowed {
		return FixUnchanged, nil, nil
	}
	return FixFailed, nil, fmt.Errorf("NIC %s has the NSG %s now, which blocks TCP %d from %s; it was left as it is: run the preflight again (fix %s applies)",
		nic.Name, g.Name, port, probes.AzureMLTag, FixNSGAllowAMLSSH)
}
