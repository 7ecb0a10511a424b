package ui

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"golang.org/x/crypto/ssh"

	"amlattach/flows"
	"amlattach/probes"
)

// toDetails walks from the start to the details of gpu-dsvm.
func toDetails(t *testing.T, f *fakeBackend, w, h int) *driver {
	t.Helper()
	d := newDriver(t, testOptions(f), w, h)
	d.keys("enter") // workspace
	d.keys("enter") // vm
	d.keys("/")
	d.typeText("gpu")
	d.keys("enter")
	d.wantStep(stepDetails)
	return d
}

// toPreflight goes on with the demo password and runs the preflight.
func toPreflight(t *testing.T, f *fakeBackend) *driver {
	t.Helper()
	d := toDetails(t, f, 99, 30)
	d.keys("enter") // to the empty password
	d.typeText("Demo-Passw0rd!")
	d.keys("enter")
	return d
}

func TestWorkspaceStepSaysSandboxAndContinues(t *testing.T) {
	d := newDriver(t, testOptions(newFake()), 99, 30)
	d.wantStep(stepWorkspace)
	d.want("SANDBOX — simulated Azure, nothing leaves this machine", "contoso-ws", "ml-rg", "old-dsvm (VirtualMachine, Succeeded)", "Step 1 of 8")
	d.keys("enter")
	d.wantStep(stepTarget)
	d.want("Step 2 of 8", "vm", "Virtual machine")
}

func TestWorkspaceBrowseSubscriptionsThenWorkspaces(t *testing.T) {
	d := newDriver(t, testOptions(newFake()), 99, 30)
	d.keys("c")
	d.want("Choose a subscription", "Contoso ML", "Research")
	d.keys("/")
	d.typeText("res")
	d.want("1 of 2")
	d.keys("enter")
	d.want("Choose a workspace in Research", "lab-ws", "westeurope")
	d.keys("esc") // back one step keeps the list
	d.want("Choose a subscription")
	d.keys("enter")
	d.keys("enter")
	d.want("lab-ws", "lab-rg", "chosen here")
	d.keys("enter")
	d.wantStep(stepTarget)
	d.want("workspace lab-ws")
}

func TestNoWorkspaceStartsByBrowsing(t *testing.T) {
	o := testOptions(newFake())
	o.Workspace = flows.Workspace{}
	o.WorkspaceProblem = "no workspace chosen (pass -w)"
	d := newDriver(t, o, 99, 30)
	d.want("Choose a subscription", "Contoso ML")
	d.keys("enter", "enter")
	d.want("contoso-ws", "Attach to this workspace?")
}

func TestTargetTypesEveryTypeGoesOnNeverAttachedExplain(t *testing.T) {
	d := newDriver(t, testOptions(newFake()), 99, 30)
	d.keys("enter")
	d.want("› vm")
	for _, typ := range []string{"hdinsight", "batch", "databricks", "adla", "aks", "kubernetes", "synapse", "local", "aci"} {
		d.want("  " + typ)
	}
	d.wantNot("not yet", "not available")
	d.keys("down", "enter")
	d.wantStep(stepResource)
	d.want("Step 3 of 8: HDInsight cluster", "Which HDInsight cluster?")
	d.keys("esc")
	d.wantStep(stepTarget)
	d.keys("/")
	d.typeText("local")
	d.keys("enter")
	d.want("never attached", "Docker", "local endpoint")
	d.keys("esc")
	d.keys("esc") // clears the filter
	d.keys("G", "enter")
	d.want("Azure Container Instances", "never attached", "creates the container group itself")
}

func TestResourceBrowseFilterAndAttachedNote(t *testing.T) {
	d := newDriver(t, testOptions(newFake()), 99, 30)
	d.keys("enter", "enter")
	d.wantStep(stepResource)
	d.want("3 VMs", "dsvm-legacy", "! already attached as old-dsvm")
	d.keys("/")
	d.typeText("gpu")
	d.want("1 of 3", "gpu-dsvm")
	d.wantNot("centos-vm")
	d.keys("esc") // leaves the filter
	d.want("centos-vm")
	d.keys("esc") // back to the types
	d.wantStep(stepTarget)
}

func TestResourcePasteNamesTheWrongPart(t *testing.T) {
	d := newDriver(t, testOptions(newFake()), 99, 30)
	d.keys("enter", "enter", "p")
	d.want("Paste the VM's resource ID", "waiting for an ID")
	d.typeText("/subscriptions/xyz")
	d.want(`✗ subscription: "xyz" is not a subscription ID`)
	d.keys("ctrl+u")
	d.typeText("/subscriptions/" + testSub + "/resourceGroups/ml-rg/providers/Microsoft.Network/networkInterfaces/nic1")
	d.want("✗ provider:", "Microsoft.Compute/virtualMachines")
	d.keys("enter") // refused: stays
	d.wantStep(stepResource)
	d.keys("esc", "p") // back to browsing and in again: the text is kept
	d.want("networkInterfaces/nic1")
	d.keys("ctrl+u")
	d.typeText(strings.Replace(testVM, "gpu-dsvm", "dsvm-legacy", 1))
	d.want("✓ VM dsvm-legacy in resource group ml-rg", "already attached as old-dsvm")
	d.keys("enter")
	d.wantStep(stepDetails)
	d.want("already attached as old-dsvm: a second attachment breaks the first")
}

func TestResourceBuildFromParts(t *testing.T) {
	d := newDriver(t, testOptions(newFake()), 99, 30)
	d.keys("enter", "enter", "b")
	d.want("Build the VM's resource ID", testSub, "ml-rg")
	d.keys("tab", "ctrl+u")
	d.typeText("bad group!")
	d.keys("tab")
	d.typeText("gpu-dsvm")
	d.want("✗ resource group:")
	d.keys("enter") // goes to the wrong field
	if d.m.resource.buildFocus != 1 {
		t.Fatalf("focus on %d, want the resource group", d.m.resource.buildFocus)
	}
	d.keys("ctrl+u")
	d.typeText("ml-rg")
	d.want("✓ a VM ID")
	d.keys("enter")
	d.wantStep(stepDetails)
	d.want("VM gpu-dsvm")
}

func TestDetailsNameCheckedLive(t *testing.T) {
	d := toDetails(t, newFake(), 99, 30)
	d.want(`"gpu-dsvm" is free in contoso-ws`)
	d.keys("ctrl+u")
	d.typeText("old-dsvm")
	d.want(`"old-dsvm" is already used in the workspace`, "try old-dsvm-2")
	d.keys("ctrl+u")
	d.typeText("9lives")
	d.want("must start with a letter")
	d.keys("ctrl+u")
	d.typeText("gpu-a")
	d.want(`"gpu-a" is free`)
}

func TestDetailsEnterGoesToWhatIsMissingThenValidates(t *testing.T) {
	f := newFake()
	d := toDetails(t, f, 99, 30)
	d.keys("enter")
	if k := focusKey(d.m.form); k != "password" {
		t.Fatalf("focus on %q, want the password", k)
	}
	d.want("type the SSH password")
	d.typeText("secret-pw")
	d.wantNot("secret-pw")
	d.want("•••••••••")
	d.keys("up", "up", "up", "ctrl+u")
	d.typeText("99999")
	d.keys("enter")
	d.want("give sshd's TCP port")
	d.wantStep(stepDetails)
}

func writeKey(t *testing.T, dir, name string, passphrase []byte) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var blk *pem.Block
	if passphrase != nil {
		blk, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "", passphrase)
	} else {
		blk, err = ssh.MarshalPrivateKey(priv, "")
	}
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(blk), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDetailsPassphraseAskedOnlyForEncryptedKeys(t *testing.T) {
	dir := t.TempDir()
	plain := writeKey(t, dir, "plain_key", nil)
	locked := writeKey(t, dir, "locked_key", []byte("open sesame"))
	d := toDetails(t, newFake(), 99, 30)
	d.keys("down", "down", "down") // to "Log in with"
	d.keys("right")
	d.want("[key file]", "Key file")
	d.keys("down")
	d.typeText(filepath.Join(dir, "pl"))
	d.keys("tab") // completes
	if got := d.m.form.field("ssh-key").input.Value(); got != plain {
		t.Fatalf("completed to %q, want %q", got, plain)
	}
	d.keys("tab") // nothing more to complete: next field, key checked
	d.keys("up")
	d.want("ssh-ed25519 key (OpenSSH)")
	if shownField(d.m.form, "passphrase") {
		t.Fatal("a passphrase is asked for an unencrypted key")
	}

	d.keys("ctrl+u")
	d.typeText(locked)
	d.keys("up", "down") // leave and come back: the key is checked
	d.want("encrypted")
	if !shownField(d.m.form, "passphrase") {
		t.Fatal("no passphrase asked for an encrypted key")
	}
	d.keys("down")
	d.typeText("wrong")
	d.keys("up", "down")
	d.want("the passphrase is wrong")
	d.keys("ctrl+u")
	d.typeText("open sesame")
	d.keys("enter")
	d.wantStep(stepPreflight)
}

func TestDetailsAgentIsProbeOnly(t *testing.T) {
	d := toDetails(t, newFake(), 99, 30)
	d.keys("down", "down", "down", "left") // password -> ssh-agent
	d.want("[ssh-agent]", "no ssh-agent: SSH_AUTH_SOCK is not set")
	d.wantNot("Password  ")
}

func TestPreflightFillsInAndExpandsFailures(t *testing.T) {
	f := newFake()
	f.results[probes.IDHostDocker] = probes.Result{Status: probes.Fail, Detail: "docker is installed but its daemon is not running",
		Remedy: "start the daemon and enable it at boot: sudo systemctl enable --now docker"}
	d := toPreflight(t, f)
	d.want("Preflight of gpu-dsvm as \"gpu-dsvm\"", "✓ pass  Compute name", "✗ FAIL  Docker", "fix: start the daemon",
		"15 probes: 14 pass, 1 fail", "Not ready")
	if len(f.probed) != 1 || f.probed[0].Type != "vm" || !secretOf(f.probed[0], "Demo-Passw0rd!") {
		t.Fatalf("the preflight ran with %+v", f.probed)
	}
	d.keys("r")
	if len(f.probed) != 2 {
		t.Fatalf("r did not run the probes again")
	}
}

func TestPreflightEditTheFieldAtFaultThenRerun(t *testing.T) {
	f := newFake()
	f.results[probes.IDSSHAuth] = probes.Result{Status: probes.Fail, Detail: "password rejected for azureuser@20.1.2.5:22",
		Remedy: "check the password", Field: probes.FieldPassword}
	d := toPreflight(t, f)
	d.want("e edit the password", "e edits the password")
	d.keys("e")
	d.wantStep(stepDetails)
	if k := focusKey(d.m.form); k != "password" {
		t.Fatalf("focus on %q, want the password", k)
	}
	d.want("Fix the field, then enter runs the preflight again")
	delete(f.results, probes.IDSSHAuth)
	d.keys("ctrl+u")
	d.typeText("Right-Passw0rd!")
	d.keys("enter")
	d.wantStep(stepPreflight)
	if len(f.probed) != 2 || !secretOf(f.probed[1], "Right-Passw0rd!") {
		t.Fatalf("the rerun ran with %+v", f.probed)
	}
	d.want("Ready to attach")
}

func TestPreflightEditResourceGoesBackToTheVM(t *testing.T) {
	f := newFake()
	f.results[probes.IDHostOS] = probes.Result{Status: probes.Fail, Detail: "the host runs CentOS 7, not Ubuntu", Field: probes.FieldResourceID}
	d := toPreflight(t, f)
	d.keys("e")
	d.wantStep(stepResource)
}

func TestHostKeyAcceptedFromTheScreen(t *testing.T) {
	f := newFake()
	f.askHostKey = true
	d := toPreflight(t, f)
	d.wantStep(stepHostKey)
	d.want("A new host key", "SHA256:", "ED25519", "ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub")
	d.keys("y")
	d.wantStep(stepPreflight)
	d.want("✓ pass  SSH host key", "Ready to attach")
}

func TestHostKeyRefusedFailsAndBlocksAttachAnyway(t *testing.T) {
	f := newFake()
	f.askHostKey = true
	d := toPreflight(t, f)
	d.keys("n")
	d.wantStep(stepPreflight)
	d.want("✗ FAIL  SSH host key", "DANGER")
	d.keys("enter")
	d.wantStep(stepConfirm)
	d.want("Cannot attach", "host key could not be trusted")
	d.wantNot("f attach anyway")
	d.keys("f")
	if d.m.confirm.asking {
		t.Fatal("attach anyway offered over an untrusted host key")
	}
}

func TestChangedHostKeyShownAsDanger(t *testing.T) {
	f := newFake()
	f.results[probes.IDSSHHostKey] = probes.Result{Status: probes.Fail, Field: probes.FieldKnownHosts,
		Detail: "HOST KEY CHANGED for 20.1.2.5:22: known_hosts:1 has ED25519 SHA256:old, the server now presents ED25519 SHA256:new",
		Remedy: "someone may be intercepting the connection, or the VM was rebuilt"}
	d := toPreflight(t, f)
	d.want("✗ DANGER: the VM's host key cannot be trusted", "HOST KEY CHANGED")
	d.wantNot("y accept")
	d.keys("e") // nothing to edit: known_hosts is not a field
	d.wantStep(stepPreflight)
}

func TestConfirmShowsTheRequestThenAttaches(t *testing.T) {
	f := newFake()
	d := toPreflight(t, f)
	d.keys("enter")
	d.wantStep(stepConfirm)
	d.want(`PUT compute "gpu-dsvm" (VirtualMachine) in workspace contoso-ws`, "administratorAccount.password: ********",
		"Attach each resource once", "each new attachment breaks", "enter attaches")
	d.wantNot("Demo-Passw0rd!")
	d.keys("enter")
	d.wantStep(stepAttach)
	d.want(`Attached: compute "gpu-dsvm" is Succeeded (3.0s)`, `compute="gpu-dsvm",`, "from azure.ai.ml import MLClient, command")
	d.keys("enter")
	if !d.quit {
		t.Fatal("enter on the result did not quit")
	}
	if o := d.m.Outcome(); o.Kind != OutcomeAttached || o.Err != nil || !strings.Contains(strings.Join(o.Lines, "\n"), `compute="gpu-dsvm"`) {
		t.Fatalf("outcome %+v", o)
	}
}

func TestAttachFailureShowsEveryErrorAndTheFix(t *testing.T) {
	f := newFake()
	f.attachErrs = []flows.ProvisioningError{
		{Code: "InternalServerError", Message: "Connection failed to establish within 30000 milliseconds."},
		{Code: "Conflict", Message: "Second error, kept word for word."},
	}
	d := toPreflight(t, f)
	d.keys("enter", "enter")
	d.want(`The attach of "gpu-dsvm" ended Failed.`, "InternalServerError: Connection failed to establish within 30000 milliseconds.",
		"Conflict: Second error, kept word for word.", "Likely cause and fix:", "Azure ML could not reach the VM over SSH", "amlattach detach gpu-dsvm")
	d.keys("q")
	if o := d.m.Outcome(); o.Kind != OutcomeAttachFailed || flows.ExitCode(o.Err) != 3 {
		t.Fatalf("outcome %+v (exit %d)", o, flows.ExitCode(o.Err))
	}
}

func TestAttachAnywayOnlyExplicitly(t *testing.T) {
	f := newFake()
	f.results[probes.IDHostDocker] = probes.Result{Status: probes.Fail, Detail: "no daemon"}
	d := toPreflight(t, f)
	d.keys("enter")
	d.want("1 probe(s) failed: Docker", "f attaches anyway", "f attach anyway")
	d.wantNot("enter attach ")
	d.keys("enter") // enter does not attach over a failure
	d.wantStep(stepConfirm)
	d.keys("f")
	d.want("Attach anyway?")
	d.keys("n")
	d.wantStep(stepConfirm)
	d.wantNot("Attach anyway?")
	d.keys("f", "y")
	d.wantStep(stepAttach)
	d.want("Attached:")
}

func TestNeverAttachOverATakenName(t *testing.T) {
	f := newFake()
	f.results[probes.IDWsName] = probes.Result{Status: probes.Fail, Detail: `"gpu-dsvm" is already used`, Field: probes.FieldName}
	d := toPreflight(t, f)
	d.keys("enter")
	d.want("Cannot attach", "e edit the compute name")
	d.keys("f")
	d.wantStep(stepConfirm)
	d.keys("e")
	d.wantStep(stepDetails)
	if k := focusKey(d.m.form); k != "name" {
		t.Fatalf("focus on %q, want the name", k)
	}
}

// holdingBackend keeps the attach in Creating until its context ends.
type holdingBackend struct{ *fakeBackend }

func (h holdingBackend) Submit(ctx context.Context, ws flows.Workspace, p *flows.Plan, rep *flows.Report, emit flows.Emit) (*flows.Report, error) {
	emit(flows.Event{Kind: flows.AttachProgress, Phase: "submitted", State: "Creating", At: h.clock.Now()})
	emit(flows.Event{Kind: flows.AttachProgress, Phase: "polling", State: "Creating", At: h.clock.Now()})
	h.waiting.Add(1)
	<-ctx.Done()
	h.waiting.Add(-1)
	return rep, &flows.Error{Kind: flows.KindInterrupted, Msg: "stopped watching", Err: ctx.Err()}
}

func toRunningAttach(t *testing.T) (*driver, *fakeBackend) {
	t.Helper()
	f := newFake()
	d := toAttach(t, f, holdingBackend{f})
	d.want("Attaching \"gpu-dsvm\"", "submitted: Azure accepted the request", "poll 1 said Creating")
	return d, f
}

// toAttach drives the wizard over be (which wraps f) to the attach of
// gpu-dsvm with a password: workspace, type, the VM, details, preflight,
// confirm.
func toAttach(t *testing.T, f *fakeBackend, be Backend) *driver {
	t.Helper()
	o := testOptions(f)
	o.Backend = be
	d := newDriver(t, o, 99, 30)
	d.keys("enter", "enter", "/")
	d.typeText("gpu")
	d.keys("enter", "enter")
	d.typeText("pw")
	d.keys("enter", "enter", "enter")
	d.wantStep(stepAttach)
	return d
}

func TestCtrlCDuringAttachAsks(t *testing.T) {
	d, _ := toRunningAttach(t)
	d.keys("ctrl+c")
	d.want("keep waiting", "stop watching", "cancel and detach", "amlattach list")
	d.keys("w")
	d.wantNot("cancel and detach:")
	d.keys("ctrl+c", "s")
	if !d.quit {
		t.Fatal("stop watching did not leave")
	}
	o := d.m.Outcome()
	if o.Kind != OutcomeStoppedWatching || flows.ExitCode(o.Err) != 130 {
		t.Fatalf("outcome %+v", o)
	}
	var fe *flows.Error
	if !errors.As(o.Err, &fe) || !strings.Contains(fe.Msg, "goes on in Azure") || !strings.Contains(fe.Fix, "amlattach list") {
		t.Fatalf("no word on where the attach goes: %+v", o.Err)
	}
}

func TestCancelAndDetach(t *testing.T) {
	d, f := toRunningAttach(t)
	d.keys("ctrl+c", "d")
	d.want(`Cancelled: "gpu-dsvm" was detached again`, "The VM itself was not touched")
	if !f.detached {
		t.Fatal("no detach")
	}
	d.keys("enter")
	if o := d.m.Outcome(); o.Kind != OutcomeDetached {
		t.Fatalf("outcome %+v", o)
	}
}

func TestQuitAsksOnlyWhenSomethingWouldBeLost(t *testing.T) {
	d := newDriver(t, testOptions(newFake()), 99, 30)
	d.keys("q")
	if !d.quit {
		t.Fatal("q on the first screen did not quit")
	}

	d = toDetails(t, newFake(), 99, 30)
	d.typeText("q") // typed into the name, not a quit
	if d.quit || !strings.HasSuffix(d.m.form.field("name").input.Value(), "q") {
		t.Fatal("q in a text field quit")
	}
	d.keys("ctrl+c")
	d.want("Quit amlattach?", "What you typed is lost")
	d.keys("n")
	d.wantNot("Quit amlattach?")
	d.wantStep(stepDetails)
	d.keys("ctrl+c", "y")
	if !d.quit || d.m.Outcome().Kind != OutcomeQuit {
		t.Fatal("did not quit after yes")
	}
}

func TestEscGoesBackKeepingWhatWasTyped(t *testing.T) {
	d := toDetails(t, newFake(), 99, 30)
	d.keys("ctrl+u")
	d.typeText("my-gpu")
	d.keys("esc")
	d.wantStep(stepResource)
	d.keys("esc") // clears the filter first
	d.keys("esc")
	d.wantStep(stepTarget)
	d.keys("enter", "enter") // the filter kept gpu-dsvm highlighted
	d.wantStep(stepDetails)
	if v := d.m.form.field("name").input.Value(); v != "my-gpu" {
		t.Fatalf("name %q after going back and forth", v)
	}
}

func TestHelpAndSidePanel(t *testing.T) {
	d := newDriver(t, testOptions(newFake()), 80, 24)
	d.wantNot("About:")
	d.keys("i")
	d.want("About: The workspace")
	d.keys("i")
	d.keys("?")
	d.want("Keys", "change workspace")
	d.keys("?")
	d.wantNot("Keys\n")

	d = toDetails(t, newFake(), 120, 30) // wide: the panel is beside the step
	d.want("About: Reaching the VM", "AzureMachineLearning", "Docker")
	d.typeText("?")
	d.wantNot("Keys\n")
	d.keys("f1")
	d.want("Keys")
	d.want("?/esc close help")
}

func TestEveryStepFitsIn60x18(t *testing.T) {
	f := newFake()
	f.results[probes.IDHostDocker] = probes.Result{Status: probes.Fail, Detail: "docker is installed but its daemon is not running: Cannot connect to the Docker daemon",
		Remedy: "start the daemon and enable it at boot: sudo systemctl enable --now docker"}
	d := newDriver(t, testOptions(f), 60, 18)
	check := func(what string) {
		t.Helper()
		lines := strings.Split(d.m.View(), "\n")
		if len(lines) != 18 {
			t.Fatalf("%s: %d lines, want 18:\n%s", what, len(lines), d.screen())
		}
		for _, l := range lines {
			if w := lipgloss.Width(l); w > 60 {
				t.Fatalf("%s: a line of %d cells:\n%s", what, w, l)
			}
		}
	}
	check("workspace")
	d.keys("i")
	check("workspace with its explanation")
	d.keys("i", "enter")
	check("types")
	d.keys("enter")
	check("resource")
	d.keys("G", "enter")
	check("details")
	d.keys("enter")
	d.typeText("pw")
	d.keys("enter")
	check("preflight")
	d.want("Not ready")
	d.keys("enter")
	check("confirm")
	d.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	check2 := strings.Split(d.m.View(), "\n")
	if len(check2) != 30 {
		t.Fatalf("resized up: %d lines", len(check2))
	}
}

func TestScenarioOpensOnThePreflight(t *testing.T) {
	f := newFake()
	o := testOptions(f)
	o.Start = &Start{Scenario: "clean-attach", ResourceID: testVM, ComputeName: "gpu-dsvm", Username: "azureuser", Password: "Demo-Passw0rd!"}
	d := newDriver(t, o, 99, 30)
	d.wantStep(stepPreflight)
	d.want("Preflight of gpu-dsvm", "Ready to attach")
	if len(f.probed) != 1 || !secretOf(f.probed[0], "Demo-Passw0rd!") {
		t.Fatalf("probed with %+v", f.probed)
	}
	d.keys("esc")
	d.wantStep(stepDetails)
	d.want("demo scenario: clean-attach")
	d.keys("q") // typed: the name field has the keys
	d.keys("ctrl+c")
	d.want("Quit amlattach?")
}

func TestStatusesHaveGlyphAndWord(t *testing.T) {
	st := NewStyles()
	for s, want := range map[probes.Status]string{probes.Pass: "✓ pass", probes.Warn: "! warn", probes.Fail: "✗ FAIL", probes.Skip: "- skip"} {
		if got := st.Status(s); got != want {
			t.Errorf("%s renders %q without colour, want %q", s, got, want)
		}
	}
}

func TestRunChannelStopsWithItsContext(t *testing.T) {
	r, ctx := newRun(context.Background(), 1)
	r.cancel()
	done := make(chan struct{})
	go func() { r.put(ctx, backMsg{}); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("put blocked after cancel")
	}
}

// focusKey is the key of the field the form's cursor is on.
func focusKey(s *formScreen) string { return s.fields[s.focus].Key }

// shownField says the form shows the field k now.
func shownField(s *formScreen, k string) bool {
	i := s.index(k)
	return i >= 0 && s.shown()[i]
}

func TestBackFromConfirmKeepsTheResultsAndBackFromPreflightStopsIt(t *testing.T) {
	f := newFake()
	d := toPreflight(t, f)
	d.keys("enter")
	d.wantStep(stepConfirm)
	d.keys("esc")
	d.wantStep(stepPreflight)
	d.want("Ready to attach")
	if len(f.probed) != 1 {
		t.Fatalf("going back ran the probes again (%d runs)", len(f.probed))
	}
	d.keys("esc")
	d.wantStep(stepDetails)
	if d.m.preflight.Running() {
		t.Fatal("the preflight still runs after esc")
	}
}

// failingComputes fails to list the workspace's computes until fixed.
type failingComputes struct {
	*fakeBackend
	fail *bool
}

func (f failingComputes) Computes(ctx context.Context, ws flows.Workspace) ([]flows.Compute, error) {
	if *f.fail {
		return nil, &flows.Error{Kind: flows.KindAzure, Msg: "list the computes of contoso-ws: Azure answered HTTP 403 AuthorizationFailed: no access", Fix: "ask for a role that allows this"}
	}
	return f.fakeBackend.Computes(ctx, ws)
}

func TestWorkspaceErrorSaysWhatAndFixAndRetries(t *testing.T) {
	fail := true
	o := testOptions(newFake())
	o.Backend = failingComputes{newFake(), &fail}
	d := newDriver(t, o, 99, 30)
	d.want("HTTP 403 AuthorizationFailed", "fix: ask for a role that allows this", "r retry")
	d.keys("enter")
	d.wantStep(stepWorkspace)
	fail = false
	d.keys("r")
	d.want("old-dsvm (VirtualMachine, Succeeded)")
	d.keys("enter")
	d.wantStep(stepTarget)
}

func TestHostKeyAndResultFitIn60x18(t *testing.T) {
	f := newFake()
	f.askHostKey = true
	d := newDriver(t, testOptions(f), 60, 18)
	d.keys("enter", "enter", "G", "enter", "enter")
	d.typeText("pw")
	d.keys("enter")
	d.wantStep(stepHostKey)
	d.want("SHA256:")
	if !strings.Contains(d.screen(), "SHA256:") || strings.Contains(d.screen(), "SHA256:…") {
		t.Fatalf("the fingerprint is cut:\n%s", d.screen())
	}
	d.keys("y", "enter", "enter")
	d.wantStep(stepAttach)
	for _, l := range strings.Split(d.m.View(), "\n") {
		if lipgloss.Width(l) > 60 {
			t.Fatalf("a line of %d cells:\n%s", lipgloss.Width(l), d.screen())
		}
	}
	d.want("Attached:")
}

// twiceBackend ends the attach Succeeded, then finds the VM attached under
// another name meanwhile (flows' check after the attach).
type twiceBackend struct{ *fakeBackend }

func (b twiceBackend) Submit(ctx context.Context, ws flows.Workspace, p *flows.Plan, rep *flows.Report, emit flows.Emit) (*flows.Report, error) {
	rep, _ = b.fakeBackend.Submit(ctx, ws, p, rep, emit)
	rep.OK = false
	other := flows.Compute{Name: "team-b-vm", ProvisioningState: "Succeeded", ResourceID: p.ID.String()}
	return rep, &flows.Error{Kind: flows.KindAzure, Err: &flows.DuplicateAttachError{Name: p.Name, Others: []flows.Compute{other}},
		Msg: p.ID.String() + " is now attached twice or more", Fix: "keep one attachment: detach ours with: amlattach detach " + p.Name}
}

func TestAttachedTwiceOffersToDetachOurs(t *testing.T) {
	f := newFake()
	d := toAttach(t, f, twiceBackend{f})
	d.want("attached twice or more", `d detaches "gpu-dsvm" now`, "as team-b-vm", "d detach ours")
	if f.detached {
		t.Fatal("detached before the user asked")
	}
	d.keys("d")
	d.want(`Detached "gpu-dsvm"`, "attached once again, as team-b-vm", "The VM itself was not touched")
	if !f.detached {
		t.Fatal("d did not detach ours")
	}
	d.keys("enter")
	o2 := d.m.Outcome()
	if o2.Kind != OutcomeDetached || flows.ExitCode(o2.Err) != 3 || !strings.Contains(o2.Err.Error(), "team-b-vm") {
		t.Fatalf("outcome %+v (exit %d)", o2, flows.ExitCode(o2.Err))
	}
}

func TestPlainAttachedTwiceOffersToDetachOurs(t *testing.T) {
	for _, answer := range []string{"n", "y", "(end of input)"} {
		f := newFake()
		o := testOptions(f)
		o.Backend = twiceBackend{f}
		lines := []string{"", "4", "1", "", testToken, "y", answer}
		if answer == "(end of input)" { // the attach happened: it ends as it did, exit 3
			lines = lines[:len(lines)-1]
		}
		in := strings.Join(lines, "\n") + "\n"
		var out bytes.Buffer
		got, err := RunPlain(context.Background(), o, PlainIO{In: strings.NewReader(in), Out: &out, NoEcho: func() func() { return func() {} }})
		if err != nil {
			t.Fatal(err)
		}
		text := out.String()
		if !strings.Contains(text, `Detach ours ("dbx-ws") now? The Databricks workspace stays attached as team-b-vm`) {
			t.Fatalf("no offer to detach ours:\n%s", text)
		}
		if f.detached != (answer == "y") {
			t.Fatalf("answer %s: detached %v\n%s", answer, f.detached, text)
		}
		want := OutcomeAttachFailed
		if answer == "y" {
			want = OutcomeDetached
			if !strings.Contains(text, `✓ Detached "dbx-ws": the Databricks workspace is attached once again, as team-b-vm`) {
				t.Fatalf("no word on the detach:\n%s", text)
			}
		}
		if got.Kind != want || flows.ExitCode(got.Err) != 3 {
			t.Fatalf("answer %s: outcome %+v (exit %d)", answer, got, flows.ExitCode(got.Err))
		}
	}
}
