package flows

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"amlattach/azure"
	"amlattach/azure/sandbox"
	"amlattach/probes"
)

func TestCheckResourceIDNamesThePart(t *testing.T) {
	const sub = "00000000-0000-0000-0000-000000000001"
	for in, part := range map[string]string{
		"":                   "shape",
		"subscriptions/x":    "shape",
		"/subscriptions/xyz": "subscription",
		"/subscriptions/" + sub + "/resourceGroups/bad group/providers/Microsoft.Compute/virtualMachines/vm": "resource group",
		"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/nic":     "provider",
		"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Compute/disks/d":                   "type",
		"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines":           "name",
		BuildResourceID(sub, " rg ", VMKind, "vm1"):                                                          "",
		"/subscriptions/" + sub + "/resourcegroups/rg/providers/microsoft.compute/VIRTUALMACHINES/vm1":       "",
	} {
		c := CheckResourceID(in, VMKind)
		if c.Part != part || c.OK != (part == "") {
			t.Errorf("%q: part %q ok %v (%s), want part %q", in, c.Part, c.OK, c.Msg, part)
		}
		if c.OK && c.Canonical != "/subscriptions/"+sub+"/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1" {
			t.Errorf("%q: canonical %q", in, c.Canonical)
		}
	}
}

func TestNameCheckSuggestsAFreeName(t *testing.T) {
	cs := []Compute{{Name: "gpu-dsvm", Type: "VirtualMachine", ProvisioningState: "Succeeded"}}
	if p, s := NameCheck("GPU-DSVM", cs); !strings.Contains(p, "already used") || s != "gpu-dsvm-2" {
		t.Errorf("taken name: %q, %q", p, s)
	}
	if p, _ := NameCheck("9x", cs); p == "" {
		t.Error("a name starting with a digit passed")
	}
	if p, s := NameCheck("free-one", cs); p != "" || s != "free-one" {
		t.Errorf("free name: %q, %q", p, s)
	}
}

func TestCompletePath(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"id_rsa", "id_rsa.pub", "id_ed25519", ".hidden"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	c := CompletePath(filepath.Join(dir, "id_"))
	if c.Value != filepath.Join(dir, "id_") || len(c.Candidates) != 3 {
		t.Errorf("id_: %+v", c)
	}
	if c := CompletePath(filepath.Join(dir, "id_e")); c.Value != filepath.Join(dir, "id_ed25519") {
		t.Errorf("id_e: %+v", c)
	}
	if c := CompletePath(filepath.Join(dir, "k")); c.Value != filepath.Join(dir, "keys")+"/" {
		t.Errorf("a folder completes with a slash: %+v", c)
	}
	if c := CompletePath(dir + "/"); len(c.Candidates) != 4 {
		t.Errorf("hidden names offered without a dot: %+v", c)
	}
	if c := CompletePath(filepath.Join(dir, "nothing")); c.Value != filepath.Join(dir, "nothing") || len(c.Candidates) != 0 {
		t.Errorf("no match: %+v", c)
	}
}

// Names that share the first byte of a multi-byte character (é and è are
// both 0xC3 then another byte) complete to their common characters, never
// to half a character.
func TestCompletePathKeepsWholeCharacters(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"clé-prod", "clè-test", "日本-a", "日本-b", "日月"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for typed, want := range map[string]string{"cl": "cl", "日": "日", "日本": "日本-"} {
		c := CompletePath(filepath.Join(dir, typed))
		if c.Value != filepath.Join(dir, want) || !utf8.ValidString(c.Value) {
			t.Errorf("%s completes to %q, want %q", typed, c.Value, filepath.Join(dir, want))
		}
	}
}

func TestInspectKeyNeverHoldsTheKey(t *testing.T) {
	info := InspectKey(filepath.Join(t.TempDir(), "missing"), nil)
	if info.OK || info.Field != probes.FieldKey || info.Problem == "" || info.Fix == "" {
		t.Errorf("missing key: %+v", info)
	}
}

func TestForceAllowed(t *testing.T) {
	fail := func(id string) []probes.Result { return []probes.Result{{ID: id, Status: probes.Fail, Detail: "x"}} }
	if ok, _ := ForceAllowed(fail(probes.IDHostDocker)); !ok {
		t.Error("a failed docker probe should be forceable")
	}
	if ok, why := ForceAllowed(fail(probes.IDWsName)); ok || why == "" {
		t.Error("a taken name is never forceable")
	}
	if ok, why := ForceAllowed(fail(probes.IDSSHHostKey)); ok || !strings.Contains(why, "host key") {
		t.Error("an untrusted host key is never forceable")
	}
}

func TestTargetsAreEveryType(t *testing.T) {
	var types []string
	avail := 0
	for _, tg := range Targets() {
		types = append(types, tg.Type)
		if tg.Available {
			avail++
			if len(Form(tg.Type)) == 0 && tg.Type != "vm" {
				t.Errorf("%s is available but has no form", tg.Type)
			}
		}
		if tg.NeverAttached && len(tg.Why) == 0 {
			t.Errorf("%s is never attached but says not why", tg.Type)
		}
	}
	if strings.Join(types, " ") != "vm hdinsight batch databricks adla aks kubernetes synapse local aci" || avail != 8 {
		t.Errorf("targets %v, %d available", types, avail)
	}
}

// Every scenario names a resource of the built-in world, by a valid ID of
// its type, and its answers make a valid plan.
func TestDemoScenariosMatchTheWorld(t *testing.T) {
	names := map[string]map[string]bool{}
	add := func(typ, name string) {
		if names[typ] == nil {
			names[typ] = map[string]bool{}
		}
		names[typ][name] = true
	}
	for _, s := range sandbox.DemoWorld().Subscriptions {
		for _, g := range s.ResourceGroups {
			for _, v := range g.VirtualMachines {
				add("vm", v.Name)
			}
			for _, v := range g.HDInsightClusters {
				add("hdinsight", v.Name)
			}
			for _, v := range g.BatchAccounts {
				add("batch", v.Name)
			}
			for _, v := range g.DatabricksWorkspaces {
				add("databricks", v.Name)
			}
			for _, v := range g.DataLakeAnalyticsAccounts {
				add("adla", v.Name)
			}
			for _, v := range g.AKSClusters {
				add("aks", v.Name)
				add("kubernetes", v.Name)
			}
			for _, v := range g.ConnectedClusters {
				add("kubernetes", v.Name)
			}
			for _, w := range g.SynapseWorkspaces {
				for _, p := range w.SparkPools {
					add("synapse", w.Name+"/"+p.Name)
				}
			}
		}
	}
	types := map[string]bool{}
	for _, s := range DemoScenarios() {
		typ := s.TargetType()
		types[typ] = true
		if !names[typ][s.ResourceName()] {
			t.Errorf("scenario %s: no %s %s in the built-in world", s.Name, typ, s.ResourceName())
		}
		if !CheckResourceID(s.ResourceID(), BrowseKinds[typ]...).OK {
			t.Errorf("scenario %s: bad ID %s", s.Name, s.ResourceID())
		}
		if typ == "vm" {
			continue
		}
		v := map[string]string{"resource-id": s.ResourceID(), "name": s.ComputeName}
		for k, x := range s.Values {
			v[k] = x
		}
		for _, f := range Form(typ) {
			if _, ok := v[f.Key]; !ok {
				v[f.Key] = f.Default
			}
		}
		if _, err := PlanFromForm(typ, v, true, "/nonexistent/known_hosts", VMInput{}); err != nil {
			t.Errorf("scenario %s: %v", s.Name, err)
		}
	}
	for _, tg := range Targets() {
		if tg.Available && !types[tg.Type] {
			t.Errorf("no scenario of %s", tg.Type)
		}
	}
	if _, err := FindDemoScenario("nope"); ExitCode(err) != 2 {
		t.Errorf("an unknown scenario: %v", err)
	}
	if VMProbeIDs()[0] != probes.IDWsPermission || len(VMProbeIDs()) != 15 {
		t.Errorf("probe IDs %v", VMProbeIDs())
	}
	var _ azure.Workspace = Workspace{}
}

// demoWizard is the wizard's operations on the built-in world.
func demoWizard(t *testing.T) (Wizard, azure.Workspace, *[]string) {
	t.Helper()
	srv, err := sandbox.Start(sandbox.DemoWorld())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	d := Deps{Azure: azure.New(azure.StaticCredential{}, azure.Options{Endpoint: srv.Endpoint(), HTTPClient: srv.HTTPClient(), PollInterval: 10 * time.Millisecond,
		Retry: &policy.RetryOptions{MaxRetries: -1}}), Dial: srv.Dial, HTTP: srv.HTTPClient(), Timeout: 10 * time.Second}
	var secrets []string
	w := NewWizard(d)
	w.AddSecret = func(s ...string) { secrets = append(secrets, s...) }
	return w, azure.Workspace{SubscriptionID: "00000000-0000-0000-0000-000000000001", ResourceGroup: "ml-rg", Name: "contoso-ws", Location: "eastus"}, &secrets
}

func TestWizardDoctorReplaceAndDetach(t *testing.T) {
	w, ws, secrets := demoWizard(t)
	ctx := context.Background()
	g, err := w.Doctor(ctx, ws, DoctorInput{Name: "dbx-legacy"}, nil)
	if err != nil || g.SecretsFrom != "listKeys" || AnyFailed(g.Results) == false {
		t.Fatalf("doctor: %v %+v", err, g)
	}
	if !strings.Contains(strings.Join(*secrets, " "), "dapi-demo-expired-0000") {
		t.Fatalf("the stored token did not reach AddSecret: %v", *secrets)
	}
	if ComputeTypeArg("Databricks") != "databricks" || ComputeTypeArg("Nope") != "" {
		t.Fatal("ComputeTypeArg")
	}

	id := "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/ml-rg/providers/Microsoft.Databricks/workspaces/dbx-legacy"
	p, err := PlanFromForm("databricks", map[string]string{"resource-id": id, "name": "dbx-legacy", "token": "dapi-demo-0123456789abcdef"}, true, "", VMInput{})
	if err != nil {
		t.Fatal(err)
	}
	rs := w.ProbeReplace(ctx, ws, p, nil)
	for _, r := range rs {
		if r.ID == probes.IDWsName {
			t.Fatal("the reattach preflight checks the name, which is the compute's own")
		}
	}
	if AnyFailed(rs) {
		t.Fatalf("preflight: %+v", rs)
	}
	var detachEvents, attachEvents int
	if _, err := w.Replace(ctx, ws, p, "amlattach attach databricks --name dbx-legacy", func(e Event) {
		switch e.Kind {
		case DetachProgress:
			detachEvents++
		case AttachProgress:
			attachEvents++
		}
	}); err != nil {
		t.Fatal(err)
	}
	if detachEvents == 0 || attachEvents == 0 {
		t.Fatalf("events: %d detach, %d attach", detachEvents, attachEvents)
	}
	if g, err := w.Doctor(ctx, ws, DoctorInput{Name: "dbx-legacy"}, nil); err != nil || AnyFailed(g.Results) {
		t.Fatalf("after the reattach: %v %+v", err, g.Results)
	}

	if err := w.Detach(ctx, ws, "team-b", nil); err != nil {
		t.Fatal(err)
	}
	cs, _ := w.Computes(ctx, ws)
	for _, c := range cs {
		if c.Name == "team-b" {
			t.Fatal("team-b is still there")
		}
	}
	if err := w.Detach(ctx, ws, "team-b", nil); err == nil || !strings.Contains(err.Error(), "no compute named") {
		t.Fatalf("detach of a gone compute: %v", err)
	}
}

// The wizard's BrowseAll streams what Browse lists at once (the demo world
// has one subscription), with what each resource is attached as.
func TestWizardBrowseAllStreamsWhatBrowseLists(t *testing.T) {
	w, ws, _ := demoWizard(t)
	ctx := context.Background()
	want, err := w.Browse(ctx, ws, "vm")
	if err != nil {
		t.Fatal(err)
	}
	var got []Candidate
	pages := 0
	if err := w.BrowseAll(ctx, ws, "vm", func(p []Candidate) { pages++; got = append(got, p...) }); err != nil {
		t.Fatal(err)
	}
	SortAllCandidates(got)
	if pages == 0 || len(got) != len(want) {
		t.Fatalf("%d pages, %d VMs; Browse lists %d", pages, len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID || strings.Join(got[i].AttachedAs, ",") != strings.Join(want[i].AttachedAs, ",") {
			t.Fatalf("VM %d: %+v, Browse says %+v", i, got[i], want[i])
		}
	}
}
