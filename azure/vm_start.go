package azure

import (
	"context"
	"fmt"

	compute "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"
)

// ActionVMStart is the RBAC action StartVM needs at the VM's scope.
const ActionVMStart = "Microsoft.Compute/virtualMachines/start/action"

// StartVM starts a stopped or deallocated VM (POST .../start, a
// long-running operation) and follows it to its end, reporting progress as
// an attach does. Each request is bounded as in Attach (see
// WithStepTimeout). Azure's refusal (403 AuthorizationFailed, ...) comes
// back as an *azcore.ResponseError, wrapped.
func (c *Client) StartVM(ctx context.Context, id ResourceID, progress func(Progress)) error {
	if progress == nil {
		progress = func(Progress) {}
	}
	vc, err := compute.NewVirtualMachinesClient(id.SubscriptionID, c.cred, c.opts)
	if err != nil {
		return err
	}
	// Starting a VM twice is the same start: the SDK may retry the POST.
	sctx, scancel := stepContext(ctx)
	poller, err := vc.BeginStart(sctx, id.ResourceGroup, id.Name, nil)
	scancel()
	if err != nil {
		return fmt.Errorf("start VM %s: %w", id.Name, err)
	}
	progress(Progress{Phase: "submitted", State: "Starting"})
	last, err := c.follow(ctx, poller, "Starting", progress)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("start VM %s: %w", id.Name, err)
		}
		return &FollowError{Op: "start", Name: id.Name, State: last, Err: err}
	}
	rctx, rcancel := stepContext(ctx)
	_, err = poller.Result(rctx)
	rcancel()
	if err != nil {
		return fmt.Errorf("start VM %s: %w", id.Name, err)
	}
	progress(Progress{Phase: "done", State: "Running"})
	return nil
}
