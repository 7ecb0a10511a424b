package flows

import (
	"context"

	"amlattach/azure"
	"amlattach/probes"
)

// ACIExplanation says why ACI is never attached.
const ACIExplanation = "Azure Container Instances are never attached: Azure ML creates them when you deploy a model to ACI, and no other way"

// ACISteps is the plan of `probe aci`: what can be checked before a deployment.
func ACISteps(d Deps, ws azure.Workspace) []Step {
	return []Step{{ID: probes.IDACIProvider, Run: func(ctx context.Context) probes.Result {
		c, cancel := d.withTimeout(ctx)
		defer cancel()
		st, err := d.Azure.ProviderState(c, ws.SubscriptionID, azure.ContainerInstanceRPNS)
		return probes.ACIProvider(ws.SubscriptionID, st, err)
	}}}
}

// ACIPlan is the preflight of `probe aci` as a plan, for `fix aci`: it
// attaches nothing and names no resource; Bind gives it the workspace's
// subscription, whose providers it checks.
func ACIPlan() *Plan {
	p := &Plan{Type: "aci", Name: "aci", byName: true, standalone: true}
	p.steps = func(d Deps, ws azure.Workspace, _ *Plan) ([]Step, func()) { return ACISteps(d, ws), noCleanup }
	return p
}
