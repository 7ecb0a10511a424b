package sandbox_test

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	ml "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/machinelearning/armmachinelearning/v4"

	"amlattach/azure/sandbox"
)

func TestParseTargetErrors(t *testing.T) {
	head := "subscriptions:\n  - id: s1\n    resourceGroups:\n      - name: rg\n        location: eastus\n"
	cases := []struct{ name, yaml, want string }{
		{"unknown hdinsight key", head + "        hdinsightClusters:\n          - name: h\n            sshEndpoints: false\n",
			`world.yaml:8: unknown key "sshEndpoints" in hdinsightClusters[0] (did you mean "sshEndpoint"?)`},
		{"unknown pool key", head + "        aksClusters:\n          - name: k\n            agentPools:\n              - {name: p, vmsize: Standard_D2s_v3}\n",
			`world.yaml:9: unknown key "vmsize" in aksClusters[0].agentPools[0] (did you mean "vmSize"?)`},
		{"unknown group key", head + "        aksCluster: []\n", `world.yaml:6: unknown key "aksCluster" in resourceGroups[0] (did you mean "aksClusters"?)`},
		{"cluster state", head + "        hdinsightClusters:\n          - {name: h, clusterState: Stopped}\n",
			`world.yaml:7: clusterState in hdinsightClusters[0]: "Stopped" is not one of Accepted,`},
		{"hdinsight kind", head + "        hdinsightClusters:\n          - {name: h, kind: presto}\n",
			`world.yaml:7: kind in hdinsightClusters[0]: "presto" is not one of spark, hadoop`},
		{"adla state", head + "        dataLakeAnalyticsAccounts:\n          - {name: a, state: Paused}\n",
			`world.yaml:7: state in dataLakeAnalyticsAccounts[0]: "Paused" is not one of Active, Suspended`},
		{"power state", head + "        aksClusters:\n          - {name: k, powerState: Deallocated}\n",
			`world.yaml:7: powerState in aksClusters[0]: "Deallocated" is not one of Running, Stopped`},
		{"connectivity", head + "        connectedClusters:\n          - {name: c, connectivityStatus: Online}\n",
			`world.yaml:7: connectivityStatus in connectedClusters[0]: "Online" is not one of Connecting, Connected, Offline, Expired`},
		{"node size", head + "        synapseWorkspaces:\n          - name: s\n            sparkPools: [{name: p, nodeSize: Huge}]\n",
			`world.yaml:8: nodeSize in synapseWorkspaces[0].sparkPools[0]: "Huge" is not one of Small, Medium`},
		{"batch state", head + "        batchAccounts:\n          - {name: b, provisioningState: Broken}\n",
			`world.yaml:7: provisioningState in batchAccounts[0]: "Broken" is not one of`},
		{"reachable kind", head + "        databricksWorkspaces:\n          - {name: d, reachable: sometimes}\n",
			`world.yaml:7: reachable in databricksWorkspaces[0]: want true or false, got "sometimes"`},
		{"extension type required", head + "        aksClusters:\n          - name: k\n            extensions: [{name: azureml}]\n",
			`world.yaml:8: missing key "extensionType" in aksClusters[0].extensions[0]`},
		{"k8s version", head + "        aksClusters:\n          - {name: k, kubernetesVersion: v1.30}\n",
			`world.yaml:7: kubernetesVersion in aksClusters[0]: "v1.30" is not a Kubernetes version`},
		{"k8s versions", "kubernetesVersions: [\"1.30.1\", latest]\n", `world.yaml:1: kubernetesVersions[1]: "latest" is not a Kubernetes version`},
		{"no versions", "kubernetesVersions: []\n", `kubernetesVersions: give at least one version`},
		{"duplicate hdinsight", head + "        hdinsightClusters:\n          - name: h\n          - name: H\n",
			`world.yaml:8: duplicate HDInsight cluster "H" in resource group rg (first at line 7)`},
		{"hdinsight names are global", head + "        hdinsightClusters: [{name: h}]\n      - name: rg2\n        location: eastus\n        hdinsightClusters: [{name: h}]\n",
			`world.yaml:9: HDInsight cluster "h": the name is already used at line 6`},
		{"duplicate databricks", head + "        databricksWorkspaces: [{name: d}, {name: d}]\n", `duplicate Databricks workspace "d" in resource group rg`},
		{"duplicate pool", head + "        aksClusters:\n          - name: k\n            agentPools: [{name: p}, {name: P}]\n", `duplicate agent pool "P" in AKS cluster "k"`},
		{"duplicate spark pool", head + "        synapseWorkspaces:\n          - name: s\n            sparkPools: [{name: p}, {name: p}]\n", `duplicate Spark pool "p" in Synapse workspace "s"`},
		{"duplicate extension", head + "        connectedClusters:\n          - name: c\n            extensions: [{name: e, extensionType: x}, {name: e, extensionType: y}]\n",
			`duplicate extension "e" in connected cluster "c"`},
		{"no system pool", head + "        aksClusters:\n          - name: k\n            agentPools: [{name: p, mode: User}]\n", `world.yaml:7: AKS cluster "k": needs at least one agent pool with mode: System`},
		{"hdinsight ssh both", head + "        hdinsightClusters:\n          - name: h\n            ssh: {address: \"127.0.0.1:22\", sim: {users: {u: {password: p}}}}\n",
			`world.yaml:8: HDInsight cluster "h": ssh has both address and sim`},
		{"hdinsight sim users", head + "        hdinsightClusters:\n          - name: h\n            ssh: {sim: {os: ubuntu 18.04}}\n",
			`HDInsight cluster "h": ssh.sim needs at least one user`},
		{"refuseBatch kind", "faults: {refuseBatch: yes please}\n", `world.yaml:1: refuseBatch in faults: want true or false`},
		{"compute type", head + "        workspaces:\n          - name: ws\n            computes: [{name: c, type: Spark}]\n",
			`computes[0]: "Spark" is not one of AKS, Kubernetes, AmlCompute, ComputeInstance, DataFactory, VirtualMachine, HDInsight, Databricks, DataLakeAnalytics, SynapseSpark, Batch`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := sandbox.ParseWorld([]byte(c.yaml), "world.yaml")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want %q, got %v", c.want, err)
			}
		})
	}
	// Tokens are secrets: a problem with one names its place, not its text.
	_, err := sandbox.ParseWorld([]byte(head+"        databricksWorkspaces:\n          - {name: d, tokens: [dapi-secret-1], expiredTokens: [dapi-secret-1]}\n"), "world.yaml")
	if err == nil || !strings.Contains(err.Error(), `Databricks workspace "d": expiredTokens[0] is also tokens[0]`) || strings.Contains(err.Error(), "dapi-secret-1") {
		t.Fatalf("token in both lists: %v", err)
	}
}

func TestParseTargetDefaults(t *testing.T) {
	w, err := sandbox.ParseWorld([]byte(`
kubernetesVersions: ["1.29.9", "1.30.6", "1.30.7", "1.31"]
subscriptions:
  - id: s1
    resourceGroups:
      - name: rg
        location: eastus
        hdinsightClusters: [{name: h}]
        batchAccounts: [{name: b, location: westus}]
        databricksWorkspaces: [{name: d}]
        dataLakeAnalyticsAccounts: [{name: a}]
        aksClusters:
          - name: k
            agentPools: [{name: sys}, {name: gpu, count: 0, vmSize: Standard_NC6s_v3}]
        connectedClusters: [{name: c}]
        synapseWorkspaces: [{name: s, sparkPools: [{name: p}]}]
`), "w.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g := w.Subscriptions[0].ResourceGroups[0]
	h := g.HDInsightClusters[0]
	if h.Kind != "spark" || h.ClusterState != "Running" || h.ProvisioningState != "Succeeded" || !h.SSHEndpoint || h.Location != "eastus" {
		t.Fatalf("hdinsight: %+v", h)
	}
	if b := g.BatchAccounts[0]; b.Location != "westus" || b.ProvisioningState != "Succeeded" {
		t.Fatalf("batch: %+v", b)
	}
	if d := g.DatabricksWorkspaces[0]; !d.Reachable || d.ProvisioningState != "Succeeded" || d.Location != "eastus" {
		t.Fatalf("databricks: %+v", d)
	}
	if a := g.DataLakeAnalyticsAccounts[0]; a.State != "Active" || a.ProvisioningState != "Succeeded" {
		t.Fatalf("adla: %+v", a)
	}
	k := g.AKSClusters[0]
	// The default version is the newest patch of the newest minor but one.
	if k.KubernetesVersion != "1.30.7" || k.PowerState != "Running" || k.AgentPools[0].Mode != "System" || k.AgentPools[1].Mode != "User" ||
		k.AgentPools[0].Count != 3 || k.AgentPools[0].VMSize != "Standard_D4s_v3" || k.AgentPools[1].Count != 0 {
		t.Fatalf("aks: %+v", k)
	}
	if c := g.ConnectedClusters[0]; c.ConnectivityStatus != "Connected" || c.KubernetesVersion != "1.30.7" || c.TotalNodeCount != 3 {
		t.Fatalf("connected: %+v", c)
	}
	if p := g.SynapseWorkspaces[0].SparkPools[0]; p.NodeCount != 3 || p.NodeSize != "Medium" || p.SparkVersion != "3.4" || p.ProvisioningState != "Succeeded" {
		t.Fatalf("spark pool: %+v", p)
	}
	if w.Faults.RefuseBatch {
		t.Fatal("refuseBatch defaults to false")
	}
	// Without kubernetesVersions, the default list.
	w2, err := sandbox.ParseWorld([]byte("subscriptions: []\n"), "w.yaml")
	if err != nil || strings.Join(w2.KubernetesVersions, ",") != strings.Join(sandbox.DefaultKubernetesVersions, ",") {
		t.Fatalf("default versions: %v %v", w2.KubernetesVersions, err)
	}
}

const targetWorld = `
kubernetesVersions: ["1.30.6", "1.31.2", "1.31.3"]
subscriptions:
  - id: 00000000-0000-0000-0000-0000000000aa
    resourceGroups:
      - name: rg
        location: westeurope
        hdinsightClusters:
          - name: live
            ssh: {sim: {os: ubuntu 18.04, users: {sshuser: {password: pw}}}}
          - name: starting
            clusterState: Accepted
            ssh: {sim: {users: {sshuser: {password: pw}}}}
          - name: nohost
        batchAccounts: [{name: b1}]
        aksClusters: [{name: k1}]
      - name: rg2
        location: northeurope
        batchAccounts: [{name: b2}, {name: b3}]
        databricksWorkspaces: [{name: d1, tokens: [dapi-x]}]
faults: {pageSize: 2}
`

func TestTargetRoutes(t *testing.T) {
	srv := startWorld(t, targetWorld)
	hc := srv.HTTPClient()
	base := "/subscriptions/" + sub
	get := func(path string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx(t), http.MethodGet, srv.Endpoint()+path, nil)
		req.Header.Set("Authorization", "Bearer x")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v
	}
	// Batch accounts by subscription (two pages of 2) and by group.
	code, page := get(base + "/providers/Microsoft.Batch/batchAccounts?api-version=2024-07-01")
	if code != 200 || len(page["value"].([]any)) != 2 || page["nextLink"] == nil {
		t.Fatalf("batch by subscription: %d %v", code, page)
	}
	code, page = get(base + "/resourceGroups/rg2/providers/Microsoft.Batch/batchAccounts?api-version=2024-07-01")
	if code != 200 || len(page["value"].([]any)) != 2 || page["nextLink"] != nil {
		t.Fatalf("batch by group: %d %v", code, page)
	}
	code, page = get(base + "/providers/Microsoft.HDInsight/clusters?api-version=2021-06-01&$skip=2")
	if v := page["value"].([]any); code != 200 || len(v) != 1 || v[0].(map[string]any)["name"] != "nohost" {
		t.Fatalf("hdinsight page 2: %d %v", code, page)
	}
	code, page = get(base + "/resourceGroups/rg2/providers/Microsoft.Databricks/workspaces/D1?api-version=2023-02-01")
	if code != 200 || page["name"] != "d1" || strings.Contains(toJSON(page), "dapi-x") {
		t.Fatalf("databricks: %d %v", code, page)
	}
	// Versions: grouped by minor, the newest but one is the default.
	code, page = get(base + "/providers/Microsoft.ContainerService/locations/westeurope/kubernetesVersions?api-version=2026-04-01")
	vals := page["values"].([]any)
	if code != 200 || len(vals) != 2 || vals[0].(map[string]any)["version"] != "1.30" || vals[0].(map[string]any)["isDefault"] != true ||
		len(vals[1].(map[string]any)["patchVersions"].(map[string]any)) != 2 {
		t.Fatalf("versions: %d %v", code, page)
	}
	// Errors: wrong api-version, missing resource, unknown type of a known namespace.
	if code, page = get(base + "/resourceGroups/rg/providers/Microsoft.HDInsight/clusters/live?api-version=2023-04-15-preview"); code != 400 ||
		!strings.Contains(toJSON(page), "The supported versions are '2021-06-01'") {
		t.Fatalf("api-version: %d %v", code, page)
	}
	if code, page = get(base + "/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/nope?api-version=2026-04-01"); code != 404 ||
		!strings.Contains(toJSON(page), "ResourceNotFound") {
		t.Fatalf("missing: %d %v", code, page)
	}
	if code, page = get(base + "/resourceGroups/rg/providers/Microsoft.Synapse/workspaces/x/sqlPools?api-version=2021-06-01"); code != 404 ||
		!strings.Contains(toJSON(page), "InvalidResourceType") {
		t.Fatalf("unknown type: %d %v", code, page)
	}
	if code, page = get(base + "/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/k1/providers/Microsoft.KubernetesConfiguration/extensions/azureml?api-version=2023-05-01"); code != 404 {
		t.Fatalf("missing extension: %d %v", code, page)
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestHDInsightDial(t *testing.T) {
	srv := startWorld(t, targetWorld)
	// A cluster that is not Running does not answer; one without ssh is refused.
	var ne net.Error
	if _, err := srv.Dial(ctx(t), "tcp", "starting-ssh.azurehdinsight.net:22"); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("starting cluster: %v", err)
	}
	if c, err := srv.Dial(ctx(t), "tcp", "nohost-ssh.azurehdinsight.net:22"); err == nil || !strings.Contains(err.Error(), "refused") {
		if c != nil {
			c.Close()
		}
		t.Fatalf("cluster without ssh: %v", err)
	}
	// The HTTPS endpoint and other names in the domain do not resolve.
	var dnsErr *net.DNSError
	if _, err := srv.Dial(ctx(t), "tcp", "live.azurehdinsight.net:443"); !errors.As(err, &dnsErr) {
		t.Fatalf("gateway name: %v", err)
	}
	c, err := srv.Dial(ctx(t), "tcp", "LIVE-ssh.azurehdinsight.net.:2222")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := c.Read(buf)
	c.Close()
	if !strings.HasPrefix(string(buf[:n]), "SSH-2.0-OpenSSH_7.6p1 Ubuntu") {
		t.Fatalf("banner: %q", buf[:n])
	}
}

func TestDatabricksCertificate(t *testing.T) {
	srv := startWorld(t, targetWorld)
	// The workspace's host is in the certificate: a plain TLS client that
	// trusts the pool may connect by that name.
	req, _ := http.NewRequestWithContext(ctx(t), http.MethodGet,
		srv.Endpoint()+"/subscriptions/"+sub+"/resourceGroups/rg2/providers/Microsoft.Databricks/workspaces/d1?api-version=2023-02-01", nil)
	req.Header.Set("Authorization", "Bearer x")
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var ws struct {
		Properties struct{ WorkspaceURL string } `json:"properties"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&ws)
	resp.Body.Close()
	host := ws.Properties.WorkspaceURL
	if !strings.HasPrefix(host, "adb-") {
		t.Fatalf("workspace URL: %q", host)
	}
	req, _ = http.NewRequestWithContext(ctx(t), http.MethodGet, "https://"+host+"/api/2.0/clusters/list", nil)
	req.Header.Set("Authorization", "Bearer dapi-x")
	resp, err = srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(string(body), "ENDPOINT_NOT_FOUND") || resp.TLS == nil || resp.TLS.PeerCertificates[0].VerifyHostname(host) != nil {
		t.Fatalf("other API: %d %s", resp.StatusCode, body)
	}
}

func TestWorldComputesOfOtherTypes(t *testing.T) {
	p := "/subscriptions/" + sub + "/resourceGroups/rg/providers/"
	srv := startWorld(t, `
subscriptions:
  - id: `+sub+`
    resourceGroups:
      - name: rg
        location: westeurope
        workspaces:
          - name: ws
            computes:
              - {name: dbx, type: Databricks, resourceId: `+p+`Microsoft.Databricks/workspaces/d,
                 properties: {databricksAccessToken: dapi-stored-secret}}
              - {name: k8s, type: Kubernetes, resourceId: `+p+`Microsoft.Kubernetes/connectedClusters/c, properties: {namespace: ml}}
              - {name: aks, type: AKS, resourceId: `+p+`Microsoft.ContainerService/managedClusters/k}
              - {name: batch, type: Batch, resourceId: `+p+`Microsoft.Batch/batchAccounts/b}
        databricksWorkspaces: [{name: d}]
        aksClusters: [{name: k, agentPools: [{name: p1, count: 2, vmSize: Standard_E8s_v5}, {name: p2, count: 1}]}]
`)
	cc, err := ml.NewComputeClient(sub, staticCred{}, clientOptions(srv))
	if err != nil {
		t.Fatal(err)
	}
	var raw *http.Response
	r, err := cc.Get(runtime.WithCaptureResponse(ctx(t), &raw), "rg", "ws", "dbx", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(raw.Body)
	d, ok := r.Properties.(*ml.Databricks)
	if !ok || d.Properties == nil || !strings.HasPrefix(*d.Properties.WorkspaceURL, "adb-") || strings.Contains(string(body), "dapi-stored-secret") {
		t.Fatalf("databricks: %s", body)
	}
	keys, err := cc.ListKeys(ctx(t), "rg", "ws", "dbx", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := keys.ComputeSecretsClassification.(*ml.DatabricksComputeSecrets); !ok || *s.DatabricksAccessToken != "dapi-stored-secret" {
		t.Fatalf("listKeys: %+v", keys.ComputeSecretsClassification)
	}
	r, err = cc.Get(ctx(t), "rg", "ws", "k8s", nil)
	if k, ok := r.Properties.(*ml.Kubernetes); err != nil || !ok || *k.Properties.Namespace != "ml" {
		t.Fatalf("kubernetes: %+v %v", r.Properties, err)
	}
	r, err = cc.Get(ctx(t), "rg", "ws", "aks", nil)
	if a, ok := r.Properties.(*ml.AKS); err != nil || !ok || *a.Properties.AgentCount != 3 || *a.Properties.AgentVMSize != "Standard_E8s_v5" {
		t.Fatalf("aks: %+v %v", r.Properties, err)
	}
	r, err = cc.Get(ctx(t), "rg", "ws", "batch", nil)
	if err != nil || *r.Properties.GetCompute().ComputeType != "Batch" {
		t.Fatalf("batch: %+v %v", r.Properties, err)
	}
}
