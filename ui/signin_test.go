package ui

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"amlattach/azure"
	"amlattach/flows"
)

// fakeSignIn is a sign-in that the test approves (close approve) or that
// the user cancels: its Run waits like the device code flow does.
type fakeSignIn struct {
	checkErr error
	account  string
	home     string
	tenants  []flows.Tenant
	runErr   error
	approve  chan struct{}
	waiting  atomic.Int64

	mu        sync.Mutex
	checks    int
	runs      []string // the methods Run was called with
	cancelled int      // runs whose context ended while waiting
	used      []string // the tenants UseTenant switched to
}

func newFakeSignIn() *fakeSignIn {
	return &fakeSignIn{checkErr: azure.ErrNotSignedIn, account: "ada@contoso.example", home: "tid-home", approve: make(chan struct{})}
}

func (f *fakeSignIn) Check(context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checks++
	if f.checkErr != nil {
		return "", f.checkErr
	}
	return f.account, nil
}

func (f *fakeSignIn) Run(ctx context.Context, method string, emit func(flows.SignInEvent)) (flows.SignInResult, error) {
	f.mu.Lock()
	f.runs = append(f.runs, method)
	f.mu.Unlock()
	if method == flows.MethodDeviceCode {
		emit(flows.SignInEvent{Kind: flows.SignInCode, URL: "https://microsoft.com/devicelogin", Code: "KX7Q-D2PL", Message: "To sign in, ..."})
	}
	emit(flows.SignInEvent{Kind: flows.SignInWaiting})
	f.waiting.Add(1)
	select {
	case <-f.approve:
		f.waiting.Add(-1)
	case <-ctx.Done():
		f.waiting.Add(-1)
		f.mu.Lock()
		f.cancelled++
		f.mu.Unlock()
		return flows.SignInResult{}, ctx.Err()
	}
	if f.runErr != nil {
		return flows.SignInResult{}, f.runErr
	}
	emit(flows.SignInEvent{Kind: flows.SignInDone, Account: f.account, Tenant: f.home})
	return flows.SignInResult{Account: f.account, Tenant: f.home, Tenants: f.tenants, Kept: azure.CachePersistent}, nil
}

func (f *fakeSignIn) UseTenant(_ context.Context, tenant string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.used = append(f.used, tenant)
	return nil
}

func (f *fakeSignIn) count(n *int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *n
}

// signInDriver is newDriver for a wizard that starts with the sign-in
// step: a sign-in waiting for approval counts as waiting for the user.
func signInDriver(t *testing.T, o Options, si *fakeSignIn) *driver {
	t.Helper()
	o.SignIn = si
	fb := o.Backend.(*fakeBackend)
	d := &driver{t: t, m: New(context.Background(), o), inbox: make(chan tea.Msg, 256),
		blocked: func() int64 { return fb.waiting.Load() + si.waiting.Load() }}
	t.Cleanup(d.m.Close)
	d.send(tea.WindowSizeMsg{Width: 100, Height: 34})
	d.launch(d.m.Init())
	d.settle()
	return d
}

func TestSignInDeviceCodeOnScreenThenWorkspace(t *testing.T) {
	f := newFake()
	si := newFakeSignIn()
	o := testOptions(f)
	o.Sandbox = false
	o.SignInMethod = flows.MethodDeviceCode
	var copied []string
	o.Clipboard = func(s string) error { copied = append(copied, s); return nil }
	d := signInDriver(t, o, si)
	d.wantStep(stepSignIn)
	d.want("Before step 1: sign in", "No credential works here yet", "nobody is signed in", "Device code", "(suggested here)", "Browser")
	// The side panel says what signing in allows and what is kept.
	d.want("About: Signing in", "It never sees your password", "amlattach auth logout removes")
	d.keys("enter")
	d.want("https://microsoft.com/devicelogin", "K X 7 Q - D 2 P L", "the code: KX7Q-D2PL", "copied to your clipboard", "Waiting for you to sign in", "esc cancels")
	if len(copied) != 1 || copied[0] != "KX7Q-D2PL" {
		t.Fatalf("clipboard got %q", copied)
	}
	if si.runs[0] != flows.MethodDeviceCode {
		t.Fatalf("ran %v", si.runs)
	}
	d.wantStep(stepSignIn)
	close(si.approve)
	d.settle()
	d.wantStep(stepWorkspace)
	d.want("Step 1 of 8", "contoso-ws", "old-dsvm (VirtualMachine, Succeeded)")
	d.keys("esc") // no way back to the sign-in
	d.wantStep(stepWorkspace)
}

func TestSignInSkippedWhenACredentialWorks(t *testing.T) {
	si := newFakeSignIn()
	si.checkErr = nil
	d := signInDriver(t, testOptions(newFake()), si)
	d.wantStep(stepWorkspace)
	d.want("contoso-ws")
	if si.count(&si.checks) != 1 || len(si.runs) != 0 {
		t.Fatalf("checks %d, runs %v", si.checks, si.runs)
	}
}

func TestSignInEscCancelsAndKeepsNothing(t *testing.T) {
	si := newFakeSignIn()
	o := testOptions(newFake())
	o.SignInMethod = flows.MethodBrowser
	d := signInDriver(t, o, si)
	d.want("> Browser: sign in in a browser window on this computer", "(suggested here)")
	d.keys("enter")
	d.want("A browser window opens on this computer", "Waiting for you to sign in in the browser")
	d.keys("esc")
	waitFor(t, func() bool { return si.count(&si.cancelled) == 1 })
	d.settle()
	d.wantStep(stepSignIn)
	d.want("The sign-in was cancelled; nothing was kept.", "How do you want to sign in?")
	// The other method, this time; Ctrl-C while it waits leaves the
	// wizard and ends the sign-in's context too.
	d.keys("down", "enter")
	d.want("KX7Q-D2PL")
	d.keys("ctrl+c")
	waitFor(t, func() bool { return si.count(&si.cancelled) == 2 })
	if !d.quit || d.m.Outcome().Kind != OutcomeQuit {
		t.Fatalf("ctrl+c did not quit: %+v", d.m.Outcome())
	}
	if got := strings.Join(si.runs, ","); got != "browser,device-code" {
		t.Fatalf("runs %s", got)
	}
}

func TestSignInChooseATenant(t *testing.T) {
	si := newFakeSignIn()
	si.tenants = []flows.Tenant{{ID: "tid-home", Name: "Contoso", Domain: "contoso.onmicrosoft.com"}, {ID: "tid-other", Name: "Northwind", Domain: "northwind.onmicrosoft.com"}}
	close(si.approve)
	d := signInDriver(t, testOptions(newFake()), si)
	d.keys("enter")
	d.want("Signed in as ada@contoso.example", "several tenants", "Contoso", "Northwind", "(home tenant)")
	d.wantStep(stepSignIn)
	d.keys("down", "enter")
	d.wantStep(stepWorkspace)
	if len(si.used) != 1 || si.used[0] != "tid-other" {
		t.Fatalf("UseTenant got %v", si.used)
	}
}

func TestSignInErrorShowsTheWayOut(t *testing.T) {
	si := newFakeSignIn()
	si.runErr = &flows.Error{Kind: flows.KindCredential, Msg: "sign-in failed: the sign-in was declined", Fix: "sign in again and accept the request (amlattach auth login)"}
	close(si.approve)
	d := signInDriver(t, testOptions(newFake()), si)
	d.keys("enter")
	d.wantStep(stepSignIn)
	d.want("✗ sign-in failed: the sign-in was declined", "fix: sign in again and accept the request", "enter tries again")
	si.mu.Lock()
	si.runErr = nil
	si.mu.Unlock()
	d.keys("down", "enter") // the other method works
	d.wantStep(stepWorkspace)
	if got := strings.Join(si.runs, ","); got != "device-code,browser" {
		t.Fatalf("runs %s", got)
	}
}

// fakeMemory remembers in a map.
type fakeMemory struct {
	mu   sync.Mutex
	last map[string]flows.Workspace
}

func (m *fakeMemory) Last(account string) (flows.Workspace, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ws, ok := m.last[account]
	return ws, ok
}

func (m *fakeMemory) Remember(account string, ws flows.Workspace) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.last[account] = ws
	return nil
}

func TestWorkspaceStepOffersTheAccountsLastChoice(t *testing.T) {
	f := newFake()
	f.who = "ada@contoso.example"
	lab := f.wss["11111111-2222-3333-4444-555555555555"][0]
	mem := &fakeMemory{last: map[string]flows.Workspace{"ada@contoso.example": lab}}
	o := testOptions(f)
	o.Workspace, o.Memory = flows.Workspace{}, mem
	d := newDriver(t, o, 99, 30)
	d.want("Choose a subscription", "Your last choice: lab-ws (group lab-rg)")
	d.keys("enter") // the highlighted subscription is the last one's
	d.want("Choose a workspace in Research")
	d.keys("enter", "enter")
	d.wantStep(stepTarget)
	d.want("workspace lab-ws")

	// Another choice is remembered for the account.
	d = newDriver(t, testOptions(f), 99, 30)
	d.m.opts.Memory = mem
	d.keys("enter")
	waitFor(t, func() bool { ws, _ := mem.Last("ada@contoso.example"); return ws.Name == "contoso-ws" })
}

func TestPlainSignIn(t *testing.T) {
	si := newFakeSignIn()
	si.tenants = []flows.Tenant{{ID: "tid-home", Name: "Contoso"}, {ID: "tid-other", Name: "Northwind"}}
	close(si.approve)
	o := testOptions(newFake())
	o.SignIn = si
	var out bytes.Buffer
	// device code (1), the second tenant (2), then leave at the workspace.
	_, err := RunPlain(context.Background(), o, PlainIO{In: strings.NewReader("1\n2\nq\n"), Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"No credential works here yet", "1. Device code", "https://microsoft.com/devicelogin", "KX7Q-D2PL", "waiting…", "Signed in as ada@contoso.example", "2. Northwind tid-other", "Using tenant Northwind", "Workspace: contoso-ws"} {
		if !strings.Contains(s, want) {
			t.Fatalf("plain output lacks %q:\n%s", want, s)
		}
	}
	if strings.Index(s, "KX7Q-D2PL") > strings.Index(s, "waiting…") {
		t.Fatalf("the code comes after waiting:\n%s", s)
	}
	if len(si.used) != 1 || si.used[0] != "tid-other" {
		t.Fatalf("UseTenant got %v", si.used)
	}
}

func TestPlainSignInErrorThenCancel(t *testing.T) {
	si := newFakeSignIn()
	si.runErr = errors.New("boom")
	close(si.approve)
	o := testOptions(newFake())
	o.SignIn = si
	var out bytes.Buffer
	out2, err := RunPlain(context.Background(), o, PlainIO{In: strings.NewReader("1\nq\n"), Out: &out})
	if err != nil || out2.Kind != OutcomeQuit {
		t.Fatalf("%+v, %v", out2, err)
	}
	if !strings.Contains(out.String(), "✗ boom") {
		t.Fatalf("the error is not shown:\n%s", out.String())
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
