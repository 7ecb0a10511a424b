package flows

import (
	"context"
	"fmt"
	"strings"

	"amlattach/azure"
	"amlattach/probes"
)

// Fixes for arm.vm.public_ip (DESIGN §8).
const (
	FixIPStatic = "ip.static"
	FixIPCreate = "ip.create"
)

func init() {
	registerFix(probes.IDVMPublicIP, []string{FixIPStatic, FixIPCreate}, func(ctx context.Context, d Deps, p *Plan, r probes.Result) *Fix {
		if !isVM(p) {
			return nil
		}
		c, cancel := d.withTimeout(ctx)
		defer cancel()
		vm, err := d.Azure.GetVM(c, p.ID)
		if err != nil || len(vm.NICIDs) == 0 {
			return nil
		}
		// A dynamic public IP on any NIC: make it static. None at all:
		// create one on the primary NIC.
		hasIP := false
		for _, nid := range vm.NICIDs {
			id, err := azure.ParseResourceID(nid)
			if err != nil {
				return nil
			}
			nic, err := d.Azure.GetNIC(c, id)
			if err != nil {
				return nil
			}
			for _, ic := range nic.IPConfigs {
				if ic.PublicIPID == "" {
					continue
				}
				hasIP = true
				pid, err := azure.ParseResourceID(ic.PublicIPID)
				if err != nil {
					return nil
				}
				pip, err := d.Azure.GetPublicIP(c, pid)
				if err != nil {
					return nil
				}
				if strings.EqualFold(pip.Allocation, "Dynamic") {
					return ipStaticFix(pid, pip)
				}
			}
		}
		if hasIP {
			return nil
		}
		nicID, err := azure.ParseResourceID(vm.NICIDs[0])
		if err != nil {
			return nil
		}
		nic, err := d.Azure.GetNIC(c, nicID)
		if err != nil {
			return nil
		}
		return ipCreateFix(ctx, d, vm, nicID, nic)
	})
}

// ipStaticFix makes a dynamic public IP static: Azure ML keeps the address
// it attached with, and a dynamic one changes when the VM is deallocated.
func ipStaticFix(pid azure.ResourceID, pip azure.PublicIP) *Fix {
	addr := "its address " + pip.Address + " stays"
	if pip.Address == "" {
		addr = "it has no address now (the VM is deallocated): Azure assigns one, which then stays"
	}
	sku := pip.SKU
	if sku == "" {
		sku = "unknown"
	}
	return &Fix{ID: FixIPStatic, Summary: fmt.Sprintf("make the public IP %s static", pid.Name),
		Changes: []string{
			fmt.Sprintf("public IP %s (resource group %s, %s SKU): allocation Dynamic -> Static; %s", pid.Name, pid.ResourceGroup, sku, addr),
			fmt.Sprintf("request: GET, then PUT %s: the public IP as read with properties.publicIPAllocationMethod = Static (If-Match: its etag)", pid.String()),
		},
		Permission: azure.ActionPublicIPWrite, Scope: pid.String(),
		Risk: "a static address is kept, and billed, also while the VM is deallocated (a few dollars a month); the VM's exposure does not change",
		Undo: fmt.Sprintf("az network public-ip update -g %s -n %s --allocation-method Dynamic", pid.ResourceGroup, pid.Name),
		apply: func(ctx context.Context, d Deps, emit Emit) (FixStatus, []Change, error) {
			oc, cancel := d.OperationContext(ctx)
			defer cancel()
			before, changed, err := d.Azure.MakePublicIPStatic(oc, pid, fixProgress(d, FixIPStatic, emit))
			if err != nil {
				return FixFailed, nil, err
			}
			if !changed {
				return FixUnchanged, nil, nil
			}
			after := "Static"
			if now, err := d.Azure.GetPublicIP(oc, pid); err == nil && now.Address != "" {
				after += ", address " + now.Address
			}
			was := "Dynamic"
			if before.Address != "" {
				was += ", address " + before.Address
			}
			return FixApplied, []Change{{Resource: "public IP " + pid.String(), Before: was, After: after}}, nil
		},
	}
}

// ipCreateFix creates a Standard static public IP and puts it on the
// primary IP configuration of the VM's primary NIC.
func ipCreateFix(ctx context.Context, d Deps, vm azure.VM, nicID azure.ResourceID, nic azure.NIC) *Fix {
	ic, ok := nic.PrimaryIPConfig()
	if !ok {
		return nil
	}
	name := freeName(vm.Name+"-ip", func(n string) (bool, error) {
		c, cancel := d.withTimeout(ctx)
		defer cancel()
		_, err := d.Azure.GetPublicIP(c, azure.ResourceID{SubscriptionID: nicID.SubscriptionID, ResourceGroup: nicID.ResourceGroup,
			Provider: "Microsoft.Network", Type: "publicIPAddresses", Name: n})
		return existsBy(err)
	})
	if name == "" {
		return nil
	}
	pid := azure.ResourceID{SubscriptionID: nicID.SubscriptionID, ResourceGroup: nicID.ResourceGroup, Provider: "Microsoft.Network", Type: "publicIPAddresses", Name: name}
	location := nic.Location
	if location == "" {
		location = vm.Location
	}
	tags := madeBy(FixIPCreate)
	exposure := "its NSG decides what gets in"
	if nic.NSGID == "" {
		exposure = "with no NSG on the NIC, a Standard address lets nothing in until one allows it (see arm.nsg.ssh)"
	}
	actions := []string{azure.ActionPublicIPWrite, azure.ActionPublicIPJoin, azure.ActionNICWrite}
	scope := rgScope(nicID)
	f := &Fix{ID: FixIPCreate,
		Summary: fmt.Sprintf("create the Standard static public IP %s and put it on %s", name, nic.Name),
		Changes: []string{
			fmt.Sprintf("public IP %s (resource group %s, %s): none -> created, Standard SKU, Static, IPv4, tagged %s; Azure assigns the address", name, nicID.ResourceGroup, location, tagsText(tags)),
			fmt.Sprintf("request: PUT %s (If-None-Match: *) {location: %s, sku: {name: Standard, tier: Regional}, properties: {publicIPAllocationMethod: Static, publicIPAddressVersion: IPv4}, tags: {%s}}",
				pid.String(), location, tagsText(tags)),
			fmt.Sprintf("NIC %s (resource group %s), IP configuration %s: publicIPAddress none -> %s", nic.Name, nicID.ResourceGroup, ic.Name, name),
			fmt.Sprintf("request: GET, then PUT %s: the NIC as read with ipConfigurations[%s].properties.publicIPAddress.id = %s (If-Match: its etag)", nicID.String(), ic.Name, pid.String()),
		},
		Permission: strings.Join(actions, ", "), Scope: scope,
		Needs: firstMissing(ctx, d, scope, actions...),
		Risk:  fmt.Sprintf("the VM becomes reachable from the internet at the new address, filtered by its network security groups (%s); the address becomes the VM's outbound address too; a Standard static public IP is billed while it exists, also while the VM is deallocated (about USD 0.005 an hour, some 3.65 a month)", exposure),
		Undo: fmt.Sprintf("az network nic ip-config update -g %s --nic-name %s -n %s --remove publicIpAddress && az network public-ip delete -g %s -n %s",
			nicID.ResourceGroup, nic.Name, ic.Name, nicID.ResourceGroup, name),
	}
	f.apply = func(ctx context.Context, d Deps, emit Emit) (FixStatus, []Change, error) {
		progress := fixProgress(d, FixIPCreate, emit)
		oc, cancel := d.OperationContext(ctx)
		defer cancel()
		// Read first: a public IP on the NIC now is left as it is.
		now, err := d.Azure.GetNIC(oc, nicID)
		if err != nil {
			return FixFailed, nil, err
		}
		if cur, ok := now.PrimaryIPConfig(); ok && cur.PublicIPID != "" {
			if strings.EqualFold(cur.PublicIPID, pid.String()) {
				return FixUnchanged, nil, nil
			}
			return FixFailed, nil, fmt.Errorf("NIC %s has the public IP %s now; it was left as it is: run the preflight again", now.Name, cur.PublicIPID)
		}
		var changed []Change
		pip, err := d.Azure.GetPublicIP(oc, pid)
		switch {
		case err == nil && (!madeByUs(pip.Tags) || pip.IPConfigID != ""):
			return FixFailed, nil, fmt.Errorf("a public IP named %s was made in %s since the fix was planned; nothing was changed: run the fix again", name, nicID.ResourceGroup)
		case err == nil:
			// Ours, left unassociated by a run that was cut short: reuse it.
		case azure.IsNotFound(err):
			if pip, err = d.Azure.CreatePublicIP(oc, pid, location, tags, progress); err != nil {
				return FixFailed, nil, err
			}
			changed = append(changed, Change{Resource: "public IP " + pid.String(), Before: "none",
				After: fmt.Sprintf("created: Standard, Static, address %s (tagged %s)", pip.Address, tagsText(tags))})
		default:
			return FixFailed, nil, err
		}
		_, ch, err := d.Azure.UpdateNIC(oc, nicID, func(n azure.NIC) (*azure.NICChange, error) {
			cur, ok := n.PrimaryIPConfig()
			switch {
			case !ok:
				return nil, fmt.Errorf("NIC %s has no IP configuration now; public IP %s was made but not put on it", n.Name, name)
			case strings.EqualFold(cur.PublicIPID, pid.String()):
				return nil, nil
			case cur.PublicIPID != "":
				return nil, fmt.Errorf("NIC %s got the public IP %s meanwhile; it was left as it is (public IP %s was made but not put on it): run the preflight again", n.Name, cur.PublicIPID, name)
			}
			return &azure.NICChange{PublicIPID: pid.String()}, nil
		}, progress)
		if err != nil {
			return FixFailed, changed, err
		}
		if ch != nil {
			changed = append(changed, Change{Resource: "NIC " + nicID.String(), Before: "no public IP",
				After: fmt.Sprintf("public IP %s (%s) on %s", name, pip.Address, ic.Name)})
		}
		if len(changed) == 0 {
			return FixUnchanged, nil, nil
		}
		return FixApplied, changed, nil
	}
	return f
}
