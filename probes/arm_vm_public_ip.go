package probes

import (
	"context"
	"fmt"
	"strings"

	"amlattach/azure"
)

// NetworkReader is the part of the Azure facade the network probes need.
type NetworkReader interface {
	GetNIC(ctx context.Context, id azure.ResourceID) (azure.NIC, error)
	GetPublicIP(ctx context.Context, id azure.ResourceID) (azure.PublicIP, error)
	SubnetNSG(ctx context.Context, id azure.ResourceID) (string, error)
	GetNSG(ctx context.Context, id azure.ResourceID) (azure.NSG, error)
}

// VMPublicIP finds the public IP address on the VM's NICs (primary NIC
// first). It returns the address the SSH probes dial, "" when there is none.
func VMPublicIP(ctx context.Context, r NetworkReader, vm azure.VM) (Result, string) {
	fix := fmt.Sprintf("Azure ML reaches the VM over its public IP: add one, e.g. az network public-ip create -g <group> -n %s-ip --sku Standard, then az network nic ip-config update -g <group> --nic-name <nic> -n ipconfig1 --public-ip-address %s-ip", vm.Name, vm.Name)
	if len(vm.NICIDs) == 0 {
		return failf(FieldNone, fix, "%s has no network interface", vm.Name), ""
	}
	var unassigned string
	for _, nid := range vm.NICIDs {
		id, err := azure.ParseResourceID(nid)
		if err != nil {
			return failf(FieldNone, "report this: Azure returned a malformed NIC ID", "NIC ID %q: %v", nid, err), ""
		}
		nic, err := r.GetNIC(ctx, id)
		if err != nil {
			return readFail("network interface "+id.Name, err), ""
		}
		for _, ic := range nic.IPConfigs {
			if ic.PublicIPID == "" {
				continue
			}
			pid, err := azure.ParseResourceID(ic.PublicIPID)
			if err != nil {
				return failf(FieldNone, "report this: Azure returned a malformed public IP ID", "public IP ID %q: %v", ic.PublicIPID, err), ""
			}
			pip, err := r.GetPublicIP(ctx, pid)
			if err != nil {
				return readFail("public IP "+pid.Name, err), ""
			}
			addr := pip.Address
			if addr == "" {
				unassigned = pid.Name
				continue
			}
			if strings.EqualFold(pip.Allocation, "Dynamic") {
				// Azure ML keeps the address it was given at attach time.
				return warnf(fmt.Sprintf("make it static: az network public-ip update -g %s -n %s --allocation-method Static", pid.ResourceGroup, pid.Name),
					"%s (%s on %s) is a dynamic address: it changes when the VM is deallocated, and Azure ML, which keeps the address it was given, then fails with \"Unable to establish SSH connection\"",
					addr, pid.Name, nic.Name), addr
			}
			return passf("%s (%s on %s)", addr, pid.Name, nic.Name), addr
		}
	}
	if unassigned != "" {
		return failf(FieldNone, "start the VM or make the address static: az network public-ip update -g <group> -n "+unassigned+" --allocation-method Static",
			"public IP %s has no address assigned (a dynamic address of a stopped VM)", unassigned), ""
	}
	return failf(FieldNone, fix, "no public IP on %s's network interfaces", vm.Name), ""
}

func readFail(what string, err error) Result {
	if ae, ok := azure.AsAzureError(err); ok {
		return failf(FieldNone, "check that you may read the VM's network resources (Reader on the resource group)",
			"could not read %s: HTTP %d %s: %s", what, ae.Status, ae.Code, ae.Message)
	}
	return failf(FieldNone, "check your network connection and try again", "could not read %s: %v", what, err)
}
