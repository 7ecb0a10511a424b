package sandbox_test

import (
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	compute "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"
	network "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v11"
)

func TestVirtualMachines(t *testing.T) {
	srv := startWorld(t, testWorld)
	vc, err := compute.NewVirtualMachinesClient(sub, staticCred{}, clientOptions(srv))
	if err != nil {
		t.Fatal(err)
	}
	r, err := vc.Get(ctx(t), "rg", "good", &compute.VirtualMachinesClientGetOptions{Expand: to.Ptr(compute.InstanceViewTypesInstanceView)})
	if err != nil {
		t.Fatal(err)
	}
	p := r.Properties
	ir := p.StorageProfile.ImageReference
	if *r.ID != vmPrefix+"good" || *ir.Publisher != "microsoft-dsvm" || *ir.Offer != "ubuntu-2004" || *ir.SKU != "2004-gen2" ||
		*p.StorageProfile.OSDisk.OSType != compute.OperatingSystemTypesLinux || *p.OSProfile.AdminUsername != "azureuser" ||
		*p.OSProfile.LinuxConfiguration.DisablePasswordAuthentication || *p.HardwareProfile.VMSize == "" || p.VMID == nil {
		t.Fatalf("vm: %+v", p)
	}
	nics := p.NetworkProfile.NetworkInterfaces
	// Azure leaves the properties of a VM's only NIC reference out.
	if len(nics) != 1 || !strings.HasSuffix(*nics[0].ID, "/networkInterfaces/good-nic") || nics[0].Properties != nil {
		t.Fatalf("nics: %+v", nics)
	}
	iv := p.InstanceView
	if iv == nil || *iv.OSName != "ubuntu" || *iv.OSVersion != "20.04" || len(iv.Statuses) != 2 || *iv.Statuses[1].Code != "PowerState/running" {
		t.Fatalf("instance view: %+v", iv)
	}
	plain, err := vc.Get(ctx(t), "rg", "good", nil)
	if err != nil || plain.Properties.InstanceView != nil {
		t.Fatalf("without $expand: %v %+v", err, plain.Properties.InstanceView)
	}
	stopped, err := vc.InstanceView(ctx(t), "rg", "stopped", nil)
	if err != nil || *stopped.Statuses[1].Code != "PowerState/deallocated" || stopped.OSName != nil {
		t.Fatalf("stopped instance view: %v %+v", err, stopped)
	}
	custom, err := vc.Get(ctx(t), "rg", "custom", nil)
	if err != nil || custom.Properties.StorageProfile.ImageReference.ID == nil || custom.Properties.StorageProfile.ImageReference.Publisher != nil {
		t.Fatalf("custom image: %v %+v", err, custom.Properties.StorageProfile.ImageReference)
	}
	_, err = vc.Get(ctx(t), "rg", "ghost", nil)
	re := assertCode(t, err, 404, "ResourceNotFound")
	if !strings.Contains(re.Error(), "The Resource 'Microsoft.Compute/virtualMachines/ghost' under resource group 'rg' was not found.") {
		t.Fatalf("message: %v", re)
	}
	n, pages := 0, 0
	for pg := vc.NewListPager("rg", nil); pg.More(); {
		page, err := pg.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Value)
		pages++
	}
	if n != 9 || pages != 5 {
		t.Fatalf("list: %d VMs in %d pages", n, pages)
	}
	n = 0
	for pg := vc.NewListAllPager(nil); pg.More(); {
		page, err := pg.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Value)
	}
	if n != 9 {
		t.Fatalf("list all: %d", n)
	}
}

func TestNetwork(t *testing.T) {
	srv := startWorld(t, testWorld)
	opts := clientOptions(srv)
	nc, _ := network.NewInterfacesClient(sub, staticCred{}, opts)
	pc, _ := network.NewPublicIPAddressesClient(sub, staticCred{}, opts)
	gc, _ := network.NewSecurityGroupsClient(sub, staticCred{}, opts)
	sc, _ := network.NewSubnetsClient(sub, staticCred{}, opts)

	nic, err := nc.Get(ctx(t), "rg", "good-nic", nil)
	if err != nil {
		t.Fatal(err)
	}
	ip := nic.Properties.IPConfigurations[0].Properties
	if *nic.Properties.IPConfigurations[0].Name != "ipconfig1" || *ip.PrivateIPAddress != "10.0.0.4" ||
		!strings.HasSuffix(*ip.PublicIPAddress.ID, "/publicIPAddresses/good-ip") ||
		!strings.HasSuffix(*ip.Subnet.ID, "/virtualNetworks/good-vnet/subnets/default") ||
		!strings.HasSuffix(*nic.Properties.NetworkSecurityGroup.ID, "/networkSecurityGroups/good-nsg") {
		t.Fatalf("nic: %+v", ip)
	}
	pip, err := pc.Get(ctx(t), "rg", "good-ip", nil)
	if err != nil || *pip.Properties.IPAddress != "20.0.0.1" || *pip.Properties.PublicIPAllocationMethod != network.IPAllocationMethodStatic {
		t.Fatalf("public IP: %v %+v", err, pip.Properties)
	}
	nsg, err := gc.Get(ctx(t), "rg", "good-nsg", nil)
	if err != nil {
		t.Fatal(err)
	}
	rules := nsg.Properties.SecurityRules
	if len(rules) != 1 || *rules[0].Name != "AllowAMLSSH" || *rules[0].Properties.Priority != 100 ||
		*rules[0].Properties.SourceAddressPrefix != "AzureMachineLearning" || *rules[0].Properties.DestinationPortRange != "22" ||
		*rules[0].Properties.Direction != network.SecurityRuleDirectionInbound || *rules[0].Properties.Access != network.SecurityRuleAccessAllow ||
		*rules[0].Properties.Protocol != network.SecurityRuleProtocolTCP {
		t.Fatalf("rules: %+v", rules[0].Properties)
	}
	if len(nsg.Properties.DefaultSecurityRules) != 6 || *nsg.Properties.DefaultSecurityRules[2].Name != "DenyAllInBound" {
		t.Fatalf("default rules: %d", len(nsg.Properties.DefaultSecurityRules))
	}
	multi, err := gc.Get(ctx(t), "rg", "custom-nsg", nil)
	if err != nil || len(multi.Properties.SecurityRules[0].Properties.DestinationPortRanges) != 2 {
		t.Fatalf("port ranges: %v", err)
	}
	// nsgRules: [] is an NSG with only the defaults; absent is no NSG.
	closed, err := gc.Get(ctx(t), "rg", "closed-nsg", nil)
	if err != nil || len(closed.Properties.SecurityRules) != 0 {
		t.Fatalf("closed: %v", err)
	}
	_, err = gc.Get(ctx(t), "rg", "private-nsg", nil)
	assertCode(t, err, 404, "ResourceNotFound")
	priv, err := nc.Get(ctx(t), "rg", "private-nic", nil)
	if err != nil || priv.Properties.NetworkSecurityGroup != nil || priv.Properties.IPConfigurations[0].Properties.PublicIPAddress != nil {
		t.Fatalf("private nic: %v %+v", err, priv.Properties)
	}
	sn, err := sc.Get(ctx(t), "rg", "subnetblocked-vnet", "default", nil)
	if err != nil || !strings.HasSuffix(*sn.Properties.NetworkSecurityGroup.ID, "/networkSecurityGroups/subnetblocked-vnet-default-nsg") {
		t.Fatalf("subnet: %v %+v", err, sn.Properties)
	}
	sg, err := gc.Get(ctx(t), "rg", "subnetblocked-vnet-default-nsg", nil)
	if err != nil || *sg.Properties.SecurityRules[0].Properties.Access != network.SecurityRuleAccessDeny {
		t.Fatalf("subnet nsg: %v", err)
	}
	plain, err := sc.Get(ctx(t), "rg", "good-vnet", "default", nil)
	if err != nil || plain.Properties.NetworkSecurityGroup != nil {
		t.Fatalf("plain subnet: %v", err)
	}
	_, err = sc.Get(ctx(t), "rg", "good-vnet", "other", nil)
	assertCode(t, err, 404, "ResourceNotFound")
}
