package probes

import (
	"testing"

	"amlattach/azure"
)

const (
	batchID = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/b-rg/providers/Microsoft.Batch/batchAccounts/batchy"
	adlaID  = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/a-rg/providers/Microsoft.DataLakeAnalytics/accounts/adla1"
	poolID  = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/s-rg/providers/Microsoft.Synapse/workspaces/synws/bigDataPools/pool1"
	arcID   = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/k-rg/providers/Microsoft.Kubernetes/connectedClusters/arc1"
)

func props(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func TestBatchState(t *testing.T) {
	cases := []struct {
		state  string
		status Status
		detail []string
		remedy []string
	}{
		{"Succeeded", Pass, parts("batchy", "Succeeded"), nil},
		{"succeeded", Pass, parts("batchy"), nil},
		{"Creating", Warn, parts("still being created"), parts("az batch account show -g b-rg -n batchy")},
		{"", Warn, parts("no provisioning state"), parts("az batch account show")},
		{"Deleting", Fail, parts("being deleted"), parts("another Batch account")},
		{"Failed", Fail, parts("Failed, not Succeeded"), parts("az batch account show -g b-rg -n batchy")},
		{"Cancelled", Fail, parts("Cancelled"), parts("az batch account list")},
	}
	for _, c := range cases {
		t.Run("state "+c.state, func(t *testing.T) {
			g := azure.Generic{ID: batchID, Name: "batchy", Properties: props("provisioningState", c.state)}
			want(t, BatchState(g), c.status, c.detail, c.remedy)
		})
	}
	// Properties missing altogether (the GET returned none).
	want(t, BatchState(azure.Generic{ID: batchID, Name: "batchy"}), Warn, parts("no provisioning state"), nil)
}

func TestBatchComputeTypeAndADLARetired(t *testing.T) {
	want(t, BatchComputeType(), Warn, parts("no longer lists Batch", "SDK v1", "word for word"), parts("Azure ML compute clusters"))
	want(t, ADLARetired(), Warn, parts("retired on 29 February 2024", "refuse"), parts("Synapse", "amlattach attach synapse"))
}

func TestADLAState(t *testing.T) {
	cases := []struct {
		state, prov string
		status      Status
		detail      []string
		remedy      []string
	}{
		{"Active", "Succeeded", Pass, parts("adla1 is Active"), nil},
		{"active", "", Pass, parts("Active"), nil},
		{"Active", "Failed", Fail, parts("Failed, not Succeeded"), parts("az dla account show -g a-rg -n adla1")},
		{"Suspended", "Succeeded", Fail, parts("Suspended", "not Active"), parts("cannot be resumed", "29 February 2024", "Synapse", "az dla account show -g a-rg -n adla1")},
		{"", "", Fail, parts("no state"), parts("az dla account show")},
	}
	for _, c := range cases {
		t.Run(c.state+"/"+c.prov, func(t *testing.T) {
			g := azure.Generic{ID: adlaID, Name: "adla1", Properties: props("state", c.state, "provisioningState", c.prov)}
			want(t, ADLAState(g), c.status, c.detail, c.remedy)
		})
	}
}

func TestSynapsePool(t *testing.T) {
	cases := []struct {
		name   string
		props  map[string]any
		status Status
		detail []string
		remedy []string
	}{
		{"ready with size", props("provisioningState", "Succeeded", "nodeCount", float64(3), "nodeSize", "Small", "sparkVersion", "3.4"),
			Pass, parts("pool1", "synws", "3 nodes", "size Small", "Spark 3.4"), nil},
		{"autoscale", props("provisioningState", "Succeeded", "nodeSize", "Medium", "autoScale", map[string]any{"enabled": true, "minNodeCount": float64(3), "maxNodeCount": float64(10)}),
			Pass, parts("autoscale 3-10 nodes", "size Medium"), nil},
		{"no details", props("provisioningState", "Succeeded"), Pass, parts("pool1 in workspace synws is provisioned", "!("), nil},
		{"fractional count is not shown", props("provisioningState", "Succeeded", "nodeCount", 2.5), Pass, parts("!nodes"), nil},
		{"provisioning", props("provisioningState", "Provisioning", "nodeCount", float64(3)), Fail, parts("still provisioning", "3 nodes"),
			parts("az synapse spark pool show -g s-rg --workspace-name synws -n pool1")},
		{"failed", props("provisioningState", "Failed"), Fail, parts("Failed, not Succeeded"), parts("az synapse spark pool show")},
		{"none", nil, Fail, parts("provisioning state -"), parts("--workspace-name synws")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := SynapsePool(azure.Generic{ID: poolID, Name: "synws/pool1", Properties: c.props})
			want(t, r, c.status, c.detail, c.remedy)
		})
	}
}

func TestK8sConnected(t *testing.T) {
	cases := []struct {
		status string
		want   Status
		detail []string
		remedy []string
	}{
		{"Connected", Pass, parts("arc1 is Connected"), nil},
		{"Connecting", Warn, parts("still connecting"), parts("az connectedk8s show -g k-rg -n arc1")},
		{"Offline", Fail, parts("Offline, not Connected", "last seen 2024-05-01T10:00:00Z"), parts("kubectl get pods -n azure-arc", "az connectedk8s show -g k-rg -n arc1")},
		{"Expired", Fail, parts("Expired"), parts("az connectedk8s connect -g k-rg -n arc1")},
		{"", Fail, parts("is -, not Connected"), parts("kubectl get pods -n azure-arc")},
	}
	for _, c := range cases {
		t.Run(c.status, func(t *testing.T) {
			g := azure.Generic{ID: arcID, Name: "arc1", Properties: props("connectivityStatus", c.status, "lastConnectivityTime", "2024-05-01T10:00:00Z")}
			want(t, K8sConnected(g), c.want, c.detail, c.remedy)
		})
	}
}
