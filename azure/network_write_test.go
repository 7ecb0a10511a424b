package azure_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"amlattach/azure"
	"amlattach/internal/sandboxtest"
)

// Group "net" holds a VM with a NIC NSG and one with a dynamic Basic public
// IP; group "nojoin" lets the caller write NICs but not join NSGs to them.
const netWorld = `subscriptions:
  - id: %[1]s
    resourceGroups:
      - name: net
        location: eastus
        virtualMachines:
          - name: a
            publicIP: 20.8.0.1
            nsgRules: [{name: Office, priority: 300, access: Allow, source: 203.0.113.0/24, protocol: Tcp, ports: "22"}]
          - {name: dyn, publicIP: 20.8.0.2, publicIPAllocation: Dynamic, nsgRules: []}
          - {name: bare}
      - name: nojoin
        location: eastus
        permissions: {actions: ["*"], notActions: ["Microsoft.Network/networkSecurityGroups/join/action"]}
        virtualMachines:
          - {name: b, publicIP: 20.8.0.3}
%[2]s`

func netID(group, typ, name string) azure.ResourceID {
	id, err := azure.ParseResourceID(fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/%s/%s", sub, group, typ, name))
	if err != nil {
		panic(err)
	}
	return id
}

func netClient(t *testing.T, faults string) *azure.Client {
	t.Helper()
	srv := sandboxtest.Start(t, []byte(fmt.Sprintf(netWorld, sub, faults)), "net.yaml")
	return sandboxtest.Client(srv, azure.Options{PollInterval: 20 * time.Millisecond})
}

func amlRule(prio int) *azure.NewRule {
	return &azure.NewRule{Name: "AllowAzureMLSSH", Priority: prio, Source: "AzureMachineLearning", Port: 22, Description: "Made by amlattach"}
}

// A rule added through the SDK's long-running PUT is in the NSG the next
// read returns, the NSG's etag moved, the rule has the NSG's etag; a rule
// at a priority another inbound rule holds is refused as Network refuses
// it; decide sees the NSG as it stands and may send nothing.
func TestAddSecurityRuleThroughTheSDK(t *testing.T) {
	c := netClient(t, "faults: {networkWriteSeconds: 0.1}\n")
	ctx := context.Background()
	nsg := netID("net", "networkSecurityGroups", "a-nsg")
	before, err := c.GetNSG(ctx, nsg)
	if err != nil || before.ETag == "" {
		t.Fatalf("read: %+v %v", before, err)
	}
	var phases []string
	read, added, err := c.AddSecurityRule(ctx, nsg, func(azure.NSG) (*azure.NewRule, error) { return amlRule(290), nil },
		func(p azure.Progress) { phases = append(phases, p.Phase) })
	if err != nil || added == nil || read.ETag != before.ETag {
		t.Fatalf("add: %+v %v (read %s, first %s)", added, err, read.ETag, before.ETag)
	}
	if len(phases) < 2 || phases[0] != "submitted" || phases[len(phases)-1] != "done" {
		t.Fatalf("progress: %v", phases)
	}
	after, err := c.GetNSG(ctx, nsg)
	if err != nil || after.ETag == before.ETag {
		t.Fatalf("the etag did not move: %s -> %s (%v)", before.ETag, after.ETag, err)
	}
	var got *azure.SecurityRule
	for i, r := range after.Rules {
		if r.Name == "AllowAzureMLSSH" {
			got = &after.Rules[i]
		}
	}
	if got == nil || got.Priority != 290 || !got.Allow || !got.Inbound || got.Protocol != "Tcp" || strings.Join(got.Sources, ",") != "AzureMachineLearning" ||
		strings.Join(got.Ports, ",") != "22" || got.Description != "Made by amlattach" {
		t.Fatalf("the rule as read back: %+v", got)
	}
	// The same priority under another name: 400 SecurityRuleConflict.
	_, _, err = c.AddSecurityRule(ctx, nsg, func(azure.NSG) (*azure.NewRule, error) {
		r := amlRule(300)
		r.Name = "Other"
		return r, nil
	}, nil)
	if ae, ok := azure.AsAzureError(err); !ok || ae.Status != http.StatusBadRequest || ae.Code != "SecurityRuleConflict" || !strings.Contains(ae.Message, "Office") {
		t.Fatalf("a taken priority: want 400 SecurityRuleConflict naming the rule, got %v", err)
	}
	// decide says nothing to do: nothing is sent, the etag stays.
	_, none, err := c.AddSecurityRule(ctx, nsg, func(azure.NSG) (*azure.NewRule, error) { return nil, nil }, nil)
	if again, _ := c.GetNSG(ctx, nsg); err != nil || none != nil || again.ETag != after.ETag {
		t.Fatalf("nothing to add, yet %+v %v (etag %s -> %s)", none, err, after.ETag, again.ETag)
	}
}

// Another client adds a rule of our rule's name between our read and our
// write (etagConflicts): the PUT with If-None-Match: * is answered 412 and
// replaces nothing, the NSG is read again and the rule decided again on
// what it holds now (another name), once; a second 412 in a row ends in a
// ConflictError that says nothing was written.
func TestAddSecurityRuleRereadsOnceOn412(t *testing.T) {
	c := netClient(t, "faults: {etagConflicts: 1}\n")
	ctx := context.Background()
	nsg := netID("net", "networkSecurityGroups", "a-nsg")
	var seen []string
	var phases []string
	_, added, err := c.AddSecurityRule(ctx, nsg, func(g azure.NSG) (*azure.NewRule, error) {
		seen = append(seen, g.ETag+" "+g.Tags["changedBy"])
		return freeNamed(g, amlRule(290)), nil
	}, func(p azure.Progress) { phases = append(phases, p.Phase) })
	if err != nil || added == nil || len(seen) != 2 || !strings.HasSuffix(seen[1], "another-client") || strings.HasPrefix(seen[1], strings.Fields(seen[0])[0]) {
		t.Fatalf("want one 412, a second read that sees the other client's change, and the rule added: %v %v, reads %q", added, err, seen)
	}
	if phases[0] != "conflict" {
		t.Fatalf("the re-read was not reported: %v", phases)
	}

	c = netClient(t, "faults: {etagConflicts: 2}\n")
	calls := 0
	_, added, err = c.AddSecurityRule(ctx, nsg, func(g azure.NSG) (*azure.NewRule, error) { calls++; return freeNamed(g, amlRule(290)), nil }, nil)
	var ce *azure.ConflictError
	if !errors.As(err, &ce) || added != nil || calls != 2 || !azure.IsPreconditionFailed(ce.Err) || !strings.Contains(err.Error(), "nothing of ours was written") {
		t.Fatalf("two 412s: want a ConflictError after two reads, got %v (%d reads)", err, calls)
	}
	g, _ := c.GetNSG(ctx, nsg)
	others := 0
	for _, r := range g.Rules {
		if strings.HasPrefix(r.Name, "AllowAzureMLSSH") && !slices.Equal(r.Sources, []string{"192.0.2.0/24"}) {
			t.Fatalf("the rule was written despite the 412s: %+v", r)
		}
		if strings.HasPrefix(r.Name, "AllowAzureMLSSH") {
			others++
		}
	}
	if others != 2 {
		t.Fatalf("the other client's two rules are not both there, untouched: %+v", g.Rules)
	}
}

// freeNamed gives rule a name g does not use (AllowAzureMLSSH, -2, ...),
// as the fix does.
func freeNamed(g azure.NSG, rule *azure.NewRule) *azure.NewRule {
	used := map[string]bool{}
	for _, r := range g.Rules {
		used[r.Name] = true
	}
	for i := 1; used[rule.Name]; i++ {
		rule.Name = fmt.Sprintf("AllowAzureMLSSH-%d", i+1)
	}
	return rule
}

// A new NSG is created with If-None-Match: * (a second create of the name
// is refused 412, not a replacement), then joined to a NIC by
// read-modify-write; the NIC and the NSG point at each other. In a group
// whose permissions deny the join, the NIC write is refused 403
// LinkedAuthorizationFailed naming the join action and the NIC is as it was.
func TestCreateNSGAndJoinItToANIC(t *testing.T) {
	c := netClient(t, "")
	ctx := context.Background()
	id := netID("net", "networkSecurityGroups", "bare-nsg")
	g, err := c.CreateNSG(ctx, id, "eastus", []azure.NewRule{*amlRule(1000)}, map[string]string{"createdBy": "amlattach"}, nil)
	if err != nil || g.Tags["createdBy"] != "amlattach" || g.ETag == "" || len(g.Rules) != 7 {
		t.Fatalf("create: %+v %v", g, err)
	}
	if _, err := c.CreateNSG(ctx, id, "eastus", nil, nil, nil); !azure.IsPreconditionFailed(err) {
		t.Fatalf("a second create of the same name: want 412, got %v", err)
	}
	nicID := netID("net", "networkInterfaces", "bare-nic")
	before, ch, err := c.UpdateNIC(ctx, nicID, func(n azure.NIC) (*azure.NICChange, error) {
		if n.NSGID != "" {
			return nil, nil
		}
		return &azure.NICChange{NSGID: id.String()}, nil
	}, nil)
	if err != nil || ch == nil || before.NSGID != "" || before.ETag == "" {
		t.Fatalf("join: %+v %+v %v", before, ch, err)
	}
	nic, err := c.GetNIC(ctx, nicID)
	if err != nil || !strings.EqualFold(nic.NSGID, id.String()) || nic.ETag == before.ETag || len(nic.IPConfigs) != 1 || nic.IPConfigs[0].PrivateIP == "" {
		t.Fatalf("the NIC after the join: %+v %v", nic, err)
	}

	// nojoin: a NIC write that joins an NSG is refused, naming the action.
	id2 := netID("nojoin", "networkSecurityGroups", "b-nsg")
	if _, err := c.CreateNSG(ctx, id2, "eastus", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	_, _, err = c.UpdateNIC(ctx, netID("nojoin", "networkInterfaces", "b-nic"), func(azure.NIC) (*azure.NICChange, error) {
		return &azure.NICChange{NSGID: id2.String()}, nil
	}, nil)
	ae, ok := azure.AsAzureError(err)
	if !ok || ae.Status != http.StatusForbidden || ae.Code != "LinkedAuthorizationFailed" || !strings.Contains(ae.Message, azure.ActionNSGJoin) {
		t.Fatalf("join without the permission: want 403 LinkedAuthorizationFailed naming %s, got %v", azure.ActionNSGJoin, err)
	}
	if nic, _ := c.GetNIC(ctx, netID("nojoin", "networkInterfaces", "b-nic")); nic.NSGID != "" {
		t.Fatalf("a refused write changed the NIC: %+v", nic)
	}
}

// A dynamic public IP becomes static by read-modify-write and keeps its
// address; a second call sends nothing. A new Standard static public IP
// gets an address from the sandbox's range and, put on a NIC, points back
// at its IP configuration.
func TestPublicIPWrites(t *testing.T) {
	c := netClient(t, "")
	ctx := context.Background()
	pid := netID("net", "publicIPAddresses", "dyn-ip")
	before, changed, err := c.MakePublicIPStatic(ctx, pid, nil)
	if err != nil || !changed || before.Allocation != "Dynamic" || before.SKU != "Basic" || before.Address != "20.8.0.2" {
		t.Fatalf("static: %+v %v %v", before, changed, err)
	}
	after, err := c.GetPublicIP(ctx, pid)
	if err != nil || after.Allocation != "Static" || after.Address != "20.8.0.2" || after.ETag == before.ETag {
		t.Fatalf("after: %+v %v", after, err)
	}
	if _, changed, err := c.MakePublicIPStatic(ctx, pid, nil); changed || err != nil {
		t.Fatalf("a static address again: want nothing sent, got %v %v", changed, err)
	}

	nid := netID("net", "publicIPAddresses", "bare-ip")
	pip, err := c.CreatePublicIP(ctx, nid, "eastus", map[string]string{"createdBy": "amlattach"}, nil)
	if err != nil || pip.SKU != "Standard" || pip.Allocation != "Static" || !strings.HasPrefix(pip.Address, "20.250.") || pip.Tags["createdBy"] != "amlattach" {
		t.Fatalf("create: %+v %v", pip, err)
	}
	nicID := netID("net", "networkInterfaces", "bare-nic")
	if _, _, err := c.UpdateNIC(ctx, nicID, func(azure.NIC) (*azure.NICChange, error) {
		return &azure.NICChange{PublicIPID: nid.String()}, nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	nic, _ := c.GetNIC(ctx, nicID)
	if ic, ok := nic.PrimaryIPConfig(); !ok || !strings.EqualFold(ic.PublicIPID, nid.String()) {
		t.Fatalf("the NIC does not point at the new IP: %+v", nic)
	}
	if pip, _ = c.GetPublicIP(ctx, nid); !strings.HasSuffix(pip.IPConfigID, "/ipConfigurations/ipconfig1") {
		t.Fatalf("the IP does not point back at the NIC: %+v", pip)
	}
	// A Standard address cannot be put on a second NIC.
	_, _, err = c.UpdateNIC(ctx, netID("net", "networkInterfaces", "a-nic"), func(azure.NIC) (*azure.NICChange, error) {
		return &azure.NICChange{PublicIPID: nid.String()}, nil
	}, nil)
	if ae, ok := azure.AsAzureError(err); !ok || ae.Code != "PublicIPAddressInUse" {
		t.Fatalf("an IP in use: want 400 PublicIPAddressInUse, got %v", err)
	}
}
