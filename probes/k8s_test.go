package probes

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"amlattach/azure"
)

func armErr(status int, code, msg string) error {
	body := `{"error":{"code":"` + code + `","message":"` + msg + `"}}`
	return &azcore.ResponseError{StatusCode: status, ErrorCode: code, RawResponse: &http.Response{
		StatusCode: status, Request: httptest.NewRequest(http.MethodGet, "https://management.example/x", nil),
		Body: io.NopCloser(strings.NewReader(body)),
	}}
}

func TestK8sExtension(t *testing.T) {
	aks, err := azure.ParseResourceID("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/k-rg/providers/Microsoft.ContainerService/managedClusters/aks1")
	if err != nil {
		t.Fatal(err)
	}
	arc, err := azure.ParseResourceID("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/k-rg/providers/microsoft.kubernetes/connectedclusters/arc1")
	if err != nil {
		t.Fatal(err)
	}
	ml := func(state string) azure.Extension {
		return azure.Extension{Name: "azureml", ExtensionType: "Microsoft.AzureML.Kubernetes", ProvisioningState: state}
	}
	flux := azure.Extension{Name: "flux", ExtensionType: "microsoft.flux", ProvisioningState: "Succeeded"}
	create := "az k8s-extension create --name azureml --extension-type Microsoft.AzureML.Kubernetes --cluster-type managedClusters --cluster-name aks1 --resource-group k-rg --scope cluster --config enableTraining=True enableInference=True inferenceRouterServiceType=LoadBalancer allowInsecureConnections=True"
	cases := []struct {
		name    string
		cluster azure.ResourceID
		exts    []azure.Extension
		err     error
		status  Status
		detail  []string
		remedy  []string
	}{
		{"installed", aks, []azure.Extension{flux, ml("Succeeded")}, nil, Pass, parts("azureml on aks1", "Succeeded"), nil},
		{"type case-insensitive", aks, []azure.Extension{{Name: "ml", ExtensionType: "microsoft.azureml.kubernetes", ProvisioningState: "succeeded", InstallState: "Installed"}}, nil, Pass, parts("ml on aks1", "Installed"), nil},
		{"missing on AKS", aks, []azure.Extension{flux}, nil, Fail, parts("not installed on aks1", "flux (microsoft.flux)"), parts(create)},
		{"missing on Arc", arc, nil, nil, Fail, parts("not installed on arc1", "found: none"), parts("--cluster-type connectedClusters --cluster-name arc1 --resource-group k-rg", "NodePort")},
		{"creating", aks, []azure.Extension{ml("Creating")}, nil, Fail, parts("not ready", "Creating"), parts("wait", "az k8s-extension show --name azureml --cluster-type managedClusters")},
		{"failed", aks, []azure.Extension{ml("Failed")}, nil, Fail, parts("provisioning state Failed"), parts("az k8s-extension delete --name azureml", "kubectl get pods -n azureml")},
		{"a failed and a good one", aks, []azure.Extension{ml("Failed"), {Name: "azureml2", ExtensionType: "Microsoft.AzureML.Kubernetes", ProvisioningState: "Succeeded"}}, nil, Pass, parts("azureml2"), nil},
		{"install failed", aks, []azure.Extension{{Name: "azureml", ExtensionType: "Microsoft.AzureML.Kubernetes", ProvisioningState: "Succeeded", InstallState: "Failed"}}, nil, Warn, parts("installation failed"), parts("kubectl get pods -n azureml")},
		{"403", aks, nil, armErr(403, "AuthorizationFailed", "The client does not have authorization"), Fail, parts("could not list", "403", "does not have authorization"), parts("Reader")},
		{"provider not registered", aks, nil, armErr(409, "MissingSubscriptionRegistration", "The subscription is not registered"), Fail, parts("409"), parts("az provider register --namespace Microsoft.KubernetesConfiguration --subscription 00000000-0000-0000-0000-000000000001")},
		{"network", aks, nil, errors.New("dial tcp: i/o timeout"), Fail, parts("i/o timeout"), parts("network")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want(t, K8sExtension(c.cluster, c.exts, c.err), c.status, c.detail, c.remedy)
		})
	}
}

func TestK8sNamespace(t *testing.T) {
	cases := []struct {
		ns     string
		status Status
		detail []string
	}{
		{"", Pass, parts(`"default"`, "no namespace given")},
		{"default", Pass, parts("valid")},
		{"azureml-2", Pass, parts(`"azureml-2"`)},
		{"a", Pass, parts("valid")},
		{strings.Repeat("a", 63), Pass, parts("valid")},
		{strings.Repeat("a", 64), Fail, parts("64 characters")},
		{"Azureml", Fail, parts("DNS-1123", "lowercase")},
		{"-ml", Fail, parts("start and end")},
		{"ml-", Fail, parts("start and end")},
		{"ml_jobs", Fail, parts("not a valid Kubernetes name")},
		{"ml.jobs", Fail, parts("not a valid Kubernetes name")},
	}
	for _, c := range cases {
		t.Run(c.ns, func(t *testing.T) {
			r := K8sNamespace(c.ns)
			want(t, r, c.status, c.detail, nil)
			if r.Status == Fail && (r.Field != FieldNamespace || !strings.Contains(r.Remedy, "--namespace")) {
				t.Errorf("field %q remedy %q", r.Field, r.Remedy)
			}
		})
	}
}
