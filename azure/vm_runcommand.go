package azure

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	compute "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"
)

// ActionRunCommandWrite is the RBAC action RunScript needs at the VM's
// scope (it reads and deletes the Run Command too: .../runCommands/read,
// .../runCommands/delete).
const ActionRunCommandWrite = "Microsoft.Compute/virtualMachines/runCommands/write"

// RunCommandTag marks the Run Commands amlattach creates (tag createdBy).
const RunCommandTag = "amlattach"

// RunCommandResult is how a script run through a managed Run Command
// ended, from the Run Command's instance view.
type RunCommandResult struct {
	// ExecutionState is the instance view's: Succeeded, Failed, TimedOut,
	// Canceled, ...
	ExecutionState   string
	ExitCode         int
	Output, Error    string // the last 4 KB of each stream
	ExecutionMessage string
	// Leftover says why the Run Command could not be deleted afterwards
	// ("" when it was): it stays on the VM until someone deletes it.
	Leftover string
}

// ForeignRunCommandError is a Run Command of the same name that amlattach
// did not create: it is not overwritten.
type ForeignRunCommandError struct{ VM, Name string }

func (e *ForeignRunCommandError) Error() string {
	return fmt.Sprintf("VM %s already has a Run Command named %s that amlattach did not create (no tag createdBy=%s); it was left alone and nothing was run: delete it (az vm run-command delete -g <group> --vm-name %s --name %s) if it is not needed, then run again",
		e.VM, e.Name, RunCommandTag, e.VM, e.Name)
}

// RunScript runs script as root on the VM through a managed Run Command
// called name (PUT .../runCommands/{name}, a long-running operation that
// ends when the VM agent has run the script), reads the instance view for
// the execution state, exit code, output and error, then deletes the Run
// Command. Unlike the action-style RunCommand, which answers "Enable
// succeeded" whatever the script did, the exit code comes back.
//
// A Run Command of that name that amlattach did not create is read first
// and left alone (*ForeignRunCommandError). A script that ran and failed
// is not an error here: the result carries its exit code. Azure's refusal
// (403 AuthorizationFailed, a VM that is not running, an agent that does
// not answer) comes back as an *azcore.ResponseError, wrapped. Each request
// is bounded as in Attach (see WithStepTimeout).
func (c *Client) RunScript(ctx context.Context, id ResourceID, location, name, script string, timeout time.Duration, purpose string, progress func(Progress)) (RunCommandResult, error) {
	if progress == nil {
		progress = func(Progress) {}
	}
	rc, err := compute.NewVirtualMachineRunCommandsClient(id.SubscriptionID, c.cred, c.opts)
	if err != nil {
		return RunCommandResult{}, err
	}
	// Read before write: a Run Command of ours left by an earlier run may be
	// replaced; anyone else's is not touched.
	gctx, gcancel := stepContext(ctx)
	old, err := rc.GetByVirtualMachine(gctx, id.ResourceGroup, id.Name, name, nil)
	gcancel()
	switch {
	case err == nil:
		if t := old.Tags["createdBy"]; t == nil || *t != RunCommandTag {
			return RunCommandResult{}, &ForeignRunCommandError{VM: id.Name, Name: name}
		}
		// Ours, left by an earlier run with this very script: a PUT of the
		// same body may not run it again, so it goes first.
		if old.Properties != nil && old.Properties.Source != nil && old.Properties.Source.Script != nil && *old.Properties.Source.Script == script {
			if why := c.deleteRunCommand(ctx, rc, id, name, progress); why != "" {
				return RunCommandResult{}, fmt.Errorf("VM %s has a Run Command %s of ours with this same script, left by an earlier run, which Azure would not run again, and deleting it failed (%s); nothing was run", id.Name, name, why)
			}
		}
	case !IsNotFound(err):
		return RunCommandResult{}, fmt.Errorf("read Run Command %s of VM %s: %w", name, id.Name, err)
	}

	body := compute.VirtualMachineRunCommand{
		Location: to.Ptr(location),
		Tags:     map[string]*string{"createdBy": to.Ptr(RunCommandTag), "purpose": to.Ptr(purpose)},
		Properties: &compute.VirtualMachineRunCommandProperties{
			Source:                          &compute.VirtualMachineRunCommandScriptSource{Script: to.Ptr(script)},
			TimeoutInSeconds:                to.Ptr(int32(timeout / time.Second)),
			TreatFailureAsDeploymentFailure: to.Ptr(true),
			AsyncExecution:                  to.Ptr(false),
		},
	}
	// The PUT of the same body twice is the same Run Command.
	sctx, scancel := stepContext(ctx)
	poller, err := rc.BeginCreateOrUpdate(sctx, id.ResourceGroup, id.Name, name, body, nil)
	scancel()
	if err != nil {
		return RunCommandResult{}, fmt.Errorf("create Run Command %s on VM %s: %w", name, id.Name, err)
	}
	progress(Progress{Phase: "submitted", State: "Running the script"})
	last, runErr := c.follow(ctx, poller, "Running the script", progress)
	if runErr == nil {
		rctx, rcancel := stepContext(ctx)
		_, runErr = poller.Result(rctx)
		rcancel()
	} else if ctx.Err() == nil {
		runErr = &FollowError{Op: "Run Command", Name: name, State: last, Err: runErr}
	}

	res, readErr := c.runCommandResult(ctx, rc, id, name)
	res.Leftover = c.deleteRunCommand(ctx, rc, id, name, progress)
	switch {
	case readErr == nil && (res.ExecutionState == "Succeeded" || res.ExecutionState == "Failed" || res.ExecutionState == "TimedOut"):
		// The script ran: its exit code and output say how.
		return res, nil
	case runErr != nil:
		return res, fmt.Errorf("run command %s on VM %s: %w", name, id.Name, runErr)
	case readErr != nil:
		return res, fmt.Errorf("read the result of Run Command %s on VM %s: %w", name, id.Name, readErr)
	}
	return res, fmt.Errorf("run command %s on VM %s ended with execution state %q and no exit code", name, id.Name, res.ExecutionState)
}

// runCommandResult reads a Run Command's instance view.
func (c *Client) runCommandResult(ctx context.Context, rc *compute.VirtualMachineRunCommandsClient, id ResourceID, name string) (RunCommandResult, error) {
	gctx, cancel := stepContext(ctx)
	defer cancel()
	r, err := rc.GetByVirtualMachine(gctx, id.ResourceGroup, id.Name, name, &compute.VirtualMachineRunCommandsClientGetByVirtualMachineOptions{Expand: to.Ptr("instanceView")})
	if err != nil {
		return RunCommandResult{}, err
	}
	var res RunCommandResult
	if r.Properties == nil || r.Properties.InstanceView == nil {
		return res, errors.New("the Run Command has no instance view")
	}
	iv := r.Properties.InstanceView
	if iv.ExecutionState != nil {
		res.ExecutionState = string(*iv.ExecutionState)
	}
	if iv.ExitCode != nil {
		res.ExitCode = int(*iv.ExitCode)
	}
	res.Output, res.Error, res.ExecutionMessage = str(iv.Output), str(iv.Error), str(iv.ExecutionMessage)
	return res, nil
}

// deleteRunCommand deletes the Run Command and follows the deletion; it
// says why when that failed ("" when it is gone). It runs even after the
// caller gave up (Ctrl-C), bounded by a minute, so that nothing of ours
// stays on the VM.
func (c *Client) deleteRunCommand(ctx context.Context, rc *compute.VirtualMachineRunCommandsClient, id ResourceID, name string, progress func(Progress)) string {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	sctx, scancel := stepContext(dctx)
	poller, err := rc.BeginDelete(sctx, id.ResourceGroup, id.Name, name, nil)
	scancel()
	if err == nil {
		progress(Progress{Phase: "polling", State: "Deleting the Run Command"})
		_, err = c.follow(dctx, poller, "Deleting", func(Progress) {})
	}
	if err == nil {
		rctx, rcancel := stepContext(dctx)
		_, err = poller.Result(rctx)
		rcancel()
	}
	if err != nil {
		return fmt.Sprintf("the Run Command %s stays on VM %s (deleting it failed: %v); delete it with az vm run-command delete -g %s --vm-name %s --name %s",
			name, id.Name, err, id.ResourceGroup, id.Name, name)
	}
	return ""
}
