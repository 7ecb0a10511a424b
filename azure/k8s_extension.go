package azure

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// ActionExtensionWrite is the RBAC action that installs a cluster extension.
const ActionExtensionWrite = "Microsoft.KubernetesConfiguration/extensions/write"

// ExtensionSpec is the body of a cluster extension's PUT
// (Microsoft.KubernetesConfiguration/extensions, 2023-05-01). Protected
// settings are not part of it: the Azure ML extension needs none on AKS.
type ExtensionSpec struct {
	ExtensionType           string
	ReleaseTrain            string
	AutoUpgradeMinorVersion bool
	ReleaseNamespace        string // cluster scope
	Settings                map[string]string
}

type extensionBody struct {
	Properties extensionProps `json:"properties"`
}

type extensionProps struct {
	ExtensionType           string            `json:"extensionType"`
	AutoUpgradeMinorVersion *bool             `json:"autoUpgradeMinorVersion,omitempty"`
	ReleaseTrain            string            `json:"releaseTrain,omitempty"`
	Scope                   *extensionScope   `json:"scope,omitempty"`
	ConfigurationSettings   map[string]string `json:"configurationSettings,omitempty"`
	ProvisioningState       string            `json:"provisioningState,omitempty"`
}

type extensionScope struct {
	Cluster *struct {
		ReleaseNamespace string `json:"releaseNamespace"`
	} `json:"cluster,omitempty"`
}

// extensionResult is what the final GET of the install answers.
type extensionResult struct {
	Name       string `json:"name"`
	Properties struct {
		ExtensionType     string `json:"extensionType"`
		ProvisioningState string `json:"provisioningState"`
	} `json:"properties"`
}

// ExtensionURL is the ARM path of the extension name on a cluster.
func ExtensionURL(cluster ResourceID, name string) string {
	return cluster.String() + "/providers/Microsoft.KubernetesConfiguration/extensions/" + name
}

// InstallExtension creates the extension name on an AKS or Arc cluster
// with a PUT through the SDK's ARM pipeline (no SDK module here serves the
// extensions API), then follows the long-running operation
// (Azure-AsyncOperation) to its end, reporting progress as an attach does.
// Each request is bounded by the step timeout (WithStepTimeout); ctx bounds
// the whole wait. It returns the extension as read at the end; an install
// that ends in another state than Succeeded is an error naming it. Azure's
// refusal (403 AuthorizationFailed, ...) comes back as an
// *azcore.ResponseError, wrapped. The PUT carries If-None-Match: *, so an
// extension of that name that exists is never replaced: Azure answers 412
// (IsPreconditionFailed).
func (c *Client) InstallExtension(ctx context.Context, cluster ResourceID, name string, spec ExtensionSpec, progress func(Progress)) (Extension, error) {
	if progress == nil {
		progress = func(Progress) {}
	}
	ac, err := arm.NewClient("amlattach", "v1.0.0", c.cred, c.opts)
	if err != nil {
		return Extension{}, err
	}
	auto := spec.AutoUpgradeMinorVersion
	body := extensionBody{Properties: extensionProps{ExtensionType: spec.ExtensionType, AutoUpgradeMinorVersion: &auto,
		ReleaseTrain: spec.ReleaseTrain, ConfigurationSettings: spec.Settings}}
	if spec.ReleaseNamespace != "" {
		body.Properties.Scope = &extensionScope{Cluster: &struct {
			ReleaseNamespace string `json:"releaseNamespace"`
		}{spec.ReleaseNamespace}}
	}
	sctx, scancel := stepContext(ctx)
	defer scancel()
	req, err := runtime.NewRequest(sctx, http.MethodPut, runtime.JoinPaths(ac.Endpoint(), ExtensionURL(cluster, name)))
	if err != nil {
		return Extension{}, err
	}
	q := req.Raw().URL.Query()
	q.Set("api-version", ExtensionsAPIVersion)
	req.Raw().URL.RawQuery = q.Encode()
	req.Raw().Header["Accept"] = []string{"application/json"}
	// Create only: an extension of that name made since our read is not
	// overwritten (a PUT on an existing one updates it); Azure answers 412.
	req.Raw().Header["If-None-Match"] = []string{"*"}
	if err := runtime.MarshalAsJSON(req, body); err != nil {
		return Extension{}, err
	}
	resp, err := ac.Pipeline().Do(req)
	if err != nil {
		return Extension{}, fmt.Errorf("install extension %s on %s: %w", name, cluster.Name, err)
	}
	if !runtime.HasStatusCode(resp, http.StatusOK, http.StatusCreated) {
		return Extension{}, fmt.Errorf("install extension %s on %s: %w", name, cluster.Name, runtime.NewResponseError(resp))
	}
	// The pipeline has read the answer's body: the request's bound may end.
	first := orState(stateFromBody(resp), "unknown")
	poller, err := runtime.NewPoller(resp, ac.Pipeline(), &runtime.NewPollerOptions[extensionResult]{FinalStateVia: runtime.FinalStateViaAzureAsyncOp})
	scancel()
	if err != nil {
		return Extension{}, fmt.Errorf("install extension %s on %s: %w", name, cluster.Name, err)
	}
	progress(Progress{Phase: "submitted", State: first})
	last, err := c.follow(ctx, poller, first, progress)
	if err != nil {
		if ctx.Err() != nil {
			return Extension{}, &FollowError{Op: "install", Name: name, State: last, Err: ctx.Err()}
		}
		return Extension{}, &FollowError{Op: "install", Name: name, State: last, Err: err}
	}
	rctx, rcancel := stepContext(ctx)
	got, err := poller.Result(rctx)
	rcancel()
	if err != nil {
		return Extension{}, fmt.Errorf("install extension %s on %s: %w", name, cluster.Name, err)
	}
	ext := Extension{Name: got.Name, ExtensionType: got.Properties.ExtensionType, ProvisioningState: got.Properties.ProvisioningState}
	if !strings.EqualFold(ext.ProvisioningState, "Succeeded") {
		return ext, fmt.Errorf("install extension %s on %s: it ended in provisioning state %s", name, cluster.Name, orState(ext.ProvisioningState, "unknown"))
	}
	progress(Progress{Phase: "done", State: ext.ProvisioningState})
	return ext, nil
}
