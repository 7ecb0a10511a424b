package ui

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"amlattach/flows"
	"amlattach/probes"
)

// Goldens of settled screens at 80x24 with the ASCII colour profile (set in
// helpers_test.go). Each drives the real program loop through teatest and
// waits for text that appears only once the screen has settled, so no
// golden is taken mid-spinner. Update them with: go test ./ui/ -update

type session struct {
	t  *testing.T
	m  *Model
	tm *teatest.TestModel
}

func startSession(t *testing.T, o Options, w, h int) *session {
	t.Helper()
	m := New(context.Background(), o)
	t.Cleanup(m.Close)
	s := &session{t: t, m: m, tm: teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))}
	return s
}

// wait blocks until text has been drawn.
func (s *session) wait(text string) {
	s.t.Helper()
	teatest.WaitFor(s.t, s.tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(text)) },
		teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}

func (s *session) key(k string) { s.tm.Send(keyMsg(k)) }

func (s *session) golden() {
	s.t.Helper()
	if err := s.tm.Quit(); err != nil {
		s.t.Fatal(err)
	}
	fm := s.tm.FinalModel(s.t, teatest.WithFinalTimeout(10*time.Second))
	teatest.RequireEqualOutput(s.t, []byte(fm.View()))
}

// to walks to a step of the wizard on the fake backend.
func (s *session) toTypes() {
	s.wait("Attach to this workspace?")
	s.key("enter")
	s.wait("What do you want to attach?")
}

func (s *session) toResource() {
	s.toTypes()
	s.key("enter")
	s.wait("VMs in the workspace's subscription")
}

func (s *session) toDetails() {
	s.toResource()
	s.key("/")
	s.tm.Type("gpu")
	s.wait("1 of 3")
	s.key("enter")
	s.wait("How to reach the VM")
}

func (s *session) toPreflight(settled string) {
	s.toDetails()
	s.key("enter")
	s.wait("type the SSH password")
	s.tm.Type("Demo-Passw0rd!")
	s.key("enter")
	s.wait(settled)
}

func TestGoldenWorkspace(t *testing.T) {
	s := startSession(t, testOptions(newFake()), 80, 24)
	s.wait("Attach to this workspace?")
	s.golden()
}

func TestGoldenTargetTypes(t *testing.T) {
	s := startSession(t, testOptions(newFake()), 80, 24)
	s.toTypes()
	s.golden()
}

func TestGoldenExplainLocal(t *testing.T) {
	s := startSession(t, testOptions(newFake()), 80, 24)
	s.toTypes()
	s.key("G")
	s.key("k")
	s.key("enter")
	s.wait("local endpoint")
	s.golden()
}

func TestGoldenResource(t *testing.T) {
	s := startSession(t, testOptions(newFake()), 80, 24)
	s.toResource()
	s.golden()
}

func TestGoldenDetails(t *testing.T) {
	s := startSession(t, testOptions(newFake()), 80, 24)
	s.toDetails()
	s.golden()
}

func TestGoldenHostKey(t *testing.T) {
	f := newFake()
	f.askHostKey = true
	s := startSession(t, testOptions(f), 80, 24)
	s.toPreflight("A new host key")
	s.golden()
}

func dockerDown(f *fakeBackend) {
	f.results[probes.IDHostDocker] = probes.Result{Status: probes.Fail,
		Detail: "docker is installed but its daemon is not running: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
		Remedy: "start the daemon and enable it at boot: sudo systemctl enable --now docker"}
	f.results[probes.IDHostGPU] = probes.Result{Status: probes.Skip, Detail: "no NVIDIA driver (nvidia-smi not found): jobs will run on CPU"}
}

func TestGoldenPreflightFailed(t *testing.T) {
	f := newFake()
	dockerDown(f)
	s := startSession(t, testOptions(f), 80, 24)
	s.toPreflight("Not ready")
	s.golden()
}

func TestGoldenPreflightSmall(t *testing.T) {
	f := newFake()
	dockerDown(f)
	s := startSession(t, testOptions(f), 60, 18)
	s.toPreflight("Not ready")
	s.golden()
}

func TestGoldenConfirm(t *testing.T) {
	s := startSession(t, testOptions(newFake()), 80, 24)
	s.toPreflight("Ready to attach")
	s.key("enter")
	s.wait("enter attaches")
	s.golden()
}

func TestGoldenAttached(t *testing.T) {
	s := startSession(t, testOptions(newFake()), 80, 24)
	s.toPreflight("Ready to attach")
	s.key("enter")
	s.wait("enter attaches")
	s.key("enter")
	s.wait("j run a test job") // the help bar: the screen has settled
	s.golden()
}

func TestGoldenAttachFailed(t *testing.T) {
	f := newFake()
	f.attachErrs = []flows.ProvisioningError{{Code: "InternalServerError", Message: "Connection failed to establish within 30000 milliseconds."}}
	s := startSession(t, testOptions(f), 80, 24)
	s.toPreflight("Ready to attach")
	s.key("enter")
	s.wait("enter attaches")
	s.key("enter")
	s.wait("Likely cause and fix")
	s.golden()
}

// toForm chooses a type and its first resource, and waits for its form.
func (s *session) toForm(typ, listed, title string) {
	s.toTypes()
	s.key("/")
	s.tm.Type(typ)
	s.key("enter")
	s.wait(listed)
	s.key("enter")
	s.wait(title)
}

func TestGoldenFormDatabricks(t *testing.T) {
	s := startSession(t, testOptions(newFake()), 80, 24)
	s.toForm("databricks", "2 Databricks workspaces", "Details of the Databricks workspace")
	s.tm.Type(testToken)
	s.wait(strings.Repeat("•", len(testToken)))
	s.golden()
}

func TestGoldenFormAKS(t *testing.T) {
	s := startSession(t, testOptions(newFake()), 80, 24)
	s.toForm("aks", "2 AKS clusters", "Details of the AKS cluster")
	s.key("tab")
	s.wait("production purposes")
	s.golden()
}

func TestGoldenPreflightDatabricks(t *testing.T) {
	f := newFake()
	f.results[probes.IDDatabricksToken] = probes.Result{Status: probes.Fail, Field: probes.FieldToken,
		Detail: "the workspace refused the token: 403 Invalid access token", Remedy: "create a new personal access token in the workspace and use it"}
	s := startSession(t, testOptions(f), 80, 24)
	s.toForm("databricks", "2 Databricks workspaces", "Details of the Databricks workspace")
	s.tm.Type(testToken)
	s.key("enter")
	s.wait("Not ready")
	s.golden()
}

// The program itself (not only Update) quits on q from the first screen.
func TestProgramQuitsOnQ(t *testing.T) {
	s := startSession(t, testOptions(newFake()), 80, 24)
	s.wait("Attach to this workspace?")
	s.key("q")
	s.tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	if out, _ := io.ReadAll(s.tm.FinalOutput(t)); out == nil {
		t.Log("no output after quitting")
	}
	if s.m.Outcome().Kind != OutcomeQuit {
		t.Fatalf("outcome %+v", s.m.Outcome())
	}
}

var _ tea.Model = (*Model)(nil)

func (s *session) toComputes() {
	s.toTypes()
	s.key("t")
	s.wait("grouped by the resource")
}

// The computes: a Failed AKS cluster (highlighted: its stored error word
// for word) and a VM attached twice, marked CONFLICT.
func TestGoldenComputes(t *testing.T) {
	s := startSession(t, testOptions(troubleFake()), 80, 24)
	s.toComputes()
	s.key("j")
	s.key("j")
	s.wait("clusterPurpose DevTest")
	s.golden()
}

// A finished doctor: the expired token's probe, the credentials' source
// and the remedy.
func TestGoldenDoctor(t *testing.T) {
	s := startSession(t, testOptions(troubleFake()), 80, 30)
	s.toComputes()
	s.key("j")
	s.key("enter")
	s.wait("The compute has problems:")
	s.golden()
}
