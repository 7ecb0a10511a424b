package probes

import (
	"fmt"
	"regexp"
	"strings"

	"amlattach/azure"
)

// FieldNamespace points at the Kubernetes namespace (--namespace).
const FieldNamespace Field = "namespace"

// k8sClusterType is the --cluster-type az k8s-extension wants for a cluster.
func k8sClusterType(cluster azure.ResourceID) string {
	switch strings.ToLower(cluster.Type) {
	case "managedclusters":
		return "managedClusters"
	case "connectedclusters":
		return "connectedClusters"
	}
	if cluster.Type == "" {
		return "<managedClusters|connectedClusters>"
	}
	return cluster.Type
}

// K8sExtension checks that the Azure ML extension is installed on the
// cluster; err is the failure to list the extensions.
func K8sExtension(cluster azure.ResourceID, exts []azure.Extension, err error) Result {
	name, group := orPlaceholder(cluster.Name, "<cluster>"), orPlaceholder(cluster.ResourceGroup, "<group>")
	target := fmt.Sprintf("--cluster-type %s --cluster-name %s --resource-group %s", k8sClusterType(cluster), name, group)
	if err != nil {
		if ae, ok := azure.AsAzureError(err); ok {
			rem := "check that you may read the cluster's extensions and try again: az k8s-extension list " + target + " -o table"
			switch {
			case ae.Status == 403:
				rem = "ask for a role that may read the cluster's extensions (Reader or higher on the cluster or its resource group); then: az k8s-extension list " + target + " -o table"
			case strings.EqualFold(ae.Code, "MissingSubscriptionRegistration"):
				rem = "register the provider: az provider register --namespace Microsoft.KubernetesConfiguration --subscription " + orPlaceholder(cluster.SubscriptionID, "<subscription>")
			}
			return failf(FieldNone, rem, "could not list the extensions of %s: HTTP %d %s: %s", name, ae.Status, ae.Code, ae.Message)
		}
		return failf(FieldNone, "check your network connection and try again", "could not list the extensions of %s: %v", name, err)
	}
	var found *azure.Extension
	for i := range exts {
		if !strings.EqualFold(exts[i].ExtensionType, azure.AzureMLExtensionType) {
			continue
		}
		if found == nil || strings.EqualFold(exts[i].ProvisioningState, "Succeeded") && !strings.EqualFold(found.ProvisioningState, "Succeeded") {
			found = &exts[i]
		}
	}
	if found == nil {
		create := "install it: az k8s-extension create --name azureml --extension-type Microsoft.AzureML.Kubernetes " + target +
			" --scope cluster --config enableTraining=True enableInference=True inferenceRouterServiceType=LoadBalancer allowInsecureConnections=True" +
			" (on a cluster without a load balancer use inferenceRouterServiceType=NodePort); it takes several minutes"
		others := "none"
		if len(exts) > 0 {
			var ns []string
			for _, e := range exts {
				ns = append(ns, e.Name+" ("+e.ExtensionType+")")
			}
			others = strings.Join(ns, ", ")
		}
		return failf(FieldNone, create, "the Azure ML extension (%s) is not installed on %s; extensions found: %s", azure.AzureMLExtensionType, name, others)
	}
	install := ""
	if found.InstallState != "" {
		install = ", install state " + found.InstallState
	}
	show := fmt.Sprintf("az k8s-extension show --name %s %s", found.Name, target)
	if strings.EqualFold(found.ProvisioningState, "Succeeded") {
		if strings.EqualFold(found.InstallState, "Failed") {
			return warnf("look at the extension's pods (kubectl get pods -n azureml) and its status: "+show,
				"the Azure ML extension %s on %s is provisioned but its installation failed%s", found.Name, name, install)
		}
		return passf("the Azure ML extension %s on %s: provisioning Succeeded%s", found.Name, name, install)
	}
	switch strings.ToLower(found.ProvisioningState) {
	case "creating", "updating", "":
		return failf(FieldNone, "wait until it reads Succeeded (kubectl get pods -n azureml shows its progress), then run the preflight again: "+show+" --query provisioningState",
			"the Azure ML extension %s on %s is not ready: provisioning %s%s", found.Name, name, orDash(found.ProvisioningState), install)
	}
	return failf(FieldNone, "see why: "+show+" (and kubectl get pods -n azureml); then remove it (az k8s-extension delete --name "+found.Name+" "+target+" --yes) and install it again",
		"the Azure ML extension %s on %s is in provisioning state %s%s", found.Name, name, found.ProvisioningState, install)
}

var dns1123LabelRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// K8sNamespace checks that the namespace is a valid Kubernetes name (a
// DNS-1123 label); empty means "default".
func K8sNamespace(ns string) Result {
	if ns == "" {
		return passf("no namespace given: jobs and endpoints run in the namespace \"default\"")
	}
	if len(ns) <= 63 && dns1123LabelRE.MatchString(ns) {
		return passf("namespace %q is a valid Kubernetes name", ns)
	}
	why := "may hold only lowercase letters, digits and hyphens, and must start and end with a letter or digit"
	if len(ns) > 63 {
		why = fmt.Sprintf("is %d characters long (at most 63)", len(ns))
	}
	return failf(FieldNamespace, "give a namespace of 1-63 lowercase letters, digits and hyphens that starts and ends with a letter or digit, e.g. --namespace azureml",
		"namespace %q is not a valid Kubernetes name (a DNS-1123 label): it %s", ns, why)
}
