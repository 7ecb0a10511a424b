package azure

import (
	"context"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	compute "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"
	network "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v11"
)

// VM is what the preflight needs to know about a virtual machine.
type VM struct {
	ID, Name, Location string
	PowerState         string // "running", "stopped", "deallocated", ... ("" when unknown)
	ImagePublisher     string
	ImageOffer         string
	ImageSKU           string
	ImageID            string // custom or gallery image instead of a marketplace one
	OSType             string // from the OS disk: Linux, Windows
	OSName, OSVersion  string // from the instance view (needs the VM agent)
	AdminUsername      string
	PasswordDisabled   bool     // linuxConfiguration.disablePasswordAuthentication
	NICIDs             []string // primary first
}

// GetVM reads a VM with its instance view.
func (c *Client) GetVM(ctx context.Context, id ResourceID) (VM, error) {
	vc, err := compute.NewVirtualMachinesClient(id.SubscriptionID, c.cred, c.opts)
	if err != nil {
		return VM{}, err
	}
	r, err := vc.Get(ctx, id.ResourceGroup, id.Name, &compute.VirtualMachinesClientGetOptions{Expand: to.Ptr(compute.InstanceViewTypesInstanceView)})
	if err != nil {
		return VM{}, fmt.Errorf("get VM %s: %w", id.Name, err)
	}
	vm := VM{ID: str(r.ID), Name: str(r.Name), Location: str(r.Location)}
	p := r.Properties
	if p == nil {
		return vm, nil
	}
	if sp := p.StorageProfile; sp != nil {
		if ir := sp.ImageReference; ir != nil {
			vm.ImagePublisher, vm.ImageOffer, vm.ImageSKU = str(ir.Publisher), str(ir.Offer), str(ir.SKU)
			vm.ImageID = firstNonEmpty(str(ir.ID), str(ir.SharedGalleryImageID), str(ir.CommunityGalleryImageID))
		}
		if sp.OSDisk != nil && sp.OSDisk.OSType != nil {
			vm.OSType = string(*sp.OSDisk.OSType)
		}
	}
	if op := p.OSProfile; op != nil {
		vm.AdminUsername = str(op.AdminUsername)
		if lc := op.LinuxConfiguration; lc != nil && lc.DisablePasswordAuthentication != nil {
			vm.PasswordDisabled = *lc.DisablePasswordAuthentication
		}
	}
	if iv := p.InstanceView; iv != nil {
		vm.OSName, vm.OSVersion = str(iv.OSName), str(iv.OSVersion)
		for _, s := range iv.Statuses {
			if s != nil && s.Code != nil && strings.HasPrefix(*s.Code, "PowerState/") {
				vm.PowerState = strings.TrimPrefix(*s.Code, "PowerState/")
			}
		}
	}
	if np := p.NetworkProfile; np != nil {
		for _, n := range np.NetworkInterfaces {
			if n == nil || n.ID == nil {
				continue
			}
			if n.Properties != nil && n.Properties.Primary != nil && *n.Properties.Primary {
				vm.NICIDs = append([]string{*n.ID}, vm.NICIDs...)
			} else {
				vm.NICIDs = append(vm.NICIDs, *n.ID)
			}
		}
	}
	return vm, nil
}

// NIC is a network interface: its IP configurations and its own NSG.
type NIC struct {
	ID, Name, Location string
	NSGID              string
	IPConfigs          []IPConfig // as Azure lists them
	ETag               string
}

// IPConfig is one IP configuration of a NIC.
type IPConfig struct {
	Name       string
	Primary    bool
	PrivateIP  string
	PublicIPID string
	SubnetID   string
}

// PrimaryIPConfig is the NIC's primary IP configuration (the first when
// none says so); ok is false when it has none.
func (n NIC) PrimaryIPConfig() (IPConfig, bool) {
	for _, ic := range n.IPConfigs {
		if ic.Primary {
			return ic, true
		}
	}
	if len(n.IPConfigs) > 0 {
		return n.IPConfigs[0], true
	}
	return IPConfig{}, false
}

// GetNIC reads a network interface.
func (c *Client) GetNIC(ctx context.Context, id ResourceID) (NIC, error) {
	nc, err := network.NewInterfacesClient(id.SubscriptionID, c.cred, c.opts)
	if err != nil {
		return NIC{}, err
	}
	r, err := nc.Get(ctx, id.ResourceGroup, id.Name, nil)
	if err != nil {
		return NIC{}, fmt.Errorf("get network interface %s: %w", id.Name, err)
	}
	return nicFrom(&r.Interface), nil
}

func nicFrom(r *network.Interface) NIC {
	n := NIC{ID: str(r.ID), Name: str(r.Name), Location: str(r.Location), ETag: str(r.Etag)}
	if p := r.Properties; p != nil {
		if p.NetworkSecurityGroup != nil {
			n.NSGID = str(p.NetworkSecurityGroup.ID)
		}
		for _, ic := range p.IPConfigurations {
			if ic == nil || ic.Properties == nil {
				continue
			}
			x := IPConfig{Name: str(ic.Name)}
			x.Primary = ic.Properties.Primary != nil && *ic.Properties.Primary
			x.PrivateIP = str(ic.Properties.PrivateIPAddress)
			if ic.Properties.PublicIPAddress != nil {
				x.PublicIPID = str(ic.Properties.PublicIPAddress.ID)
			}
			if ic.Properties.Subnet != nil {
				x.SubnetID = str(ic.Properties.Subnet.ID)
			}
			n.IPConfigs = append(n.IPConfigs, x)
		}
	}
	return n
}

// PublicIP is a public IP address resource.
type PublicIP struct {
	ID, Name, Location string
	Address            string // "" while unassigned (a dynamic address of a deallocated VM)
	Allocation         string // Static, Dynamic
	SKU                string // Standard, Basic ("" when Azure does not say)
	IPConfigID         string // the IP configuration it is on ("" when none)
	Tags               map[string]string
	ETag               string
}

// GetPublicIP reads a public IP resource.
func (c *Client) GetPublicIP(ctx context.Context, id ResourceID) (PublicIP, error) {
	pc, err := network.NewPublicIPAddressesClient(id.SubscriptionID, c.cred, c.opts)
	if err != nil {
		return PublicIP{}, err
	}
	r, err := pc.Get(ctx, id.ResourceGroup, id.Name, nil)
	if err != nil {
		return PublicIP{}, fmt.Errorf("get public IP %s: %w", id.Name, err)
	}
	return publicIPFrom(&r.PublicIPAddress), nil
}

func publicIPFrom(r *network.PublicIPAddress) PublicIP {
	p := PublicIP{ID: str(r.ID), Name: str(r.Name), Location: str(r.Location), ETag: str(r.Etag), Tags: strTags(r.Tags)}
	if r.SKU != nil && r.SKU.Name != nil {
		p.SKU = string(*r.SKU.Name)
	}
	if pp := r.Properties; pp != nil {
		p.Address = str(pp.IPAddress)
		if pp.PublicIPAllocationMethod != nil {
			p.Allocation = string(*pp.PublicIPAllocationMethod)
		}
		if pp.IPConfiguration != nil {
			p.IPConfigID = str(pp.IPConfiguration.ID)
		}
	}
	return p
}

// SubnetNSG returns the ID of the NSG on a subnet ("" when it has none).
func (c *Client) SubnetNSG(ctx context.Context, id ResourceID) (string, error) {
	if !strings.EqualFold(id.Kind(), "Microsoft.Network/virtualNetworks") || !strings.EqualFold(id.ChildType, "subnets") {
		return "", fmt.Errorf("%s is not a subnet ID", id)
	}
	sc, err := network.NewSubnetsClient(id.SubscriptionID, c.cred, c.opts)
	if err != nil {
		return "", err
	}
	r, err := sc.Get(ctx, id.ResourceGroup, id.Name, id.ChildName, nil)
	if err != nil {
		return "", fmt.Errorf("get subnet %s/%s: %w", id.Name, id.ChildName, err)
	}
	if r.Properties == nil || r.Properties.NetworkSecurityGroup == nil {
		return "", nil
	}
	return str(r.Properties.NetworkSecurityGroup.ID), nil
}

// SecurityRule is one NSG rule, flattened.
type SecurityRule struct {
	Name     string
	Priority int
	Inbound  bool
	Allow    bool
	Protocol string   // Tcp, Udp, Icmp, *, ...
	Sources  []string // address prefixes or service tags
	// SourceASGs are the IDs of the application security groups the rule
	// takes traffic from (instead of, or beside, Sources).
	SourceASGs []string
	Ports      []string // destination port ranges: "22", "1000-2000", "*"
	IsDefault  bool
	// Description is the rule's own (a rule amlattach made says so).
	Description string
}

// NSG is a network security group with its rules and Azure's default rules.
type NSG struct {
	ID, Name, Location string
	Rules              []SecurityRule
	Tags               map[string]string
	// ETag changes on every write to the NSG or one of its rules.
	ETag string
}

// GetNSG reads a network security group.
func (c *Client) GetNSG(ctx context.Context, id ResourceID) (NSG, error) {
	gc, err := network.NewSecurityGroupsClient(id.SubscriptionID, c.cred, c.opts)
	if err != nil {
		return NSG{}, err
	}
	r, err := gc.Get(ctx, id.ResourceGroup, id.Name, nil)
	if err != nil {
		return NSG{}, fmt.Errorf("get network security group %s: %w", id.Name, err)
	}
	return nsgFrom(&r.SecurityGroup), nil
}

func nsgFrom(r *network.SecurityGroup) NSG {
	g := NSG{ID: str(r.ID), Name: str(r.Name), Location: str(r.Location), Tags: strTags(r.Tags), ETag: str(r.Etag)}
	if p := r.Properties; p != nil {
		for _, sr := range p.SecurityRules {
			if x, ok := ruleFrom(sr, false); ok {
				g.Rules = append(g.Rules, x)
			}
		}
		for _, sr := range p.DefaultSecurityRules {
			if x, ok := ruleFrom(sr, true); ok {
				g.Rules = append(g.Rules, x)
			}
		}
	}
	return g
}

func ruleFrom(sr *network.SecurityRule, def bool) (SecurityRule, bool) {
	if sr == nil || sr.Properties == nil {
		return SecurityRule{}, false
	}
	p := sr.Properties
	x := SecurityRule{Name: str(sr.Name), IsDefault: def, Description: str(p.Description)}
	if p.Priority != nil {
		x.Priority = int(*p.Priority)
	}
	x.Inbound = p.Direction != nil && *p.Direction == network.SecurityRuleDirectionInbound
	x.Allow = p.Access != nil && *p.Access == network.SecurityRuleAccessAllow
	if p.Protocol != nil {
		x.Protocol = string(*p.Protocol)
	}
	if s := str(p.SourceAddressPrefix); s != "" {
		x.Sources = append(x.Sources, s)
	}
	for _, s := range p.SourceAddressPrefixes {
		if s != nil {
			x.Sources = append(x.Sources, *s)
		}
	}
	for _, g := range p.SourceApplicationSecurityGroups {
		if g != nil {
			x.SourceASGs = append(x.SourceASGs, str(g.ID))
		}
	}
	if s := str(p.DestinationPortRange); s != "" {
		x.Ports = append(x.Ports, s)
	}
	for _, s := range p.DestinationPortRanges {
		if s != nil {
			x.Ports = append(x.Ports, *s)
		}
	}
	return x, true
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
