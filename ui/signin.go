package ui

import (
	"context"
	"errors"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"amlattach/flows"
)

// SignInBackend signs the user in, before the workspace step, when no
// credential works; *flows.SignIn implements it, tests use fakes.
type SignInBackend interface {
	// Check gets a token without asking anyone and says who it is for; an
	// error means the user must sign in.
	Check(ctx context.Context) (string, error)
	// Run signs in with a method, streaming what happens to emit.
	Run(ctx context.Context, method string, emit func(flows.SignInEvent)) (flows.SignInResult, error)
	// UseTenant switches the sign-in to one of the account's tenants.
	UseTenant(ctx context.Context, tenant string) error
}

var _ SignInBackend = (*flows.SignIn)(nil)

// WorkspaceMemory remembers the workspace each account chose last;
// *flows.WorkspaceMemory implements it.
type WorkspaceMemory interface {
	Last(account string) (flows.Workspace, bool)
	Remember(account string, ws flows.Workspace) error
}

type signInMode int

const (
	siChecking  signInMode = iota // is there a credential that works?
	siChoose                      // browser or device code
	siWaiting                     // the sign-in runs: the code on screen, or the browser open
	siTenant                      // several tenants: choose one
	siSwitching                   // switching to the chosen tenant
	siFailed                      // the sign-in failed: the problem and the way out
)

type (
	// signInCheckedMsg: the silent check ended.
	signInCheckedMsg struct {
		who string
		err error
	}
	// signInEventMsg: something happened during sign-in number gen; ch
	// brings the next.
	signInEventMsg struct {
		gen int
		ev  flows.SignInEvent
		ch  <-chan tea.Msg
	}
	// signInRunDoneMsg: sign-in number gen ended.
	signInRunDoneMsg struct {
		gen int
		res flows.SignInResult
		err error
	}
	// tenantUsedMsg: the switch to a tenant ended.
	tenantUsedMsg struct {
		gen int
		err error
	}
	// signedInDoneMsg (to the wizard): someone is signed in; on to the
	// workspace.
	signedInDoneMsg struct{ account string }
	// clipboardMsg: the OSC 52 write of the code was sent (or not).
	clipboardMsg struct{ err error }
)

// signInScreen is the step before the workspace when no credential works:
// it offers the browser or a device code, shows the code and its address
// itself (large, copied to the clipboard where the terminal allows), waits
// with a spinner, and asks for a tenant when the account has several.
type signInScreen struct {
	c       *Common
	ctx     context.Context
	be      SignInBackend
	sandbox bool
	copy    func(string) error // OSC 52; nil where the terminal cannot
	chosen  bool               // the method was chosen already: start at once

	mode    signInMode
	why     error // why a sign-in is needed (the check's error)
	methods []string
	cursor  int
	method  string // the running or last method
	gen     int
	cancel  context.CancelFunc

	code, url, message string
	copied             string // what the clipboard note says
	notices            []string
	account            string
	tenant             string
	cancelled          bool // the last sign-in was cancelled by esc
	err                error

	tenants []flows.Tenant
	tPick   *picker

	spin          spin
	width, height int
}

func newSignInScreen(c *Common, ctx context.Context, o Options) *signInScreen {
	s := &signInScreen{c: c, ctx: ctx, be: o.SignIn, sandbox: o.Sandbox, copy: o.Clipboard, chosen: o.SignInChosen,
		methods: []string{flows.MethodDeviceCode, flows.MethodBrowser}, tPick: newPicker(c, "tenants"), spin: newSpin(c)}
	if o.SignInMethod == flows.MethodBrowser {
		s.methods = []string{flows.MethodBrowser, flows.MethodDeviceCode}
	}
	return s
}

func (s *signInScreen) Init() tea.Cmd {
	be, ctx := s.be, s.ctx
	return tea.Batch(s.spin.start(), func() tea.Msg {
		who, err := be.Check(ctx)
		return signInCheckedMsg{who: who, err: err}
	})
}

func (s *signInScreen) SetSize(w, h int) {
	s.width, s.height = w, h
	s.tPick.SetSize(w, h-4)
}

func (s *signInScreen) Typing() bool { return s.mode == siTenant && s.tPick.Typing() }

// Busy says a sign-in runs (quitting then cancels it).
func (s *signInScreen) Busy() bool { return s.mode == siWaiting || s.mode == siSwitching }

// Cancel stops a running sign-in: the credential's context ends, so the
// device code is no longer polled and nothing is kept.
func (s *signInScreen) Cancel() {
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
}

// start runs a sign-in with the method under the cursor. Its events come
// through a channel that a Cmd reads one message at a time.
func (s *signInScreen) start() tea.Cmd {
	s.Cancel()
	s.gen++
	s.method = s.methods[s.cursor]
	s.mode, s.err, s.cancelled = siWaiting, nil, false
	s.code, s.url, s.message, s.copied, s.notices = "", "", "", "", nil
	ctx, cancel := context.WithCancel(s.ctx)
	s.cancel = cancel
	ch := make(chan tea.Msg)
	gen, method, be := s.gen, s.method, s.be
	go func() {
		defer close(ch)
		emit := func(ev flows.SignInEvent) {
			select {
			case ch <- signInEventMsg{gen: gen, ev: ev, ch: ch}:
			case <-ctx.Done():
			}
		}
		res, err := be.Run(ctx, method, emit)
		select {
		case ch <- signInRunDoneMsg{gen: gen, res: res, err: err}:
		case <-ctx.Done():
		}
		cancel() // a prompt after the sign-in (a later refresh) goes nowhere
	}()
	return tea.Batch(readSignIn(ch), s.spin.start())
}

func readSignIn(ch <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg {
		if m, ok := <-ch; ok {
			return m
		}
		return nil
	}
}

func (s *signInScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case signInCheckedMsg:
		if s.mode != siChecking {
			break
		}
		if msg.err == nil {
			s.spin.stop()
			return s, s.c.post(signedInDoneMsg{account: msg.who})
		}
		s.why, s.mode = msg.err, siChoose
		if s.chosen {
			cmd = s.start()
		}
	case signInEventMsg:
		if msg.gen != s.gen || s.mode != siWaiting {
			break
		}
		cmd = tea.Batch(readSignIn(msg.ch), s.event(msg.ev))
	case signInRunDoneMsg:
		if msg.gen != s.gen || s.mode != siWaiting {
			break
		}
		s.cancel = nil
		cmd = s.finished(msg.res, msg.err)
	case tenantUsedMsg:
		if msg.gen != s.gen || s.mode != siSwitching {
			break
		}
		if msg.err != nil {
			s.err, s.mode = msg.err, siTenant
			break
		}
		cmd = s.c.post(signedInDoneMsg{account: s.account})
	case clipboardMsg:
		if msg.err == nil {
			s.copied = "copied to your clipboard (if your terminal allows programs to set it)"
		}
	case tea.KeyMsg:
		cmd = s.handleKey(msg)
	}
	if s.mode != siChecking && !s.Busy() {
		s.spin.stop()
	}
	return s, tea.Batch(cmd, s.spin.update(msg))
}

// event shows what the sign-in reported.
func (s *signInScreen) event(ev flows.SignInEvent) tea.Cmd {
	switch ev.Kind {
	case flows.SignInCode:
		s.code, s.url, s.message = ev.Code, ev.URL, ev.Message
		if s.copy != nil && ev.Code != "" {
			cp, code := s.copy, ev.Code
			return func() tea.Msg { return clipboardMsg{err: cp(code)} }
		}
	case flows.SignInNotice:
		s.notices = append(s.notices, ev.Text)
	case flows.SignInDone:
		s.account, s.tenant = ev.Account, ev.Tenant
	}
	return nil
}

// finished: signed in (then a tenant to choose, or on), or failed.
func (s *signInScreen) finished(res flows.SignInResult, err error) tea.Cmd {
	if err != nil {
		if errors.Is(err, context.Canceled) {
			s.mode, s.cancelled = siChoose, true
			return nil
		}
		s.err, s.mode = err, siFailed
		return nil
	}
	s.account, s.tenant = res.Account, res.Tenant
	if len(res.Tenants) > 1 {
		s.tenants = res.Tenants
		items := make([]pickItem, len(res.Tenants))
		for i, t := range res.Tenants {
			note := ""
			if strings.EqualFold(t.ID, res.Tenant) {
				note = "(home tenant)"
			}
			items[i] = pickItem{Title: orDash(t.Name), Cols: []string{t.ID, t.Domain}, Note: note}
		}
		s.tPick.SetItems(items)
		s.mode = siTenant
		return nil
	}
	return s.c.post(signedInDoneMsg{account: res.Account})
}

func (s *signInScreen) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := s.c.Keys
	switch s.mode {
	case siChoose, siFailed:
		switch {
		case key.Matches(msg, k.Up):
			s.cursor = max(0, s.cursor-1)
		case key.Matches(msg, k.Down):
			s.cursor = min(len(s.methods)-1, s.cursor+1)
		case key.Matches(msg, k.Select):
			return s.start()
		case key.Matches(msg, k.Back) && s.mode == siFailed:
			s.mode, s.err = siChoose, nil
		}
	case siWaiting:
		if key.Matches(msg, k.Back) {
			s.Cancel()
			s.mode, s.cancelled = siChoose, true
		}
	case siTenant:
		if handled, cmd := s.tPick.HandleKey(msg); handled {
			return cmd
		}
		if key.Matches(msg, k.Select) {
			i, ok := s.tPick.Selected()
			if !ok {
				return nil
			}
			s.tPick.StopFiltering()
			t := s.tenants[i]
			if strings.EqualFold(t.ID, s.tenant) {
				return s.c.post(signedInDoneMsg{account: s.account})
			}
			s.gen++
			s.mode, s.err, s.tenant = siSwitching, nil, t.ID
			gen, be, ctx := s.gen, s.be, s.ctx
			return tea.Batch(s.spin.start(), func() tea.Msg { return tenantUsedMsg{gen: gen, err: be.UseTenant(ctx, t.ID)} })
		}
	}
	return nil
}

func (s *signInScreen) ShortHelp() []key.Binding {
	k := s.c.Keys
	switch s.mode {
	case siChoose, siFailed:
		sel := k.Select
		sel.SetHelp("enter", "sign in")
		b := []key.Binding{k.Up, k.Down, sel}
		if s.mode == siFailed {
			b = append(b, k.Back)
		}
		return b
	case siWaiting:
		c := k.Back
		c.SetHelp("esc", "cancel the sign-in")
		return []key.Binding{c}
	case siTenant:
		return s.tPick.ShortHelp()
	}
	return nil
}

func (s *signInScreen) FullHelp() [][]key.Binding {
	if s.mode == siTenant {
		return s.tPick.FullHelp()
	}
	return [][]key.Binding{s.ShortHelp()}
}

func methodName(m string) string {
	if m == flows.MethodBrowser {
		return "Browser: sign in in a browser window on this computer"
	}
	return "Device code: sign in on any device (a phone, another computer) with a short code"
}

func (s *signInScreen) where() string {
	if s.sandbox {
		return "the sandbox's simulated Microsoft Entra ID"
	}
	return "Azure (Microsoft Entra ID)"
}

func (s *signInScreen) View() string {
	st := s.c.Styles
	lines := []string{st.Title.Render("Sign in to " + s.where())}
	if s.sandbox {
		lines = append(lines, wrap(st.Badge.Render("SANDBOX — simulated Azure, nothing leaves this machine"), s.width)...)
	}
	lines = append(lines, "")
	switch s.mode {
	case siChecking:
		lines = append(lines, s.spin.view()+" Looking for a sign-in that works…")
	case siChoose, siFailed:
		switch {
		case s.mode == siFailed:
			lines = append(lines, errorLines(s.c, s.err, s.width)...)
			lines = append(append(lines, ""), wrap("enter tries again; ↑/↓ chooses the other method; q quits (nothing was kept).", s.width)...)
		case s.cancelled:
			lines = append(lines, wrap(st.Note("The sign-in was cancelled; nothing was kept."), s.width)...)
		case s.why != nil:
			lines = append(lines, wrap("No credential works here yet ("+errorText(flows.SignInError(s.why))+"). Sign in once: amlattach keeps the sign-in, so the next runs ask nothing.", s.width)...)
		}
		lines = append(lines, "", "How do you want to sign in?", "")
		for i, m := range s.methods {
			prefix := "  "
			text := methodName(m)
			if i == 0 {
				text += st.Subtle.Render(" (suggested here)")
			}
			if i == s.cursor {
				prefix = st.Cursor.Render("> ")
				text = st.Selected.Render(methodName(m)) + strings.TrimPrefix(text, methodName(m))
			}
			lines = append(lines, hang(prefix+text, s.width, 2)...)
		}
	case siWaiting:
		lines = append(lines, s.waitingView()...)
	case siTenant:
		lines = append(lines, wrap(st.Good("Signed in as "+s.account+"."), s.width)...)
		lines = append(lines, wrap("Your account is in several tenants (directories). Choose the one whose subscriptions you want to use:", s.width)...)
		if s.err != nil {
			lines = append(lines, errorLines(s.c, s.err, s.width)...)
		}
		lines = append(lines, "", s.tPick.View())
	case siSwitching:
		lines = append(lines, s.spin.view()+" Switching to tenant "+s.tenant+"…")
	}
	for _, n := range s.notices {
		lines = append(lines, "")
		lines = append(lines, wrap(st.Note(n), s.width)...)
	}
	return fit(lines, s.width, s.height)
}

// waitingView is the sign-in in progress: for a device code, the address
// and the code, large; for the browser, where to look.
func (s *signInScreen) waitingView() []string {
	st := s.c.Styles
	var lines []string
	if s.method == flows.MethodBrowser {
		lines = append(lines, wrap("A browser window opens on this computer: sign in there. If none opens, press esc and choose the device code.", s.width)...)
		return append(lines, "", s.spin.view()+" Waiting for you to sign in in the browser… (esc cancels)")
	}
	if s.code == "" {
		return append(lines, s.spin.view()+" Asking for a sign-in code…")
	}
	lines = append(lines, wrap("1. On any device, open:", s.width)...)
	lines = append(lines, "", "   "+st.Bold.Render(s.url), "")
	lines = append(lines, "2. Enter this code:", "")
	box := lipgloss.NewStyle().Border(lipgloss.DoubleBorder()).BorderForeground(st.Selected.GetForeground()).Padding(1, 4).Bold(true).Render(spaced(s.code))
	for _, l := range strings.Split(box, "\n") {
		lines = append(lines, "   "+l)
	}
	lines = append(lines, "   "+st.Subtle.Render("the code: ")+st.Bold.Render(s.code))
	if s.copied != "" {
		lines = append(lines, "   "+st.Subtle.Render(s.copied))
	}
	lines = append(lines, "")
	lines = append(lines, wrap("3. Sign in with your Azure account there. This screen moves on by itself.", s.width)...)
	return append(lines, "", s.spin.view()+" Waiting for you to sign in… (esc cancels)")
}

// spaced puts a space between the code's characters, to read it across a
// room; the line under the box has it plain, to copy.
func spaced(code string) string {
	r := []rune(code)
	out := make([]string, len(r))
	for i, c := range r {
		out[i] = string(c)
	}
	return strings.Join(out, " ")
}

// signInInfo is the side panel of the sign-in step: what signing in
// allows, and what amlattach does and does not do with it.
func signInInfo(sandbox bool) (string, []string) {
	paras := []string{
		"Signing in lets amlattach read your subscriptions, workspaces and resources with your own Azure permissions: nothing you could not do yourself.",
		"It only reads, until you agree to a change it showed you first: an attach, a detach, a fix.",
		"It never sees your password: you type it at Microsoft's page, not here.",
		"It keeps the sign-in (the Azure SDK's encrypted token cache and an account record, mode 0600, in your config folder) so the next run asks nothing. amlattach auth logout removes them.",
		"Use az login already? Then nothing is asked here.",
	}
	if sandbox {
		paras = append([]string{"Sandbox: a simulated Entra ID on this machine approves the sign-in by itself after a few seconds."}, paras[:4]...)
		return "Signing in", paras
	}
	return "Signing in", paras
}
