package azure

import (
	"context"
	"fmt"
)

// AuthorizationAPIVersion is the version of Microsoft.Authorization's
// permissions API that Permissions reads.
const AuthorizationAPIVersion = "2022-04-01"

// Permission is one entry of what the signed-in principal may do at a scope
// (roughly, one role assignment that applies there). An action is granted
// by an entry when one of its Actions matches it and none of its NotActions
// does.
type Permission struct {
	Actions        []string `json:"actions"`
	NotActions     []string `json:"notActions"`
	DataActions    []string `json:"dataActions"`
	NotDataActions []string `json:"notDataActions"`
}

// Scope is the workspace's resource ID, built from its parts (the ID field
// is set only once the workspace was read).
func (w Workspace) Scope() string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.MachineLearningServices/workspaces/%s", w.SubscriptionID, w.ResourceGroup, w.Name)
}

// Permissions asks Resource Manager what the signed-in principal may do at
// scope (a subscription, resource group or resource ID): GET
// {scope}/providers/Microsoft.Authorization/permissions, every page.
func (c *Client) Permissions(ctx context.Context, scope string) ([]Permission, error) {
	var page struct {
		Value    []Permission `json:"value"`
		NextLink string       `json:"nextLink"`
	}
	var out []Permission
	for url := scope + "/providers/Microsoft.Authorization/permissions"; url != ""; url = page.NextLink {
		page.Value, page.NextLink = nil, ""
		if err := c.getJSON(ctx, "", url, AuthorizationAPIVersion, &page); err != nil {
			return nil, fmt.Errorf("read permissions at %s: %w", scope, err)
		}
		out = append(out, page.Value...)
	}
	return out, nil
}
