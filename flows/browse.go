package flows

import (
	"context"
	"sort"
	"strings"

	"amlattach/azure"
)

// Candidate is a resource that could be attached, as `browse` and the
// wizard's browser list it.
type Candidate struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	ResourceGroup string   `json:"resourceGroup"`
	Location      string   `json:"location"`
	AttachedAs    []string `json:"attachedAs"`
}

// BrowseKinds are the ARM kinds each attachable type lists.
var BrowseKinds = map[string][]string{
	"vm":         {"Microsoft.Compute/virtualMachines"},
	"hdinsight":  {HDInsightKind},
	"batch":      {BatchKind},
	"databricks": {DatabricksKind},
	"adla":       {ADLAKind},
	"aks":        {AKSKind},
	"kubernetes": {AKSKind, ConnectedKind},
	"synapse":    {SynapseKind},
}

// Browse lists the resources of the workspace's subscription that could be
// attached as typ, each with the compute names already attached to it.
func Browse(ctx context.Context, d Deps, ws azure.Workspace, typ string) ([]Candidate, error) {
	if typ == "vm" {
		return BrowseVMs(ctx, d, ws)
	}
	kinds, ok := BrowseKinds[typ]
	if !ok {
		return nil, inputErr("TYPE", "use one of vm, hdinsight, batch, databricks, adla, aks, kubernetes, synapse", "%q has nothing to browse", typ)
	}
	c := d.perRequest(ctx)
	var all []azure.Resource
	for _, k := range kinds {
		rs, err := d.Azure.ListResources(c, ws.SubscriptionID, k)
		if err != nil {
			return nil, FromAzure("list the "+k+" resources of subscription "+ws.SubscriptionID, err)
		}
		all = append(all, rs...)
	}
	computes, err := d.Azure.ListComputes(c, ws)
	if err != nil {
		return nil, FromAzure("list the computes of "+ws.Name, err)
	}
	return candidates(all, attachedAs(computes)), nil
}

// attachedAs maps each resource that computes are attached to (by
// azure.ResourceKey of its ID) to those computes' names, in list order.
func attachedAs(computes []azure.Compute) map[string][]string {
	m := map[string][]string{}
	for _, cp := range computes {
		if cp.ResourceID != "" {
			k := azure.ResourceKey(cp.ResourceID)
			m[k] = append(m[k], cp.Name)
		}
	}
	return m
}

// candidates turns resources into candidates, with the compute names
// attached to each (see attachedAs), sorted by resource group and name.
// Each resource costs one lookup, whatever the number of computes.
func candidates(rs []azure.Resource, attached map[string][]string) []Candidate {
	out := make([]Candidate, 0, len(rs))
	for _, v := range rs {
		cand := Candidate{ID: v.ID, Name: v.Name, ResourceGroup: v.ResourceGroup, Location: v.Location, AttachedAs: []string{}}
		cand.AttachedAs = append(cand.AttachedAs, attached[azure.ResourceKey(v.ID)]...)
		out = append(out, cand)
	}
	sort.Slice(out, func(i, j int) bool {
		if !strings.EqualFold(out[i].ResourceGroup, out[j].ResourceGroup) {
			return strings.ToLower(out[i].ResourceGroup) < strings.ToLower(out[j].ResourceGroup)
		}
		return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name)
	})
	return out
}

// BrowseVMs lists the VMs of the workspace's subscription, each with the
// compute names already attached to it in the workspace.
func BrowseVMs(ctx context.Context, d Deps, ws azure.Workspace) ([]Candidate, error) {
	c := d.perRequest(ctx)
	vms, err := d.Azure.ListVMs(c, ws.SubscriptionID)
	if err != nil {
		return nil, FromAzure("list the VMs of subscription "+ws.SubscriptionID, err)
	}
	computes, err := d.Azure.ListComputes(c, ws)
	if err != nil {
		return nil, FromAzure("list the computes of "+ws.Name, err)
	}
	return candidates(vms, attachedAs(computes)), nil
}
