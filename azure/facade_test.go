package azure_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"amlattach/azure"
	"amlattach/internal/sandboxtest"
)

const sub = "00000000-0000-0000-0000-000000000001"

const world = `subscriptions:
  - id: ` + sub + `
    name: Facade
    resourceGroups:
      - name: rg
        location: westeurope
        workspaces:
          - name: ws
            computes:
              - {name: c1, type: VirtualMachine, resourceId: /subscriptions/` + sub + `/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1, provisioningState: Succeeded}
              - {name: c2, type: VirtualMachine, resourceId: /subscriptions/` + sub + `/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1, provisioningState: Failed,
                 provisioningErrors: [{code: InternalServerError, message: "Connection failed to establish within 30000 milliseconds."}, {code: Second, message: "another one"}]}
              - {name: c3, type: VirtualMachine, resourceId: /subscriptions/` + sub + `/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1, provisioningState: Succeeded}
        virtualMachines:
          - name: vm1
            powerState: running
            image: {publisher: Canonical, offer: ubuntu-24_04-lts, sku: server}
            publicIP: 20.9.9.9
            nsgRules:
              - {name: AllowAMLSSH, priority: 100, direction: Inbound, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}
            subnetNsgRules:
              - {name: AllowAML, priority: 200, direction: Inbound, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}
              - {name: DenyAll, priority: 4000, direction: Inbound, access: Deny, source: "*", protocol: "*", ports: "*"}
faults:
  attachSeconds: 0.3
  detachSeconds: 0.2
  pageSize: 2
  attachError: {compute: doomed, code: QuotaExceeded, message: "no quota left"}
`

func client(t *testing.T) (*azure.Client, azure.Workspace) {
	t.Helper()
	srv := sandboxtest.Start(t, []byte(world), "facade.yaml")
	c := sandboxtest.Client(srv, azure.Options{PollInterval: 50 * time.Millisecond,
		Retry: &policy.RetryOptions{MaxRetries: 1, RetryDelay: 10 * time.Millisecond}})
	return c, azure.Workspace{SubscriptionID: sub, ResourceGroup: "rg", Name: "ws"}
}

func TestComputesThroughTheSDK(t *testing.T) {
	c, ws := client(t)
	ctx := context.Background()
	ws, err := c.GetWorkspace(ctx, ws)
	if err != nil || ws.Location != "westeurope" {
		t.Fatalf("workspace: %+v %v", ws, err)
	}
	cs, err := c.ListComputes(ctx, ws)
	if err != nil || len(cs) != 3 {
		t.Fatalf("list across pages of 2: %d computes, %v", len(cs), err)
	}
	got, err := c.GetCompute(ctx, ws, "c2")
	if err != nil || got.ProvisioningState != "Failed" || len(got.ProvisioningErrors) != 2 || got.ProvisioningErrors[1].Message != "another one" {
		t.Fatalf("get: %+v %v", got, err)
	}
	if _, err := c.GetCompute(ctx, ws, "nope"); !errors.Is(err, azure.ErrComputeNotFound) {
		t.Fatalf("missing compute: %v", err)
	}

	var states []string
	att, err := c.AttachVM(ctx, ws, azure.VMAttach{Name: "new", ResourceID: "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1", SSHPort: 22,
		Creds: azure.VMCredentials{Username: "azureuser", Password: "Facade-Secret-1"}}, func(p azure.Progress) { states = append(states, p.Phase+":"+p.State) })
	if err != nil || att.ProvisioningState != "Succeeded" || att.Address != "20.9.9.9" {
		t.Fatalf("attach: %+v %v", att, err)
	}
	if states[0] != "submitted:Creating" || states[len(states)-1] != "done:Succeeded" {
		t.Fatalf("progress: %v", states)
	}
	keys, err := c.ListKeys(ctx, ws, "new")
	if err != nil || keys.Password != "Facade-Secret-1" || keys.Username != "azureuser" {
		t.Fatalf("listKeys: %+v %v", keys.Username, err)
	}
	again, err := c.GetCompute(ctx, ws, "new")
	if err != nil || again.Username != "azureuser" {
		t.Fatalf("get after attach: %+v %v", again, err)
	}

	_, err = c.AttachVM(ctx, ws, azure.VMAttach{Name: "doomed", ResourceID: "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1", SSHPort: 22,
		Creds: azure.VMCredentials{Username: "azureuser", Password: "Facade-Secret-1"}}, nil)
	var ae *azure.AttachError
	if !errors.As(err, &ae) || ae.Compute.ProvisioningState != "Failed" || ae.Compute.ProvisioningErrors[0].Code != "QuotaExceeded" || ae.Compute.ProvisioningErrors[0].Message != "no quota left" {
		t.Fatalf("failed attach: %v", err)
	}
	if strings.Contains(err.Error(), "Facade-Secret-1") {
		t.Fatal("the password is in the error")
	}

	if err := c.Detach(ctx, ws, "new", nil); err != nil {
		t.Fatalf("detach: %v", err)
	}
	if _, err := c.GetCompute(ctx, ws, "new"); !errors.Is(err, azure.ErrComputeNotFound) {
		t.Fatalf("after detach: %v", err)
	}
	if err := c.Detach(ctx, ws, "new", nil); !errors.Is(err, azure.ErrComputeNotFound) {
		t.Fatalf("detach of a missing compute: %v", err)
	}
}

func TestVMAndNetworkReads(t *testing.T) {
	c, _ := client(t)
	ctx := context.Background()
	id, _ := azure.ParseResourceID("/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1")
	vm, err := c.GetVM(ctx, id)
	if err != nil || vm.PowerState != "running" || vm.ImagePublisher != "Canonical" || len(vm.NICIDs) != 1 {
		t.Fatalf("vm: %+v %v", vm, err)
	}
	nicID, _ := azure.ParseResourceID(vm.NICIDs[0])
	nic, err := c.GetNIC(ctx, nicID)
	if err != nil || nic.NSGID == "" || len(nic.IPConfigs) != 1 || nic.IPConfigs[0].PublicIPID == "" || nic.IPConfigs[0].SubnetID == "" {
		t.Fatalf("nic: %+v %v", nic, err)
	}
	pid, _ := azure.ParseResourceID(nic.IPConfigs[0].PublicIPID)
	if ip, err := c.GetPublicIP(ctx, pid); err != nil || ip.Address != "20.9.9.9" {
		t.Fatalf("public ip: %+v %v", ip, err)
	}
	sid, _ := azure.ParseResourceID(nic.IPConfigs[0].SubnetID)
	snsg, err := c.SubnetNSG(ctx, sid)
	if err != nil || snsg == "" {
		t.Fatalf("subnet nsg: %q %v", snsg, err)
	}
	gid, _ := azure.ParseResourceID(snsg)
	g, err := c.GetNSG(ctx, gid)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range g.Rules {
		names = append(names, r.Name)
	}
	if !strings.Contains(strings.Join(names, ","), "DenyAll") || !strings.Contains(strings.Join(names, ","), "DenyAllInBound") {
		t.Fatalf("subnet NSG rules (with Azure's defaults): %v", names)
	}
	missing, _ := azure.ParseResourceID("/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/ghost")
	_, err = c.GetVM(ctx, missing)
	ae, ok := azure.AsAzureError(err)
	if !azure.IsNotFound(err) || !ok || ae.Code != "ResourceNotFound" || !strings.Contains(ae.Message, "ghost") {
		t.Fatalf("missing VM: %+v %v", ae, err)
	}
}

func TestProviderState(t *testing.T) {
	srv := sandboxtest.Start(t, []byte(`subscriptions:
  - id: 00000000-0000-0000-0000-000000000003
    name: P
    providers: {Microsoft.ContainerInstance: NotRegistered}
    resourceGroups:
      - {name: rg, location: eastus}
`), "p.yaml")
	c := azure.New(azure.StaticCredential{}, azure.Options{Endpoint: srv.Endpoint(), HTTPClient: srv.HTTPClient()})
	ctx := context.Background()
	if st, err := c.ProviderState(ctx, "00000000-0000-0000-0000-000000000003", "microsoft.containerinstance"); err != nil || st != "NotRegistered" {
		t.Fatalf("ContainerInstance: %q %v", st, err)
	}
	if st, err := c.ProviderState(ctx, "00000000-0000-0000-0000-000000000003", "Microsoft.Compute"); err != nil || st != "Registered" {
		t.Fatalf("Compute: %q %v", st, err)
	}
}
