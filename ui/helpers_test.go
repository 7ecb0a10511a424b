package ui

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"golang.org/x/crypto/ssh"

	"amlattach/flows"
	"amlattach/probes"
)

func init() {
	// Goldens and text assertions read the screens without colour.
	lipgloss.SetColorProfile(termenv.Ascii)
}

const (
	testSub = "00000000-0000-0000-0000-000000000001"
	testVM  = "/subscriptions/" + testSub + "/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/gpu-dsvm"
	testDBX = "/subscriptions/" + testSub + "/resourceGroups/ml-rg/providers/Microsoft.Databricks/workspaces/dbx-ws"
	testAKS = "/subscriptions/" + testSub + "/resourceGroups/ml-rg/providers/Microsoft.ContainerService/managedClusters/aks-prod"
)

// clock is a test clock that only moves when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakeBackend answers at once from its fields: a world in a struct.
type fakeBackend struct {
	clock    *clock
	who      string
	subs     []flows.Subscription
	wss      map[string][]flows.Workspace
	computes []flows.Compute
	cands    []flows.Candidate            // the VMs
	others   map[string][]flows.Candidate // the other types' resources
	// results by probe ID; probes not listed pass.
	results map[string]probes.Result
	// askHostKey makes ssh.hostkey ask about a new key first.
	askHostKey bool
	attachErrs []flows.ProvisioningError // the attach ends Failed with these
	detached   bool
	// doctor answers Doctor for a compute (nil: every probe passes with
	// the stored credentials).
	doctor func(c flows.Compute, in flows.DoctorInput) *flows.Diagnosis
	// browseAll, when set, answers BrowseAll (a listing the test feeds).
	browseAll func(ctx context.Context, typ string, page func([]flows.Candidate)) error
	// fixes are the fixes offered by the probe they clear, for the failed
	// and warned results; applyErr makes ApplyFix end with this outcome
	// instead of clearing the probe.
	fixes    map[string]flows.Fix
	applyOut *flows.FixOutcome
	// holdFix holds ApplyFix open, after its "submitted" event, until it
	// is closed or the run is cancelled.
	holdFix chan struct{}
	// newLogin is the login a fix installs on the plan (ssh.install-key).
	newLogin *flows.FixedLogin
	// applied and reruns record what the fixes did.
	applied []string
	reruns  int
	// job scripts the test jobs (RunJob, in job_test.go).
	job fakeJob
	// doctorRuns, detaches and replaced record what the wizard asked.
	doctorRuns []flows.DoctorInput
	detaches   []string
	replaced   []*flows.Plan

	mu     sync.Mutex
	probed []*flows.Plan // what each preflight ran with
	// submitted is what each attach sent.
	submitted []*flows.Plan
	// waiting counts operations blocked on the user (a host key question,
	// an attach held open), so the test loop knows the screen has settled.
	waiting atomic.Int64
}

func newFake() *fakeBackend {
	return &fakeBackend{
		clock: newClock(),
		subs:  []flows.Subscription{{ID: testSub, Name: "Contoso ML", State: "Enabled"}, {ID: "11111111-2222-3333-4444-555555555555", Name: "Research", State: "Enabled"}},
		wss: map[string][]flows.Workspace{
			testSub: {{SubscriptionID: testSub, ResourceGroup: "ml-rg", Name: "contoso-ws", Location: "eastus"}},
			"11111111-2222-3333-4444-555555555555": {
				{SubscriptionID: "11111111-2222-3333-4444-555555555555", ResourceGroup: "lab-rg", Name: "lab-ws", Location: "westeurope"},
			},
		},
		computes: []flows.Compute{{Name: "old-dsvm", Type: "VirtualMachine", ProvisioningState: "Succeeded",
			ResourceID: "/subscriptions/" + testSub + "/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/dsvm-legacy"}},
		cands: []flows.Candidate{
			{ID: "/subscriptions/" + testSub + "/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/centos-vm", Name: "centos-vm", ResourceGroup: "ml-rg", Location: "eastus"},
			{ID: "/subscriptions/" + testSub + "/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/dsvm-legacy", Name: "dsvm-legacy", ResourceGroup: "ml-rg", Location: "eastus", AttachedAs: []string{"old-dsvm"}},
			{ID: testVM, Name: "gpu-dsvm", ResourceGroup: "ml-rg", Location: "eastus"},
		},
		results: map[string]probes.Result{},
		others: map[string][]flows.Candidate{
			"databricks": {
				{ID: testDBX, Name: "dbx-ws", ResourceGroup: "ml-rg", Location: "eastus"},
				{ID: "/subscriptions/" + testSub + "/resourceGroups/ml-rg/providers/Microsoft.Databricks/workspaces/dbx-offline", Name: "dbx-offline", ResourceGroup: "ml-rg", Location: "eastus"},
			},
			"aks": {
				{ID: testAKS, Name: "aks-prod", ResourceGroup: "ml-rg", Location: "eastus"},
				{ID: "/subscriptions/" + testSub + "/resourceGroups/ml-rg/providers/Microsoft.ContainerService/managedClusters/aks-small", Name: "aks-small", ResourceGroup: "ml-rg", Location: "eastus", AttachedAs: []string{"small-aks"}},
			},
		},
	}
}

// secretOf says whether the plan carries secret v (masked everywhere it is shown).
func secretOf(p *flows.Plan, v string) bool {
	for _, s := range p.Secrets() {
		if s == v {
			return true
		}
	}
	return false
}

func (f *fakeBackend) SignedIn(context.Context) (string, error) { return f.who, nil }
func (f *fakeBackend) Subscriptions(context.Context) ([]flows.Subscription, error) {
	return f.subs, nil
}
func (f *fakeBackend) Workspaces(_ context.Context, sub string) ([]flows.Workspace, error) {
	return f.wss[sub], nil
}
func (f *fakeBackend) ReadWorkspace(_ context.Context, ws flows.Workspace) (flows.Workspace, error) {
	return ws, nil
}
func (f *fakeBackend) Computes(context.Context, flows.Workspace) ([]flows.Compute, error) {
	return f.computes, nil
}
func (f *fakeBackend) Browse(_ context.Context, _ flows.Workspace, typ string) ([]flows.Candidate, error) {
	if typ == "vm" {
		return f.cands, nil
	}
	return f.others[typ], nil
}

// BrowseAll sends what Browse answers as one page, unless browseAll is set.
func (f *fakeBackend) BrowseAll(ctx context.Context, ws flows.Workspace, typ string, page func([]flows.Candidate)) error {
	if f.browseAll != nil {
		return f.browseAll(ctx, typ, page)
	}
	cs, err := f.Browse(ctx, ws, typ)
	if len(cs) > 0 {
		page(cs)
	}
	return err
}

// Probe runs the plan's probes in order, each passing unless results says
// otherwise. With askHostKey, ssh.hostkey first asks about a new key the
// way the real probe does: through the ConfirmHostKey the wizard gave the
// plan, which finds the asking screen in the context.
func (f *fakeBackend) Probe(ctx context.Context, ws flows.Workspace, p *flows.Plan, emit flows.Emit) []probes.Result {
	f.mu.Lock()
	f.probed = append(f.probed, p)
	f.mu.Unlock()
	var out []probes.Result
	for _, id := range p.ProbeIDs() {
		emit(flows.Event{Kind: flows.ProbeStarted, Result: probes.Result{ID: id, Title: probes.Title(id)}})
		if id == probes.IDSSHHostKey && f.askHostKey {
			_, priv, _ := ed25519.GenerateKey(seedReader{})
			signer, _ := ssh.NewSignerFromKey(priv)
			f.waiting.Add(1)
			ok := confirmHostKey(ctx, "20.1.2.5:22", signer.PublicKey())
			f.waiting.Add(-1)
			if !ok {
				r := probes.Result{ID: id, Title: probes.Title(id), Status: probes.Fail, Detail: "new host key refused", Field: probes.FieldKnownHosts}
				emit(flows.Event{Kind: flows.ProbeFinished, Result: r})
				out = append(out, r)
				continue
			}
		}
		r, ok := f.results[id]
		if !ok {
			r = probes.Result{Status: probes.Pass, Detail: "fine: " + id}
			if id == probes.IDWsName {
				r.Detail = fmt.Sprintf("%q is free in %s", p.Name, ws.Name)
			}
		}
		r.ID, r.Title = id, probes.Title(id)
		if r.Duration == 0 && r.Status != probes.Skip {
			r.Duration = 3 * time.Millisecond
		}
		emit(flows.Event{Kind: flows.ProbeFinished, Result: r})
		out = append(out, r)
	}
	return out
}

func (f *fakeBackend) Submit(ctx context.Context, ws flows.Workspace, p *flows.Plan, rep *flows.Report, emit flows.Emit) (*flows.Report, error) {
	f.mu.Lock()
	f.submitted = append(f.submitted, p)
	f.mu.Unlock()
	emit(flows.Event{Kind: flows.AttachProgress, Phase: "submitted", State: "Creating", At: f.clock.Now()})
	f.clock.Advance(time.Second)
	emit(flows.Event{Kind: flows.AttachProgress, Phase: "polling", State: "Creating", At: f.clock.Now()})
	f.clock.Advance(2 * time.Second)
	id := "/subscriptions/" + testSub + "/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/contoso-ws/computes/" + p.Name
	if len(f.attachErrs) > 0 {
		emit(flows.Event{Kind: flows.AttachProgress, Phase: "done", State: "Failed", At: f.clock.Now()})
		rep.Compute = &flows.ComputeJSON{Name: p.Name, ID: id, ProvisioningState: "Failed", ProvisioningErrors: f.attachErrs}
		return rep, &flows.Error{Kind: flows.KindAzure, Msg: "the attach ended Failed"}
	}
	emit(flows.Event{Kind: flows.AttachProgress, Phase: "polling", State: "Succeeded", At: f.clock.Now()})
	emit(flows.Event{Kind: flows.AttachProgress, Phase: "done", State: "Succeeded", At: f.clock.Now()})
	rep.Compute = &flows.ComputeJSON{Name: p.Name, ID: id, ProvisioningState: "Succeeded", ProvisioningErrors: []flows.ProvisioningError{}}
	return rep, nil
}

func (f *fakeBackend) DetachAfterAttach(ctx context.Context, ws flows.Workspace, name string, emit flows.Emit) error {
	emit(flows.Event{Kind: flows.DetachProgress, Phase: "submitted", State: "Deleting", At: f.clock.Now()})
	emit(flows.Event{Kind: flows.DetachProgress, Phase: "done", State: "Detached", At: f.clock.Now()})
	f.detached = true
	return nil
}

func (f *fakeBackend) Doctor(ctx context.Context, ws flows.Workspace, in flows.DoctorInput, emit flows.Emit) (*flows.Diagnosis, error) {
	f.mu.Lock()
	f.doctorRuns = append(f.doctorRuns, in)
	f.mu.Unlock()
	var comp *flows.Compute
	for i := range f.computes {
		if f.computes[i].Name == in.Name {
			comp = &f.computes[i]
		}
	}
	if comp == nil {
		return nil, &flows.Error{Kind: flows.KindAzure, Msg: "no compute named " + in.Name}
	}
	g := &flows.Diagnosis{Workspace: ws, Compute: *comp, SecretsFrom: "listKeys", At: f.clock.Now()}
	if f.doctor != nil {
		g = f.doctor(*comp, in)
		g.Workspace, g.Compute, g.At = ws, *comp, f.clock.Now()
	} else {
		g.Results = []probes.Result{{ID: probes.IDArmResource, Status: probes.Pass, Detail: "found it"}}
	}
	for i, r := range g.Results {
		r.Title = probes.Title(r.ID)
		if r.Duration == 0 && r.Status != probes.Skip {
			r.Duration = 2 * time.Millisecond
		}
		g.Results[i] = r
		emit(flows.Event{Kind: flows.ProbeStarted, Result: probes.Result{ID: r.ID, Title: r.Title}})
		emit(flows.Event{Kind: flows.ProbeFinished, Result: r})
	}
	return g, nil
}

func (f *fakeBackend) Detach(ctx context.Context, ws flows.Workspace, name string, emit flows.Emit) error {
	f.mu.Lock()
	f.detaches = append(f.detaches, name)
	var kept []flows.Compute
	for _, c := range f.computes {
		if c.Name != name {
			kept = append(kept, c)
		}
	}
	f.computes = kept
	f.mu.Unlock()
	emit(flows.Event{Kind: flows.DetachProgress, Phase: "submitted", State: "Deleting", At: f.clock.Now()})
	emit(flows.Event{Kind: flows.DetachProgress, Phase: "done", State: "NotFound", At: f.clock.Now()})
	return nil
}

// ProbeReplace is Probe without ws.name.
func (f *fakeBackend) ProbeReplace(ctx context.Context, ws flows.Workspace, p *flows.Plan, emit flows.Emit) []probes.Result {
	var out []probes.Result
	for _, r := range f.Probe(ctx, ws, p, func(e flows.Event) {
		if e.Result.ID != probes.IDWsName {
			emit(e)
		}
	}) {
		if r.ID != probes.IDWsName {
			out = append(out, r)
		}
	}
	return out
}

// Replace records the call; like flows.Replace it detaches only when the
// preflight passes, then attaches.
func (f *fakeBackend) Replace(ctx context.Context, ws flows.Workspace, p *flows.Plan, retry string, emit flows.Emit) (*flows.Report, error) {
	f.mu.Lock()
	f.replaced = append(f.replaced, p)
	f.mu.Unlock()
	rs := f.ProbeReplace(ctx, ws, p, emit)
	rep := flows.NewReport(p.Type, p.Name, p.ID.String(), rs)
	if flows.AnyFailed(rs) {
		return rep, &flows.Error{Kind: flows.KindProbeFailed, Msg: fmt.Sprintf("a probe failed with the new settings; %q was not detached", p.Name)}
	}
	f.mu.Lock()
	f.detaches = append(f.detaches, p.Name)
	f.mu.Unlock()
	emit(flows.Event{Kind: flows.DetachProgress, Phase: "submitted", State: "Deleting", At: f.clock.Now()})
	emit(flows.Event{Kind: flows.DetachProgress, Phase: "done", State: "NotFound", At: f.clock.Now()})
	rep, err := f.Submit(ctx, ws, p, rep, emit)
	if err != nil {
		return rep, &flows.Error{Kind: flows.KindAzure, Msg: fmt.Sprintf("%q was detached, and attaching it again failed: %v", p.Name, err), Fix: "finish the job with: " + retry}
	}
	return rep, nil
}

// Fixes offers the fixes of the failed and warned results.
func (f *fakeBackend) Fixes(_ context.Context, _ flows.Workspace, _ *flows.Plan, rs []probes.Result) []flows.Fix {
	var out []flows.Fix
	for _, r := range rs {
		if fx, ok := f.fixes[r.ID]; ok && (r.Status == probes.Fail || r.Status == probes.Warn) {
			fx.Probe = r.ID
			out = append(out, fx)
		}
	}
	return out
}

// ApplyFix records the fix and, as the real one changes the world, makes
// its probe pass from now on (unless applyOut says how it ends instead).
func (f *fakeBackend) ApplyFix(ctx context.Context, fx flows.Fix, emit flows.Emit) flows.FixOutcome {
	f.mu.Lock()
	f.applied = append(f.applied, fx.ID)
	f.mu.Unlock()
	emit(flows.Event{Kind: flows.FixProgress, Fix: fx.ID, Phase: "submitted", State: "Starting", At: f.clock.Now()})
	if f.holdFix != nil {
		f.waiting.Add(1)
		select {
		case <-f.holdFix:
		case <-ctx.Done():
		}
		f.waiting.Add(-1)
		if ctx.Err() != nil {
			return flows.FixOutcome{ID: fx.ID, Probe: fx.Probe, Status: flows.FixFailed, Summary: fx.Summary, Error: "interrupted"}
		}
	}
	if f.applyOut != nil {
		o := *f.applyOut
		o.ID, o.Probe, o.Summary = fx.ID, fx.Probe, fx.Summary
		return o
	}
	f.clock.Advance(4 * time.Second)
	emit(flows.Event{Kind: flows.FixProgress, Fix: fx.ID, Phase: "done", State: "Running", At: f.clock.Now()})
	f.mu.Lock()
	delete(f.results, fx.Probe)
	f.mu.Unlock()
	ch := flows.Change{Resource: "the resource of " + fx.ID, Before: "as the probe found it", After: "fixed"}
	if fx.ID == flows.FixVMStart {
		ch = flows.Change{Resource: "VM gpu-dsvm", Before: "power state deallocated", After: "power state running"}
	}
	return flows.FixOutcome{ID: fx.ID, Probe: fx.Probe, Status: flows.FixApplied, Summary: fx.Summary, Changed: []flows.Change{ch}}
}

// RerunAfterFixes runs the probes of before again (all of them: the fake
// has no graph) and puts a fix's new login on the plan.
func (f *fakeBackend) RerunAfterFixes(ctx context.Context, ws flows.Workspace, p *flows.Plan, before []probes.Result, outs []flows.FixOutcome, emit flows.Emit) []probes.Result {
	f.mu.Lock()
	f.reruns++
	if f.newLogin != nil {
		p.SetFixedLogin(*f.newLogin)
	}
	f.mu.Unlock()
	in := map[string]bool{}
	for _, r := range before {
		in[r.ID] = true
	}
	var out []probes.Result
	for _, r := range f.Probe(ctx, ws, p, func(e flows.Event) {
		if in[e.Result.ID] {
			emit(e)
		}
	}) {
		if in[r.ID] {
			out = append(out, r)
		}
	}
	return out
}

// seedReader is a fixed "random" source: the same host key every run.
type seedReader struct{}

func (seedReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(i*7 + 1)
	}
	return len(p), nil
}

func testOptions(f *fakeBackend) Options {
	return Options{
		Backend:         f,
		Workspace:       flows.Workspace{SubscriptionID: testSub, ResourceGroup: "ml-rg", Name: "contoso-ws", Location: "eastus"},
		WorkspaceSource: "--world",
		Sandbox:         true,
		KnownHosts:      "/home/user/.config/amlattach/sandbox_known_hosts",
		Getenv:          func(string) string { return "" },
		Now:             f.clock.Now,
	}
}

// driver is a small Bubble Tea loop for pure Update tests: it feeds a
// message to the model, runs the Cmds that follow in goroutines as Bubble
// Tea does, and feeds their messages back one at a time, until nothing is
// running or what still runs waits for the user (a probe asking about a
// host key). Spinner and clock ticks are dropped, so a settled screen stays
// still and View can be read at any time between calls.
type driver struct {
	t       *testing.T
	m       *Model
	blocked func() int64 // Cmds waiting for the user, not for work
	inbox   chan tea.Msg
	running sync.WaitGroup
	active  int64
	mu      sync.Mutex
	quit    bool
}

func newDriver(t *testing.T, o Options, w, h int) *driver {
	t.Helper()
	d := &driver{t: t, m: New(context.Background(), o), inbox: make(chan tea.Msg, 256), blocked: func() int64 { return 0 }}
	switch b := o.Backend.(type) {
	case *fakeBackend:
		d.blocked = b.waiting.Load
	case holdingBackend:
		d.blocked = b.waiting.Load
	}
	t.Cleanup(d.m.Close)
	d.send(tea.WindowSizeMsg{Width: w, Height: h})
	d.launch(d.m.Init())
	d.settle()
	return d
}

// send hands one message to the model and settles.
func (d *driver) send(msgs ...tea.Msg) {
	d.t.Helper()
	for _, msg := range msgs {
		d.update(msg)
		d.settle()
	}
}

func (d *driver) update(msg tea.Msg) {
	_, cmd := d.m.Update(msg)
	d.launch(cmd)
}

// launch runs a Cmd (each part of a batch on its own) in the background.
func (d *driver) launch(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	d.mu.Lock()
	d.active++
	d.mu.Unlock()
	go func() {
		msg := cmd()
		defer func() {
			d.mu.Lock()
			d.active--
			d.mu.Unlock()
		}()
		switch msg := msg.(type) {
		case nil, spinner.TickMsg, attachTickMsg, jobTickMsg:
		case tea.BatchMsg:
			for _, c := range msg {
				d.launch(c)
			}
		case tea.QuitMsg:
			d.mu.Lock()
			d.quit = true
			d.mu.Unlock()
		default:
			d.inbox <- msg
		}
	}()
}

// settle feeds back what the Cmds produce until every Cmd still running
// waits for the user, and has for a moment (an answer just given takes a
// moment to wake the operation that waited for it).
func (d *driver) settle() {
	d.t.Helper()
	deadline := time.After(20 * time.Second)
	var idleSince time.Time
	for {
		select {
		case msg := <-d.inbox:
			d.update(msg)
			continue
		default:
		}
		d.mu.Lock()
		idle, none := d.active-d.blocked() <= 0, d.active == 0
		d.mu.Unlock()
		switch {
		case !idle || len(d.inbox) > 0:
			idleSince = time.Time{}
		case idleSince.IsZero():
			idleSince = time.Now()
		case none || time.Since(idleSince) > 30*time.Millisecond:
			return
		}
		select {
		case msg := <-d.inbox:
			d.update(msg)
		case <-time.After(2 * time.Millisecond):
		case <-deadline:
			d.t.Fatal("the model did not settle")
		}
	}
}

// keys types runes or names keys: "enter", "esc", "tab", "ctrl+c", "up"...
func (d *driver) keys(ks ...string) {
	d.t.Helper()
	for _, k := range ks {
		d.send(keyMsg(k))
	}
}

func (d *driver) typeText(s string) {
	d.t.Helper()
	for _, r := range s {
		d.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

func keyMsg(k string) tea.KeyMsg {
	switch k {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEscape}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "shift+tab":
		return tea.KeyMsg{Type: tea.KeyShiftTab}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	case "ctrl+u":
		return tea.KeyMsg{Type: tea.KeyCtrlU}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "left":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "right":
		return tea.KeyMsg{Type: tea.KeyRight}
	case "pgdown":
		return tea.KeyMsg{Type: tea.KeyPgDown}
	case "f1":
		return tea.KeyMsg{Type: tea.KeyF1}
	case "f2":
		return tea.KeyMsg{Type: tea.KeyF2}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// screen is the View without styling.
func (d *driver) screen() string { return ansi.Strip(d.m.View()) }

// has says whether the screen shows text, also when it was wrapped.
func (d *driver) has(text string) bool {
	s := d.screen()
	if strings.Contains(s, text) {
		return true
	}
	flat := strings.Join(strings.Fields(s), " ")
	return strings.Contains(flat, text) || strings.Contains(strings.ReplaceAll(flat, "- ", "-"), text) ||
		strings.Contains(strings.ReplaceAll(flat, "/ ", "/"), text)
}

func (d *driver) want(parts ...string) {
	d.t.Helper()
	for _, p := range parts {
		if !d.has(p) {
			d.t.Fatalf("screen lacks %q:\n%s", p, d.screen())
		}
	}
}

func (d *driver) wantNot(parts ...string) {
	d.t.Helper()
	for _, p := range parts {
		if d.has(p) {
			d.t.Fatalf("screen has %q:\n%s", p, d.screen())
		}
	}
}

func (d *driver) wantStep(s stepID) {
	d.t.Helper()
	if d.m.step != s {
		d.t.Fatalf("step %s, want %s:\n%s", d.m.step.name(), s.name(), d.screen())
	}
}
