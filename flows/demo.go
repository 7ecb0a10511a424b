package flows

import (
	"fmt"
	"strings"
)

// DemoScenario is a situation of the built-in world (azure/sandbox/demo.yaml)
// that `amlattach demo --scenario NAME` starts at: the wizard opens on the
// preflight of that VM with everything filled in.
type DemoScenario struct {
	Name        string
	Summary     string // one line for `demo --list`
	VM          string // the VM's name in the built-in world
	ComputeName string
	Username    string
	Password    string // the simulated user's password (a demo value, not a secret)
}

// The built-in world's one subscription and resource group.
const (
	DemoSubscriptionID = "00000000-0000-0000-0000-000000000001"
	DemoResourceGroup  = "ml-rg"
	DemoPassword       = "Demo-Passw0rd!"
)

// ResourceID is the scenario VM's ARM ID in the built-in world.
func (s DemoScenario) ResourceID() string {
	return BuildResourceID(DemoSubscriptionID, DemoResourceGroup, VMKind, s.VM)
}

// DemoScenarios lists the built-in world's scenarios in teaching order.
func DemoScenarios() []DemoScenario {
	return []DemoScenario{
		{Name: "clean-attach", VM: "gpu-dsvm", ComputeName: "gpu-dsvm", Username: "azureuser", Password: DemoPassword,
			Summary: "an Ubuntu Data Science VM with Docker and a T4 GPU: every probe passes and the attach succeeds"},
		{Name: "not-ubuntu", VM: "centos-vm", ComputeName: "centos-vm", Username: "azureuser", Password: DemoPassword,
			Summary: "a CentOS VM: Azure ML runs jobs only on Ubuntu, so the image and OS probes fail"},
		{Name: "no-daemon", VM: "nodaemon-vm", ComputeName: "nodaemon-vm", Username: "azureuser", Password: DemoPassword,
			Summary: "Docker is installed but its daemon is stopped: the Docker probe fails with the command that starts it"},
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
