package flows

import (
	"fmt"
	"strings"
)

// DemoScenario is a situation of the built-in world (azure/sandbox/demo.yaml)
// that `amlattach demo --scenario NAME` starts at: the wizard opens on the
// preflight of that resource with everything filled in.
type DemoScenario struct {
	Name    string
	Summary string // one line for `demo --list`
	// Type is the target type; "" means vm.
	Type string
	VM   string // a VM scenario's VM, by name in the built-in world
	// Resource is another type's resource by name (a Synapse pool as
	// WORKSPACE/POOL).
	Resource    string
	ComputeName string
	Username    string // a VM's SSH user
	Password    string // the simulated user's password (a demo value, not a secret)
	// Values are another type's form answers by field key (see Form); the
	// resource ID and the compute name come from the fields above.
	Values map[string]string
}

// The built-in world's one subscription and resource group.
const (
	DemoSubscriptionID = "00000000-0000-0000-0000-000000000001"
	DemoResourceGroup  = "ml-rg"
	DemoPassword       = "Demo-Passw0rd!"
)

// DemoToken is the built-in world's working Databricks access token (a demo
// value, not a secret).
const DemoToken = "dapi-demo-0123456789abcdef"

// TargetType is the scenario's target type.
func (s DemoScenario) TargetType() string {
	if s.Type == "" {
		return "vm"
	}
	return s.Type
}

// ResourceName is the scenario's VM or other resource, by name.
func (s DemoScenario) ResourceName() string {
	if s.TargetType() == "vm" {
		return s.VM
	}
	return s.Resource
}

// ResourceID is the scenario resource's ARM ID in the built-in world.
func (s DemoScenario) ResourceID() string {
	typ := s.TargetType()
	if typ == "vm" {
		return BuildResourceID(DemoSubscriptionID, DemoResourceGroup, VMKind, s.VM)
	}
	kind := BrowseKinds[typ][0]
	if ws, pool, ok := strings.Cut(s.Resource, "/"); ok {
		// A child resource: Provider/type/childType with parent/child.
		parts := strings.SplitN(kind, "/", 3)
		if len(parts) == 3 {
			return BuildResourceID(DemoSubscriptionID, DemoResourceGroup, parts[0]+"/"+parts[1], ws) + "/" + parts[2] + "/" + pool
		}
	}
	return BuildResourceID(DemoSubscriptionID, DemoResourceGroup, kind, s.Resource)
}

// DemoScenarios lists the built-in world's scenarios in teaching order.
func DemoScenarios() []DemoScenario {
	return []DemoScenario{
		{Name: "clean-attach", VM: "gpu-dsvm", ComputeName: "gpu-dsvm", Username: "azureuser", Password: DemoPassword,
			Summary: "an Ubuntu Data Science VM with Docker and a T4 GPU: every probe passes and the attach succeeds"},
		{Name: "not-ubuntu", VM: "centos-vm", ComputeName: "centos-vm", Username: "azureuser", Password: DemoPassword,
			Summary: "a CentOS VM: Azure ML runs jobs only on Ubuntu, so the image and OS probes fail"},
		{Name: "no-daemon", VM: "nodaemon-vm", ComputeName: "nodaemon-vm", Username: "azureuser", Password: DemoPassword,
			Summary: "Docker is installed but its daemon is stopped: the Docker probe fails; the fix host.docker-setup starts it"},
		{Name: "sudo-password", VM: "sudopw-vm", ComputeName: "sudopw-vm", Username: "azureuser", Password: DemoPassword,
			Summary: "only root may use Docker and sudo asks for a password, so Azure ML cannot run docker: host.docker-setup fixes sudo"},
		{Name: "closed-nsg", VM: "closed-nsg-vm", ComputeName: "closed-nsg-vm", Username: "azureuser", Password: DemoPassword,
			Summary: "SSH works from here, but the NSG does not let Azure ML in: the NSG probe fails with the rule to add"},
		{Name: "no-public-ip", VM: "no-ip-vm", ComputeName: "no-ip-vm", Username: "azureuser", Password: DemoPassword,
			Summary: "the VM has no public IP, so Azure ML cannot reach it: the SSH probes are skipped"},
		{Name: "already-attached", VM: "dsvm-legacy", ComputeName: "dsvm-legacy", Username: "azureuser", Password: "Legacy-Passw0rd!",
			Summary: "the VM is already attached as old-dsvm: a second attachment would break the first"},
		{Name: "stopped", VM: "stopped-vm", ComputeName: "stopped-vm", Username: "azureuser", Password: DemoPassword,
			Summary: "the VM is deallocated: Azure ML can attach only a running VM"},
		{Name: "name-taken", VM: "dsvm-ubuntu", ComputeName: "old-dsvm", Username: "azureuser", Password: DemoPassword,
			Summary: "a healthy VM under a compute name the workspace already uses: press e to choose another name"},
		{Name: "wrong-password", VM: "dsvm-ubuntu", ComputeName: "dsvm-ubuntu", Username: "azureuser", Password: "not-the-password",
			Summary: "a healthy VM with a wrong password: the login fails; press e to type the demo password"},

		{Name: "hdinsight", Type: "hdinsight", Resource: "spark-hdi", ComputeName: "spark-hdi",
			Values:  map[string]string{"username": "sshuser", "password": DemoPassword},
			Summary: "an HDInsight Spark cluster reached over SSH as sshuser: the host key is asked, then the attach succeeds"},
		{Name: "databricks", Type: "databricks", Resource: "dbx-ws", ComputeName: "dbx-ws",
			Values:  map[string]string{"token": DemoToken},
			Summary: "a Databricks workspace with a working access token: every probe passes"},
		{Name: "databricks-offline", Type: "databricks", Resource: "dbx-offline", ComputeName: "dbx-offline",
			Values:  map[string]string{"token": DemoToken},
			Summary: "a Databricks workspace that does not answer: the token cannot be checked"},
		{Name: "aks", Type: "aks", Resource: "aks-prod", ComputeName: "aks-prod",
			Values:  map[string]string{"cluster-purpose": "FastProd"},
			Summary: "an AKS cluster of 3 nodes and 12 vCPUs for production inference: every probe passes"},
		{Name: "aks-small", Type: "aks", Resource: "aks-small", ComputeName: "aks-small",
			Values:  map[string]string{"cluster-purpose": "FastProd"},
			Summary: "an AKS cluster of one small node, attached for production: too small for FastProd (DevTest would do)"},
		{Name: "kubernetes", Type: "kubernetes", Resource: "aks-ml", ComputeName: "aks-ml",
			Values:  map[string]string{"namespace": "default", "identity-type": "SystemAssigned"},
			Summary: "an AKS cluster with the Azure ML extension, attached as Kubernetes compute"},
		{Name: "kubernetes-no-extension", Type: "kubernetes", Resource: "aks-noext", ComputeName: "aks-noext",
			Values:  map[string]string{"namespace": "default"},
			Summary: "an AKS cluster without the Azure ML extension: the extension probe fails with the command that installs it"},
		{Name: "synapse", Type: "synapse", Resource: "synapse-ws/sparkpool", ComputeName: "sparkpool",
			Summary: "a Synapse Spark pool that is ready: every probe passes"},
		{Name: "synapse-failed-pool", Type: "synapse", Resource: "synapse-ws/brokenpool", ComputeName: "brokenpool",
			Summary: "a Synapse Spark pool whose provisioning failed: Azure ML cannot use it"},
		{Name: "batch", Type: "batch", Resource: "batchdemo", ComputeName: "batchdemo",
			Summary: "an Azure Batch account, sent as the SDK v1 request (Azure may refuse it)"},
		{Name: "adla", Type: "adla", Resource: "adlademo", ComputeName: "adlademo",
			Summary: "a Data Lake Analytics account: the service is retired, so the preflight warns"},
	}
}

// FindDemoScenario returns the scenario of that name.
func FindDemoScenario(name string) (DemoScenario, error) {
	var names []string
	for _, s := range DemoScenarios() {
		if strings.EqualFold(s.Name, name) {
			return s, nil
		}
		names = append(names, s.Name)
	}
	return DemoScenario{}, &Error{Kind: KindInput, Field: "--scenario", Msg: fmt.Sprintf("no scenario %q", name),
		Fix: "choose one of: " + strings.Join(names, ", ") + " (amlattach demo --list describes them)"}
}
