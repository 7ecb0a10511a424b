package ui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"amlattach/flows"
)

type stepID int

const (
	stepWorkspace stepID = iota
	stepTarget
	stepExplain
	stepResource
	stepDetails
	stepHostKey
	stepPreflight
	stepConfirm
	stepAttach
	stepComputes // troubleshooting: the workspace's computes
	stepDoctor   // troubleshooting: one compute examined
	stepFix      // a fix of the preflight's or the doctor's, shown before it is sent
	stepJob      // a test job on an attached compute, followed to its end
	stepSignIn   // before the workspace: no credential works, so the user signs in
)

const stepCount = 8

func (s stepID) number() int {
	switch s {
	case stepWorkspace:
		return 1
	case stepTarget, stepExplain:
		return 2
	case stepResource:
		return 3
	case stepDetails:
		return 4
	case stepHostKey:
		return 5
	case stepPreflight, stepFix:
		return 6
	case stepConfirm:
		return 7
	}
	return 8
}

func (s stepID) name() string {
	switch s {
	case stepWorkspace:
		return "Workspace"
	case stepTarget, stepExplain:
		return "Compute type"
	case stepResource:
		return "VM"
	case stepDetails:
		return "Details"
	case stepHostKey:
		return "Host key"
	case stepPreflight:
		return "Preflight"
	case stepConfirm:
		return "Confirm"
	case stepComputes:
		return "Computes"
	case stepDoctor:
		return "Doctor"
	case stepFix:
		return "Fix"
	case stepJob:
		return "Test job"
	case stepSignIn:
		return "Sign in"
	}
	return "Attach"
}

// attachPath says the step belongs to attaching (quitting then asks).
func (s stepID) attachPath() bool { return s >= stepDetails && s <= stepAttach }

// step is a screen of the wizard.
type step interface {
	Component
	// Typing says a text field has the keyboard: single-letter global keys
	// (q, ?, i) then go into the field.
	Typing() bool
}

// wideLayout is the width from which the side panel sits beside the step.
const wideLayout = 100

// Model is the wizard: it owns the steps, moves between them as they
// report what happened, draws the header, help bar and side panel, and
// asks before quitting loses anything.
type Model struct {
	c      *Common
	ctx    context.Context
	cancel context.CancelFunc
	opts   Options

	width, height int
	step          stepID
	history       []stepID
	showHelp      bool
	showInfo      bool
	quitAsk       bool
	reachedVM     bool
	sized         bool
	help          help.Model

	ws       flows.Workspace
	computes []flows.Compute
	typ      string // the chosen target type
	plan     *flows.Plan
	recheck  func() (*flows.Plan, error)
	outcome  *Outcome
	// replacing is the compute being reattached (nil: a new attach).
	replacing *flows.Compute
	retry     string
	// troubleshot: a doctor ran; tsLines say what was done, for the end.
	troubleshot bool
	tsLines     []string

	workspace   *workspaceScreen
	target      *targetScreen
	explain     *explainScreen
	resource    *resourceScreen
	form        *formScreen
	hostkey     *hostKeyScreen
	preflight   *preflightScreen
	confirm     *confirmScreen
	attach      *attachScreen
	computesScr *computesScreen
	doctor      *doctorScreen
	fixScr      *fixScreen
	jobScr      *jobScreen
	signIn      *signInScreen
}

// New builds the wizard. It does no I/O: Init's Cmds do.
func New(ctx context.Context, o Options) *Model {
	c := &Common{Styles: NewStyles(), Keys: DefaultKeyMap(), Now: o.Now}
	ctx, cancel := context.WithCancel(ctx)
	m := &Model{c: c, ctx: ctx, cancel: cancel, opts: o, ws: o.Workspace, typ: "vm"}
	m.help = help.New()
	m.help.Styles = c.Styles.Help
	m.workspace = newWorkspaceScreen(c, ctx, o.Backend, o)
	m.target = newTargetScreen(c)
	m.explain = newExplainScreen(c)
	m.resource = newResourceScreen(c, ctx, o.Backend)
	m.form = newFormScreen(c, o)
	m.hostkey = newHostKeyScreen(c, o)
	m.preflight = newPreflightScreen(c, ctx, o.Backend)
	m.confirm = newConfirmScreen(c)
	m.attach = newAttachScreen(c, ctx, o.Backend)
	m.computesScr = newComputesScreen(c, ctx, o.Backend)
	m.doctor = newDoctorScreen(c, ctx, o.Backend, o)
	m.fixScr = newFixScreen(c, ctx, o.Backend)
	m.jobScr = newJobScreen(c, ctx, o.Backend, o)
	m.signIn = newSignInScreen(c, ctx, o)
	m.setSize(80, 24)
	if o.SignIn != nil {
		m.step = stepSignIn // the start (below) waits for the sign-in
		return m
	}
	m.applyStart()
	return m
}

// applyStart opens the wizard at the situation of Options.Start, if any.
func (m *Model) applyStart() {
	o := m.opts
	if o.Start != nil && o.Workspace.Name != "" {
		m.history = []stepID{stepWorkspace, stepTarget, stepResource}
		m.step = stepDetails
		m.reachedVM = true
		m.typ = o.Start.typ()
		m.resource.SetType(m.typ)
		m.hostkey.SetType(m.typ)
		id := flows.CheckResourceID(o.Start.ResourceID, browseKinds(m.typ)...)
		m.form.SetType(m.typ)
		m.form.SetResource(o.Start.ResourceID, id.Name, nil, o.Workspace, nil)
		m.form.Prefill(*o.Start)
	}
}

func (m *Model) Init() tea.Cmd {
	if m.step == stepSignIn {
		return m.signIn.Init()
	}
	return m.startCmds()
}

// startCmds start the workspace step (and the situation of Options.Start).
func (m *Model) startCmds() tea.Cmd {
	cmds := []tea.Cmd{m.workspace.Init()}
	if m.opts.Start != nil && m.ws.Name != "" {
		cmds = append(cmds, m.resource.SetWorkspace(m.ws))
		cmds = append(cmds, m.form.Focus(), m.form.submit())
	}
	return tea.Batch(cmds...)
}

// Outcome is how the wizard ended (after Run returns).
func (m *Model) Outcome() Outcome {
	if m.outcome != nil {
		return *m.outcome
	}
	var o Outcome
	switch {
	case m.attach.Done():
		o = m.attach.Outcome()
	case m.troubleshot:
		o = Outcome{Kind: OutcomeTroubleshot, Lines: m.tsLines}
	default:
		o = Outcome{Kind: OutcomeQuit}
	}
	return m.withJobLines(o)
}

// withJobLines adds what became of the test jobs run to an outcome's lines.
func (m *Model) withJobLines(o Outcome) Outcome {
	if jl := m.jobScr.OutcomeLines(); len(jl) > 0 {
		o.Lines = append(append(append([]string(nil), o.Lines...), ""), jl...)
	}
	return o
}

// Close releases what the steps hold (the ssh-agent connection) and stops
// anything still running.
func (m *Model) Close() {
	m.cancel()
	m.form.Close()
}

func (m *Model) active() step {
	switch m.step {
	case stepTarget:
		return m.target
	case stepExplain:
		return m.explain
	case stepResource:
		return m.resource
	case stepDetails:
		return m.form
	case stepHostKey:
		return m.hostkey
	case stepPreflight:
		return m.preflight
	case stepConfirm:
		return m.confirm
	case stepAttach:
		return m.attach
	case stepComputes:
		return m.computesScr
	case stepDoctor:
		return m.doctor
	case stepFix:
		return m.fixScr
	case stepJob:
		return m.jobScr
	case stepSignIn:
		return m.signIn
	}
	return m.workspace
}

func (m *Model) steps() []step {
	return []step{m.workspace, m.target, m.explain, m.resource, m.form, m.hostkey, m.preflight, m.confirm, m.attach, m.computesScr, m.doctor, m.fixScr, m.jobScr, m.signIn}
}

func (m *Model) goTo(s stepID) {
	if s == m.step {
		return
	}
	m.history = append(m.history, m.step)
	m.step = s
	if s.attachPath() {
		m.reachedVM = true
	}
}

func (m *Model) back() {
	if n := len(m.history); n > 0 {
		m.step = m.history[n-1]
		m.history = m.history[:n-1]
	}
}

func (m *Model) backTo(s stepID) {
	for m.step != s && len(m.history) > 0 {
		m.back()
	}
}

// bodySize is the room a step has: the window less header, help bar and,
// when wide enough, the side panel.
func (m *Model) bodySize() (int, int) {
	w, h := m.width, m.height-4
	if m.showInfo && m.width >= wideLayout {
		w -= m.panelWidth() + 1
	}
	return max(20, w), max(4, h)
}

func (m *Model) panelWidth() int { return min(40, m.width/3) }

func (m *Model) setSize(w, h int) {
	m.width, m.height = w, h
	m.help.Width = w
	bw, bh := m.bodySize()
	for _, s := range m.steps() {
		s.SetSize(bw, bh)
	}
}

// Update moves the wizard on; arriving at the resource step lists again
// what leaving it cut short, and leaving it stops the listing.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if km, ok := msg.(tea.KeyMsg); ok && km.Type == tea.KeyRunes && len(km.Runes) > 1 && !km.Paste {
		return m, m.eachKey(km)
	}
	was := m.step
	cmd := m.update(msg)
	switch {
	case was == stepResource && m.step != stepResource:
		m.resource.Stop()
	case was != stepResource && m.step == stepResource:
		cmd = tea.Batch(cmd, m.resource.Enter())
	}
	// What the steps reported while handling msg is taken now, before the
	// next key: a key typed after enter goes to the step enter leads to.
	for _, p := range m.c.takePosted() {
		_, c := m.Update(p)
		cmd = tea.Batch(cmd, c)
	}
	return m, cmd
}

// eachKey hands over, one key at a time, printable keys that Bubble Tea
// read from the terminal at once and gave as one message (a busy machine or
// an SSH link sends keystrokes together): as one message they match no
// binding ("/dsvm" is not "/") and were lost. A bracketed paste stays one
// message: it is text for a field, not keys.
func (m *Model) eachKey(km tea.KeyMsg) tea.Cmd {
	cmds := make([]tea.Cmd, 0, len(km.Runes))
	for _, r := range km.Runes {
		_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: km.Alt})
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

// update routes a message: the window and the keys to the wizard, what a
// screen reported to that screen's own transition, and anything else
// (results of the screens' Cmds, spinner ticks) to every screen.
func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		return m.resize(msg)
	case tea.KeyMsg:
		return m.handleKey(msg)
	case backMsg:
		return m.goBack()
	case signedInDoneMsg:
		return m.fromSignIn(msg)
	case workspaceReadyMsg:
		return m.fromWorkspace(msg)
	case targetChosenMsg:
		return m.fromTarget(msg)
	case resourceChosenMsg:
		return m.fromResource(msg)
	case planReadyMsg:
		return m.fromDetails(msg)
	case hostKeyAskMsg:
		return m.askHostKey(msg)
	case hostKeyAnsweredMsg:
		if m.step == stepHostKey {
			m.back()
		}
		return nil
	case preflightContinueMsg:
		return m.fromPreflight(msg)
	case editFieldMsg:
		return m.editField(msg)
	case attachStartMsg:
		return m.fromConfirm(msg)
	case stopWatchingMsg:
		m.outcome = &Outcome{Kind: OutcomeStoppedWatching, Compute: msg.name,
			Err: &flows.Error{Kind: flows.KindInterrupted, Msg: fmt.Sprintf("stopped watching: the %s of %q goes on in Azure", msg.op, msg.name), Fix: "check it with: amlattach list"}}
		return m.quit()
	case finishedMsg:
		o := m.withJobLines(msg.outcome)
		m.outcome = &o
		return m.quit()
	case jobOpenMsg:
		m.goTo(stepJob)
		return m.jobScr.Open(m.ws, msg)
	case jobLeaveMsg:
		o := m.Outcome()
		m.outcome = &o
		return m.quit()
	case fixOpenMsg:
		m.fixScr.Open(msg)
		m.goTo(stepFix)
		return nil
	case fixesAppliedMsg:
		return m.fromFixes(msg)
	case troubleshootMsg, computeChosenMsg, detachedMsg, reattachMsg, reattachDoneMsg, computesLoadedMsg:
		return m.troubleshooting(msg)
	case workspaceReadMsg:
		if msg.err == nil && m.ws.Location == "" && wsKey(msg.ws) == wsKey(m.ws) {
			m.ws.Location = msg.ws.Location // read after the sign-in step
		}
	}
	return m.broadcast(msg)
}

func (m *Model) resize(msg tea.WindowSizeMsg) tea.Cmd {
	if msg.Width == 0 || msg.Height == 0 {
		return nil
	}
	if !m.sized && msg.Width >= wideLayout {
		m.showInfo = true // newcomers see the explanations when there is room
	}
	m.sized = true
	m.setSize(msg.Width, msg.Height)
	return nil
}

// goBack is esc on a screen: a preflight stops; back at the doctor, the
// computes or the types, a reattach is over.
func (m *Model) goBack() tea.Cmd {
	if m.step == stepPreflight {
		m.preflight.Cancel()
	}
	m.back()
	if m.step == stepDoctor || m.step == stepComputes || m.step == stepTarget {
		m.endReplace()
	}
	return nil
}

// fromSignIn: a credential works (it did already, or the user signed in):
// on to the workspace, with no way back to the sign-in.
func (m *Model) fromSignIn(msg signedInDoneMsg) tea.Cmd {
	if m.step != stepSignIn {
		return nil
	}
	m.step, m.history = stepWorkspace, nil
	m.workspace.SetAccount(msg.account)
	m.applyStart()
	return m.startCmds()
}

// fromWorkspace: the workspace is chosen; another one forgets the plan.
func (m *Model) fromWorkspace(msg workspaceReadyMsg) tea.Cmd {
	changed := wsKey(msg.ws) != wsKey(m.ws)
	m.ws, m.computes = msg.ws, msg.computes
	if changed {
		m.plan = nil
	}
	m.goTo(stepTarget)
	return tea.Batch(m.resource.SetWorkspace(msg.ws), rememberCmd(m.opts.Memory, m.workspace.Account(), msg.ws))
}

// fromTarget: an available type goes to its resources; another is explained.
func (m *Model) fromTarget(msg targetChosenMsg) tea.Cmd {
	if !msg.target.Available {
		m.explain.Set(msg.target)
		m.goTo(stepExplain)
		return nil
	}
	if msg.target.Type != m.typ {
		m.plan, m.recheck = nil, nil
	}
	m.typ = msg.target.Type
	m.hostkey.SetType(m.typ)
	m.form.SetType(m.typ)
	m.goTo(stepResource)
	return m.resource.SetType(m.typ)
}

// fromResource: the resource is chosen; its form asks the details.
func (m *Model) fromResource(msg resourceChosenMsg) tea.Cmd {
	m.goTo(stepDetails)
	m.form.SetResource(msg.id, msg.name, msg.attachedAs, m.ws, m.computes)
	return m.form.Focus()
}

// fromDetails: the details are valid; the preflight runs (a reattach's
// without the name check).
func (m *Model) fromDetails(msg planReadyMsg) tea.Cmd {
	m.plan, m.recheck = msg.plan, msg.recheck
	m.goTo(stepPreflight)
	if m.replacing != nil {
		m.retry = m.retryCommand(msg.plan)
		return m.preflight.StartReplace(m.ws, msg.plan)
	}
	return m.preflight.Start(m.ws, msg.plan)
}

// askHostKey shows the host key question of the preflight or the doctor
// that is running now; an older one's question is only passed on.
func (m *Model) askHostKey(msg hostKeyAskMsg) tea.Cmd {
	here := m.step == stepHostKey
	switch {
	case msg.doctor && msg.gen == m.doctor.gen && m.doctor.Running() && (here || m.step == stepDoctor),
		!msg.doctor && msg.gen == m.preflight.gen && m.preflight.Running() && (here || m.step == stepPreflight):
		m.hostkey.Ask(msg)
		m.goTo(stepHostKey)
	}
	return m.broadcast(msg)
}

// fromPreflight: on to the request (a reattach's, in its order).
func (m *Model) fromPreflight(msg preflightContinueMsg) tea.Cmd {
	m.goTo(stepConfirm)
	if m.replacing != nil {
		return m.confirm.SetReplace(m.ws, m.plan, msg.results, m.recheck)
	}
	return m.confirm.Set(m.ws, m.plan, msg.results, m.recheck)
}

// editField goes back to the field a failure points at; a failure of the
// resource itself goes back to the browser (a reattach's stays on its form).
func (m *Model) editField(msg editFieldMsg) tea.Cmd {
	m.preflight.Cancel()
	if ok, cmd := m.form.FocusField(msg.field); ok {
		m.backTo(stepDetails)
		return cmd
	}
	if m.replacing != nil {
		m.backTo(stepDetails) // the resource is the compute's own
		return nil
	}
	m.backTo(stepResource)
	return nil
}

// fromFixes: back to the run the fixes came from, which runs the fixed
// probes again. A fix that installed a new login (ssh.install-key) puts it
// in the form, so that the attach sends it.
func (m *Model) fromFixes(msg fixesAppliedMsg) tea.Cmd {
	if m.step == stepFix {
		m.back()
	}
	if msg.job {
		return m.jobScr.FixesApplied(msg.outcomes)
	}
	if msg.doctor {
		return m.doctor.Rerun(msg.outcomes)
	}
	if l, ok := m.preflight.Plan().FixedLogin(); ok {
		m.recheck = m.form.UseLogin(l)
	}
	return m.preflight.Rerun(msg.outcomes)
}

// fromConfirm: the attach (a reattach's only after a clean preflight).
func (m *Model) fromConfirm(msg attachStartMsg) tea.Cmd {
	m.goTo(stepAttach)
	if m.replacing == nil {
		return m.attach.Start(m.ws, msg.plan, msg.results)
	}
	if flows.AnyFailed(msg.results) {
		return nil // never detach over a failed preflight
	}
	return m.attach.StartReplace(m.ws, msg.plan, msg.results, m.retry)
}

// troubleshooting is the computes' and the doctor's transitions: a compute
// examined, detached or reattached, the list read again after each.
func (m *Model) troubleshooting(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case troubleshootMsg:
		m.endReplace()
		m.goTo(stepComputes)
		return m.computesScr.Load(m.ws, "")
	case computeChosenMsg:
		m.troubleshot = true
		m.hostkey.SetType(flows.ComputeTypeArg(msg.compute.Type))
		m.goTo(stepDoctor)
		return m.doctor.Start(m.ws, msg.compute)
	case detachedMsg:
		note := fmt.Sprintf("Detached %q from %s; the resource itself was not touched.", msg.name, m.ws.Name)
		m.tsLines = append(m.tsLines, note)
		m.backTo(stepComputes)
		return tea.Batch(m.computesScr.Load(m.ws, note), computesCmd(m.ctx, m.opts.Backend, m.ws))
	case reattachMsg:
		cmd := m.startReattach(msg.compute)
		if msg.login != nil && m.replacing != nil {
			m.form.UseLogin(*msg.login)
		}
		return cmd
	case reattachDoneMsg:
		note := ""
		if o := m.attach.Outcome(); o.Kind == OutcomeAttached {
			note = fmt.Sprintf("Reattached %q with the new settings.", o.Compute)
		}
		m.endReplace()
		m.backTo(stepComputes)
		return tea.Batch(m.computesScr.Load(m.ws, note), computesCmd(m.ctx, m.opts.Backend, m.ws))
	case computesLoadedMsg:
		if msg.err == nil && msg.wsID == wsKey(m.ws) {
			m.computes = msg.computes
			m.form.SetComputes(msg.computes)
		}
		return m.broadcast(msg)
	}
	return nil
}

// broadcast hands a message that no step asked for by name (results of
// their Cmds, spinner ticks) to every step; each keeps what is its own.
func (m *Model) broadcast(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	for _, s := range m.steps() {
		_, cmd := s.Update(msg)
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

func (m *Model) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.Keys
	if m.quitAsk {
		switch {
		case key.Matches(msg, k.Yes), key.Matches(msg, k.QuitTyping):
			return m.quit()
		case key.Matches(msg, k.No):
			m.quitAsk = false
		}
		return nil
	}
	if m.showHelp {
		switch {
		case key.Matches(msg, k.QuitTyping):
			return m.requestQuit()
		case key.Matches(msg, k.Help), key.Matches(msg, k.Back), key.Matches(msg, k.Quit):
			m.showHelp = false
		}
		return nil
	}
	scr := m.active()
	typing := scr.Typing()
	switch {
	case key.Matches(msg, k.Help) && !typing, key.Matches(msg, k.HelpTyping):
		m.showHelp = true
		return nil
	case key.Matches(msg, k.Info) && !typing, key.Matches(msg, k.InfoTyping):
		m.showInfo = !m.showInfo
		m.setSize(m.width, m.height)
		return nil
	case m.step == stepAttach, m.step == stepJob:
		// The attach and job screens answer Ctrl-C and q themselves: what
		// to do with an attach or a job in flight, or leaving from the
		// result.
		_, cmd := scr.Update(msg)
		return cmd
	case key.Matches(msg, k.QuitTyping), key.Matches(msg, k.Quit) && !typing:
		return m.requestQuit()
	case key.Matches(msg, k.Back) && m.showInfo && m.width < wideLayout:
		m.showInfo = false
		m.setSize(m.width, m.height)
		return nil
	}
	_, cmd := scr.Update(msg)
	return cmd
}

// requestQuit quits, first asking when that would lose what was typed.
func (m *Model) requestQuit() tea.Cmd {
	if m.doctor.Busy() || m.fixScr.Busy() || m.step == stepDoctor && m.doctor.Typing() {
		m.quitAsk = true
		return nil
	}
	if m.replacing == nil && m.troubleshot && !m.step.attachPath() {
		return m.quit()
	}
	if m.reachedVM || m.form.Touched() {
		m.quitAsk = true
		return nil
	}
	return m.quit()
}

func (m *Model) quit() tea.Cmd {
	m.quitAsk = false
	m.resource.Stop()
	m.preflight.Cancel()
	m.doctor.Cancel()
	if m.fixScr.Busy() && m.outcome == nil {
		m.outcome = &Outcome{Kind: OutcomeQuit, Err: &flows.Error{Kind: flows.KindInterrupted,
			Msg: "left while a fix was applied: " + m.fixScr.SentText()}}
	}
	m.fixScr.Cancel()
	m.signIn.Cancel()
	m.hostkey.answer(false)
	m.cancel()
	if m.outcome == nil {
		o := m.Outcome()
		m.outcome = &o
	}
	return tea.Quit
}

// keys are the bindings that work now, for the help bar.
func (m *Model) keys() []key.Binding {
	k := m.c.Keys
	if m.quitAsk {
		yes := k.Yes
		yes.SetHelp("y", "quit")
		no := k.No
		no.SetHelp("n/esc", "stay")
		return []key.Binding{yes, no}
	}
	if m.showHelp {
		c := k.Help
		c.SetHelp("?/esc", "close help")
		return []key.Binding{c}
	}
	scr := m.active()
	b := scr.ShortHelp()
	if scr.Typing() {
		return append(b, k.HelpTyping, k.InfoTyping, k.QuitTyping)
	}
	if m.step == stepAttach || m.step == stepJob {
		return append(b, k.Help, k.Info)
	}
	return append(b, k.Help, k.Info, k.Quit)
}

func (m *Model) View() string {
	st := m.c.Styles
	bw, bh := m.bodySize()
	var body string
	switch {
	case m.quitAsk:
		body = fit(append(strings.Split(m.quitView(bw), "\n"), ""), bw, bh)
	case m.showHelp:
		groups := append(m.active().FullHelp(), []key.Binding{m.c.Keys.Help, m.c.Keys.Info, m.c.Keys.Back, m.c.Keys.Quit})
		hm := m.help
		hm.Width = bw
		body = fit(append([]string{st.Title.Render("Keys"), ""}, strings.Split(hm.FullHelpView(groups), "\n")...), bw, bh)
	case m.showInfo && m.width < wideLayout:
		body = m.infoView(m.width, bh, true)
	default:
		body = m.active().View()
		if m.showInfo {
			// The step is padded to its width, so the panel stays put while
			// the step's lines change length (a list that is still loading).
			body = lipgloss.JoinHorizontal(lipgloss.Top, lipgloss.PlaceHorizontal(bw, lipgloss.Left, body), " ", m.infoView(m.panelWidth(), bh, false))
		}
	}
	// help.ShortHelpView can overrun its width by an item: cut it.
	return strings.Join([]string{m.headerView(), "", body, trunc(m.help.ShortHelpView(m.keys()), m.width)}, "\n")
}

func (m *Model) headerView() string {
	st := m.c.Styles
	left := st.Header.Render("amlattach") + " · attach compute to Azure ML"
	var right string
	if m.opts.Sandbox {
		right = "SANDBOX"
		if m.width >= 80 {
			right = "SANDBOX: simulated Azure"
		}
		right = st.Badge.Render(right)
	}
	gap := m.width - lipgloss.Width(left) - lipgloss.Width(right)
	line1 := trunc(left, m.width)
	if gap >= 1 {
		line1 = left + strings.Repeat(" ", gap) + right
	}
	name := m.step.name()
	if m.step == stepResource {
		name = stepNoun(m.typ)
	}
	where := fmt.Sprintf("Step %d of %d: %s", m.step.number(), stepCount, name)
	switch {
	case m.step == stepSignIn:
		where = "Before step 1: sign in"
	case m.step == stepComputes:
		where = "Troubleshoot: the computes"
	case m.step == stepJob && m.jobScr.Doctor():
		where = fmt.Sprintf("Troubleshoot: test job on %q", m.jobScr.Compute())
	case m.step == stepJob:
		where = fmt.Sprintf("Test job on %q", m.jobScr.Compute())
	case m.step == stepFix && m.fixScr.job:
		where = fmt.Sprintf("Fix for the test job on %q", m.jobScr.Compute())
	case m.step == stepFix && m.fixScr.Doctor():
		where = fmt.Sprintf("Troubleshoot: fix for the doctor of %q", m.doctor.comp.Name)
	case m.step == stepDoctor || m.step == stepHostKey && m.replacing == nil && m.doctor.Running():
		where = fmt.Sprintf("Troubleshoot: doctor of %q", m.doctor.comp.Name)
	case m.replacing != nil:
		where = fmt.Sprintf("Reattach %q: %s", m.replacing.Name, name)
	}
	if m.ws.Name != "" {
		where += " · workspace " + m.ws.Name
	}
	return line1 + "\n" + trunc(st.HeaderStep.Render(where), m.width)
}

func (m *Model) infoView(width, height int, full bool) string {
	st := m.c.Styles
	title, paras := stepInfoFor(m.step, m.typ)
	if m.step == stepSignIn {
		title, paras = signInInfo(m.opts.Sandbox)
	}
	if m.step == stepExplain && m.explain.target.Type != "" {
		t := m.explain.target
		title, paras = t.Title, []string{t.What + ".", "Needs: " + t.Needs + "."}
	}
	inner := width - 2
	lines := []string{st.PanelTitle.Render("About: " + title)}
	for _, p := range paras {
		lines = append(lines, "")
		lines = append(lines, wrap(p, inner)...)
	}
	if full {
		lines = append(lines, "", st.Subtle.Render("i or esc closes this"))
	}
	return st.Panel.Render(fit(lines, inner, height))
}

func (m *Model) quitView(width int) string {
	st := m.c.Styles
	what := "What you typed is lost; nothing was sent to Azure."
	switch {
	case m.doctor.Busy():
		what = "The detach goes on in Azure; check it with amlattach list."
	case m.fixScr.Busy():
		what = m.fixScr.SentText()
	case m.step == stepDoctor:
		what = "What you typed is lost; nothing was changed."
	case m.preflight.Running():
		what = "The preflight stops; nothing was sent to Azure."
	case m.step == stepSignIn:
		what = "The sign-in stops; nothing is kept."
	}
	return st.Dialog.Width(max(20, width-2)).Render(st.Bold.Render("Quit amlattach?") + " " + what + "\ny quits · n or esc stays")
}
