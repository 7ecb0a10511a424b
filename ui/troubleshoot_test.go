package ui

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"amlattach/flows"
	"amlattach/probes"
)

const (
	testShared = "/subscriptions/" + testSub + "/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/shared-vm"
	testTiny   = "/subscriptions/" + testSub + "/resourceGroups/ml-rg/providers/Microsoft.ContainerService/managedClusters/aks-tiny"
	tinyError  = "Cluster aks-tiny has 1 node with 2 vCPUs; the FastProd purpose needs at least 3 nodes and 12 vCPUs. Scale the cluster or attach it with clusterPurpose DevTest."
	legacyDBX  = "/subscriptions/" + testSub + "/resourceGroups/ml-rg/providers/Microsoft.Databricks/workspaces/dbx-legacy"
	newToken   = "dapi-new-token-9876543210"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 10, 0, 0, 0, time.UTC) }

// troubleFake is a workspace with broken attachments: a Failed AKS
// cluster, a Databricks workspace whose stored token expired, and one VM
// attached twice (the second time with its ID in other case).
func troubleFake() *fakeBackend {
	f := newFake()
	f.computes = []flows.Compute{
		{Name: "old-dsvm", Type: "VirtualMachine", ProvisioningState: "Succeeded", CreatedOn: day(2024, 3, 18), Username: "azureuser", SSHPort: 22,
			ResourceID: "/subscriptions/" + testSub + "/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/dsvm-legacy"},
		{Name: "dbx-legacy", Type: "Databricks", ProvisioningState: "Succeeded", CreatedOn: day(2024, 9, 10), ResourceID: legacyDBX},
		{Name: "aks-tiny", Type: "AKS", ProvisioningState: "Failed", CreatedOn: day(2025, 2, 14), ResourceID: testTiny, ClusterPurpose: "FastProd",
			ProvisioningErrors: []flows.ProvisioningError{{Code: "BadRequest", Message: tinyError}}},
		{Name: "team-a", Type: "VirtualMachine", ProvisioningState: "Succeeded", CreatedOn: day(2024, 11, 4), ResourceID: testShared, Username: "azureuser", SSHPort: 22},
		{Name: "team-b", Type: "VirtualMachine", ProvisioningState: "Succeeded", CreatedOn: day(2025, 3, 1), ResourceID: strings.ToUpper(testShared[:60]) + testShared[60:], Username: "azureuser", SSHPort: 22},
	}
	f.doctor = func(c flows.Compute, in flows.DoctorInput) *flows.Diagnosis {
		g := &flows.Diagnosis{SecretsFrom: "listKeys"}
		switch c.Name {
		case "dbx-legacy":
			g.Results = []probes.Result{
				{ID: probes.IDArmResource, Status: probes.Pass, Detail: "found " + legacyDBX},
				{ID: probes.IDDatabricksState, Status: probes.Pass, Detail: "Databricks workspace dbx-legacy is ready"},
				{ID: probes.IDDatabricksToken, Status: probes.Fail, Field: probes.FieldToken, Detail: `the workspace rejected the token (HTTP 403): Databricks says "Invalid access token: the token has expired."`,
					Remedy: "create a new personal access token and give it with --token-file"},
			}
			if in.Token != "" {
				g.SecretsFrom = in.TokenSource
				g.Results[2] = probes.Result{ID: probes.IDDatabricksToken, Status: probes.Pass, Detail: "the token works"}
				return g
			}
			g.Remedy = "the stored access token no longer works (expired or revoked): create a new one and attach again with it (--replace runs the preflight with it first and detaches nothing if it fails): amlattach attach databricks --name dbx-legacy --resource-id " + legacyDBX + " --token-file NEW-TOKEN-FILE --replace"
		case "aks-tiny":
			g.SecretsFrom = ""
			g.Causes = []string{flows.CauseOf(c.ProvisioningErrors[0])}
			g.Results = []probes.Result{{ID: probes.IDArmResource, Status: probes.Pass, Detail: "found it"}, {ID: probes.IDAKSCapacity, Status: probes.Fail, Detail: "1 node with 2 vCPUs"}}
		case "team-a", "team-b":
			other := map[string]string{"team-a": "team-b", "team-b": "team-a"}[c.Name]
			g.Conflicts = []string{other}
			g.Results = []probes.Result{{ID: probes.IDWsDuplicate, Status: probes.Fail, Detail: "also attached as " + other}}
		default:
			g.Results = []probes.Result{{ID: probes.IDArmResource, Status: probes.Pass, Detail: "found it"}}
		}
		return g
	}
	return f
}

// toComputes opens troubleshooting from the compute types.
func (d *driver) toComputes() {
	d.t.Helper()
	d.keys("enter")
	d.wantStep(stepTarget)
	d.want("t troubleshoots")
	d.keys("t")
	d.wantStep(stepComputes)
}

// toDoctor examines the compute whose name the filter finds first (team-b
// is found by its date: team-a's row names it too).
func (d *driver) toDoctor(name string) {
	d.t.Helper()
	d.toComputes()
	d.keys("/")
	if name == "team-b" {
		name = "2025-03-01"
	}
	d.typeText(name)
	d.keys("enter")
	d.wantStep(stepDoctor)
}

func rowOf(screen, name string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.HasPrefix(strings.TrimLeft(l, " ›"), name+" ") {
			return l
		}
	}
	return ""
}

func TestComputesGroupedWithConflictsInWords(t *testing.T) {
	d := newDriver(t, testOptions(troubleFake()), 99, 40)
	d.toComputes()
	d.want("Computes of contoso-ws", "5 computes, grouped by the resource",
		"CONFLICT: team-a and team-b attach the same resource; each new attachment breaks the earlier ones")
	sc := d.screen()
	if r := rowOf(sc, "team-a"); !strings.Contains(r, "CONFLICT") || !strings.Contains(r, "2024-11-04") || !strings.Contains(r, "VirtualMachine") {
		t.Fatalf("team-a row: %q\n%s", r, sc)
	}
	if r := rowOf(sc, "team-b"); !strings.Contains(r, "CONFLICT") {
		t.Fatalf("team-b row: %q", r)
	}
	for _, n := range []string{"old-dsvm", "dbx-legacy", "aks-tiny"} {
		if r := rowOf(sc, n); r == "" || strings.Contains(r, "CONFLICT") {
			t.Fatalf("%s row: %q\n%s", n, r, sc)
		}
	}
	if r := rowOf(sc, "aks-tiny"); !strings.Contains(r, "✗ Failed") || !strings.Contains(r, "AKS") || !strings.Contains(r, "ml-rg/aks-tiny") {
		t.Fatalf("aks-tiny row: %q", r)
	}
	// The group sits together, oldest first, after the computes before it.
	at := func(n string) int { return strings.Index(sc, rowOf(sc, n)) }
	if at("team-a") > at("team-b") || at("aks-tiny") > at("team-a") || at("team-b")-at("team-a") > 200 {
		t.Fatalf("order:\n%s", sc)
	}
	// The highlighted compute shows its stored errors word for word.
	d.wantNot(tinyError)
	d.keys("j", "j")
	d.want("error BadRequest: "+tinyError, "resource: "+testTiny)
	d.keys("j")
	d.want("CONFLICT: the same resource is also attached as team-b; each new attachment breaks the earlier ones")
	// The filter works like the other lists'.
	d.keys("/")
	d.typeText("conflict")
	d.want("2 of 5")
	d.keys("esc")
	d.want("5 computes")
}

func TestComputesEmptySaysWhatToDo(t *testing.T) {
	f := newFake()
	f.computes = nil
	d := newDriver(t, testOptions(f), 99, 30)
	d.toComputes()
	d.want("No compute is attached to contoso-ws", "esc goes back to the compute types")
	d.keys("esc")
	d.wantStep(stepTarget)
}

func TestDoctorShowsProbesErrorsConflictsAndRemedy(t *testing.T) {
	f := troubleFake()
	d := newDriver(t, testOptions(f), 99, 50)
	d.toDoctor("aks-tiny")
	d.want(`Doctor of "aks-tiny" · AKS · Failed`, "✓ pass", "✗ FAIL", "Stored provisioning errors, word for word:", "BadRequest: "+tinyError,
		"Likely cause: the cluster is too small", "The compute has problems:")
	d.keys("esc")
	d.wantStep(stepComputes)
	d.keys("esc", "/") // the filter stays until esc clears it
	d.typeText("2025-03-01")
	d.keys("enter")
	d.want("CONFLICT: the same resource is also attached as team-a", "each new attachment breaks the earlier ones")
	d.keys("esc", "esc", "/")
	d.typeText("dbx")
	d.keys("enter")
	d.want("Access token works", "Invalid access token: the token has expired.", "Credentials: the ones Azure ML stored (read with listKeys)",
		"Remedy: the stored access token no longer works", "r does this here")
	if len(f.doctorRuns) != 3 || f.doctorRuns[2].Name != "dbx-legacy" || f.doctorRuns[2].Token != "" {
		t.Fatalf("doctor runs %+v", f.doctorRuns)
	}
}

// listKeys refused: doctor asks for the token, masked, and runs again with it.
func TestDoctorAsksForCredentialsWhenListKeysIsRefused(t *testing.T) {
	f := troubleFake()
	inner := f.doctor
	f.doctor = func(c flows.Compute, in flows.DoctorInput) *flows.Diagnosis {
		if in.Token == "" && in.SSH.Password == "" && in.SSH.KeyFile == "" {
			return &flows.Diagnosis{KeysProblem: "Azure refused to return the stored secrets (AuthorizationFailed): reading them needs the listKeys permission",
				Remedy: "give the credentials with --token-file to run the login probes with them"}
		}
		return inner(c, in)
	}
	d := newDriver(t, testOptions(f), 99, 40)
	d.toDoctor("dbx")
	d.want("Give a Databricks personal access token", "Access token", "listKeys permission")
	if !d.m.active().Typing() {
		t.Fatal("the token field does not have the keyboard")
	}
	d.typeText(newToken)
	d.wantNot(newToken[:8])
	d.keys("enter")
	if len(f.doctorRuns) != 2 || f.doctorRuns[1].Token != newToken || f.doctorRuns[1].Name != "dbx-legacy" {
		t.Fatalf("doctor runs %+v", f.doctorRuns)
	}
	d.want("✓ pass", "the token works", "Credentials: the token typed here")
	d.wantNot(newToken[:8])

	// A VM's: user, password (masked) or key.
	d.keys("esc", "esc", "/")
	d.typeText("old-dsvm")
	d.keys("enter")
	d.want("Give the SSH login", "SSH user", "Password", "Key file")
	d.typeText("Sekr1t-pass")
	d.wantNot("Sekr1t")
	d.keys("enter")
	last := f.doctorRuns[len(f.doctorRuns)-1]
	if last.SSH.Username != "azureuser" || last.SSH.Password != "Sekr1t-pass" || last.SSH.KnownHosts == "" || last.SSH.ConfirmHostKey == nil {
		t.Fatalf("doctor input %+v", last.SSH)
	}
}

// d asks first; only y detaches, then the list comes back without it.
func TestDoctorDetachAsksFirst(t *testing.T) {
	f := troubleFake()
	d := newDriver(t, testOptions(f), 99, 40)
	d.toDoctor("team-b")
	d.keys("d")
	d.want(`Detach "team-b" from contoso-ws?`, "Azure ML forgets the compute", "untouched: nothing on it is deleted")
	if len(f.detaches) != 0 {
		t.Fatal("detached before the answer")
	}
	d.keys("n")
	d.wantNot("Azure ML forgets the compute")
	d.keys("d", "esc")
	if len(f.detaches) != 0 {
		t.Fatal("detached after no")
	}
	d.wantStep(stepDoctor)
	d.keys("d", "y")
	if len(f.detaches) != 1 || f.detaches[0] != "team-b" {
		t.Fatalf("detaches %v", f.detaches)
	}
	d.wantStep(stepComputes)
	d.want(`Detached "team-b" from contoso-ws; the resource itself was not touched.`, "4 computes")
	if r := rowOf(d.screen(), "team-a"); strings.Contains(r, "CONFLICT") {
		t.Fatalf("team-a still in conflict: %q", r)
	}
	d.keys("q")
	if o := d.m.Outcome(); o.Kind != OutcomeTroubleshot || len(o.Lines) != 1 || !strings.Contains(o.Lines[0], "Detached") {
		t.Fatalf("outcome %+v", o)
	}
}

// A reattach whose preflight fails never detaches: neither Replace nor Detach is called.
func TestReattachNeverDetachesWhenThePreflightFails(t *testing.T) {
	f := troubleFake()
	f.results[probes.IDDatabricksToken] = probes.Result{Status: probes.Fail, Field: probes.FieldToken, Detail: "the token is invalid"}
	d := newDriver(t, testOptions(f), 99, 40)
	d.toDoctor("dbx")
	d.keys("r")
	d.wantStep(stepDetails)
	d.want(`reattach: "dbx-legacy" is detached and attached again`, "the compute's own name: a reattach keeps it", "Reattach \"dbx-legacy\"")
	d.typeText(newToken)
	d.keys("enter")
	d.wantStep(stepPreflight)
	d.want("Preflight of the new settings", "✗ FAIL", `"dbx-legacy" stays attached as it is`)
	d.wantNot("Compute name is free", "continue to reattach")
	d.keys("enter", "enter", "f", "y")
	d.wantStep(stepPreflight)
	if len(f.replaced) != 0 || len(f.detaches) != 0 {
		t.Fatalf("replaced %d, detached %v over a failed preflight", len(f.replaced), f.detaches)
	}
	if len(f.probed) != 1 || f.probed[0].Name != "dbx-legacy" || !secretOf(f.probed[0], newToken) {
		t.Fatalf("probed %+v", f.probed)
	}
	// e goes to the token field, with the name still fixed.
	d.keys("e")
	d.wantStep(stepDetails)
	if f := d.m.form.fields[d.m.form.focus]; f.Key != "token" {
		t.Fatalf("focus on %s", f.Key)
	}
}

func TestReattachDatabricksDetachesThenAttaches(t *testing.T) {
	f := troubleFake()
	d := newDriver(t, testOptions(f), 99, 40)
	d.toDoctor("dbx")
	d.keys("r")
	d.typeText(newToken)
	d.keys("tab", "tab") // over the name, which cannot be edited
	if f := d.m.form.fields[d.m.form.focus]; f.Key != "token" {
		t.Fatalf("focus on %s", f.Key)
	}
	d.keys("enter")
	d.want("Ready to reattach")
	d.keys("enter")
	d.wantStep(stepConfirm)
	d.want(`Reattach "dbx-legacy"`, `"dbx-legacy" is detached first`, "databricksAccessToken: ********", "enter detaches and attaches again")
	if len(f.replaced) != 0 {
		t.Fatal("replaced before the confirmation")
	}
	d.keys("enter")
	d.wantStep(stepAttach)
	d.want(`Reattached with the new settings: compute "dbx-legacy" is Succeeded`)
	if len(f.replaced) != 1 || f.replaced[0].Name != "dbx-legacy" || !secretOf(f.replaced[0], newToken) {
		t.Fatalf("replaced %+v", f.replaced)
	}
	d.keys("enter")
	d.wantStep(stepComputes)
	d.want(`Reattached "dbx-legacy" with the new settings.`)
}

// The Retry command names the settings, never the secret.
func TestReattachRetryCommandHasNoSecret(t *testing.T) {
	f := troubleFake()
	f.attachErrs = []flows.ProvisioningError{{Code: "BadRequest", Message: "Invalid access token"}}
	var retry string
	o := testOptions(f)
	o.Backend = retryBackend{f, &retry}
	o.Command = "amlattach --world demo"
	d := newDriver(t, o, 99, 40)
	d.toDoctor("dbx")
	d.keys("r")
	d.typeText(newToken)
	d.keys("enter", "enter", "enter")
	want := "amlattach --world demo --subscription " + testSub + " -g ml-rg -w contoso-ws attach databricks --name dbx-legacy --resource-id " + legacyDBX + " --token-file TOKEN-FILE"
	if retry != want {
		t.Fatalf("retry\n%q, want\n%q", retry, want)
	}
	d.want("finish the job with: amlattach --world demo", `"dbx-legacy" may be detached now`)
	d.wantNot(newToken[:8])
}

type retryBackend struct {
	*fakeBackend
	retry *string
}

func (r retryBackend) Replace(ctx context.Context, ws flows.Workspace, p *flows.Plan, retry string, emit flows.Emit) (*flows.Report, error) {
	*r.retry = retry
	return r.fakeBackend.Replace(ctx, ws, p, retry, emit)
}

func TestReattachVMUsesTheDetailsScreen(t *testing.T) {
	f := troubleFake()
	d := newDriver(t, testOptions(f), 99, 40)
	d.toDoctor("old-dsvm")
	d.keys("r")
	d.wantStep(stepDetails)
	d.want("How to reach the VM", `reattach: "old-dsvm" is detached and attached again`, "› Password",
		"Compute name old-dsvm", "the compute's own name: a reattach keeps it") // shown, fixed, as on every type's form
	d.typeText("N3w-Passw0rd")
	d.keys("enter")
	d.want("Ready to reattach")
	d.keys("enter", "enter")
	if len(f.replaced) != 1 || f.replaced[0].Type != "vm" || f.replaced[0].Name != "old-dsvm" || !secretOf(f.replaced[0], "N3w-Passw0rd") {
		t.Fatalf("replaced %+v", f.replaced)
	}
	if ids := d.m.preflight.index; len(ids) == 0 {
		t.Fatal("no probes")
	} else if _, ok := ids[probes.IDWsName]; ok {
		t.Fatal("the reattach's preflight checks that the name is free")
	}
}

// w writes the Markdown report, mode 0600, where the user says.
func TestDoctorWritesTheReport(t *testing.T) {
	f := troubleFake()
	o := testOptions(f)
	o.Version = "1.2.3"
	d := newDriver(t, o, 99, 40)
	d.toDoctor("dbx")
	d.keys("w")
	d.want("Write the report", "dbx-legacy-doctor.md")
	path := filepath.Join(t.TempDir(), "report.md")
	d.keys("ctrl+u")
	d.typeText(path)
	d.keys("enter")
	d.want("Report written to")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode())
	}
	b, _ := os.ReadFile(path)
	for _, want := range []string{"# amlattach doctor: compute `dbx-legacy`", "amlattach 1.2.3", "Invalid access token", "## Remedy"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("report lacks %q:\n%s", want, b)
		}
	}
}

func TestPlainTroubleshoot(t *testing.T) {
	f := troubleFake()
	dir := t.TempDir()
	report := filepath.Join(dir, "dbx.md")
	in := strings.Join([]string{
		"",   // this workspace
		"11", // troubleshoot
		"2",  // dbx-legacy
		"d",  // detach?
		"n",  // no
		"w",  // the report
		report,
		"l", // back to the list
		"4", // team-a
		"d",
		"y",
		"q",
	}, "\n") + "\n"
	var out bytes.Buffer
	got, err := RunPlain(context.Background(), testOptions(f), PlainIO{In: strings.NewReader(in), Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{"11. Troubleshoot an attachment", "Computes of contoso-ws, grouped by the resource they attach:",
		"4. team-a: VirtualMachine, Succeeded, 2024-11-04, ml-rg/shared-vm (CONFLICT with team-b)",
		"! CONFLICT: team-a and team-b attach the same resource; each new attachment breaks the earlier ones",
		"error BadRequest: " + tinyError, `Doctor of "dbx-legacy"`, "FAIL  Access token works", "remedy: the stored access token no longer works",
		"credentials: the ones Azure ML stored", "Nothing was detached.", "Report written to " + report,
		`Detach "team-a" from contoso-ws? Azure ML forgets the compute`, `✓ Detached "team-a" from contoso-ws`} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q:\n%s", want, text)
		}
	}
	if len(f.detaches) != 1 || f.detaches[0] != "team-a" {
		t.Fatalf("detaches %v", f.detaches)
	}
	if got.Kind != OutcomeTroubleshot || len(got.Lines) != 2 {
		t.Fatalf("outcome %+v", got)
	}
	if _, err := os.Stat(report); err != nil {
		t.Fatal(err)
	}
}

func TestPlainReattachNeverDetachesOnAFailedPreflight(t *testing.T) {
	f := troubleFake()
	f.results[probes.IDDatabricksToken] = probes.Result{Status: probes.Fail, Field: probes.FieldToken, Detail: "the token is invalid"}
	in := strings.Join([]string{"", "11", "2", "r", newToken, "q"}, "\n") + "\n"
	var out bytes.Buffer
	if _, err := RunPlain(context.Background(), testOptions(f), PlainIO{In: strings.NewReader(in), Out: &out}); err != nil {
		t.Fatal(err)
	}
	text := ansi.Strip(out.String())
	if !strings.Contains(text, `Not ready: "dbx-legacy" stays attached as it is`) || strings.Contains(text, newToken) {
		t.Fatalf("output:\n%s", text)
	}
	if len(f.replaced) != 0 || len(f.detaches) != 0 {
		t.Fatalf("replaced %d, detached %v", len(f.replaced), f.detaches)
	}
}

func TestTroubleshootingFitsIn60x18(t *testing.T) {
	f := troubleFake()
	d := newDriver(t, testOptions(f), 60, 18)
	check := func(what string) {
		t.Helper()
		lines := strings.Split(d.m.View(), "\n")
		if len(lines) != 18 {
			t.Fatalf("%s: %d lines, want 18:\n%s", what, len(lines), d.screen())
		}
		for _, l := range lines {
			if w := ansi.StringWidth(l); w > 60 {
				t.Fatalf("%s: a line of %d cells:\n%s", what, w, l)
			}
		}
	}
	d.toComputes()
	check("computes")
	d.keys("j", "j")
	check("computes, a Failed one highlighted")
	d.keys("enter")
	check("doctor")
	d.keys("pgdown", "pgdown")
	check("doctor scrolled")
	d.keys("d")
	check("detach?")
	d.want("y detaches")
	d.keys("n", "w")
	check("report path")
	d.keys("esc", "c")
	d.wantStep(stepDoctor)
	d.keys("esc", "/")
	d.typeText("dbx")
	d.keys("enter", "c")
	check("credentials")
	d.want("Access token")
}
