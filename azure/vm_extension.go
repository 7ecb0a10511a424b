package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	compute "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"
)

// ActionVMExtensionWrite is the RBAC action InstallSSHKey needs at the VM's
// scope.
const ActionVMExtensionWrite = "Microsoft.Compute/virtualMachines/extensions/write"

// The VM access extension for Linux, which sets a user's SSH key through the
// VM agent (the Azure CLI's `az vm user update` uses it the same way).
const (
	VMAccessPublisher = "Microsoft.OSTCExtensions"
	VMAccessType      = "VMAccessForLinux"
	VMAccessVersion   = "1.5"
	// VMAccessDefaultName is the name the Azure CLI gives the extension when
	// the VM has none of its type yet.
	VMAccessDefaultName = "enablevmaccess"
)

// VMExtension is one extension of a VM, as its list shows it.
type VMExtension struct {
	Name, Publisher, Type, TypeHandlerVersion string
	ProvisioningState                         string
}

// IsVMAccessForLinux reports whether the extension is the VM access
// extension for Linux.
func (x VMExtension) IsVMAccessForLinux() bool {
	return strings.EqualFold(x.Publisher, VMAccessPublisher) && strings.EqualFold(x.Type, VMAccessType)
}

// ListVMExtensions reads the extensions of a VM (GET …/extensions).
func (c *Client) ListVMExtensions(ctx context.Context, id ResourceID) ([]VMExtension, error) {
	xc, err := compute.NewVirtualMachineExtensionsClient(id.SubscriptionID, c.cred, c.opts)
	if err != nil {
		return nil, err
	}
	r, err := xc.List(ctx, id.ResourceGroup, id.Name, nil)
	if err != nil {
		return nil, fmt.Errorf("list the extensions of VM %s: %w", id.Name, err)
	}
	var out []VMExtension
	for _, x := range r.Value {
		if x != nil {
			out = append(out, extensionFrom(x))
		}
	}
	return out, nil
}

func extensionFrom(x *compute.VirtualMachineExtension) VMExtension {
	v := VMExtension{Name: str(x.Name)}
	if p := x.Properties; p != nil {
		v.Publisher, v.Type, v.TypeHandlerVersion = str(p.Publisher), str(p.Type), str(p.TypeHandlerVersion)
		v.ProvisioningState = str(p.ProvisioningState)
	}
	return v
}

// ExtensionError is an extension operation that Azure accepted and that then
// ended Failed: the code and message of the operation's error, word for
// word (VMAgentStatusCommunicationError when the VM agent does not answer).
type ExtensionError struct {
	Name    string // the extension
	Code    string
	Message string
}

func (e *ExtensionError) Error() string {
	return fmt.Sprintf("the extension %s ended Failed: %s: %s", e.Name, e.Code, e.Message)
}

// SSHKeyRequest is what InstallSSHKey sends: the user and the public key
// (an authorized_keys line) go into the extension's protected settings.
type SSHKeyRequest struct {
	VM        ResourceID
	Location  string
	Extension string // the name of the VM's VMAccessForLinux extension, or VMAccessDefaultName
	Username  string
	PublicKey string
}

// InstallSSHKey sets the public key for the user (creating the user if the
// VM lacks it) through the VM access extension for Linux: PUT
// …/virtualMachines/{vm}/extensions/{name}, a long-running operation
// followed to its end. The user and key travel as protected settings,
// which Azure never returns; ForceUpdateTag is new each time, so that the
// agent runs the extension again even when the settings are the same.
// Azure's refusal of the PUT (403 AuthorizationFailed, 409 with the VM not
// running, ...) comes back wrapping its *azcore.ResponseError; an operation
// that ends Failed is an *ExtensionError.
func (c *Client) InstallSSHKey(ctx context.Context, r SSHKeyRequest, progress func(Progress)) (VMExtension, error) {
	if progress == nil {
		progress = func(Progress) {}
	}
	id := r.VM
	xc, err := compute.NewVirtualMachineExtensionsClient(id.SubscriptionID, c.cred, c.opts)
	if err != nil {
		return VMExtension{}, err
	}
	body := compute.VirtualMachineExtension{
		Location: to.Ptr(r.Location),
		Properties: &compute.VirtualMachineExtensionProperties{
			Publisher:               to.Ptr(VMAccessPublisher),
			Type:                    to.Ptr(VMAccessType),
			TypeHandlerVersion:      to.Ptr(VMAccessVersion),
			AutoUpgradeMinorVersion: to.Ptr(true),
			ForceUpdateTag:          to.Ptr(time.Now().UTC().Format("20060102T150405.000000000Z")),
			Settings:                map[string]any{},
			ProtectedSettings:       map[string]any{"username": r.Username, "ssh_key": r.PublicKey},
		},
	}
	// The same PUT sent twice sets the same key: the SDK may retry it.
	sctx, scancel := stepContext(ctx)
	poller, err := xc.BeginCreateOrUpdate(sctx, id.ResourceGroup, id.Name, r.Extension, body, nil)
	scancel()
	if err != nil {
		return VMExtension{}, fmt.Errorf("install the VM access extension on %s: %w", id.Name, err)
	}
	progress(Progress{Phase: "submitted", State: "Creating"})
	last, err := c.follow(ctx, poller, "Creating", progress)
	if err != nil {
		if ctx.Err() != nil {
			return VMExtension{}, fmt.Errorf("install the VM access extension on %s: %w", id.Name, err)
		}
		return VMExtension{}, &FollowError{Op: "extension install", Name: r.Extension, State: last, Err: err}
	}
	rctx, rcancel := stepContext(ctx)
	res, err := poller.Result(rctx)
	rcancel()
	if err != nil {
		var re *azcore.ResponseError
		if errors.As(err, &re) && re.StatusCode < http.StatusMultipleChoices {
			// The operation's status said Failed: its error is Azure's
			// verdict on the extension, not a refused request.
			progress(Progress{Phase: "done", State: "Failed"})
			return VMExtension{}, &ExtensionError{Name: r.Extension, Code: re.ErrorCode, Message: responseMessage(re)}
		}
		return VMExtension{}, fmt.Errorf("install the VM access extension on %s: %w", id.Name, err)
	}
	x := extensionFrom(&res.VirtualMachineExtension)
	progress(Progress{Phase: "done", State: orState(x.ProvisioningState, "Succeeded")})
	return x, nil
}
