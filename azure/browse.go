package azure

import (
	"context"
	"fmt"

	compute "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"
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
	vc, err := compute.NewVirtualMachinesClient(subscriptionID, c.cred, c.opts)
	if err != nil {
		return nil, err
	}
	var out []Resource
	pg := vc.NewListAllPager(nil)
	for pg.More() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list VMs of %s: %w", subscriptionID, err)
		}
		for _, v := range page.Value {
			if v == nil {
				continue
			}
			r := Resource{ID: str(v.ID), Name: str(v.Name), Location: str(v.Location)}
			if id, err := ParseResourceID(r.ID); err == nil {
				r.ResourceGroup = id.ResourceGroup
			}
			out = append(out, r)
		}
	}
	return out, nil
}
