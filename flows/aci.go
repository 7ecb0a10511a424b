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
