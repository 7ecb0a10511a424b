package azure

import (
	"context"
	"fmt"
	"strings"

	ml "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/machinelearning/armmachinelearning/v4"
	subs "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions/v2"
)

// Subscription is one subscription the credential can see.
type Subscription struct {
	ID, Name, State, TenantID string
}

// ListSubscriptions lists the subscriptions the credential can see.
func (c *Client) ListSubscriptions(ctx context.Context) ([]Subscription, error) {
	sc, err := subs.NewClient(c.cred, c.opts)
	if err != nil {
		return nil, err
	}
	var out []Subscription
	pg := sc.NewListPager(nil)
	for pg.More() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list subscriptions: %w", err)
		}
		for _, s := range page.Value {
			if s == nil {
				continue
			}
			x := Subscription{ID: str(s.SubscriptionID), Name: str(s.DisplayName), TenantID: str(s.TenantID)}
			if s.State != nil {
				x.State = string(*s.State)
			}
			out = append(out, x)
		}
	}
	return out, nil
}

// ListWorkspaces lists the Azure ML workspaces of a subscription.
func (c *Client) ListWorkspaces(ctx context.Context, subscriptionID string) ([]Workspace, error) {
	wc, err := ml.NewWorkspacesClient(subscriptionID, c.cred, c.opts)
	if err != nil {
		return nil, err
	}
	var out []Workspace
	pg := wc.NewListBySubscriptionPager(nil)
	for pg.More() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list workspaces of %s: %w", subscriptionID, err)
		}
		for _, w := range page.Value {
			if w == nil {
				continue
			}
			x := Workspace{SubscriptionID: subscriptionID, Name: str(w.Name), Location: str(w.Location), ID: str(w.ID)}
			if id, err := ParseResourceID(x.ID); err == nil {
				x.ResourceGroup = id.ResourceGroup
			}
			out = append(out, x)
		}
	}
	return out, nil
}

// Resource is a candidate for attaching: an ARM resource and where it lives.
type Resource struct {
	ID, Name, ResourceGroup, Location string
}

// ListVMs lists the virtual machines of a subscription.
func (c *Client) ListVMs(ctx context.Context, subscriptionID string) ([]Resource, error) {
	var out []Resource
	err := c.ListVMPages(ctx, subscriptionID, func(page []Resource) error {
		out = append(out, page...)
		return nil
	})
	return out, err
}

// ListVMPages lists the virtual machines of a subscription one page at a
// time: page is called with each page as soon as it arrives, before the
// next is asked for (each page's nextLink names the next, so the pages of
// one subscription come one after another). An error from page stops the list.
//
// The list goes through the SDK's ARM pipeline like every request, but
// decodes only the fields a Resource holds: armcompute's pager decodes each
// VM's whole model, which for a list of tens of thousands of VMs costs more
// than the rest of the listing together.
func (c *Client) ListVMPages(ctx context.Context, subscriptionID string, page func([]Resource) error) error {
	if err := c.listPathPages(ctx, subscriptionID, "/subscriptions/"+subscriptionID+"/providers/Microsoft.Compute/virtualMachines", ComputeAPIVersion, page); err != nil {
		return fmt.Errorf("list VMs of %s: %w", subscriptionID, err)
	}
	return nil
}

// API versions the SDK modules use, for lists sent through the generic path.
const (
	HDInsightAPIVersion  = "2021-06-01" // armhdinsight v1.2.0
	DatabricksAPIVersion = "2023-02-01" // armdatabricks v1.1.0
	AKSAPIVersion        = "2026-04-01" // armcontainerservice v9.3.0
	ComputeAPIVersion    = "2026-04-01" // armcompute v8.4.0
)

// listAPIVersion is the API version of a kind's list in a subscription.
var listAPIVersion = map[string]string{
	"microsoft.hdinsight/clusters":               HDInsightAPIVersion,
	"microsoft.databricks/workspaces":            DatabricksAPIVersion,
	"microsoft.containerservice/managedclusters": AKSAPIVersion,
	"microsoft.batch/batchaccounts":              BatchAPIVersion,
	"microsoft.datalakeanalytics/accounts":       ADLAAPIVersion,
	"microsoft.kubernetes/connectedclusters":     ConnectedAPIVersion,
	"microsoft.synapse/workspaces":               SynapseAPIVersion,
	"microsoft.synapse/workspaces/bigdatapools":  SynapseAPIVersion,
}

// ListResources lists the resources of a kind ("Microsoft.Batch/batchAccounts")
// in a subscription, following nextLinks. A child kind
// ("Microsoft.Synapse/workspaces/bigDataPools") lists the children of every parent.
func (c *Client) ListResources(ctx context.Context, subscriptionID, kind string) ([]Resource, error) {
	var out []Resource
	err := c.ListResourcePages(ctx, subscriptionID, kind, func(page []Resource) error {
		out = append(out, page...)
		return nil
	})
	return out, err
}

// ListResourcePages is ListResources one page at a time, as ListVMPages. A
// child kind gives one page per parent, once the parents are listed.
func (c *Client) ListResourcePages(ctx context.Context, subscriptionID, kind string, page func([]Resource) error) error {
	api, ok := listAPIVersion[strings.ToLower(kind)]
	if !ok {
		return fmt.Errorf("list %s: not a kind amlattach lists", kind)
	}
	parts := strings.Split(kind, "/")
	if len(parts) == 3 {
		parents, err := c.ListResources(ctx, subscriptionID, parts[0]+"/"+parts[1])
		if err != nil {
			return err
		}
		for _, p := range parents {
			kids, err := c.listPath(ctx, subscriptionID, p.ID+"/"+parts[2], api)
			if err != nil {
				return fmt.Errorf("list %s of %s: %w", parts[2], p.Name, err)
			}
			if err := page(kids); err != nil {
				return err
			}
		}
		return nil
	}
	if err := c.listPathPages(ctx, subscriptionID, "/subscriptions/"+subscriptionID+"/providers/"+kind, api, page); err != nil {
		return fmt.Errorf("list %s of %s: %w", kind, subscriptionID, err)
	}
	return nil
}

func (c *Client) listPath(ctx context.Context, subscriptionID, path, api string) ([]Resource, error) {
	var out []Resource
	err := c.listPathPages(ctx, subscriptionID, path, api, func(page []Resource) error {
		out = append(out, page...)
		return nil
	})
	return out, err
}

func (c *Client) listPathPages(ctx context.Context, subscriptionID, path, api string, page func([]Resource) error) error {
	var body struct {
		Value []struct {
			ID       string `json:"id"`
			Name     string `json:"name"`
			Location string `json:"location"`
		} `json:"value"`
		NextLink string `json:"nextLink"`
	}
	for url := path; url != ""; {
		body.Value, body.NextLink = nil, ""
		if err := c.getJSON(ctx, subscriptionID, url, api, &body); err != nil {
			return err
		}
		out := make([]Resource, 0, len(body.Value))
		for _, v := range body.Value {
			r := Resource{ID: v.ID, Name: v.Name, Location: v.Location}
			if id, err := ParseResourceID(v.ID); err == nil {
				r.ResourceGroup = id.ResourceGroup
				if id.ChildName != "" {
					r.Name = id.Name + "/" + id.ChildName
				}
			}
			out = append(out, r)
		}
		if err := page(out); err != nil {
			return err
		}
		url = body.NextLink
	}
	return nil
}
