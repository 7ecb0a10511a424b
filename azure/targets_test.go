package azure_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	ml "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/machinelearning/armmachinelearning/v4"
	"golang.org/x/crypto/ssh"

	"amlattach/azure"
	"amlattach/azure/sandbox"
	"amlattach/internal/sandboxtest"
)

// The other attachable resources, read and attached through the facade
// against the built-in world (the names other tests and docs rely on).

const demoSub = "00000000-0000-0000-0000-000000000001"

func demoID(kind, name string) azure.ResourceID {
	id, err := azure.ParseResourceID("/subscriptions/" + demoSub + "/resourceGroups/ml-rg/providers/" + kind + "/" + name)
	if err != nil {
		panic(err)
	}
	return id
}

func demoIDString(kind, name string) string {
	return "/subscriptions/" + demoSub + "/resourceGroups/ml-rg/providers/" + kind + "/" + name
}

// demo starts the built-in world with quick operations; change may adjust it.
func demo(t *testing.T, change func(*sandbox.World)) (*azure.Client, *sandbox.Server, azure.Workspace) {
	t.Helper()
	w := sandbox.DemoWorld()
	w.Faults.AttachSeconds = 0.2
	w.Faults.DetachSeconds = 0.1
	if change != nil {
		change(w)
	}
	srv, err := sandbox.Start(w)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c := sandboxtest.Client(srv, azure.Options{PollInterval: 50 * time.Millisecond,
		Retry: &policy.RetryOptions{MaxRetries: 1, RetryDelay: 10 * time.Millisecond}})
	ws, err := c.GetWorkspace(testCtx(t), azure.Workspace{SubscriptionID: demoSub, ResourceGroup: "ml-rg", Name: "contoso-ws"})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv, ws
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// computeClient is the SDK's compute client, for what the facade does not
// return (raw bodies, the secrets of types other than VirtualMachine).
func computeClient(t *testing.T, srv *sandbox.Server) *ml.ComputeClient {
	t.Helper()
	cc, err := ml.NewComputeClient(demoSub, azure.StaticCredential{}, &arm.ClientOptions{
		ClientOptions: azcore.ClientOptions{
			Cloud: cloud.Configuration{
				ActiveDirectoryAuthorityHost: srv.Endpoint(),
				Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
					cloud.ResourceManager: {Endpoint: srv.Endpoint(), Audience: "https://management.core.windows.net/"},
				},
			},
			Transport: srv.HTTPClient(),
			Retry:     policy.RetryOptions{MaxRetries: -1},
		},
		DisableRPRegistration: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return cc
}

func TestTargetReads(t *testing.T) {
	c, _, _ := demo(t, nil)
	ctx := testCtx(t)

	h, err := c.GetHDInsight(ctx, demoID("Microsoft.HDInsight/clusters", "spark-hdi"))
	if err != nil || h.State != "Running" || h.ProvisioningState != "Succeeded" || h.Kind != "spark" ||
		h.SSHHost != "spark-hdi-ssh.azurehdinsight.net" || h.SSHPort != 22 || h.Location != "eastus" {
		t.Fatalf("spark-hdi: %+v %v", h, err)
	}
	if h, err := c.GetHDInsight(ctx, demoID("Microsoft.HDInsight/clusters", "hadoop-hdi")); err != nil || h.Kind != "hadoop" {
		t.Fatalf("hadoop-hdi: %+v %v", h, err)
	}
	if h, err := c.GetHDInsight(ctx, demoID("Microsoft.HDInsight/clusters", "hdi-nossh")); err != nil || h.SSHHost != "" || h.SSHPort != 0 || h.State != "Running" {
		t.Fatalf("hdi-nossh: %+v %v", h, err)
	}
	if _, err := c.GetHDInsight(ctx, demoID("Microsoft.HDInsight/clusters", "ghost")); !azure.IsNotFound(err) {
		t.Fatalf("missing cluster: %v", err)
	}

	d, err := c.GetDatabricks(ctx, demoID("Microsoft.Databricks/workspaces", "dbx-ws"))
	if err != nil || d.ProvisioningState != "Succeeded" || !regexp.MustCompile(`^adb-\d{16}\.\d+\.azuredatabricks\.net$`).MatchString(d.WorkspaceURL) {
		t.Fatalf("dbx-ws: %+v %v", d, err)
	}
	d2, err := c.GetDatabricks(ctx, demoID("Microsoft.Databricks/workspaces", "dbx-offline"))
	if err != nil || d2.WorkspaceURL == d.WorkspaceURL || d2.WorkspaceURL == "" {
		t.Fatalf("dbx-offline: %+v %v", d2, err)
	}

	a, err := c.GetAKS(ctx, demoID("Microsoft.ContainerService/managedClusters", "aks-prod"))
	if err != nil || a.PowerState != "Running" || a.ProvisioningState != "Succeeded" || a.KubernetesVersion != "1.30.14" ||
		!strings.HasSuffix(a.FQDN, ".hcp.eastus.azmk8s.io") || len(a.Pools) != 1 ||
		a.Pools[0] != (azure.AgentPool{Name: "nodepool1", Count: 3, VMSize: "Standard_D4s_v3", Mode: "System"}) {
		t.Fatalf("aks-prod: %+v %v", a, err)
	}
	if a, err := c.GetAKS(ctx, demoID("Microsoft.ContainerService/managedClusters", "aks-old")); err != nil || a.KubernetesVersion != "1.24.9" {
		t.Fatalf("aks-old: %+v %v", a, err)
	}
	versions, err := c.AKSVersions(ctx, demoSub, "eastus")
	if err != nil || !slices.Contains(versions, "1.30.14") || !slices.Contains(versions, "1.30") || slices.Contains(versions, "1.24.9") ||
		len(versions) != 2*len(sandbox.DefaultKubernetesVersions) {
		t.Fatalf("versions: %v %v", versions, err)
	}

	generic := []struct {
		kind, name, api, prop, want string
	}{
		{"Microsoft.Batch/batchAccounts", "batchdemo", azure.BatchAPIVersion, "provisioningState", "Succeeded"},
		{"Microsoft.Batch/batchAccounts", "batchfailed", azure.BatchAPIVersion, "provisioningState", "Failed"},
		{"Microsoft.DataLakeAnalytics/accounts", "adlademo", azure.ADLAAPIVersion, "state", "Active"},
		{"Microsoft.DataLakeAnalytics/accounts", "adlasuspended", azure.ADLAAPIVersion, "state", "Suspended"},
		{"Microsoft.Kubernetes/connectedClusters", "arc-onprem", azure.ConnectedAPIVersion, "connectivityStatus", "Connected"},
		{"Microsoft.Kubernetes/connectedClusters", "arc-offline", azure.ConnectedAPIVersion, "connectivityStatus", "Offline"},
		{"Microsoft.Synapse/workspaces", "synapse-ws", azure.SynapseAPIVersion, "provisioningState", "Succeeded"},
		{"Microsoft.Synapse/workspaces", "synapse-ws/bigDataPools/sparkpool", azure.SynapseAPIVersion, "provisioningState", "Succeeded"},
		{"Microsoft.Synapse/workspaces", "synapse-ws/bigDataPools/brokenpool", azure.SynapseAPIVersion, "provisioningState", "Failed"},
	}
	for _, g := range generic {
		id, err := azure.ParseResourceID(demoIDString(g.kind, g.name))
		if err != nil {
			t.Fatal(err)
		}
		r, err := c.GetGeneric(ctx, id, g.api)
		if err != nil || r.Prop(g.prop) != g.want || r.Location != "eastus" {
			t.Fatalf("%s: %+v %v", g.name, r, err)
		}
	}
	pool, _ := azure.ParseResourceID(demoIDString("Microsoft.Synapse/workspaces", "synapse-ws/bigDataPools/sparkpool"))
	if r, _ := c.GetGeneric(ctx, pool, azure.SynapseAPIVersion); r.Properties["nodeCount"] != 3.0 || r.Prop("nodeSize") != "Medium" || r.Prop("sparkVersion") != "3.4" {
		t.Fatalf("spark pool: %+v", r.Properties)
	}
	// The sandbox accepts only the versions the facade sends.
	batch, _ := azure.ParseResourceID(demoIDString("Microsoft.Batch/batchAccounts", "batchdemo"))
	if _, err := c.GetGeneric(ctx, batch, "2017-09-01"); err == nil || !strings.Contains(err.Error(), "InvalidApiVersionParameter") {
		t.Fatalf("old api-version: %v", err)
	}

	exts, err := c.ListExtensions(ctx, demoID("Microsoft.ContainerService/managedClusters", "aks-ml"))
	if err != nil || len(exts) != 1 || exts[0].ExtensionType != azure.AzureMLExtensionType || exts[0].ProvisioningState != "Succeeded" || exts[0].Name != "azureml" {
		t.Fatalf("aks-ml extensions: %+v %v", exts, err)
	}
	if exts, err := c.ListExtensions(ctx, demoID("Microsoft.ContainerService/managedClusters", "aks-prod")); err != nil || len(exts) != 0 {
		t.Fatalf("aks-prod extensions: %+v %v", exts, err)
	}
	if exts, err := c.ListExtensions(ctx, demoID("Microsoft.ContainerService/managedClusters", "aks-noext")); err != nil || len(exts) != 1 || exts[0].ExtensionType != "microsoft.flux" {
		t.Fatalf("aks-noext extensions: %+v %v", exts, err)
	}
	if exts, err := c.ListExtensions(ctx, demoID("Microsoft.Kubernetes/connectedClusters", "arc-onprem")); err != nil || len(exts) != 1 || exts[0].ExtensionType != azure.AzureMLExtensionType {
		t.Fatalf("arc-onprem extensions: %+v %v", exts, err)
	}
	if _, err := c.ListExtensions(ctx, demoID("Microsoft.Kubernetes/connectedClusters", "ghost")); !azure.IsNotFound(err) {
		t.Fatalf("extensions of a missing cluster: %v", err)
	}
	// Browsing: every kind listed in the subscription (pools under their workspace).
	browse := map[string]string{
		"Microsoft.HDInsight/clusters":               "spark-hdi,hadoop-hdi,hdi-legacy,hdi-nossh",
		"Microsoft.Batch/batchAccounts":              "batchdemo,batchfailed",
		"Microsoft.Databricks/workspaces":            "dbx-ws,dbx-legacy,dbx-offline",
		"Microsoft.DataLakeAnalytics/accounts":       "adlademo,adlasuspended",
		"Microsoft.ContainerService/managedClusters": "aks-prod,aks-small,aks-tiny,aks-old,aks-ml,aks-noext",
		"Microsoft.Kubernetes/connectedClusters":     "arc-onprem,arc-offline",
		"Microsoft.Synapse/workspaces/bigDataPools":  "synapse-ws/sparkpool,synapse-ws/brokenpool",
	}
	for kind, want := range browse {
		rs, err := c.ListResources(ctx, demoSub, kind)
		var names []string
		for _, r := range rs {
			if r.ResourceGroup != "ml-rg" || r.Location != "eastus" {
				t.Fatalf("%s: %+v", kind, r)
			}
			names = append(names, r.Name)
		}
		if err != nil || strings.Join(names, ",") != want {
			t.Fatalf("list %s: %v %v", kind, names, err)
		}
	}
	for _, ns := range []string{"Microsoft.HDInsight", "Microsoft.Databricks", "Microsoft.KubernetesConfiguration"} {
		if st, err := c.ProviderState(ctx, demoSub, ns); err != nil || st != "Registered" {
			t.Fatalf("%s: %q %v", ns, st, err)
		}
	}
}

func TestTargetExtensionsPaging(t *testing.T) {
	srv := sandboxtest.Start(t, []byte(`subscriptions:
  - id: `+sub+`
    resourceGroups:
      - name: rg
        location: westeurope
        aksClusters:
          - name: k
            extensions:
              - {name: e1, extensionType: microsoft.flux}
              - {name: e2, extensionType: microsoft.dapr}
              - {name: azureml, extensionType: microsoft.azureml.kubernetes, provisioningState: Failed}
faults: {pageSize: 2}
`), "paging.yaml")
	c := azure.New(azure.StaticCredential{}, azure.Options{Endpoint: srv.Endpoint(), HTTPClient: srv.HTTPClient()})
	id, _ := azure.ParseResourceID("/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/k")
	exts, err := c.ListExtensions(testCtx(t), id)
	if err != nil || len(exts) != 3 || exts[2].Name != "azureml" || exts[2].ProvisioningState != "Failed" {
		t.Fatalf("extensions across pages: %+v %v", exts, err)
	}
	// The cluster got the defaults: one System pool of 3, the default version.
	a, err := c.GetAKS(testCtx(t), id)
	if err != nil || len(a.Pools) != 1 || a.Pools[0].Count != 3 || a.Pools[0].Mode != "System" || a.KubernetesVersion != "1.33.3" {
		t.Fatalf("defaults: %+v %v", a, err)
	}
}

// attachCase is one attach through the facade: want "" for success, else a
// text of the provisioning error.
type attachCase struct {
	name string
	spec azure.AttachSpec
	want string
}

func runAttaches(t *testing.T, c *azure.Client, ws azure.Workspace, cases []attachCase) map[string]azure.Compute {
	t.Helper()
	out := map[string]azure.Compute{}
	for _, tc := range cases {
		got, err := c.Attach(testCtx(t), ws, tc.name, tc.spec, nil)
		if tc.want == "" {
			if err != nil || got.ProvisioningState != "Succeeded" {
				t.Fatalf("%s: %+v %v", tc.name, got, err)
			}
			out[tc.name] = got
			continue
		}
		var ae *azure.AttachError
		if !errors.As(err, &ae) || ae.Compute.ProvisioningState != "Failed" || len(ae.Compute.ProvisioningErrors) != 1 ||
			!strings.Contains(ae.Compute.ProvisioningErrors[0].Message, tc.want) {
			t.Fatalf("%s: want a failure with %q, got %+v %v", tc.name, tc.want, got, err)
		}
	}
	return out
}

const (
	demoPassword = "Demo-Passw0rd!"
	goodToken    = "dapi-demo-0123456789abcdef"
	expiredToken = "dapi-demo-expired-0000"
)

func TestAttachHDInsightAndDatabricks(t *testing.T) {
	c, srv, ws := demo(t, nil)
	hdi := func(name, user, pw string, port int) azure.HDInsightSpec {
		return azure.HDInsightSpec{ResourceID: demoIDString("Microsoft.HDInsight/clusters", name), Address: name + "-ssh.azurehdinsight.net", SSHPort: port,
			Creds: azure.VMCredentials{Username: user, Password: pw}}
	}
	d, err := c.GetDatabricks(testCtx(t), demoID("Microsoft.Databricks/workspaces", "dbx-ws"))
	if err != nil {
		t.Fatal(err)
	}
	dbx := func(name, token string) azure.DatabricksSpec {
		return azure.DatabricksSpec{ResourceID: demoIDString("Microsoft.Databricks/workspaces", name), WorkspaceURL: "", Token: token}
	}
	withURL := dbx("dbx-ws", goodToken)
	withURL.WorkspaceURL = "https://" + d.WorkspaceURL
	otherURL := dbx("dbx-ws", goodToken)
	otherURL.WorkspaceURL = "adb-1111111111111111.1.azuredatabricks.net"
	wrongAddr := hdi("spark-hdi", "sshuser", demoPassword, 22)
	wrongAddr.Address = "hadoop-hdi-ssh.azurehdinsight.net"

	got := runAttaches(t, c, ws, []attachCase{
		{"spark", hdi("spark-hdi", "sshuser", demoPassword, 22), ""},
		{"hadoop", hdi("hadoop-hdi", "sshuser", demoPassword, 22), ""},
		{"spark-badpw", hdi("spark-hdi", "sshuser", "wrong", 22), "authentication failed"},
		{"spark-baduser", hdi("spark-hdi", "admin", demoPassword, 22), "authentication failed"},
		{"spark-port", hdi("spark-hdi", "sshuser", demoPassword, 2222), "Connection failed to establish within 30000 milliseconds."},
		{"spark-addr", wrongAddr, "is not the SSH endpoint of the HDInsight cluster 'spark-hdi'"},
		{"nossh", hdi("hdi-nossh", "sshuser", demoPassword, 22), "Connection failed to establish within 30000 milliseconds."},
		{"ghost-hdi", hdi("ghost", "sshuser", demoPassword, 22), "Could not find the HDInsight cluster"},
		{"dbx", dbx("dbx-ws", goodToken), ""},
		{"dbx-url", withURL, ""},
		{"dbx-otherurl", otherURL, "is not the URL of the Databricks workspace 'dbx-ws'"},
		{"dbx-expired", dbx("dbx-ws", expiredToken), "Invalid access token: the Databricks personal access token has expired"},
		{"dbx-badtoken", dbx("dbx-ws", "dapi-not-a-token"), "Invalid access token."},
		{"dbx-offline", dbx("dbx-offline", goodToken), "the connection timed out"},
	})
	if a := got["spark"]; a.Address != "spark-hdi-ssh.azurehdinsight.net" || a.SSHPort != 22 || a.Username != "sshuser" || a.Type != "HDInsight" {
		t.Fatalf("spark compute: %+v", a)
	}

	cc := computeClient(t, srv)
	ctx := testCtx(t)
	// GET shows the workspace URL, never the token.
	var raw *http.Response
	r, err := cc.Get(runtime.WithCaptureResponse(ctx, &raw), "ml-rg", "contoso-ws", "dbx", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(raw.Body)
	dc, ok := r.Properties.(*ml.Databricks)
	if !ok || dc.Properties == nil || *dc.Properties.WorkspaceURL != d.WorkspaceURL || dc.Properties.DatabricksAccessToken != nil || strings.Contains(string(body), goodToken) {
		t.Fatalf("databricks compute: %T %s", r.Properties, body)
	}
	keys, err := cc.ListKeys(ctx, "ml-rg", "contoso-ws", "dbx", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := keys.ComputeSecretsClassification.(*ml.DatabricksComputeSecrets); !ok || s.DatabricksAccessToken == nil || *s.DatabricksAccessToken != goodToken {
		t.Fatalf("databricks listKeys: %T", keys.ComputeSecretsClassification)
	}
	// A failed attach does not echo the token either.
	r, err = cc.Get(runtime.WithCaptureResponse(ctx, &raw), "ml-rg", "contoso-ws", "dbx-expired", nil)
	if err != nil {
		t.Fatal(err)
	}
	if body, _ := io.ReadAll(raw.Body); strings.Contains(string(body), expiredToken) {
		t.Fatalf("token in the failed compute: %s", body)
	}

	// HDInsight: the password only in listKeys. The SDK has no HDInsight
	// secrets type, so the answer is read as it comes.
	r, err = cc.Get(runtime.WithCaptureResponse(ctx, &raw), "ml-rg", "contoso-ws", "spark", nil)
	if err != nil {
		t.Fatal(err)
	}
	if body, _ := io.ReadAll(raw.Body); strings.Contains(string(body), demoPassword) {
		t.Fatalf("password in GET: %s", body)
	}
	if _, err := cc.ListKeys(runtime.WithCaptureResponse(ctx, &raw), "ml-rg", "contoso-ws", "spark", nil); err != nil {
		t.Fatal(err)
	}
	var hk struct {
		ComputeType          string `json:"computeType"`
		AdministratorAccount struct{ Username, Password string }
	}
	if err := json.NewDecoder(raw.Body).Decode(&hk); err != nil || hk.ComputeType != "HDInsight" ||
		hk.AdministratorAccount.Username != "sshuser" || hk.AdministratorAccount.Password != demoPassword {
		t.Fatalf("hdinsight listKeys: %+v %v", hk, err)
	}
}

func TestAttachClustersAndAccounts(t *testing.T) {
	c, srv, ws := demo(t, nil)
	aks := func(name, purpose string) azure.AKSSpec {
		return azure.AKSSpec{ResourceID: demoIDString("Microsoft.ContainerService/managedClusters", name), Purpose: purpose}
	}
	k8s := func(kind, name string) azure.KubernetesSpec {
		return azure.KubernetesSpec{ResourceID: demoIDString(kind, name), Namespace: "azureml", Identity: azure.Identity{Type: "SystemAssigned"}}
	}
	const mc, cc = "Microsoft.ContainerService/managedClusters", "Microsoft.Kubernetes/connectedClusters"
	tlsNoKey := aks("aks-prod", "FastProd")
	tlsNoKey.TLS = azure.AKSTLS{Status: "Enabled", Cert: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", CName: "ml.contoso.com"}
	tlsOK := aks("aks-prod", "DenseProd")
	tlsOK.TLS = azure.AKSTLS{Status: "Enabled", Cert: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", Key: "TLS-PRIVATE-KEY-TEXT", CName: "ml.contoso.com"}
	ilb := aks("aks-small", "DevTest")
	ilb.LoadBalancerType, ilb.LoadBalancerSubnet = "InternalLoadBalancer", "aks-subnet"
	userIdentity := k8s(mc, "aks-ml")
	userIdentity.Identity = azure.Identity{Type: "UserAssigned", UserAssignedID: []string{"/subscriptions/" + demoSub + "/resourceGroups/ml-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aml-id"}}
	synapse := func(pool string) azure.SynapseSpec {
		return azure.SynapseSpec{ResourceID: demoIDString("Microsoft.Synapse/workspaces", "synapse-ws/bigDataPools/"+pool)}
	}

	runAttaches(t, c, ws, []attachCase{
		{"aks-prod", aks("aks-prod", "FastProd"), ""},
		{"aks-tls", tlsOK, ""},
		{"aks-small-prod", aks("aks-small", "FastProd"), "needs at least 3 nodes and 12 vCPUs in all; the AKS cluster 'aks-small' has 1 nodes with 2 vCPUs. Use the cluster purpose DevTest"},
		{"aks-small-dense", aks("aks-small", "DenseProd"), "A cluster for purpose DenseProd"},
		{"aks-small-dev", ilb, ""},
		{"aks-old", aks("aks-old", "DevTest"), "Kubernetes version 1.24.9 of the AKS cluster 'aks-old' is not supported by Azure Machine Learning. Supported versions: 1.30.14, 1.31.11"},
		{"aks-tls-nokey", tlsNoKey, "sslConfiguration status Enabled needs cert, key and cname; missing: key."},
		{"aks-ghost", aks("ghost", "DevTest"), "Could not find the AKS cluster"},
		{"k8s-aks", k8s(mc, "aks-ml"), ""},
		{"k8s-user", userIdentity, ""},
		{"k8s-arc", k8s(cc, "arc-onprem"), ""},
		{"k8s-noext", k8s(mc, "aks-noext"), "The Azure Machine Learning extension (microsoft.azureml.kubernetes) is not installed on the cluster 'aks-noext'"},
		{"k8s-noext2", k8s(mc, "aks-prod"), "is not installed on the cluster 'aks-prod'"},
		{"k8s-offline", k8s(cc, "arc-offline"), "'arc-offline' is Offline"},
		{"synapse", synapse("sparkpool"), ""},
		{"synapse-broken", synapse("brokenpool"), "provisioning state 'Failed'"},
		{"synapse-ghost", synapse("nopool"), "Could not find the Spark pool 'nopool'"},
		{"adla", azure.ADLASpec{ResourceID: demoIDString("Microsoft.DataLakeAnalytics/accounts", "adlademo"), StoreAccount: "adlademostore"}, ""},
		{"adla-suspended", azure.ADLASpec{ResourceID: demoIDString("Microsoft.DataLakeAnalytics/accounts", "adlasuspended")}, "is Suspended"},
		{"batch", azure.BatchSpec{ResourceID: demoIDString("Microsoft.Batch/batchAccounts", "batchdemo")}, ""},
		{"batch-failed", azure.BatchSpec{ResourceID: demoIDString("Microsoft.Batch/batchAccounts", "batchfailed")}, "provisioning state 'Failed'"},
	})

	cl := computeClient(t, srv)
	ctx := testCtx(t)
	var raw *http.Response
	r, err := cl.Get(runtime.WithCaptureResponse(ctx, &raw), "ml-rg", "contoso-ws", "aks-tls", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(raw.Body)
	a, ok := r.Properties.(*ml.AKS)
	if !ok || a.Properties == nil || *a.Properties.AgentCount != 3 || *a.Properties.AgentVMSize != "Standard_D4s_v3" || *a.Properties.ClusterPurpose != ml.ClusterPurposeDenseProd ||
		*a.Properties.SSLConfiguration.Status != ml.SSLConfigStatusEnabled || *a.Properties.SSLConfiguration.Cname != "ml.contoso.com" ||
		strings.Contains(string(body), "TLS-PRIVATE-KEY-TEXT") || !strings.HasSuffix(*a.Properties.ClusterFqdn, ".azmk8s.io") {
		t.Fatalf("aks compute: %T %s", r.Properties, body)
	}
	keys, err := cl.ListKeys(ctx, "ml-rg", "contoso-ws", "aks-tls", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := keys.ComputeSecretsClassification.(*ml.AksComputeSecrets); !ok || !strings.Contains(*s.UserKubeConfig, "server: https://aks-prod-dns-") ||
		!strings.Contains(*s.AdminKubeConfig, "clusterAdmin_aks-tls") {
		t.Fatalf("aks listKeys: %+v", keys.ComputeSecretsClassification)
	}
	r, err = cl.Get(ctx, "ml-rg", "contoso-ws", "k8s-arc", nil)
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := r.Properties.(*ml.Kubernetes); !ok || *k.Properties.Namespace != "azureml" || r.Identity == nil || *r.Identity.Type != ml.ManagedServiceIdentityTypeSystemAssigned || r.Identity.PrincipalID == nil {
		t.Fatalf("kubernetes compute: %+v %+v", r.Properties, r.Identity)
	}
	r, err = cl.Get(ctx, "ml-rg", "contoso-ws", "synapse", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := r.Properties.(*ml.SynapseSpark); !ok || *s.Properties.PoolName != "sparkpool" || *s.Properties.WorkspaceName != "synapse-ws" || *s.Properties.NodeCount != 3 {
		t.Fatalf("synapse compute: %+v", r.Properties)
	}
	if got, err := c.GetCompute(ctx, ws, "batch"); err != nil || got.Type != "Batch" || got.ProvisioningState != "Succeeded" {
		t.Fatalf("batch compute: %+v %v", got, err)
	}

	// Refused outright (400, no operation): a resource of the wrong kind, a
	// namespace Kubernetes would refuse, an identity on a type that takes none.
	refused := []struct {
		name string
		spec azure.AttachSpec
		want string
	}{
		{"wrong-kind", azure.HDInsightSpec{ResourceID: demoIDString(mc, "aks-prod"), Address: "x", SSHPort: 22, Creds: azure.VMCredentials{Username: "u", Password: "p"}},
			"cannot be attached as compute type HDInsight: it names Microsoft.ContainerService/managedClusters, and HDInsight attaches Microsoft.HDInsight/clusters"},
		{"pool-as-ws", azure.SynapseSpec{ResourceID: demoIDString("Microsoft.Synapse/workspaces", "synapse-ws")}, "SynapseSpark attaches Microsoft.Synapse/workspaces/bigDataPools"},
		{"bad-ns", azure.KubernetesSpec{ResourceID: demoIDString(mc, "aks-ml"), Namespace: "Not_A_Namespace"}, "is not a Kubernetes namespace name"},
		{"no-token", azure.DatabricksSpec{ResourceID: demoIDString("Microsoft.Databricks/workspaces", "dbx-ws")}, "databricksAccessToken is required"},
	}
	for _, rc := range refused {
		_, err := c.Attach(ctx, ws, rc.name, rc.spec, nil)
		ae, ok := azure.AsAzureError(err)
		if !ok || ae.Status != 400 || ae.Code != "ValidationError" || !strings.Contains(ae.Message, rc.want) {
			t.Fatalf("%s: %+v %v", rc.name, ae, err)
		}
	}
}

func TestAttachBatchRefused(t *testing.T) {
	c, _, ws := demo(t, func(w *sandbox.World) { w.Faults.RefuseBatch = true })
	_, err := c.Attach(testCtx(t), ws, "batch", azure.BatchSpec{ResourceID: demoIDString("Microsoft.Batch/batchAccounts", "batchdemo")}, nil)
	ae, ok := azure.AsAzureError(err)
	if !ok || ae.Status != 400 || !strings.Contains(ae.Message, "'Batch' is not a compute type; use one of AKS, Kubernetes") {
		t.Fatalf("refused batch: %+v %v", ae, err)
	}
	if _, err := c.GetCompute(testCtx(t), ws, "batch"); !errors.Is(err, azure.ErrComputeNotFound) {
		t.Fatalf("a refused attach left a compute: %v", err)
	}
}

func TestDatabricksREST(t *testing.T) {
	c, srv, _ := demo(t, nil)
	ctx := testCtx(t)
	d, err := c.GetDatabricks(ctx, demoID("Microsoft.Databricks/workspaces", "dbx-ws"))
	if err != nil {
		t.Fatal(err)
	}
	hc := srv.HTTPClient()
	me := func(host, auth string) (int, string, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+host+"/api/2.0/preview/scim/v2/Me", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), nil
	}
	code, body, err := me(d.WorkspaceURL, "Bearer "+goodToken)
	var user struct {
		ID, UserName, DisplayName string
		Active                    bool
	}
	if err != nil || code != 200 || json.Unmarshal([]byte(body), &user) != nil || user.UserName == "" || user.ID == "" || !user.Active {
		t.Fatalf("me: %d %s %v", code, body, err)
	}
	cases := []struct {
		auth string
		code int
		msg  string
	}{
		{"Bearer dapi-unknown-token", 403, `{"error_code":"403","message":"Invalid access token."}`},
		{"Bearer " + expiredToken, 403, "expired"},
		{"", 401, `"error_code":"401"`},
		{"Basic dXNlcjpwYXNz", 401, `"error_code":"401"`},
	}
	for _, tc := range cases {
		code, body, err := me(strings.ToUpper(d.WorkspaceURL), tc.auth)
		if err != nil || code != tc.code || !strings.Contains(body, tc.msg) || strings.Contains(body, "dapi") {
			t.Fatalf("%q: %d %s %v", tc.auth, code, body, err)
		}
	}
	// Unreachable workspace: the dial times out; an unknown host does not resolve.
	off, err := c.GetDatabricks(ctx, demoID("Microsoft.Databricks/workspaces", "dbx-offline"))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = me(off.WorkspaceURL, "Bearer "+goodToken)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("offline workspace: %v", err)
	}
	_, _, err = me("adb-1234567890123456.7.azuredatabricks.net", "Bearer "+goodToken)
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
		t.Fatalf("unknown workspace: %v", err)
	}
	// Resource Manager is still served by the same client.
	if _, err := c.GetWorkspace(ctx, azure.Workspace{SubscriptionID: demoSub, ResourceGroup: "ml-rg", Name: "contoso-ws"}); err != nil {
		t.Fatal(err)
	}
}

func TestHDInsightSSH(t *testing.T) {
	_, srv, _ := demo(t, nil)
	ctx := testCtx(t)
	conn, err := srv.Dial(ctx, "tcp", "Spark-HDI-ssh.azurehdinsight.net:22")
	if err != nil {
		t.Fatal(err)
	}
	var hostKey ssh.PublicKey
	cfg := &ssh.ClientConfig{User: "sshuser", Auth: []ssh.AuthMethod{ssh.Password(demoPassword)},
		HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error { hostKey = k; return nil }, Timeout: 10 * time.Second}
	sc, chans, reqs, err := ssh.NewClientConn(conn, "spark-hdi-ssh.azurehdinsight.net:22", cfg)
	if err != nil {
		t.Fatal(err)
	}
	client := ssh.NewClient(sc, chans, reqs)
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := sess.Output("cat /etc/os-release; hostname")
	sess.Close()
	if err != nil || !strings.Contains(string(out), `VERSION_ID="18.04"`) || !strings.Contains(string(out), "hn0-spark-hdi") {
		t.Fatalf("spark-hdi: %s %v", out, err)
	}
	// Another cluster is another host, with another key; a wrong password is refused.
	conn2, err := srv.Dial(ctx, "tcp", "hadoop-hdi-ssh.azurehdinsight.net:22")
	if err != nil {
		t.Fatal(err)
	}
	var hostKey2 ssh.PublicKey
	bad := &ssh.ClientConfig{User: "sshuser", Auth: []ssh.AuthMethod{ssh.Password("wrong")},
		HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error { hostKey2 = k; return nil }, Timeout: 10 * time.Second}
	if _, _, _, err := ssh.NewClientConn(conn2, "hadoop-hdi-ssh.azurehdinsight.net:22", bad); err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Fatalf("wrong password: %v", err)
	}
	if hostKey == nil || hostKey2 == nil || string(hostKey.Marshal()) == string(hostKey2.Marshal()) {
		t.Fatal("the clusters share a host key")
	}
	// No SSH endpoint, or no such cluster: the name does not resolve.
	for _, host := range []string{"hdi-nossh-ssh.azurehdinsight.net:22", "ghost-ssh.azurehdinsight.net:22"} {
		var dnsErr *net.DNSError
		if _, err := srv.Dial(ctx, "tcp", host); !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
			t.Fatalf("%s: %v", host, err)
		}
	}
}
