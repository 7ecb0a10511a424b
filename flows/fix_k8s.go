package flows

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"amlattach/azure"
	"amlattach/probes"
)

// FixK8sExtension installs the Azure ML extension on a Kubernetes cluster.
const FixK8sExtension = "k8s.extension"

// k8sExtensionName is the name the extension is installed under, as in
// Azure ML's documentation.
const k8sExtensionName = "azureml"

func init() {
	registerFixFor(probes.IDK8sExtension, []string{FixK8sExtension}, isK8s, func(ctx context.Context, d Deps, p *Plan, r probes.Result) *Fix {
		if r.Status != probes.Fail {
			return nil
		}
		switch {
		case strings.EqualFold(p.ID.Kind(), AKSKind):
			return k8sExtensionFix(ctx, d, p.ID)
		case strings.EqualFold(p.ID.Kind(), ConnectedKind):
			return arcExtensionAdvice(ctx, d, p.ID)
		}
		return nil
	})
}

// isK8s says the plan's resource is an AKS or Arc cluster (the kubernetes type).
func isK8s(p *Plan) bool {
	return strings.EqualFold(p.ID.Kind(), AKSKind) || strings.EqualFold(p.ID.Kind(), ConnectedKind)
}

// azureMLExtensionOn reads the cluster's extensions: the Azure ML one (nil
// when there is none) and the extension holding k8sExtensionName, if any.
func azureMLExtensionOn(ctx context.Context, d Deps, cluster azure.ResourceID) (ml, named *azure.Extension, err error) {
	c, cancel := d.withTimeout(ctx)
	exts, err := d.Azure.ListExtensions(c, cluster)
	cancel()
	if err != nil {
		return nil, nil, err
	}
	for i := range exts {
		if strings.EqualFold(exts[i].ExtensionType, azure.AzureMLExtensionType) && (ml == nil || strings.EqualFold(exts[i].ProvisioningState, "Succeeded")) {
			ml = &exts[i]
		}
		if strings.EqualFold(exts[i].Name, k8sExtensionName) {
			named = &exts[i]
		}
	}
	return ml, named, nil
}

// k8sExtensionSettings are the configuration settings the Azure CLI sends
// for the Azure ML extension on AKS (training on, inference off), for a
// cluster in location.
func k8sExtensionSettings(cluster azure.ResourceID, location string) map[string]string {
	loc := strings.ToLower(strings.ReplaceAll(location, " ", ""))
	return map[string]string{
		"enableTraining":             "True",
		"enableInference":            "False",
		"inferenceRouterServiceType": "LoadBalancer",
		"relayserver.enabled":        "false",
		"nginxIngress.enabled":       "true",
		"cluster_name":               cluster.String(),
		"cluster_name_friendly":      cluster.Name,
		"location":                   loc,
		"jobSchedulerLocation":       loc,
		"domain":                     loc + ".cloudapp.azure.com",
	}
}

func settingsLine(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ", ")
}

func k8sTarget(cluster azure.ResourceID, clusterType string) string {
	return fmt.Sprintf("--cluster-type %s --cluster-name %s --resource-group %s", clusterType, cluster.Name, cluster.ResourceGroup)
}

// k8sExtensionFix installs the Azure ML extension on an AKS cluster that has
// none. nil when the cluster cannot be read, or has one already (in any
// state: then the probe's remedy stands); advice when the name azureml is
// taken by another extension, which amlattach does not overwrite.
func k8sExtensionFix(ctx context.Context, d Deps, cluster azure.ResourceID) *Fix {
	ml, named, err := azureMLExtensionOn(ctx, d, cluster)
	if err != nil || ml != nil {
		return nil
	}
	c, cancel := d.withTimeout(ctx)
	cl, err := d.Azure.GetAKS(c, cluster)
	cancel()
	if err != nil {
		return nil
	}
	spec := azure.ExtensionSpec{ExtensionType: azure.AzureMLExtensionType, ReleaseTrain: "stable", AutoUpgradeMinorVersion: true,
		ReleaseNamespace: "azureml", Settings: k8sExtensionSettings(cluster, cl.Location)}
	target := k8sTarget(cluster, "managedClusters")
	f := &Fix{
		ID: FixK8sExtension, Summary: fmt.Sprintf("install the Azure ML extension on the AKS cluster %s (training on, inference off)", cluster.Name),
		Changes: []string{
			fmt.Sprintf("AKS cluster %s (resource group %s): Azure ML extension none -> %s named %s, release train stable, cluster scope, namespace azureml, minor versions auto-upgraded",
				cluster.Name, cluster.ResourceGroup, azure.AzureMLExtensionType, k8sExtensionName),
			"settings: " + settingsLine(spec.Settings),
			"training jobs can run on the cluster once it is attached; inference (online endpoints) stays off: turn it on later with az k8s-extension update --name azureml " + target + " --config enableInference=True",
			fmt.Sprintf("request: PUT %s?api-version=%s (long-running; followed to its end, usually 5-15 minutes)", azure.ExtensionURL(cluster, k8sExtensionName), azure.ExtensionsAPIVersion),
		},
		Permission: azure.ActionExtensionWrite, Scope: cluster.String(),
		Risk: "installs the Azure ML agents as pods in the namespace azureml (some on every node): they use the cluster's CPU and memory, and the jobs you send then use its nodes",
		Undo: "az k8s-extension delete --name " + k8sExtensionName + " " + target + " --yes",
	}
	switch {
	case named != nil:
		f.Advice = fmt.Sprintf("an extension named %s (%s) is on the cluster already, and amlattach does not overwrite what it did not make; install the Azure ML extension under another name with az k8s-extension create", named.Name, named.ExtensionType)
		return f
	case cl.PowerState != "" && !strings.EqualFold(cl.PowerState, "Running"):
		f.Advice = fmt.Sprintf("the cluster is %s: an extension installs only on a running cluster; start it (az aks start -g %s -n %s), then run fix again", cl.PowerState, cluster.ResourceGroup, cluster.Name)
		return f
	}
	f.apply = func(ctx context.Context, d Deps, emit Emit) (FixStatus, []Change, error) {
		// Read before write: an Azure ML extension that is there already is
		// left as it is; nothing is put over an extension of that name.
		ml, named, err := azureMLExtensionOn(ctx, d, cluster)
		if err != nil {
			return FixFailed, nil, err
		}
		if ml != nil && strings.EqualFold(ml.ProvisioningState, "Succeeded") {
			return FixUnchanged, nil, nil
		}
		if ml != nil {
			return FixFailed, nil, fmt.Errorf("the Azure ML extension %s is on the cluster already, provisioning %s; amlattach leaves it as it is", ml.Name, ml.ProvisioningState)
		}
		if named != nil {
			return FixFailed, nil, fmt.Errorf("an extension named %s (%s) appeared on the cluster; amlattach does not overwrite it", named.Name, named.ExtensionType)
		}
		oc, ocancel := d.OperationContext(ctx)
		defer ocancel()
		ext, err := d.Azure.InstallExtension(oc, cluster, k8sExtensionName, spec, func(pr azure.Progress) {
			if emit != nil {
				emit(Event{Kind: FixProgress, Fix: FixK8sExtension, Phase: pr.Phase, State: pr.State, At: d.now()})
			}
		})
		if azure.IsPreconditionFailed(err) {
			// Someone made an extension of that name between our read and
			// our PUT: nothing of ours was written; read again.
			ml, named, rerr := azureMLExtensionOn(ctx, d, cluster)
			switch {
			case rerr != nil:
				return FixFailed, nil, fmt.Errorf("an extension named %s was created on the cluster meanwhile (HTTP 412; nothing was changed), and reading it again failed: %w", k8sExtensionName, rerr)
			case ml != nil && strings.EqualFold(ml.ProvisioningState, "Succeeded"):
				return FixUnchanged, nil, nil
			case ml != nil:
				return FixFailed, nil, fmt.Errorf("the Azure ML extension %s was created on the cluster meanwhile by someone else, provisioning %s; nothing was changed: run the preflight again when it settles", ml.Name, ml.ProvisioningState)
			}
			what := k8sExtensionName
			if named != nil {
				what = fmt.Sprintf("%s (%s)", named.Name, named.ExtensionType)
			}
			return FixFailed, nil, fmt.Errorf("an extension named %s was created on the cluster meanwhile; nothing was changed, and amlattach does not overwrite it", what)
		}
		if err != nil {
			return FixFailed, nil, err
		}
		return FixApplied, []Change{{Resource: fmt.Sprintf("extension %s on AKS cluster %s", k8sExtensionName, cluster.String()),
			Before: "no Azure ML extension", After: fmt.Sprintf("%s, provisioning %s, training on, inference off", ext.ExtensionType, ext.ProvisioningState)}}, nil
	}
	return f
}

// arcExtensionAdvice is the k8s.extension fix on an Arc-connected cluster:
// advice only, with the command that installs it.
func arcExtensionAdvice(ctx context.Context, d Deps, cluster azure.ResourceID) *Fix {
	ml, _, err := azureMLExtensionOn(ctx, d, cluster)
	if err != nil || ml != nil {
		return nil
	}
	target := k8sTarget(cluster, "connectedClusters")
	return &Fix{
		ID: FixK8sExtension, Summary: fmt.Sprintf("install the Azure ML extension on the Arc cluster %s", cluster.Name),
		Changes: []string{
			"run: az k8s-extension create --name " + k8sExtensionName + " --extension-type Microsoft.AzureML.Kubernetes " + target +
				" --scope cluster --release-train stable --config enableTraining=True enableInference=False",
		},
		Permission: azure.ActionExtensionWrite, Scope: cluster.String(),
		Risk:   "installs the Azure ML agents as pods in the namespace azureml on the cluster, and an Azure Relay namespace (billed) in the resource group",
		Undo:   "az k8s-extension delete --name " + k8sExtensionName + " " + target + " --yes, then delete the Relay namespace it created",
		Advice: "on an Arc cluster the extension also needs an Azure Relay namespace and hybrid connection, which amlattach does not create (the az command above does)",
	}
}
