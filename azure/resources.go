package azure

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	aks "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v9"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/databricks/armdatabricks"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/hdinsight/armhdinsight"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources/v4"
)

// API versions for resources read through the generic client (their own SDK
// modules cannot be used here).
const (
	BatchAPIVersion       = "2024-07-01"
	ADLAAPIVersion        = "2016-11-01"
	SynapseAPIVersion     = "2021-06-01"
	ConnectedAPIVersion   = "2024-01-01"
	ExtensionsAPIVersion  = "2023-05-01"
	AzureMLExtensionType  = "microsoft.azureml.kubernetes"
	ContainerInstanceRPNS = "Microsoft.ContainerInstance"
)

// HDInsightCluster is what the preflight needs of an HDInsight cluster.
type HDInsightCluster struct {
	ID, Name, Location string
	State              string // clusterState: Running, ...
	ProvisioningState  string
	Kind               string // clusterDefinition.kind: spark, hadoop, ...
	SSHHost            string // the SSH connectivity endpoint
	SSHPort            int
}

// GetHDInsight reads an HDInsight cluster.
func (c *Client) GetHDInsight(ctx context.Context, id ResourceID) (HDInsightCluster, error) {
	hc, err := armhdinsight.NewClustersClient(id.SubscriptionID, c.cred, c.opts)
	if err != nil {
		return HDInsightCluster{}, err
	}
	r, err := hc.Get(ctx, id.ResourceGroup, id.Name, nil)
	if err != nil {
		return HDInsightCluster{}, fmt.Errorf("get HDInsight cluster %s: %w", id.Name, err)
	}
	h := HDInsightCluster{ID: str(r.ID), Name: str(r.Name), Location: str(r.Location)}
	if p := r.Properties; p != nil {
		h.State = str(p.ClusterState)
		if p.ProvisioningState != nil {
			h.ProvisioningState = string(*p.ProvisioningState)
		}
		if p.ClusterDefinition != nil {
			h.Kind = str(p.ClusterDefinition.Kind)
		}
		for _, e := range p.ConnectivityEndpoints {
			if e != nil && strings.EqualFold(str(e.Name), "SSH") {
				h.SSHHost = str(e.Location)
				if e.Port != nil {
					h.SSHPort = int(*e.Port)
				}
			}
		}
	}
	return h, nil
}

// DatabricksWorkspace is what the preflight needs of a Databricks workspace.
type DatabricksWorkspace struct {
	ID, Name, Location string
	ProvisioningState  string
	WorkspaceURL       string // without scheme: adb-<id>.<n>.azuredatabricks.net
}

// GetDatabricks reads a Databricks workspace.
func (c *Client) GetDatabricks(ctx context.Context, id ResourceID) (DatabricksWorkspace, error) {
	dc, err := armdatabricks.NewWorkspacesClient(id.SubscriptionID, c.cred, c.opts)
	if err != nil {
		return DatabricksWorkspace{}, err
	}
	r, err := dc.Get(ctx, id.ResourceGroup, id.Name, nil)
	if err != nil {
		return DatabricksWorkspace{}, fmt.Errorf("get Databricks workspace %s: %w", id.Name, err)
	}
	d := DatabricksWorkspace{ID: str(r.ID), Name: str(r.Name), Location: str(r.Location)}
	if p := r.Properties; p != nil {
		d.WorkspaceURL = str(p.WorkspaceURL)
		if p.ProvisioningState != nil {
			d.ProvisioningState = string(*p.ProvisioningState)
		}
	}
	return d, nil
}

// AgentPool is one node pool of an AKS cluster.
type AgentPool struct {
	Name   string
	Count  int
	VMSize string
	Mode   string // System, User
}

// AKSCluster is what the preflight needs of an AKS cluster.
type AKSCluster struct {
	ID, Name, Location string
	ProvisioningState  string
	PowerState         string // Running, Stopped
	KubernetesVersion  string
	FQDN               string
	Pools              []AgentPool
}

// GetAKS reads a managed Kubernetes cluster.
func (c *Client) GetAKS(ctx context.Context, id ResourceID) (AKSCluster, error) {
	mc, err := aks.NewManagedClustersClient(id.SubscriptionID, c.cred, c.opts)
	if err != nil {
		return AKSCluster{}, err
	}
	r, err := mc.Get(ctx, id.ResourceGroup, id.Name, nil)
	if err != nil {
		return AKSCluster{}, fmt.Errorf("get AKS cluster %s: %w", id.Name, err)
	}
	a := AKSCluster{ID: str(r.ID), Name: str(r.Name), Location: str(r.Location)}
	if p := r.Properties; p != nil {
		a.ProvisioningState = str(p.ProvisioningState)
		a.KubernetesVersion = firstNonEmpty(str(p.CurrentKubernetesVersion), str(p.KubernetesVersion))
		a.FQDN = str(p.Fqdn)
		if p.PowerState != nil && p.PowerState.Code != nil {
			a.PowerState = string(*p.PowerState.Code)
		}
		for _, ap := range p.AgentPoolProfiles {
			if ap == nil {
				continue
			}
			x := AgentPool{Name: str(ap.Name), VMSize: str(ap.VMSize)}
			if ap.Count != nil {
				x.Count = int(*ap.Count)
			}
			if ap.Mode != nil {
				x.Mode = string(*ap.Mode)
			}
			a.Pools = append(a.Pools, x)
		}
	}
	return a, nil
}

// AKSVersions lists the Kubernetes versions AKS supports in a region.
func (c *Client) AKSVersions(ctx context.Context, subscriptionID, location string) ([]string, error) {
	mc, err := aks.NewManagedClustersClient(subscriptionID, c.cred, c.opts)
	if err != nil {
		return nil, err
	}
	r, err := mc.ListKubernetesVersions(ctx, location, nil)
	if err != nil {
		return nil, fmt.Errorf("list Kubernetes versions in %s: %w", location, err)
	}
	var out []string
	for _, v := range r.Values {
		if v == nil {
			continue
		}
		out = append(out, str(v.Version))
		for patch := range v.PatchVersions {
			out = append(out, patch)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Generic is a resource read through the generic resources client: enough
// for Batch and Data Lake Analytics accounts, Synapse Spark pools and
// Arc-connected clusters.
type Generic struct {
	ID, Name, Location, Kind string
	Properties               map[string]any
}

// Prop returns a top-level string property ("" when absent).
func (g Generic) Prop(name string) string {
	s, _ := g.Properties[name].(string)
	return s
}

// GetGeneric reads any resource by ID at the given API version.
func (c *Client) GetGeneric(ctx context.Context, id ResourceID, apiVersion string) (Generic, error) {
	rc, err := armresources.NewClient(id.SubscriptionID, c.cred, c.opts)
	if err != nil {
		return Generic{}, err
	}
	r, err := rc.GetByID(ctx, id.String(), apiVersion, nil)
	if err != nil {
		return Generic{}, fmt.Errorf("get %s %s: %w", id.Kind(), id.Name, err)
	}
	g := Generic{ID: str(r.ID), Name: str(r.Name), Location: str(r.Location), Kind: str(r.Kind)}
	g.Properties, _ = r.Properties.(map[string]any)
	return g, nil
}

// Extension is a cluster extension (Microsoft.KubernetesConfiguration).
type Extension struct {
	Name, ExtensionType, ProvisioningState, InstallState string
}

// ListExtensions lists the extensions installed on an AKS or Arc cluster.
func (c *Client) ListExtensions(ctx context.Context, cluster ResourceID) ([]Extension, error) {
	var page struct {
		Value []struct {
			Name       string `json:"name"`
			Properties struct {
				ExtensionType     string `json:"extensionType"`
				ProvisioningState string `json:"provisioningState"`
				InstallState      string `json:"installState"`
			} `json:"properties"`
		} `json:"value"`
		NextLink string `json:"nextLink"`
	}
	var out []Extension
	url := cluster.String() + "/providers/Microsoft.KubernetesConfiguration/extensions"
	for url != "" {
		page.Value, page.NextLink = nil, ""
		if err := c.getJSON(ctx, cluster.SubscriptionID, url, ExtensionsAPIVersion, &page); err != nil {
			return nil, fmt.Errorf("list extensions of %s: %w", cluster.Name, err)
		}
		for _, v := range page.Value {
			out = append(out, Extension{Name: v.Name, ExtensionType: v.Properties.ExtensionType, ProvisioningState: v.Properties.ProvisioningState, InstallState: v.Properties.InstallState})
		}
		url = page.NextLink
	}
	return out, nil
}

// ProviderState returns a resource provider's registration state in a subscription.
func (c *Client) ProviderState(ctx context.Context, subscriptionID, namespace string) (string, error) {
	pc, err := armresources.NewProvidersClient(subscriptionID, c.cred, c.opts)
	if err != nil {
		return "", err
	}
	r, err := pc.Get(ctx, namespace, nil)
	if err != nil {
		return "", fmt.Errorf("get provider %s: %w", namespace, err)
	}
	return str(r.RegistrationState), nil
}

// getJSON sends a GET through the SDK's ARM pipeline (auth, retries,
// logging) for calls no SDK module here covers. pathOrURL is an ARM path or
// a nextLink.
func (c *Client) getJSON(ctx context.Context, subscriptionID, pathOrURL, apiVersion string, out any) error {
	return c.sendJSON(ctx, http.MethodGet, pathOrURL, apiVersion, out)
}

// MLAPIVersion is the API version of armmachinelearning v4.
const MLAPIVersion = "2024-04-01"

// sendJSON sends a body-less request through the SDK's ARM pipeline and
// decodes the 200 answer.
func (c *Client) sendJSON(ctx context.Context, method, pathOrURL, apiVersion string, out any) error {
	ac, err := arm.NewClient("amlattach", "v1.0.0", c.cred, c.opts)
	if err != nil {
		return err
	}
	u := pathOrURL
	if strings.HasPrefix(u, "/") {
		u = runtime.JoinPaths(ac.Endpoint(), u)
	}
	req, err := runtime.NewRequest(ctx, method, u)
	if err != nil {
		return err
	}
	if !strings.Contains(u, "api-version=") {
		q := req.Raw().URL.Query()
		q.Set("api-version", apiVersion)
		req.Raw().URL.RawQuery = q.Encode()
	}
	resp, err := ac.Pipeline().Do(req)
	if err != nil {
		return err
	}
	if !runtime.HasStatusCode(resp, http.StatusOK) {
		return runtime.NewResponseError(resp)
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(out)
}
