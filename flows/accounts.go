package flows

import (
	"context"
	"strings"

	"amlattach/azure"
	"amlattach/probes"
)

// ARM kinds of the targets that are read through the generic resources client.
const (
	BatchKind   = "Microsoft.Batch/batchAccounts"
	ADLAKind    = "Microsoft.DataLakeAnalytics/accounts"
	SynapseKind = "Microsoft.Synapse/workspaces/bigDataPools"
)

// SimpleInput is what the user gives for a target that needs only the
// resource: a Batch or Data Lake Analytics account, or (with an identity) a
// Synapse Spark pool.
type SimpleInput struct {
	Name     string
	Ref      TargetRef
	Identity IdentityInput // Synapse only
}

// ValidateBatch checks a Batch account attach.
func ValidateBatch(in SimpleInput) (*Plan, error) {
	p, err := newPlan("batch", string(azure.BatchComputeType), in.Name, in.Ref, "/subscriptions/<subscription-id>/resourceGroups/<group>/providers/Microsoft.Batch/batchAccounts/<account> (az batch account show -g <group> -n <account> --query id -o tsv)", BatchKind)
	if err != nil {
		return nil, err
	}
	p.Fields = [][2]string{{"body", "the Azure ML SDK v1 body: computeType Batch and resourceId only"}}
	p.steps = func(d Deps, ws azure.Workspace, p *Plan) ([]Step, func()) {
		var g azure.Generic
		steps := append(wsSteps(d, ws, p),
			resourceStep(d, p, func(ctx context.Context) (err error) {
				g, err = d.Azure.GetGeneric(ctx, p.ID, azure.BatchAPIVersion)
				return err
			}),
			Step{ID: probes.IDBatchState, Needs: []string{probes.IDArmResource}, Run: func(context.Context) probes.Result { return probes.BatchState(g) }},
			Step{ID: probes.IDBatchType, Run: func(context.Context) probes.Result { return probes.BatchComputeType() }},
		)
		return steps, noCleanup
	}
	p.spec = func() azure.AttachSpec { return azure.BatchSpec{ResourceID: p.ID.String()} }
	return p, nil
}

// ValidateADLA checks a Data Lake Analytics account attach.
func ValidateADLA(in SimpleInput) (*Plan, error) {
	p, err := newPlan("adla", "DataLakeAnalytics", in.Name, in.Ref, "/subscriptions/<subscription-id>/resourceGroups/<group>/providers/Microsoft.DataLakeAnalytics/accounts/<account>", ADLAKind)
	if err != nil {
		return nil, err
	}
	p.steps = func(d Deps, ws azure.Workspace, p *Plan) ([]Step, func()) {
		var g azure.Generic
		steps := append(wsSteps(d, ws, p),
			resourceStep(d, p, func(ctx context.Context) (err error) {
				g, err = d.Azure.GetGeneric(ctx, p.ID, azure.ADLAAPIVersion)
				return err
			}),
			Step{ID: probes.IDADLAState, Needs: []string{probes.IDArmResource}, Run: func(context.Context) probes.Result { return probes.ADLAState(g) }},
			Step{ID: probes.IDADLARetired, Run: func(context.Context) probes.Result { return probes.ADLARetired() }},
		)
		return steps, noCleanup
	}
	p.spec = func() azure.AttachSpec { return azure.ADLASpec{ResourceID: p.ID.String()} }
	return p, nil
}

// ValidateSynapse checks a Synapse Spark pool attach.
func ValidateSynapse(in SimpleInput) (*Plan, error) {
	p, err := newPlan("synapse", "SynapseSpark", in.Name, in.Ref, "/subscriptions/<subscription-id>/resourceGroups/<group>/providers/Microsoft.Synapse/workspaces/<synapse-workspace>/bigDataPools/<pool> (az synapse spark pool show -g <group> --workspace-name <ws> -n <pool> --query id -o tsv)", SynapseKind)
	if err != nil {
		return nil, err
	}
	ident, err := in.Identity.validate()
	if err != nil {
		return nil, err
	}
	p.Fields = identityFields(ident)
	p.steps = func(d Deps, ws azure.Workspace, p *Plan) ([]Step, func()) {
		var g azure.Generic
		steps := append(wsSteps(d, ws, p),
			resourceStep(d, p, func(ctx context.Context) (err error) {
				g, err = d.Azure.GetGeneric(ctx, p.ID, azure.SynapseAPIVersion)
				return err
			}),
			Step{ID: probes.IDSynapsePool, Needs: []string{probes.IDArmResource}, Run: func(context.Context) probes.Result { return probes.SynapsePool(g) }},
		)
		return steps, noCleanup
	}
	p.spec = func() azure.AttachSpec { return azure.SynapseSpec{ResourceID: p.ID.String(), Identity: ident} }
	return p, nil
}

// IdentityInput is the managed identity of a Kubernetes or Synapse attach.
type IdentityInput struct {
	Type string   // "", none, SystemAssigned, UserAssigned (any casing)
	IDs  []string // user-assigned identities' resource IDs
}

const identityKind = "Microsoft.ManagedIdentity/userAssignedIdentities"

func (in IdentityInput) validate() (azure.Identity, error) {
	var out azure.Identity
	switch strings.ToLower(strings.ReplaceAll(in.Type, "_", "")) {
	case "", "none":
		if len(in.IDs) > 0 {
			return out, inputErr("--identity-type", "add --identity-type UserAssigned to use the identities given", "--user-assigned-identity was given without --identity-type UserAssigned")
		}
		return out, nil
	case "systemassigned", "system":
		if len(in.IDs) > 0 {
			return out, inputErr("--user-assigned-identity", "drop --user-assigned-identity, or use --identity-type UserAssigned", "a system-assigned identity takes no identity IDs")
		}
		out.Type = "SystemAssigned"
	case "userassigned", "user":
		if len(in.IDs) == 0 {
			return out, inputErr("--user-assigned-identity", "give the identity's ARM ID (az identity show -g <group> -n <name> --query id -o tsv)", "--identity-type UserAssigned needs at least one --user-assigned-identity")
		}
		out.Type = "UserAssigned"
		for _, s := range in.IDs {
			id, err := azure.ParseResourceIDOf(s, identityKind)
			if err != nil {
				return out, &Error{Kind: KindInput, Field: "--user-assigned-identity", Msg: err.Error(), Err: err,
					Fix: "expected /subscriptions/<id>/resourceGroups/<group>/providers/" + identityKind + "/<name>"}
			}
			out.UserAssignedID = append(out.UserAssignedID, id.String())
		}
	default:
		return out, inputErr("--identity-type", "use SystemAssigned, UserAssigned or none", "%q is not an identity type", in.Type)
	}
	return out, nil
}

// identityFields shows an identity in the attach summary.
func identityFields(i azure.Identity) [][2]string {
	switch i.Type {
	case "":
		return [][2]string{{"identity", "none"}}
	case "UserAssigned":
		return [][2]string{{"identity", "UserAssigned: " + strings.Join(i.UserAssignedID, ", ")}}
	}
	return [][2]string{{"identity", i.Type}}
}
