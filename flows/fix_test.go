package flows

import (
	"context"
	"strings"
	"testing"
	"time"

	"amlattach/azure"
	"amlattach/internal/sandboxtest"
)

// One stopped VM in a group whose permissions deny the start.
const lockedStartWorld = `subscriptions:
  - id: 00000000-0000-0000-0000-000000000001
    resourceGroups:
      - name: locked
        location: eastus
        permissions: {actions: ["*"], notActions: ["Microsoft.Compute/virtualMachines/start/action"]}
        virtualMachines:
          - {name: vm2, powerState: stopped, publicIP: 20.7.0.2}
      - name: open
        location: eastus
        virtualMachines:
          - {name: vm3, powerState: running, publicIP: 20.7.0.3}
`

// When Azure refuses a start that was sent (here the permissions at the
// scope were taken as unknown), the fix ends refused, its error names the
// permission and the role, the run ends with exit 3, and the VM is as it
// was. A second apply on a VM that runs says unchanged and sends nothing.
func TestVMStartRefusedByAzureNamesThePermission(t *testing.T) {
	srv := sandboxtest.Start(t, []byte(lockedStartWorld), "locked.yaml")
	d := Deps{Azure: sandboxtest.Client(srv, azure.Options{PollInterval: 20 * time.Millisecond}), Timeout: 5 * time.Second}
	id, err := azure.ParseResourceID("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/locked/providers/Microsoft.Compute/virtualMachines/vm2")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	f := vmStartFix(ctx, d, id)
	if !strings.Contains(f.Changes[0], "stopped -> running") {
		t.Fatalf("changes: %q", f.Changes)
	}
	if needs := missingPermission(ctx, d, f.Scope, f.Permission); !strings.Contains(needs, azure.ActionVMStart) {
		t.Fatalf("the permissions at the VM deny the start, yet needs is %q", needs)
	}
	st, _, err := f.apply(ctx, d, nil)
	ae, ok := azure.AsAzureError(err)
	if st != FixFailed || !ok || ae.Code != "AuthorizationFailed" {
		t.Fatalf("want the 403 back, got %s %v", st, err)
	}
	msg := fixError(*f, err)
	if !strings.Contains(msg, "AuthorizationFailed") || !strings.Contains(msg, "you need "+azure.ActionVMStart) || !strings.Contains(msg, "Virtual Machine Contributor") {
		t.Fatalf("the error does not name the permission: %s", msg)
	}
	rep := &FixReport{After: &Report{OK: false}, Fixes: []FixOutcome{{ID: f.ID, Status: FixRefused, Error: msg}}}
	if e := rep.verdict(true); ExitCode(e) != 3 || rep.OK {
		t.Fatalf("want exit 3, got %v", e)
	}
	if vm, err := d.Azure.GetVM(ctx, id); err != nil || vm.PowerState != "stopped" {
		t.Fatalf("a refused start changed the VM: %+v %v", vm, err)
	}

	running, err := azure.ParseResourceID("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/open/providers/Microsoft.Compute/virtualMachines/vm3")
	if err != nil {
		t.Fatal(err)
	}
	sent := false
	if st, ch, err := vmStartFix(ctx, d, running).apply(ctx, d, func(Event) { sent = true }); st != FixUnchanged || err != nil || sent || len(ch) > 0 {
		t.Fatalf("a running VM: want unchanged with nothing sent, got %s %v (progress: %v)", st, err, sent)
	}
}
