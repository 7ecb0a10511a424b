package azure

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	network "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v11"
)

// The RBAC actions Azure's own check of the network path needs.
const (
	// ActionIPFlowVerify is what VerifyIPFlow needs on the Network Watcher.
	ActionIPFlowVerify = "Microsoft.Network/networkWatchers/ipFlowVerify/action"
	// ActionServiceTagsRead is what ServiceTag needs in the subscription.
	ActionServiceTagsRead = "Microsoft.Network/locations/serviceTags/read"
	// ActionNetworkWatchersRead is what NetworkWatcherIn needs.
	ActionNetworkWatchersRead = "Microsoft.Network/networkWatchers/read"
)

// NetworkWatcher is a region's Network Watcher instance.
type NetworkWatcher struct {
	ID, Name, ResourceGroup, Location string
	ProvisioningState                 string
}

// NormalizeLocation turns a region as Azure writes it anywhere ("East US",
// "eastus") into the form resources carry ("eastus").
func NormalizeLocation(loc string) string {
	return strings.ToLower(strings.ReplaceAll(loc, " ", ""))
}

// NetworkWatcherIn finds the subscription's Network Watcher in location
// (GET /subscriptions/{s}/providers/Microsoft.Network/networkWatchers, every
// page); found is false when the region has none. Azure allows one per
// region and subscription.
func (c *Client) NetworkWatcherIn(ctx context.Context, subscriptionID, location string) (nw NetworkWatcher, found bool, err error) {
	wc, err := network.NewWatchersClient(subscriptionID, c.cred, c.opts)
	if err != nil {
		return NetworkWatcher{}, false, err
	}
	want := NormalizeLocation(location)
	pager := wc.NewListAllPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return NetworkWatcher{}, false, fmt.Errorf("list network watchers: %w", err)
		}
		for _, w := range page.Value {
			if w == nil || NormalizeLocation(str(w.Location)) != want {
				continue
			}
			nw = NetworkWatcher{ID: str(w.ID), Name: str(w.Name), Location: str(w.Location)}
			if id, err := ParseResourceID(nw.ID); err == nil {
				nw.ResourceGroup = id.ResourceGroup
			}
			if w.Properties != nil && w.Properties.ProvisioningState != nil {
				nw.ProvisioningState = string(*w.Properties.ProvisioningState)
			}
			if nw.ResourceGroup == "" || nw.Name == "" {
				return NetworkWatcher{}, false, fmt.Errorf("list network watchers: Azure returned a watcher in %s without a usable ID (%q)", location, nw.ID)
			}
			return nw, true, nil
		}
	}
	return NetworkWatcher{}, false, nil
}

// ServiceTagPrefixes is one entry of a service tag's details: the tag
// itself (Region "") or one of its regional forms (Name "Tag.Region").
type ServiceTagPrefixes struct {
	Name, Region  string
	SystemService string
	Prefixes      []string // CIDR prefixes, IPv4 and IPv6
}

// ServiceTag reads the address prefixes of a service tag as seen from
// location (GET .../providers/Microsoft.Network/locations/{location}/
// serviceTagDetails?tagName=tag, every page): the entries Azure returns for
// the tag, the global one and, when Azure lists them, its regional forms.
func (c *Client) ServiceTag(ctx context.Context, subscriptionID, location, tag string) ([]ServiceTagPrefixes, error) {
	sc, err := network.NewServiceTagInformationClient(subscriptionID, c.cred, c.opts)
	if err != nil {
		return nil, err
	}
	var out []ServiceTagPrefixes
	pager := sc.NewListPager(NormalizeLocation(location), &network.ServiceTagInformationClientListOptions{TagName: to.Ptr(tag)})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the service tag %s: %w", tag, err)
		}
		for _, t := range page.Value {
			if t == nil {
				continue
			}
			e := ServiceTagPrefixes{Name: str(t.Name)}
			if p := t.Properties; p != nil {
				e.Region, e.SystemService = str(p.Region), str(p.SystemService)
				for _, a := range p.AddressPrefixes {
					if a != nil {
						e.Prefixes = append(e.Prefixes, *a)
					}
				}
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// IPFlow is the packet IP flow verify is asked about: inbound TCP from
// RemoteIP:RemotePort to the VM's LocalIP:LocalPort on the NIC NICID.
type IPFlow struct {
	VMID, NICID string
	LocalIP     string
	LocalPort   int
	RemoteIP    string
	RemotePort  int
}

// IPFlowVerdict is Network Watcher's answer: Allow or Deny, and the rule
// that decided ("" when no rule matched, or nothing was evaluated).
type IPFlowVerdict struct {
	Access   string // "Allow" or "Deny"
	RuleName string
}

// Allowed reports whether the verdict is Allow.
func (v IPFlowVerdict) Allowed() bool {
	return strings.EqualFold(v.Access, string(network.AccessAllow))
}

// VerifyIPFlow asks the Network Watcher w whether Azure lets the packet f
// in (POST …/networkWatchers/{nw}/ipFlowVerify, a long-running operation
// of seconds), and follows the operation to its answer. Each request is
// bounded by the step timeout (WithStepTimeout), the whole wait by ctx.
// Azure's refusal (403 AuthorizationFailed, ...) comes back wrapped as an
// *azcore.ResponseError.
func (c *Client) VerifyIPFlow(ctx context.Context, w NetworkWatcher, f IPFlow) (IPFlowVerdict, error) {
	wid, err := ParseResourceID(w.ID)
	if err != nil {
		return IPFlowVerdict{}, fmt.Errorf("network watcher ID %q: %w", w.ID, err)
	}
	wc, err := network.NewWatchersClient(wid.SubscriptionID, c.cred, c.opts)
	if err != nil {
		return IPFlowVerdict{}, err
	}
	params := network.VerificationIPFlowParameters{
		TargetResourceID: to.Ptr(f.VMID),
		Direction:        to.Ptr(network.DirectionInbound),
		Protocol:         to.Ptr(network.IPFlowProtocolTCP),
		LocalIPAddress:   to.Ptr(f.LocalIP),
		LocalPort:        to.Ptr(strconv.Itoa(f.LocalPort)),
		RemoteIPAddress:  to.Ptr(f.RemoteIP),
		RemotePort:       to.Ptr(strconv.Itoa(f.RemotePort)),
	}
	if f.NICID != "" {
		params.TargetNicResourceID = to.Ptr(f.NICID)
	}
	sctx, scancel := stepContext(ctx)
	poller, err := wc.BeginVerifyIPFlow(sctx, wid.ResourceGroup, wid.Name, params, nil)
	scancel()
	if err != nil {
		return IPFlowVerdict{}, fmt.Errorf("verify IP flow with %s: %w", wid.Name, err)
	}
	if _, err := c.follow(ctx, poller, "InProgress", func(Progress) {}); err != nil {
		return IPFlowVerdict{}, fmt.Errorf("verify IP flow with %s: %w", wid.Name, err)
	}
	rctx, rcancel := stepContext(ctx)
	res, err := poller.Result(rctx)
	rcancel()
	if err != nil {
		return IPFlowVerdict{}, fmt.Errorf("verify IP flow with %s: %w", wid.Name, err)
	}
	v := IPFlowVerdict{RuleName: str(res.RuleName)}
	if res.Access != nil {
		v.Access = string(*res.Access)
	}
	if v.Access == "" {
		return v, fmt.Errorf("verify IP flow with %s: Azure's answer has no access verdict", wid.Name)
	}
	return v, nil
}
