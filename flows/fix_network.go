package flows

import (
	"context"
	"fmt"
	"strings"

	"amlattach/azure"
)

// Shared by the network fixes (fix_nsg.go, fix_ip.go): reading the VM's
// network path, naming new things, progress.

// madeBy are the tags of a resource amlattach creates (DESIGN §8 item 8).
func madeBy(fixID string) map[string]string {
	return map[string]string{"createdBy": "amlattach", "amlattachFix": fixID}
}

// madeByUs says whether tags say amlattach created the resource.
func madeByUs(tags map[string]string) bool { return tags["createdBy"] == "amlattach" }

func tagsText(tags map[string]string) string {
	return fmt.Sprintf("createdBy=%s, amlattachFix=%s", tags["createdBy"], tags["amlattachFix"])
}

// rgScope is the ID of the resource group id lives in.
func rgScope(id azure.ResourceID) string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s", id.SubscriptionID, id.ResourceGroup)
}

// sshPortOf is the SSH port the plan attaches with (22 when it says none).
func sshPortOf(p *Plan) int {
	if p.spec != nil {
		if vs, ok := p.Spec().(azure.VMSpec); ok && vs.SSHPort > 0 {
			return vs.SSHPort
		}
	}
	return 22
}

// isVM says whether the plan targets a virtual machine.

// fixProgress turns the facade's progress into the fix's events.
func fixProgress(d Deps, id string, emit Emit) func(azure.Progress) {
	return func(pr azure.Progress) {
		if emit != nil {
			emit(Event{Kind: FixProgress, Fix: id, Phase: pr.Phase, State: pr.State, At: d.now()})
		}
	}
}

// firstMissing is missingPermission for several actions at one scope: what
// the caller lacks for the first one not granted, or "".
func firstMissing(ctx context.Context, d Deps, scope string, actions ...string) string {
	for _, a := range actions {
		if m := missingPermission(ctx, d, scope, a); m != "" {
			return m
		}
	}
	return ""
}

// vmPath is what stands between Azure ML and a VM, as read now: its
// primary NIC, and the NSGs on the NIC's subnets and on the NIC in the
// order inbound traffic meets them.
type vmPath struct {
	vm     azure.VM
	nicID  azure.ResourceID
	nic    azure.NIC
	groups []nsgOnPath
}

type nsgOnPath struct {
	where string // "subnet default", "NIC dsvm-nic"
	id    azure.ResourceID
	nsg   azure.NSG
}

// readPath reads the VM's path. Reads only.
func readPath(ctx context.Context, d Deps, vmID azure.ResourceID) (*vmPath, error) {
	c, cancel := d.withTimeout(ctx)
	defer cancel()
	vm, err := d.Azure.GetVM(c, vmID)
	if err != nil {
		return nil, err
	}
	if len(vm.NICIDs) == 0 {
		return nil, fmt.Errorf("%s has no network interface", vm.Name)
	}
	nicID, err := azure.ParseResourceID(vm.NICIDs[0])
	if err != nil {
		return nil, err
	}
	nic, err := d.Azure.GetNIC(c, nicID)
	if err != nil {
		return nil, err
	}
	p := &vmPath{vm: vm, nicID: nicID, nic: nic}
	seen := map[string]bool{}
	add := func(where, id string) error {
		gid, err := azure.ParseResourceID(id)
		if err != nil {
			return err
		}
		g, err := d.Azure.GetNSG(c, gid)
		if err != nil {
			return err
		}
		p.groups = append(p.groups, nsgOnPath{where: where, id: gid, nsg: g})
		return nil
	}
	for _, ic := range nic.IPConfigs {
		if ic.SubnetID == "" || seen[strings.ToLower(ic.SubnetID)] {
			continue
		}
		seen[strings.ToLower(ic.SubnetID)] = true
		sid, err := azure.ParseResourceID(ic.SubnetID)
		if err != nil {
			return nil, err
		}
		nsgID, err := d.Azure.SubnetNSG(c, sid)
		if err != nil {
			return nil, err
		}
		if nsgID != "" {
			if err := add("subnet "+sid.ChildName, nsgID); err != nil {
				return nil, err
			}
		}
	}
	if nic.NSGID != "" {
		if err := add("NIC "+nic.Name, nic.NSGID); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// freeName is the first of base, base-2, base-3, ... for which exists
// says no (a read that finds nothing); "" when the reads fail or ten are
// taken.
func freeName(base string, exists func(name string) (bool, error)) string {
	for i := 1; i <= 10; i++ {
		name := base
		if i > 1 {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		taken, err := exists(name)
		if err != nil {
			return ""
		}
		if !taken {
			return name
		}
	}
	return ""
}

// existsBy turns a read into "does it exist": a 404 is no, other errors
// are errors.
func existsBy(err error) (bool, error) {
	if err == nil {
		return true, nil
	}
	if azure.IsNotFound(err) {
		return false, nil
	}
	return false, err
}
