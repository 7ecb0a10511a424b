package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	network "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v11"
)

// The RBAC actions the network fixes need.
const (
	ActionSecurityRuleWrite = "Microsoft.Network/networkSecurityGroups/securityRules/write"
	ActionNSGWrite          = "Microsoft.Network/networkSecurityGroups/write"
	ActionNSGJoin           = "Microsoft.Network/networkSecurityGroups/join/action"
	ActionNICWrite          = "Microsoft.Network/networkInterfaces/write"
	ActionPublicIPWrite     = "Microsoft.Network/publicIPAddresses/write"
	ActionPublicIPJoin      = "Microsoft.Network/publicIPAddresses/join/action"
)

// The writes below never overwrite what they did not read: an update sends
// If-Match with the etag of the read it was decided on, and when Azure
// answers 412 (someone changed the resource in between) the resource is
// read again and the decision made again, once; a create sends
// If-None-Match: * so that it cannot replace a resource of the same name.
// The armnetwork options have no field for these headers: they go on the
// context of the first request only (runtime.WithHTTPHeader), not on the
// polls that follow it.

// IsPreconditionFailed reports whether Azure answered 412: the resource
// changed since it was read (If-Match), or exists already (If-None-Match).
func IsPreconditionFailed(err error) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && re.StatusCode == http.StatusPreconditionFailed
}

// ConflictError is a write refused twice with 412: the resource kept
// changing between our read and our write. It does not unwrap to Azure's
// answer: its own message says what happened and what to do.
type ConflictError struct {
	Resource string
	Err      error // the second 412
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s changed between our read and our write, twice (HTTP 412 PreconditionFailed); nothing of ours was written to it: run the fix again when it settles", e.Resource)
}

// conditional is ctx with a conditional header for one request.
func conditional(ctx context.Context, name, value string) context.Context {
	return runtime.WithHTTPHeader(ctx, http.Header{name: []string{value}})
}

// NewRule is an inbound security rule a fix adds.
type NewRule struct {
	Name        string
	Priority    int
	Source      string // a service tag, never Internet or *
	Port        int    // destination TCP port
	Description string
}

func (r NewRule) sdk() *network.SecurityRule {
	return &network.SecurityRule{Name: to.Ptr(r.Name), Properties: r.props()}
}

func (r NewRule) props() *network.SecurityRulePropertiesFormat {
	return &network.SecurityRulePropertiesFormat{
		Description:              to.Ptr(r.Description),
		Protocol:                 to.Ptr(network.SecurityRuleProtocolTCP),
		SourceAddressPrefix:      to.Ptr(r.Source),
		SourcePortRange:          to.Ptr("*"),
		DestinationAddressPrefix: to.Ptr("*"),
		DestinationPortRange:     to.Ptr(strconv.Itoa(r.Port)),
		Access:                   to.Ptr(network.SecurityRuleAccessAllow),
		Direction:                to.Ptr(network.SecurityRuleDirectionInbound),
		Priority:                 to.Ptr(int32(r.Priority)),
	}
}

// follow waits for a network write's poller and reads its result.
func followWrite[T any](ctx context.Context, c *Client, poller *runtime.Poller[T], op, name string, progress func(Progress)) (T, error) {
	var zero T
	progress(Progress{Phase: "submitted", State: "Updating"})
	last, err := c.follow(ctx, poller, "Updating", progress)
	if err != nil {
		if ctx.Err() != nil {
			return zero, fmt.Errorf("%s %s: %w", op, name, err)
		}
		return zero, &FollowError{Op: op, Name: name, State: last, Err: err}
	}
	rctx, cancel := stepContext(ctx)
	defer cancel()
	res, err := poller.Result(rctx)
	if err != nil {
		return zero, fmt.Errorf("%s %s: %w", op, name, err)
	}
	progress(Progress{Phase: "done", State: "Succeeded"})
	return res, nil
}

func noProgress(Progress) {}

// AddSecurityRule reads the NSG, asks decide what rule to add (nil: none,
// the NSG is as wanted) and PUTs it (.../securityRules/{name}, a
// long-running write) with If-None-Match: * under a name the NSG does not
// use, so no rule is ever replaced. On 412 (a rule of that name appeared
// meanwhile) it reads the NSG again and decides again, once. It returns
// the NSG as last read and the rule it added (nil when none).
func (c *Client) AddSecurityRule(ctx context.Context, nsg ResourceID, decide func(NSG) (*NewRule, error), progress func(Progress)) (NSG, *NewRule, error) {
	if progress == nil {
		progress = noProgress
	}
	rc, err := network.NewSecurityRulesClient(nsg.SubscriptionID, c.cred, c.opts)
	if err != nil {
		return NSG{}, nil, err
	}
	for attempt := 0; ; attempt++ {
		gctx, cancel := stepContext(ctx)
		g, err := c.GetNSG(gctx, nsg)
		cancel()
		if err != nil {
			return NSG{}, nil, err
		}
		rule, err := decide(g)
		if err != nil || rule == nil {
			return g, nil, err
		}
		// The rule is new: If-None-Match: * (a rule has an etag of its own,
		// so the NSG's would not match a rule that does not exist yet). A
		// rule of that name made meanwhile is never replaced: 412, read
		// again, another name.
		sctx, scancel := stepContext(conditional(ctx, "If-None-Match", "*"))
		poller, err := rc.BeginCreateOrUpdate(sctx, nsg.ResourceGroup, nsg.Name, rule.Name, *rule.sdk(), nil)
		scancel()
		if IsPreconditionFailed(err) {
			if attempt == 0 {
				progress(Progress{Phase: "conflict", State: "read again"})
				continue
			}
			return g, nil, &ConflictError{Resource: "network security group " + nsg.Name, Err: err}
		}
		if err != nil {
			return g, nil, fmt.Errorf("add security rule %s to %s: %w", rule.Name, nsg.Name, err)
		}
		if _, err := followWrite(ctx, c, poller, "security rule write", rule.Name, progress); err != nil {
			return g, nil, err
		}
		return g, rule, nil
	}
}

// CreateNSG creates an NSG with rules (If-None-Match: *: it never replaces
// one of that name) and returns it as Azure made it.
func (c *Client) CreateNSG(ctx context.Context, id ResourceID, location string, rules []NewRule, tags map[string]string, progress func(Progress)) (NSG, error) {
	if progress == nil {
		progress = noProgress
	}
	gc, err := network.NewSecurityGroupsClient(id.SubscriptionID, c.cred, c.opts)
	if err != nil {
		return NSG{}, err
	}
	body := network.SecurityGroup{Location: to.Ptr(location), Tags: ptrTags(tags), Properties: &network.SecurityGroupPropertiesFormat{}}
	for _, r := range rules {
		body.Properties.SecurityRules = append(body.Properties.SecurityRules, r.sdk())
	}
	sctx, cancel := stepContext(conditional(ctx, "If-None-Match", "*"))
	poller, err := gc.BeginCreateOrUpdate(sctx, id.ResourceGroup, id.Name, body, nil)
	cancel()
	if err != nil {
		return NSG{}, fmt.Errorf("create network security group %s: %w", id.Name, err)
	}
	res, err := followWrite(ctx, c, poller, "network security group create", id.Name, progress)
	if err != nil {
		return NSG{}, err
	}
	return nsgFrom(&res.SecurityGroup), nil
}

// NICChange is what a fix changes on a network interface: its NSG, and the
// public IP of its primary IP configuration (empty: unchanged).
type NICChange struct {
	NSGID      string
	PublicIPID string
}

// UpdateNIC changes a network interface by read-modify-write (a NIC has no
// PATCH for this): it reads the NIC, asks decide what to change (nil:
// nothing), sets it on the NIC as read and PUTs the whole of it with
// If-Match; on 412 it reads again and decides again, once. It returns the
// NIC as last read and the change it made (nil when none).
func (c *Client) UpdateNIC(ctx context.Context, id ResourceID, decide func(NIC) (*NICChange, error), progress func(Progress)) (NIC, *NICChange, error) {
	if progress == nil {
		progress = noProgress
	}
	nc, err := network.NewInterfacesClient(id.SubscriptionID, c.cred, c.opts)
	if err != nil {
		return NIC{}, nil, err
	}
	for attempt := 0; ; attempt++ {
		gctx, cancel := stepContext(ctx)
		r, err := nc.Get(gctx, id.ResourceGroup, id.Name, nil)
		cancel()
		if err != nil {
			return NIC{}, nil, fmt.Errorf("get network interface %s: %w", id.Name, err)
		}
		nic := nicFrom(&r.Interface)
		ch, err := decide(nic)
		if err != nil || ch == nil {
			return nic, nil, err
		}
		iface := r.Interface
		if iface.Properties == nil {
			return nic, nil, fmt.Errorf("network interface %s has no properties to change", id.Name)
		}
		if ch.NSGID != "" {
			iface.Properties.NetworkSecurityGroup = &network.SecurityGroup{ID: to.Ptr(ch.NSGID)}
		}
		if ch.PublicIPID != "" {
			ic := primaryIPConfig(iface.Properties.IPConfigurations)
			if ic == nil {
				return nic, nil, fmt.Errorf("network interface %s has no IP configuration to put the public IP on", id.Name)
			}
			ic.Properties.PublicIPAddress = &network.PublicIPAddress{ID: to.Ptr(ch.PublicIPID)}
		}
		sctx, scancel := stepContext(conditional(ctx, "If-Match", nic.ETag))
		poller, err := nc.BeginCreateOrUpdate(sctx, id.ResourceGroup, id.Name, iface, nil)
		scancel()
		if IsPreconditionFailed(err) {
			if attempt == 0 {
				progress(Progress{Phase: "conflict", State: "read again"})
				continue
			}
			return nic, nil, &ConflictError{Resource: "network interface " + id.Name, Err: err}
		}
		if err != nil {
			return nic, nil, fmt.Errorf("update network interface %s: %w", id.Name, err)
		}
		if _, err := followWrite(ctx, c, poller, "network interface update", id.Name, progress); err != nil {
			return nic, nil, err
		}
		return nic, ch, nil
	}
}

// primaryIPConfig is the NIC's primary IP configuration (the first when
// none says so), nil when it has none with properties.
func primaryIPConfig(cfgs []*network.InterfaceIPConfiguration) *network.InterfaceIPConfiguration {
	var first *network.InterfaceIPConfiguration
	for _, ic := range cfgs {
		if ic == nil || ic.Properties == nil {
			continue
		}
		if ic.Properties.Primary != nil && *ic.Properties.Primary {
			return ic
		}
		if first == nil {
			first = ic
		}
	}
	return first
}

// MakePublicIPStatic reads the public IP and, when its allocation is
// Dynamic, PUTs it back as read with the allocation Static and If-Match; on
// 412 it reads again, once. It returns the public IP as read and whether it
// changed it (an address that is Static already is left alone).
func (c *Client) MakePublicIPStatic(ctx context.Context, id ResourceID, progress func(Progress)) (PublicIP, bool, error) {
	if progress == nil {
		progress = noProgress
	}
	pc, err := network.NewPublicIPAddressesClient(id.SubscriptionID, c.cred, c.opts)
	if err != nil {
		return PublicIP{}, false, err
	}
	for attempt := 0; ; attempt++ {
		gctx, cancel := stepContext(ctx)
		r, err := pc.Get(gctx, id.ResourceGroup, id.Name, nil)
		cancel()
		if err != nil {
			return PublicIP{}, false, fmt.Errorf("get public IP %s: %w", id.Name, err)
		}
		before := publicIPFrom(&r.PublicIPAddress)
		if strings.EqualFold(before.Allocation, "Static") {
			return before, false, nil
		}
		body := r.PublicIPAddress
		if body.Properties == nil {
			body.Properties = &network.PublicIPAddressPropertiesFormat{}
		}
		body.Properties.PublicIPAllocationMethod = to.Ptr(network.IPAllocationMethodStatic)
		sctx, scancel := stepContext(conditional(ctx, "If-Match", before.ETag))
		poller, err := pc.BeginCreateOrUpdate(sctx, id.ResourceGroup, id.Name, body, nil)
		scancel()
		if IsPreconditionFailed(err) {
			if attempt == 0 {
				progress(Progress{Phase: "conflict", State: "read again"})
				continue
			}
			return before, false, &ConflictError{Resource: "public IP " + id.Name, Err: err}
		}
		if err != nil {
			return before, false, fmt.Errorf("update public IP %s: %w", id.Name, err)
		}
		if _, err := followWrite(ctx, c, poller, "public IP update", id.Name, progress); err != nil {
			return before, false, err
		}
		return before, true, nil
	}
}

// CreatePublicIP creates a Standard, static IPv4 public IP (If-None-Match:
// *) and returns it as Azure made it, its address included.
func (c *Client) CreatePublicIP(ctx context.Context, id ResourceID, location string, tags map[string]string, progress func(Progress)) (PublicIP, error) {
	if progress == nil {
		progress = noProgress
	}
	pc, err := network.NewPublicIPAddressesClient(id.SubscriptionID, c.cred, c.opts)
	if err != nil {
		return PublicIP{}, err
	}
	body := network.PublicIPAddress{
		Location: to.Ptr(location), Tags: ptrTags(tags),
		SKU: &network.PublicIPAddressSKU{Name: to.Ptr(network.PublicIPAddressSKUNameStandard), Tier: to.Ptr(network.PublicIPAddressSKUTierRegional)},
		Properties: &network.PublicIPAddressPropertiesFormat{
			PublicIPAllocationMethod: to.Ptr(network.IPAllocationMethodStatic),
			PublicIPAddressVersion:   to.Ptr(network.IPVersionIPv4),
		},
	}
	sctx, cancel := stepContext(conditional(ctx, "If-None-Match", "*"))
	poller, err := pc.BeginCreateOrUpdate(sctx, id.ResourceGroup, id.Name, body, nil)
	cancel()
	if err != nil {
		return PublicIP{}, fmt.Errorf("create public IP %s: %w", id.Name, err)
	}
	res, err := followWrite(ctx, c, poller, "public IP create", id.Name, progress)
	if err != nil {
		return PublicIP{}, err
	}
	return publicIPFrom(&res.PublicIPAddress), nil
}

func ptrTags(tags map[string]string) map[string]*string {
	if len(tags) == 0 {
		return nil
	}
	out := map[string]*string{}
	for k, v := range tags {
		out[k] = to.Ptr(v)
	}
	return out
}

func strTags(tags map[string]*string) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	out := map[string]string{}
	for k, v := range tags {
		out[k] = str(v)
	}
	return out
}
