package azure_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"amlattach/azure"
	"amlattach/internal/sandboxtest"
)

// Two groups: in "open" the caller may do anything, in "locked" anything
// but start a VM. Each holds one deallocated VM; the start takes a moment,
// so that the SDK's poller polls.
const startWorld = `subscriptions:
  - id: %[1]s
    resourceGroups:
      - name: open
        location: eastus
        virtualMachines:
          - {name: vm1, powerState: deallocated, publicIP: 20.7.0.1}
      - name: locked
        location: eastus
        permissions: {actions: ["*"], notActions: ["Microsoft.Compute/virtualMachines/start/action"]}
        virtualMachines:
          - {name: vm2, powerState: stopped, publicIP: 20.7.0.2}
faults: {vmStartSeconds: 0.2}
`

func vmID(group, name string) azure.ResourceID {
	id, err := azure.ParseResourceID(fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/%s", sub, group, name))
	if err != nil {
		panic(err)
	}
	return id
}

// StartVM through the SDK's poller: the VM runs at the end, progress was
// reported, and the caller's permissions at the VM's scope say start is
// granted; where the world denies it, the permissions say so and Azure
// refuses with 403 AuthorizationFailed, leaving the VM as it was.
func TestStartVMThroughTheSDK(t *testing.T) {
	srv := sandboxtest.Start(t, []byte(fmt.Sprintf(startWorld, sub)), "start.yaml")
	c := sandboxtest.Client(srv, azure.Options{PollInterval: 50 * time.Millisecond})
	ctx := context.Background()

	var phases []string
	if err := c.StartVM(ctx, vmID("open", "vm1"), func(p azure.Progress) { phases = append(phases, p.Phase+":"+p.State) }); err != nil {
		t.Fatal(err)
	}
	vm, err := c.GetVM(ctx, vmID("open", "vm1"))
	if err != nil || vm.PowerState != "running" {
		t.Fatalf("after the start: %+v, %v", vm, err)
	}
	if len(phases) < 3 || phases[0] != "submitted:Starting" || phases[len(phases)-1] != "done:Running" {
		t.Fatalf("progress: %v", phases)
	}

	perms, err := c.Permissions(ctx, vmID("locked", "vm2").String())
	if err != nil || len(perms) != 1 || len(perms[0].NotActions) != 1 || perms[0].NotActions[0] != azure.ActionVMStart {
		t.Fatalf("permissions at the VM's scope: %+v, %v", perms, err)
	}
	err = c.StartVM(ctx, vmID("locked", "vm2"), nil)
	ae, ok := azure.AsAzureError(err)
	if !ok || ae.Status != http.StatusForbidden || ae.Code != "AuthorizationFailed" {
		t.Fatalf("want 403 AuthorizationFailed, got %v", err)
	}
	if vm, err := c.GetVM(ctx, vmID("locked", "vm2")); err != nil || vm.PowerState != "stopped" {
		t.Fatalf("a refused start changed the VM: %+v, %v", vm, err)
	}
}
