package probes

import (
	"errors"
	"testing"

	"amlattach/azure"
)

const aksID = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/k-rg/providers/Microsoft.ContainerService/managedClusters/aks1"

func TestAKSRunning(t *testing.T) {
	cases := []struct {
		power, prov string
		status      Status
		detail      []string
		remedy      []string
	}{
		{"Running", "Succeeded", Pass, parts("aks1 is Running"), nil},
		{"running", "succeeded", Pass, parts("aks1"), nil},
		{"Stopped", "Succeeded", Fail, parts("Stopped"), parts("az aks start -g k-rg -n aks1")},
		{"Running", "Failed", Fail, parts("failed"), parts("az aks update -g k-rg -n aks1")},
		{"Running", "Upgrading", Warn, parts("Upgrading"), parts("wait", "az aks show -g k-rg -n aks1")},
		{"", "Succeeded", Warn, parts("no power state"), parts("az aks show")},
		{"Running", "Canceled", Fail, parts("Canceled"), parts("az aks show -g k-rg -n aks1")},
	}
	for _, c := range cases {
		t.Run(c.power+"/"+c.prov, func(t *testing.T) {
			want(t, AKSRunning(azure.AKSCluster{ID: aksID, Name: "aks1", PowerState: c.power, ProvisioningState: c.prov, KubernetesVersion: "1.30.4"}), c.status, c.detail, c.remedy)
		})
	}
}

func TestAKSVersion(t *testing.T) {
	supported := []string{"1.29", "1.29.7", "1.29.9", "1.30", "1.30.4", "1.30.5", "1.31", "1.31.1"}
	cases := []struct {
		name      string
		version   string
		supported []string
		err       error
		status    Status
		detail    []string
		remedy    []string
	}{
		{"exact patch", "1.30.4", supported, nil, Pass, parts("1.30.4 is supported", "westeurope"), nil},
		{"same minor, unlisted patch", "1.29.2", supported, nil, Pass, parts("minor 1.29"), nil},
		{"minor-only list", "1.31.3", []string{"1.30", "1.31"}, nil, Pass, parts("1.31.3"), nil},
		{"leading v", "v1.30.5", supported, nil, Pass, parts("supported"), nil},
		{"too old", "1.27.9", supported, nil, Fail, parts("1.27.9 is not supported", "supported minors: 1.29, 1.30, 1.31"),
			parts("az aks upgrade -g k-rg -n aks1 --kubernetes-version 1.29.9", "az aks get-upgrades -g k-rg -n aks1", "one minor version at a time")},
		{"too old, minors only", "1.27.9", []string{"1.29", "1.30"}, nil, Fail, parts("1.29, 1.30"), parts("--kubernetes-version 1.29")},
		{"newer than all", "1.33.0", supported, nil, Fail, parts("newer than every supported version"), parts("cannot downgrade")},
		{"list failed", "1.30.4", nil, errors.New("HTTP 403 AuthorizationFailed"), Warn, parts("could not list", "403", "not checked"), parts("az aks get-versions -l westeurope")},
		{"empty list", "1.30.4", nil, nil, Warn, parts("listed no Kubernetes versions"), parts("az aks get-versions")},
		{"unreadable version", "", supported, nil, Warn, parts("cannot read"), parts("currentKubernetesVersion")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := azure.AKSCluster{ID: aksID, Name: "aks1", Location: "westeurope", KubernetesVersion: c.version}
			r := AKSVersion(a, c.supported, c.err)
			want(t, r, c.status, c.detail, c.remedy)
		})
	}
}

func TestVCPUs(t *testing.T) {
	cases := []struct {
		size string
		n    int
		ok   bool
	}{
		{"Standard_D4s_v3", 4, true},
		{"Standard_DS2_v2", 2, true},
		{"Standard_B2s", 2, true},
		{"Standard_F8s_v2", 8, true},
		{"Standard_NC6", 6, true},
		{"Standard_E16ds_v5", 16, true},
		{"Standard_A2_v2", 2, true},
		{"Standard_M128ms", 128, true},
		{"standard_d4s_v3", 4, true},
		{"Standard_NC24ads_A100_v4", 24, true},
		{"Standard_NC4as_T4_v3", 4, true},
		{"Standard_HB120rs_v3", 120, true},
		{"Standard_B1ls", 1, true},
		{"Standard_D2_v2_Promo", 2, true},
		{"Standard_E4-2ds_v4", 2, true}, // constrained: 2 active vCPUs
		{"Standard_DS11-1_v2", 1, true},
		// Older series whose number is not the vCPU count.
		{"Standard_D11_v2", 2, true},
		{"Standard_DS14_v2", 16, true},
		{"Standard_D15_v2", 20, true},
		{"Standard_D4", 8, true},
		{"Standard_D16_v3", 16, true},
		{"Standard_A5", 2, true},
		{"Basic_A3", 4, true},
		{"Standard_A8m_v2", 8, true},
		{"Standard_G5", 32, true},
		{"Standard_GS3", 8, true},
		// Cannot tell.
		{"", 0, false},
		{"Standard_ABC", 0, false},
		{"D4s_v3", 0, false},
		{"Standard_D6_v2", 0, false},
		{"Standard_A12", 0, false},
	}
	for _, c := range cases {
		n, ok := VCPUs(c.size)
		if n != c.n || ok != c.ok {
			t.Errorf("VCPUs(%q) = %d, %v; want %d, %v", c.size, n, ok, c.n, c.ok)
		}
	}
}

func TestAKSCapacity(t *testing.T) {
	pool := func(name string, n int, size string) azure.AgentPool {
		return azure.AgentPool{Name: name, Count: n, VMSize: size}
	}
	cases := []struct {
		name    string
		purpose string
		pools   []azure.AgentPool
		status  Status
		detail  []string
		remedy  []string
	}{
		{"exactly 3 nodes and 12 vCPUs", "FastProd", []azure.AgentPool{pool("sys", 3, "Standard_D4s_v3")}, Pass, parts("3 nodes with 12 vCPUs"), nil},
		{"over two pools", "DenseProd", []azure.AgentPool{pool("sys", 1, "Standard_D4s_v3"), pool("user", 2, "Standard_D4s_v3")}, Pass, parts("3 nodes with 12 vCPUs", "sys: 1 × Standard_D4s_v3 = 4 vCPUs"), nil},
		{"2 nodes", "FastProd", []azure.AgentPool{pool("sys", 2, "Standard_D8s_v3")}, Fail, parts("at least 3 nodes and 12 vCPUs", "2 nodes with 16 vCPUs"),
			parts("az aks nodepool scale -g k-rg --cluster-name aks1 -n sys --node-count 3", "az aks nodepool update -g k-rg --cluster-name aks1 -n sys --update-cluster-autoscaler --min-count 3", "--cluster-purpose DevTest")},
		{"3 nodes, too few vCPUs", "FastProd", []azure.AgentPool{pool("sys", 3, "Standard_D2s_v3")}, Fail, parts("3 nodes with 6 vCPUs"),
			parts("--node-count 6", "--cluster-purpose DevTest")},
		{"default purpose is FastProd", "", []azure.AgentPool{pool("sys", 1, "Standard_D2s_v3")}, Fail, parts("FastProd (the default purpose)", "1 node with 2 vCPUs"), parts("--node-count 6")},
		{"DevTest one node", "DevTest", []azure.AgentPool{pool("sys", 1, "Standard_B2s")}, Pass, parts("DevTest needs at least 1 node", "1 node with 2 vCPUs"), nil},
		{"devtest lower case", "devtest", []azure.AgentPool{pool("sys", 1, "Standard_B2s")}, Pass, parts("DevTest"), nil},
		{"DevTest no nodes", "DevTest", []azure.AgentPool{pool("sys", 0, "Standard_B2s")}, Fail, parts("0 nodes"), parts("--node-count 1")},
		{"no pools", "FastProd", nil, Fail, parts("no node pools"), parts("az aks nodepool add")},
		{"unknown size, enough nodes", "FastProd", []azure.AgentPool{pool("sys", 3, "Custom_Size")}, Warn, parts("cannot tell the vCPUs of Custom_Size"), parts("az vm list-sizes")},
		{"unknown size but known ones suffice", "FastProd", []azure.AgentPool{pool("a", 3, "Standard_D4s_v3"), pool("b", 1, "Custom_Size")}, Pass, parts("at least 12 vCPUs"), nil},
		{"unknown size, too few nodes", "FastProd", []azure.AgentPool{pool("sys", 2, "Custom_Size")}, Fail, parts("2 nodes"), parts("--node-count 3")},
		{"bad purpose", "Prod", []azure.AgentPool{pool("sys", 3, "Standard_D4s_v3")}, Fail, parts(`"Prod"`), parts("FastProd, DenseProd or DevTest")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := AKSCapacity(azure.AKSCluster{ID: aksID, Name: "aks1", Location: "westeurope", Pools: c.pools}, c.purpose)
			want(t, r, c.status, c.detail, c.remedy)
		})
	}
}
