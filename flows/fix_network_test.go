package flows

import (
	"context"
	"strings"
	"testing"
	"time"

	"amlattach/azure"
	"amlattach/internal/sandboxtest"
	"amlattach/probes"
)

// Four VMs, one per network fix: a deny rule in the subnet NSG and no rule
// for Azure ML in the NIC's (both block), no NSG before a Standard IP, a
// dynamic IP, no IP at all.
const netFixWorld = `subscriptions:
  - id: 00000000-0000-0000-0000-000000000001
    resourceGroups:
      - name: rg
        location: eastus
        virtualMachines:
          - name: twice
            publicIP: 20.7.1.1
            nsgRules: [{name: Office, priority: 300, access: Allow, source: 203.0.113.0/24, protocol: Tcp, ports: "22"}]
            subnetNsgRules:
              - {name: DenySSH, priority: 500, access: Deny, source: "*", protocol: Tcp, ports: "22"}
              - {name: Taken, priority: 490, access: Allow, source: 10.0.0.0/8, protocol: Tcp, ports: "80"}
          - {name: bare, publicIP: 20.7.1.2}
          - {name: dyn, publicIP: 20.7.1.3, publicIPAllocation: Dynamic, nsgRules: []}
          - {name: noip, nsgRules: []}
`

func netFixDeps(t *testing.T) Deps {
	t.Helper()
	srv := sandboxtest.Start(t, []byte(netFixWorld), "netfix.yaml")
	return Deps{Azure: sandboxtest.Client(srv, azure.Options{PollInterval: 20 * time.Millisecond}), Timeout: 5 * time.Second}
}

func vmPlanFor(t *testing.T, name string) *Plan {
	t.Helper()
	id, err := azure.ParseResourceID("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return &Plan{Type: "vm", Name: name, ID: id, spec: func() azure.AttachSpec { return azure.VMSpec{ResourceID: id.String(), SSHPort: 22} }}
}

// buildFix builds the fix the probe's failure offers through the
// registered builders, as FixesFor does.
func buildFix(t *testing.T, d Deps, p *Plan, probe, want string) Fix {
	t.Helper()
	fs := FixesFor(context.Background(), d, p, []probes.Result{{ID: probe, Status: probes.Fail}})
	for _, f := range fs {
		if f.ID == want {
			return f
		}
	}
	t.Fatalf("%s: no fix %s among %+v", p.Name, want, fs)
	return Fix{}
}

func etagOf(t *testing.T, d Deps, typ, name string) string {
	t.Helper()
	id, _ := azure.ParseResourceID("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/" + typ + "/" + name)
	ctx := context.Background()
	switch typ {
	case "networkSecurityGroups":
		g, err := d.Azure.GetNSG(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return g.ETag
	case "networkInterfaces":
		n, err := d.Azure.GetNIC(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return n.ETag
	}
	p, err := d.Azure.GetPublicIP(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return p.ETag
}

// Each network fix, applied, then applied again as built (as the wizard may
// apply a fix it built before): the second apply reads, finds the change in
// place, says unchanged, records nothing and sends nothing (no etag moves).
func TestNetworkFixesAppliedTwiceAreUnchanged(t *testing.T) {
	d := netFixDeps(t)
	ctx := context.Background()
	for _, tc := range []struct {
		vm, probe, fix string
		watch          [][2]string // resources whose etags must not move on the second apply
		changes        int
	}{
		{"twice", probes.IDNSGSSH, FixNSGAllowAMLSSH, [][2]string{{"networkSecurityGroups", "twice-nsg"}, {"networkSecurityGroups", "twice-vnet-default-nsg"}}, 2},
		{"bare", probes.IDNSGSSH, FixNSGCreate, [][2]string{{"networkSecurityGroups", "bare-nsg"}, {"networkInterfaces", "bare-nic"}}, 2},
		{"dyn", probes.IDVMPublicIP, FixIPStatic, [][2]string{{"publicIPAddresses", "dyn-ip"}}, 1},
		{"noip", probes.IDVMPublicIP, FixIPCreate, [][2]string{{"publicIPAddresses", "noip-ip"}, {"networkInterfaces", "noip-nic"}}, 2},
	} {
		t.Run(tc.fix, func(t *testing.T) {
			f := buildFix(t, d, vmPlanFor(t, tc.vm), tc.probe, tc.fix)
			if !f.Offered() || f.Undo == "" || f.Risk == "" || len(f.Changes) == 0 || !strings.Contains(strings.Join(f.Changes, "\n"), "request: ") {
				t.Fatalf("the fix does not say what it will do: %+v", f)
			}
			var events []string
			oc := ApplyFix(ctx, d, f, func(e Event) { events = append(events, e.Phase) })
			if oc.Status != FixApplied || oc.Error != "" || len(oc.Changed) != tc.changes || len(events) == 0 {
				t.Fatalf("first apply: %+v (events %v)", oc, events)
			}
			before := map[string]string{}
			for _, w := range tc.watch {
				before[w[1]] = etagOf(t, d, w[0], w[1])
			}
			events = nil
			oc = ApplyFix(ctx, d, f, func(e Event) { events = append(events, e.Phase) })
			if oc.Status != FixUnchanged || oc.Error != "" || len(oc.Changed) != 0 || len(events) != 0 {
				t.Fatalf("second apply: want unchanged with nothing sent, got %+v (events %v)", oc, events)
			}
			for _, w := range tc.watch {
				if now := etagOf(t, d, w[0], w[1]); now != before[w[1]] {
					t.Fatalf("the second apply wrote %s: etag %s -> %s", w[1], before[w[1]], now)
				}
			}
		})
	}
}

// On "twice" both NSGs block, each for its own reason: the fix adds a rule
// to each, each at a priority that comes before the rule that decides and
// that no inbound rule holds (490 is taken in the subnet's NSG).
func TestNSGAllowFixCoversEveryBlockingNSG(t *testing.T) {
	d := netFixDeps(t)
	f := buildFix(t, d, vmPlanFor(t, "twice"), probes.IDNSGSSH, FixNSGAllowAMLSSH)
	ch := strings.Join(f.Changes, "\n")
	for _, want := range []string{"NSG twice-vnet-default-nsg on subnet default", "rule DenySSH (priority 500) denies it", "priority: 489",
		"NSG twice-nsg on NIC twice-nic", "rule DenyAllInBound (priority 65500) denies it", "priority: 1000"} {
		if !strings.Contains(ch, want) {
			t.Errorf("changes lack %q:\n%s", want, ch)
		}
	}
	if !strings.Contains(f.Undo, "--nsg-name twice-vnet-default-nsg -n AllowAzureMLSSH") || !strings.Contains(f.Undo, "--nsg-name twice-nsg -n AllowAzureMLSSH") {
		t.Errorf("undo: %s", f.Undo)
	}
}

// The priority our rule takes comes before every inbound Deny of TCP on
// the port whose source may hold Azure ML's addresses (a public prefix, a
// tag, an application security group; not a private range) and before the
// rule Network Watcher names, and is free among the inbound rules.
func TestWinningPriority(t *testing.T) {
	deny := func(name string, prio int, srcs ...string) azure.SecurityRule {
		return azure.SecurityRule{Name: name, Priority: prio, Inbound: true, Protocol: "Tcp", Ports: []string{"22"}, Sources: srcs}
	}
	other := func(name string, prio int, in bool) azure.SecurityRule {
		return azure.SecurityRule{Name: name, Priority: prio, Inbound: in, Allow: true, Protocol: "Tcp", Ports: []string{"80"}, Sources: []string{"*"}}
	}
	def := deny("DenyAllInBound", 65500, "*")
	def.IsDefault, def.Protocol, def.Ports = true, "*", []string{"*"}
	asg := deny("DenyASG", 400)
	asg.SourceASGs = []string{"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationSecurityGroups/web"}
	udp := deny("DenyUDP", 200, "*")
	udp.Protocol = "Udp"
	web := deny("web", 150, "*")
	web.Ports = []string{"80-90"}
	for _, tc := range []struct {
		rules   []azure.SecurityRule
		decider string
		want    int
	}{
		{[]azure.SecurityRule{def}, "", 1000},
		{[]azure.SecurityRule{other("a", 1000, true), def}, "", 999},
		{[]azure.SecurityRule{other("out", 1000, false), def}, "", 1000}, // unique per direction only
		{[]azure.SecurityRule{deny("deny", 300, "*")}, "", 290},
		{[]azure.SecurityRule{deny("deny", 105, "Internet")}, "", 100},
		{[]azure.SecurityRule{deny("deny", 100, "*")}, "", 0}, // nothing comes before 100
		{[]azure.SecurityRule{other("a", 100, true), deny("deny", 101, "*")}, "", 0},
		// A public prefix may hold Azure ML's addresses; a private one cannot.
		{[]azure.SecurityRule{deny("cidr", 200, "198.51.100.0/24"), def}, "", 190},
		{[]azure.SecurityRule{deny("office", 200, "203.0.113.7"), def}, "", 190},
		{[]azure.SecurityRule{deny("private", 200, "10.0.0.0/8", "192.168.1.0/24"), def}, "", 1000},
		{[]azure.SecurityRule{deny("tag", 200, "Storage"), def}, "", 190},
		{[]azure.SecurityRule{asg, def}, "", 390},
		// Another protocol or port does not block SSH.
		{[]azure.SecurityRule{udp, def}, "", 1000},
		{[]azure.SecurityRule{web, def}, "", 1000},
		// The rule Network Watcher names comes after ours, whatever our
		// reading makes of it.
		{[]azure.SecurityRule{deny("private", 600, "10.0.0.0/8"), def}, "PRIVATE", 590},
		{[]azure.SecurityRule{deny("a", 100, "10.0.0.0/8"), deny("b", 103, "8.8.8.0/24"), def}, "", 101},
	} {
		if got := probes.WinningPriority(azure.NSG{Rules: tc.rules}, 22, tc.decider); got != tc.want {
			t.Errorf("rules %+v, decider %q: got %d, want %d", tc.rules, tc.decider, got, tc.want)
		}
	}
	// A name in use is never reused (a PUT would replace that rule).
	g := azure.NSG{Rules: []azure.SecurityRule{{Name: "allowazuremlssh"}, {Name: "AllowAzureMLSSH-2"}}}
	if n := amlRuleName(g, 22); n != "AllowAzureMLSSH-3" {
		t.Errorf("name: %s", n)
	}
	if n := amlRuleName(azure.NSG{}, 2222); n != "AllowAzureMLSSH2222" {
		t.Errorf("name for port 2222: %s", n)
	}
}
