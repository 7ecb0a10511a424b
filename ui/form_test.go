package ui

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"amlattach/flows"
	"amlattach/probes"
)

const testToken = "dapi-test-0123456789abcdef"

// toType picks a compute type on the target screen by filtering for it.
func (d *driver) toType(typ string) {
	d.t.Helper()
	d.keys("enter") // the workspace
	d.wantStep(stepTarget)
	d.keys("/")
	d.typeText(typ)
	d.keys("enter")
	if d.m.step == stepTarget {
		d.keys("enter")
	}
	d.wantStep(stepResource)
}

// noSecret fails when any rendering of the wizard shows the secret.
func (d *driver) noSecret(secret string) {
	d.t.Helper()
	if strings.Contains(d.m.View(), secret) || strings.Contains(d.screen(), secret) {
		d.t.Fatalf("the screen shows the secret:\n%s", d.screen())
	}
}

func TestFormDatabricksBrowseFillAttach(t *testing.T) {
	f := newFake()
	d := newDriver(t, testOptions(f), 99, 30)
	d.toType("databricks")
	d.want("Step 3 of 8: Databricks", "Which Databricks workspace?", "2 Databricks workspaces in the workspace's subscription", "dbx-offline")
	d.keys("enter")
	d.wantStep(stepDetails)
	d.want("Details of the Databricks workspace", "Databricks workspace dbx-ws · resource group ml-rg", "Resource ID  /subscriptions/"+testSub, `"dbx-ws" is free in contoso-ws`)
	// The form starts on what is missing: the token; enter says so.
	if k := d.m.form.fields[d.m.form.focus].Key; k != "token" {
		t.Fatalf("focus on %s, want the token", k)
	}
	d.keys("enter")
	d.wantStep(stepDetails)
	d.want("required: access token")
	d.typeText(testToken)
	d.noSecret(testToken)
	d.want(strings.Repeat("•", 10))
	d.keys("enter")
	d.wantStep(stepPreflight)
	d.noSecret(testToken)
	d.want(`Preflight of dbx-ws as "dbx-ws"`, "Ready to attach")
	if len(f.probed) != 1 || f.probed[0].Type != "databricks" || !secretOf(f.probed[0], testToken) {
		t.Fatalf("probed %+v", f.probed)
	}
	d.keys("enter")
	d.wantStep(stepConfirm)
	d.want(`PUT compute "dbx-ws" (Databricks)`, "databricksAccessToken: ********", "Do not attach the same Databricks workspace twice")
	d.noSecret(testToken)
	d.keys("enter")
	d.wantStep(stepAttach)
	d.want(`Attached: compute "dbx-ws" is Succeeded`)
	d.noSecret(testToken)
	if len(f.submitted) != 1 || f.submitted[0].Type != "databricks" {
		t.Fatalf("submitted %+v", f.submitted)
	}
	// The help and the side panel never show it either.
	d.keys("?")
	d.noSecret(testToken)
	d.keys("esc", "i")
	d.noSecret(testToken)
}

func TestFormSecretNeverRendered(t *testing.T) {
	f := newFake()
	d := newDriver(t, testOptions(f), 120, 40)
	d.toType("databricks")
	d.keys("enter")
	views := []string{}
	for _, r := range testToken {
		d.typeText(string(r))
		views = append(views, d.m.View())
	}
	d.keys("left", "right", "shift+tab", "tab", "f2", "f1", "esc", "f2")
	views = append(views, d.m.View())
	d.keys("enter")
	views = append(views, d.m.View())
	d.keys("e", "enter")
	views = append(views, d.m.View())
	for i, v := range views {
		// Each prefix of 6 runes or more would give the secret away.
		for n := 6; n <= len(testToken); n++ {
			if strings.Contains(ansi.Strip(v), testToken[:n]) {
				t.Fatalf("view %d shows %q:\n%s", i, testToken[:n], ansi.Strip(v))
			}
		}
	}
	if len(f.probed) == 0 || !secretOf(f.probed[0], testToken) {
		t.Fatal("the token was not taken")
	}

	// Troubleshooting: a token typed for doctor (listKeys refused), a
	// password for a VM's doctor, and a new token for a reattach.
	tf := troubleFake()
	inner := tf.doctor
	tf.doctor = func(c flows.Compute, in flows.DoctorInput) *flows.Diagnosis {
		if in.Token == "" && in.SSH.Password == "" {
			return &flows.Diagnosis{KeysProblem: "Azure refused to return the stored secrets"}
		}
		return inner(c, in)
	}
	const vmPass = "Vm-Secret-Passw0rd"
	td := newDriver(t, testOptions(tf), 99, 40)
	views = nil
	typeSecret := func(secret string) {
		for _, r := range secret {
			td.typeText(string(r))
			views = append(views, td.m.View())
		}
	}
	td.toDoctor("dbx")
	typeSecret(testToken)
	td.keys("f2", "f1", "esc", "f2", "tab")
	views = append(views, td.m.View())
	td.keys("enter")
	views = append(views, td.m.View())
	td.keys("r")
	typeSecret(testToken)
	td.keys("enter")
	views = append(views, td.m.View())
	td.keys("enter")
	views = append(views, td.m.View())
	td.keys("enter")
	views = append(views, td.m.View())
	td.keys("enter", "esc", "/")
	td.typeText("old-dsvm")
	td.keys("enter")
	typeSecret(vmPass)
	td.keys("enter", "w")
	views = append(views, td.m.View())
	for i, v := range views {
		for _, secret := range []string{testToken, vmPass} {
			for n := 6; n <= len(secret); n++ {
				if strings.Contains(ansi.Strip(v), secret[:n]) {
					t.Fatalf("troubleshooting view %d shows %q:\n%s", i, secret[:n], ansi.Strip(v))
				}
			}
		}
	}
	if len(tf.replaced) != 1 || !secretOf(tf.replaced[0], testToken) || len(tf.doctorRuns) < 4 || tf.doctorRuns[1].Token != testToken {
		t.Fatalf("the secrets were not taken: replaced %d, doctor runs %+v", len(tf.replaced), tf.doctorRuns)
	}
}

// A validation error from flows lands under the field its flag names.
func TestFormValidationErrorUnderItsField(t *testing.T) {
	c := &Common{Styles: NewStyles(), Keys: DefaultKeyMap()}
	s := newFormScreen(c, Options{KnownHosts: "/tmp/kh"})
	s.SetSize(80, 30)
	s.SetType("aks")
	s.SetResource(testAKS, "aks-prod", nil, flows.Workspace{Name: "contoso-ws"}, nil)
	s.field("tls-leaf-domain-label").setValue("myservice") // but TLS stays disabled
	cmd := s.submit()
	if cmd == nil {
		t.Fatal("no validation ran")
	}
	msg := cmd()
	if _, ok := msg.(formValidatedMsg); !ok {
		t.Fatalf("got %T", msg)
	}
	s.Update(msg)
	if s.errKey != "tls" || s.fields[s.focus].Key != "tls" {
		t.Fatalf("error under %q, focus on %q", s.errKey, s.fields[s.focus].Key)
	}
	lines := strings.Split(ansi.Strip(s.View()), "\n")
	for i, l := range lines {
		if strings.Contains(l, "› TLS ") {
			if i+1 >= len(lines) || !strings.Contains(lines[i+1], "TLS settings were given but --tls is disabled") {
				t.Fatalf("the error is not under the TLS field:\n%s", strings.Join(lines, "\n"))
			}
			// Changing the field clears it.
			s.Update(keyMsg("right"))
			if s.submitErr != nil || strings.Contains(ansi.Strip(s.View()), "TLS settings were given") {
				t.Fatal("the error stayed after the field changed")
			}
			return
		}
	}
	t.Fatalf("no TLS field:\n%s", strings.Join(lines, "\n"))
}

func TestFormChoicesCycleAndDefaults(t *testing.T) {
	f := newFake()
	d := newDriver(t, testOptions(f), 99, 40)
	d.toType("aks")
	d.want("aks-small", "! already attached as small-aks")
	d.keys("enter")
	d.want("[FastProd]", "[PublicIp]", "[disabled]")
	d.keys("tab") // from the name
	d.want("production purposes need at least 3 nodes")
	d.keys("right")
	d.want("[DenseProd]")
	d.keys("left", "left")
	d.want("[DevTest]")
	d.keys(" ")
	d.want("[FastProd]")
}

func TestFormPreflightEditGoesToTheField(t *testing.T) {
	f := newFake()
	f.results[probes.IDWsName] = probes.Result{Status: probes.Fail, Field: probes.FieldName, Detail: "taken", Remedy: "choose another name"}
	d := newDriver(t, testOptions(f), 99, 30)
	d.toType("databricks")
	d.keys("enter")
	d.typeText(testToken)
	d.keys("enter")
	d.wantStep(stepPreflight)
	d.want("e edits the compute name")
	d.keys("e")
	d.wantStep(stepDetails)
	if k := d.m.form.fields[d.m.form.focus].Key; k != "name" {
		t.Fatalf("focus on %s", k)
	}
	d.want("Fix the field")
}

func TestHDInsightAsksAboutTheHostKey(t *testing.T) {
	f := newFake()
	f.askHostKey = true
	f.others["hdinsight"] = []flows.Candidate{{ID: "/subscriptions/" + testSub + "/resourceGroups/ml-rg/providers/Microsoft.HDInsight/clusters/spark-hdi", Name: "spark-hdi", ResourceGroup: "ml-rg", Location: "eastus"}}
	d := newDriver(t, testOptions(f), 99, 30)
	d.toType("hdinsight")
	d.keys("enter")
	d.want("sshuser")
	d.keys("tab", "tab") // from the name to the password
	d.typeText(demoPass)
	d.noSecret(demoPass)
	d.keys("enter")
	d.wantStep(stepHostKey)
	d.want("The cluster at 20.1.2.5:22", "cluster's head node")
	d.keys("y")
	d.wantStep(stepPreflight)
	d.want("Ready to attach")
}

const demoPass = "Demo-Passw0rd!"

func TestPlainDatabricks(t *testing.T) {
	f := newFake()
	in := strings.Join([]string{
		"",        // this workspace
		"4",       // databricks
		"1",       // dbx-ws
		"",        // the suggested name
		testToken, // the token
		"y",       // attach
	}, "\n") + "\n"
	var out bytes.Buffer
	echoOff := 0
	o := testOptions(f)
	got, err := RunPlain(context.Background(), o, PlainIO{In: strings.NewReader(in), Out: &out, NoEcho: func() func() { echoOff++; return func() {} }})
	if err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if got.Kind != OutcomeAttached || got.Compute != "dbx-ws" {
		t.Fatalf("outcome %+v\n%s", got, text)
	}
	if strings.Contains(text, testToken) {
		t.Fatalf("the token was printed:\n%s", text)
	}
	if echoOff != 1 {
		t.Fatalf("the token was read with echo (%d)", echoOff)
	}
	for _, want := range []string{"Databricks workspaces in subscription", "Access token (not shown)", `Preflight of dbx-ws as "dbx-ws"`,
		`PUT compute "dbx-ws" (Databricks)`, "databricksAccessToken: ********", "do not attach the same Databricks workspace twice", `✓ Attached: compute "dbx-ws"`} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q:\n%s", want, text)
		}
	}
	if len(f.submitted) != 1 || f.submitted[0].Type != "databricks" || !secretOf(f.submitted[0], testToken) {
		t.Fatalf("submitted %+v", f.submitted)
	}
}

func TestScenarioOfAnotherTypeOpensOnThePreflight(t *testing.T) {
	f := newFake()
	o := testOptions(f)
	o.Start = &Start{Scenario: "databricks", Summary: "a workspace", Type: "databricks", ResourceID: testDBX, ComputeName: "dbx-ws",
		Values: map[string]string{"token": testToken}}
	d := newDriver(t, o, 99, 30)
	d.wantStep(stepPreflight)
	d.want(`Preflight of dbx-ws as "dbx-ws"`, "Ready to attach")
	d.noSecret(testToken)
	d.keys("esc")
	d.wantStep(stepDetails)
	d.want("demo scenario: databricks", "Details of the Databricks workspace")
	d.noSecret(testToken)
}

func TestAttachedAKSShowsItsNotes(t *testing.T) {
	d := newDriver(t, testOptions(newFake()), 80, 24)
	d.toType("aks")
	d.keys("enter", "enter")
	d.wantStep(stepPreflight)
	notes := d.m.plan.Notes
	d.keys("enter", "enter")
	d.want(`Attached: compute "aks-prod"`)
	if len(notes) == 0 {
		t.Fatal("the AKS plan has no notes")
	}
	for _, n := range notes {
		d.want(n)
	}
	if !strings.Contains(strings.Join(d.m.Outcome().Lines, "\n"), notes[0]) {
		t.Fatalf("the outcome lacks the notes: %v", d.m.Outcome().Lines)
	}
}

// toDetailsWith is toDetails with other options.
func toDetailsWith(t *testing.T, o Options) *driver {
	t.Helper()
	d := newDriver(t, o, 99, 30)
	d.keys("enter", "enter", "/")
	d.typeText("gpu")
	d.keys("enter")
	d.wantStep(stepDetails)
	return d
}

// In the demo, the login part of the VM form tells a trainee the login the
// simulated VMs take; outside the sandbox it never does.
func TestSandboxLoginToldOnTheLoginPart(t *testing.T) {
	o := testOptions(newFake())
	o.SandboxLogin = Login{User: "azureuser", Password: flows.DemoPassword}
	d := toDetailsWith(t, o)
	d.want("sandbox demo login of the simulated VMs: user azureuser, password " + flows.DemoPassword)

	d = toDetails(t, newFake(), 99, 30) // a world of one's own: no login known
	d.wantNot("demo login of the simulated VMs")

	o.Sandbox = false // real Azure: never
	d = toDetailsWith(t, o)
	d.wantNot("demo login of the simulated VMs", flows.DemoPassword)
}

// A failure of the login goes to the most specific field that can fix it:
// the passphrase of an encrypted key, the key file of a plain one.
func TestVMFormFocusesTheLoginFieldAtFault(t *testing.T) {
	dir := t.TempDir()
	locked := writeKey(t, dir, "locked_key", []byte("open sesame"))
	d := toDetails(t, newFake(), 99, 30)
	d.keys("down", "down", "down", "right", "down") // key file
	d.typeText(locked)
	d.keys("up", "down") // left and back: the key is read
	d.want("encrypted")
	d.keys("down")
	d.typeText("open sesame")
	if ok, _ := d.m.form.FocusField(probes.FieldPassword); !ok || focusKey(d.m.form) != "passphrase" {
		t.Fatalf("a rejected login goes to %q, want the passphrase", focusKey(d.m.form))
	}
	if ok, _ := d.m.form.FocusField(probes.FieldKey); !ok || focusKey(d.m.form) != "ssh-key" {
		t.Fatalf("a rejected key goes to %q, want the key file", focusKey(d.m.form))
	}
	d.keys("up", "left") // back to the password
	if ok, _ := d.m.form.FocusField(probes.FieldKey); !ok || focusKey(d.m.form) != "login" {
		t.Fatalf("with a password, a key failure goes to %q, want the login switch", focusKey(d.m.form))
	}
}

// --plain asks a VM's fields from the same description: a key file read
// at once, its passphrase asked because it is encrypted, the password not
// asked at all; the preflight runs with the key.
func TestPlainVMKeyFileAsksThePassphraseOfAnEncryptedKey(t *testing.T) {
	dir := t.TempDir()
	locked := writeKey(t, dir, "locked_key", []byte("open sesame"))
	f := newFake()
	in := strings.Join([]string{
		"",      // this workspace
		"1",     // vm
		"3",     // gpu-dsvm
		"",      // name
		"",      // port
		"",      // user
		"2",     // key file
		locked,  // the key
		"wrong", // its passphrase, wrong
		"open sesame",
		"q", // Azure ML cannot take an encrypted key: leave at the request
	}, "\n") + "\n"
	var out bytes.Buffer
	if _, err := RunPlain(context.Background(), testOptions(f), PlainIO{In: strings.NewReader(in), Out: &out}); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{"Log in with: 1. password  2. key file  3. ssh-agent", "Key file", "Passphrase (not shown)", "the passphrase is wrong",
		`Preflight of gpu-dsvm as "gpu-dsvm"`, "is encrypted", "Nothing was sent to Azure."} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Password (not shown)") || strings.Contains(text, "open sesame") {
		t.Fatalf("asked the password, or printed the passphrase:\n%s", text)
	}
	if len(f.probed) != 1 || f.probed[0].Type != "vm" {
		t.Fatalf("probed %+v", f.probed)
	}
	if len(f.submitted) != 0 {
		t.Fatal("an encrypted key was sent to Azure")
	}
}

// A VM's reattach in --plain goes through the same loop as an attach: the
// name stays, the login is asked, a failure offers the field at fault.
func TestPlainReattachVMEditsTheFieldAtFault(t *testing.T) {
	f := troubleFake()
	f.results[probes.IDSSHAuth] = probes.Result{Status: probes.Fail, Field: probes.FieldPassword, Detail: "password rejected"}
	in := strings.Join([]string{"", "11", "1", "r", "", "", "1", "bad-pw", "e", "N3w-Passw0rd", "q"}, "\n") + "\n"
	var out bytes.Buffer
	if _, err := RunPlain(context.Background(), testOptions(f), PlainIO{In: strings.NewReader(in), Out: &out}); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{`Reattach "old-dsvm"`, `Not ready: "old-dsvm" stays attached as it is; e edits the password, r runs the probes again, q leaves`,
		"Preflight of the new settings of \"old-dsvm\""} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Compute name") {
		t.Fatalf("the reattach asked the name:\n%s", text)
	}
	if len(f.replaced) != 0 {
		t.Fatal("replaced over a failed preflight")
	}
	if n := strings.Count(text, "Preflight of the new settings"); n != 2 || len(f.probed) != 2 || !secretOf(f.probed[1], "N3w-Passw0rd") {
		t.Fatalf("the edited password was not probed (%d preflights)", n)
	}
}
