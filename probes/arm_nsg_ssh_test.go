package probes

import (
	"context"
	"errors"
	"testing"
	"time"

	"amlattach/azure"
)

// slowNSGReader fails the subnet read at once and answers the NIC's NSG
// only when released.
type slowNSGReader struct {
	release  chan struct{}
	answered chan struct{}
}

func (r *slowNSGReader) GetNIC(ctx context.Context, id azure.ResourceID) (azure.NIC, error) {
	rg := "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/"
	return azure.NIC{ID: id.String(), Name: id.Name, NSGID: rg + "networkSecurityGroups/nic-nsg",
		IPConfigs: []azure.IPConfig{{SubnetID: rg + "virtualNetworks/vnet/subnets/default"}}}, nil
}
func (r *slowNSGReader) GetPublicIP(context.Context, azure.ResourceID) (azure.PublicIP, error) {
	return azure.PublicIP{}, nil
}
func (r *slowNSGReader) SubnetNSG(context.Context, azure.ResourceID) (string, error) {
	return "", errors.New("throttled")
}
func (r *slowNSGReader) GetNSG(ctx context.Context, id azure.ResourceID) (azure.NSG, error) {
	defer close(r.answered)
	<-r.release
	return azure.NSG{Name: id.Name}, nil
}

// A verdict reached before every read answered (the subnet read failed)
// still waits for the reads it started: none outlives the preflight.
func TestNSGProbeLeavesNoReadBehind(t *testing.T) {
	r := &slowNSGReader{release: make(chan struct{}), answered: make(chan struct{})}
	vm := azure.VM{Name: "vm", NICIDs: []string{"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/nic"}}
	done := make(chan Result)
	go func() { done <- NSGSSH(context.Background(), r, vm, 22) }()
	select {
	case res := <-done:
		t.Fatalf("the probe returned (%s: %s) while its NSG read was still running", res.Status, res.Detail)
	case <-time.After(100 * time.Millisecond):
	}
	close(r.release)
	res := <-done
	select {
	case <-r.answered:
	default:
		t.Fatal("the NSG read had not answered when the probe returned")
	}
	if res.Status != Fail {
		t.Fatalf("a failed subnet read: %s %s", res.Status, res.Detail)
	}
}
