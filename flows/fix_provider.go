package flows

import (
	"context"
	"fmt"
	"strings"

	"amlattach/azure"
	"amlattach/probes"
)

// FixProviderRegister registers a resource provider in the subscription.
const FixProviderRegister = "provider.register"

// The probes that find a resource provider not registered: aci.provider
// (Microsoft.ContainerInstance), k8s.extension (the extensions' namespace,
// Microsoft.KubernetesConfiguration, answers 409
// MissingSubscriptionRegistration), and arm.resource for any resource whose
// provider is not registered. Each builder reads the registration state
// itself rather than parse the probe's words.
func init() {
	registerFixFor(probes.IDACIProvider, []string{FixProviderRegister}, isACI, func(ctx context.Context, d Deps, p *Plan, r probes.Result) *Fix {
		return providerRegisterFix(ctx, d, p.ID.SubscriptionID, azure.ContainerInstanceRPNS)
	})
	registerFixNotInPlace(probes.IDK8sExtension, []string{FixProviderRegister}, isK8s, func(ctx context.Context, d Deps, p *Plan, r probes.Result) *Fix {
		return providerRegisterFix(ctx, d, p.ID.SubscriptionID, k8sConfigurationNS)
	})
	registerFixNotInPlace(probes.IDArmResource, []string{FixProviderRegister}, nil, func(ctx context.Context, d Deps, p *Plan, r probes.Result) *Fix {
		if p.ID.Provider == "" {
			return nil
		}
		return providerRegisterFix(ctx, d, p.ID.SubscriptionID, p.ID.Provider)
	})
}

// isACI says the plan is `probe aci`'s.
func isACI(p *Plan) bool { return p.Type == "aci" }

// k8sConfigurationNS is the namespace of cluster extensions.
const k8sConfigurationNS = "Microsoft.KubernetesConfiguration"

// providerRegisterFix registers ns in the subscription when it reads as
// not registered; nil when it is registered or registering (then there is
// nothing to do but wait), or when its state cannot be read.
func providerRegisterFix(ctx context.Context, d Deps, sub, ns string) *Fix {
	if sub == "" {
		return nil
	}
	c, cancel := d.withTimeout(ctx)
	state, err := d.Azure.ProviderState(c, sub, ns)
	cancel()
	if err != nil || strings.EqualFold(state, "Registered") || strings.EqualFold(state, "Registering") {
		return nil
	}
	scope := "/subscriptions/" + sub
	return &Fix{
		ID: FixProviderRegister, Summary: fmt.Sprintf("register the resource provider %s in subscription %s", ns, sub),
		Changes: []string{
			fmt.Sprintf("subscription %s: resource provider %s, registration state %s -> Registered", sub, ns, regState(state)),
			fmt.Sprintf("request: POST %s/providers/%s/register, then GET %s/providers/%s until it reads Registered", scope, ns, scope, ns),
		},
		Permission: azure.ProviderRegisterAction(ns), Scope: scope,
		Risk: "registering costs nothing and creates no resource; it lets the subscription use " + ns + "'s resource types; it usually takes under a minute, at times several",
		Undo: fmt.Sprintf("az provider unregister --namespace %s --subscription %s (warning: unregistering while resources of %s exist breaks them)", ns, sub, ns),
		apply: func(ctx context.Context, d Deps, emit Emit) (FixStatus, []Change, error) {
			oc, ocancel := d.OperationContext(ctx)
			defer ocancel()
			before, err := d.Azure.RegisterProvider(oc, sub, ns, func(pr azure.Progress) {
				if emit != nil {
					emit(Event{Kind: FixProgress, Fix: FixProviderRegister, Phase: pr.Phase, State: pr.State, At: d.now()})
				}
			})
			if err != nil {
				return FixFailed, nil, err
			}
			if strings.EqualFold(before, "Registered") {
				return FixUnchanged, nil, nil
			}
			return FixApplied, []Change{{Resource: fmt.Sprintf("resource provider %s in subscription %s", ns, sub),
				Before: "registration state " + regState(before), After: "registration state Registered"}}, nil
		},
	}
}

// regState is a registration state, or "unknown" when Azure said none.
func regState(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
