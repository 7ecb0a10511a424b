package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"amlattach/flows"
)

type wsMode int

const (
	wsSummary wsMode = iota
	wsLoadingSubs
	wsPickSub
	wsLoadingWorkspaces
	wsPickWorkspace
	wsReading
)

type (
	signedInMsg struct {
		who string
		err error
	}
	computesLoadedMsg struct {
		wsID     string
		computes []flows.Compute
		err      error
	}
	subscriptionsLoadedMsg struct {
		subs []flows.Subscription
		err  error
	}
	workspacesLoadedMsg struct {
		sub string
		wss []flows.Workspace
		err error
	}
	workspaceReadMsg struct {
		ws  flows.Workspace
		err error
	}
	// rememberedMsg: the workspace the account chose last, if any.
	rememberedMsg struct {
		account string
		ws      flows.Workspace
		ok      bool
	}
)

func rememberedCmd(mem WorkspaceMemory, account string) tea.Cmd {
	if mem == nil {
		return nil
	}
	return func() tea.Msg {
		ws, ok := mem.Last(account)
		return rememberedMsg{account: account, ws: ws, ok: ok}
	}
}

// rememberCmd remembers ws as the account's last choice (best effort: a
// file that cannot be written only loses the convenience).
func rememberCmd(mem WorkspaceMemory, account string, ws flows.Workspace) tea.Cmd {
	if mem == nil {
		return nil
	}
	return func() tea.Msg {
		_ = mem.Remember(account, ws)
		return nil
	}
}

func signedInCmd(ctx context.Context, be Backend) tea.Cmd {
	return func() tea.Msg {
		who, err := be.SignedIn(ctx)
		return signedInMsg{who: who, err: err}
	}
}

func computesCmd(ctx context.Context, be Backend, ws flows.Workspace) tea.Cmd {
	id := wsKey(ws)
	return func() tea.Msg {
		cs, err := be.Computes(ctx, ws)
		return computesLoadedMsg{wsID: id, computes: cs, err: err}
	}
}

func subscriptionsCmd(ctx context.Context, be Backend) tea.Cmd {
	return func() tea.Msg {
		subs, err := be.Subscriptions(ctx)
		return subscriptionsLoadedMsg{subs: subs, err: err}
	}
}

func workspacesCmd(ctx context.Context, be Backend, sub string) tea.Cmd {
	return func() tea.Msg {
		wss, err := be.Workspaces(ctx, sub)
		return workspacesLoadedMsg{sub: sub, wss: wss, err: err}
	}
}

func readWorkspaceCmd(ctx context.Context, be Backend, ws flows.Workspace) tea.Cmd {
	return func() tea.Msg {
		got, err := be.ReadWorkspace(ctx, ws)
		return workspaceReadMsg{ws: got, err: err}
	}
}

func wsKey(ws flows.Workspace) string {
	return strings.ToLower(ws.SubscriptionID + "/" + ws.ResourceGroup + "/" + ws.Name)
}

// workspaceScreen shows the workspace the attach goes to and who is signed
// in, and lets the user choose another by browsing subscriptions, then
// workspaces.
type workspaceScreen struct {
	c       *Common
	ctx     context.Context
	be      Backend
	sandbox bool

	ws       flows.Workspace
	source   string
	problem  string // why no workspace was resolved
	who      string
	whoErr   error
	whoDone  bool
	computes []flows.Compute
	compErr  error
	compDone bool

	mode    wsMode
	err     error // the last failed load, for the current mode
	subs    []flows.Subscription
	subPick *picker
	wss     []flows.Workspace
	wsPick  *picker
	sub     flows.Subscription
	// memory is where each account's last workspace is kept; last is this
	// account's, offered first in the lists.
	memory  WorkspaceMemory
	last    flows.Workspace
	hasLast bool
	spin    spin
	width   int
	height  int
}

func newWorkspaceScreen(c *Common, ctx context.Context, be Backend, o Options) *workspaceScreen {
	s := &workspaceScreen{c: c, ctx: ctx, be: be, sandbox: o.Sandbox, ws: o.Workspace, source: o.WorkspaceSource,
		problem: o.WorkspaceProblem, subPick: newPicker(c, "subscriptions"), wsPick: newPicker(c, "workspaces"), spin: newSpin(c), memory: o.Memory}
	if s.ws.Name == "" {
		s.mode = wsLoadingSubs
	}
	return s
}

func (s *workspaceScreen) Init() tea.Cmd {
	cmds := []tea.Cmd{signedInCmd(s.ctx, s.be), s.spin.start()}
	if s.ws.Name != "" {
		cmds = append(cmds, computesCmd(s.ctx, s.be, s.ws))
		if s.ws.Location == "" {
			// Not read yet (nobody was signed in before the sign-in step):
			// its location goes into the attach.
			cmds = append(cmds, readWorkspaceCmd(s.ctx, s.be, s.ws))
		}
	} else {
		cmds = append(cmds, subscriptionsCmd(s.ctx, s.be))
	}
	return tea.Batch(cmds...)
}

// SetAccount is who signed in at the sign-in step (the check that runs
// with the workspace step says it again).
func (s *workspaceScreen) SetAccount(account string) {
	if account != "" {
		s.who = account
	}
}

// Account is who is signed in, as far as the screen knows.
func (s *workspaceScreen) Account() string { return s.who }

// offerLast highlights the account's last workspace (and its
// subscription) in the lists.
func (s *workspaceScreen) offerLast() {
	if !s.hasLast {
		return
	}
	for i, sub := range s.subs {
		if strings.EqualFold(sub.ID, s.last.SubscriptionID) {
			s.subPick.Select(i)
		}
	}
	if !strings.EqualFold(s.sub.ID, s.last.SubscriptionID) {
		return
	}
	for i, w := range s.wss {
		if wsKey(w) == wsKey(s.last) {
			s.wsPick.Select(i)
		}
	}
}

func (s *workspaceScreen) SetSize(w, h int) {
	s.width, s.height = w, h
	s.subPick.SetSize(w, h-3)
	s.wsPick.SetSize(w, h-3)
}

func (s *workspaceScreen) Typing() bool {
	return (s.mode == wsPickSub && s.subPick.Typing()) || (s.mode == wsPickWorkspace && s.wsPick.Typing())
}

func (s *workspaceScreen) busy() bool {
	return !s.whoDone || (s.ws.Name != "" && !s.compDone) || s.mode == wsLoadingSubs || s.mode == wsLoadingWorkspaces || s.mode == wsReading
}

func (s *workspaceScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case signedInMsg:
		s.who, s.whoErr, s.whoDone = msg.who, msg.err, true
		if msg.err == nil {
			cmd = rememberedCmd(s.memory, msg.who)
		}
	case rememberedMsg:
		if msg.account == s.who && msg.ok {
			s.last, s.hasLast = msg.ws, true
			s.offerLast()
		}
	case computesLoadedMsg:
		if msg.wsID == wsKey(s.ws) {
			s.computes, s.compErr, s.compDone = msg.computes, msg.err, true
		}
	case subscriptionsLoadedMsg:
		if s.mode != wsLoadingSubs {
			break
		}
		s.err = msg.err
		if msg.err == nil {
			s.subs = msg.subs
			items := make([]pickItem, len(msg.subs))
			for i, sub := range msg.subs {
				items[i] = pickItem{Title: orDash(sub.Name), Cols: []string{sub.ID, sub.State}}
			}
			s.subPick.SetItems(items)
			s.mode = wsPickSub
			s.offerLast()
		}
	case workspacesLoadedMsg:
		if s.mode != wsLoadingWorkspaces || msg.sub != s.sub.ID {
			break
		}
		s.err = msg.err
		if msg.err == nil {
			s.wss = msg.wss
			items := make([]pickItem, len(msg.wss))
			for i, w := range msg.wss {
				items[i] = pickItem{Title: w.Name, Cols: []string{w.ResourceGroup, w.Location}}
			}
			s.wsPick.SetItems(items)
			s.mode = wsPickWorkspace
			s.offerLast()
		}
	case workspaceReadMsg:
		if s.mode == wsSummary && msg.err == nil && wsKey(msg.ws) == wsKey(s.ws) {
			s.ws = msg.ws // the location, read after the sign-in
			break
		}
		if s.mode != wsReading {
			break
		}
		s.err = msg.err
		if msg.err == nil {
			s.ws, s.source, s.problem = msg.ws, "chosen here", ""
			s.computes, s.compErr, s.compDone = nil, nil, false
			s.mode = wsSummary
			cmd = tea.Batch(computesCmd(s.ctx, s.be, s.ws), s.spin.start())
		}
	case tea.KeyMsg:
		cmd = s.handleKey(msg)
	}
	if !s.busy() {
		s.spin.stop()
	}
	return s, tea.Batch(cmd, s.spin.update(msg))
}

func (s *workspaceScreen) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := s.c.Keys
	switch s.mode {
	case wsSummary:
		switch {
		case key.Matches(msg, k.Continue) && s.compDone && s.compErr == nil:
			return s.c.post(workspaceReadyMsg{ws: s.ws, computes: s.computes})
		case key.Matches(msg, k.Retry) && s.compErr != nil:
			s.compErr, s.compDone = nil, false
			return tea.Batch(computesCmd(s.ctx, s.be, s.ws), s.spin.start())
		case key.Matches(msg, k.ChangeWorkspace):
			return s.browse()
		}
	case wsLoadingSubs, wsLoadingWorkspaces, wsReading:
		switch {
		case key.Matches(msg, k.Retry) && s.err != nil:
			s.err = nil
			switch s.mode {
			case wsLoadingSubs:
				return tea.Batch(subscriptionsCmd(s.ctx, s.be), s.spin.start())
			case wsLoadingWorkspaces:
				return tea.Batch(workspacesCmd(s.ctx, s.be, s.sub.ID), s.spin.start())
			}
			s.mode = wsPickWorkspace
		case key.Matches(msg, k.Back):
			s.err = nil
			switch {
			case s.mode == wsLoadingWorkspaces:
				s.mode = wsPickSub
			case s.mode == wsReading:
				s.mode = wsPickWorkspace
			case s.ws.Name != "":
				s.mode = wsSummary
			}
		}
	case wsPickSub:
		if handled, cmd := s.subPick.HandleKey(msg); handled {
			return cmd
		}
		switch {
		case key.Matches(msg, k.Select):
			if i, ok := s.subPick.Selected(); ok {
				s.subPick.StopFiltering()
				s.sub = s.subs[i]
				s.mode, s.err = wsLoadingWorkspaces, nil
				return tea.Batch(workspacesCmd(s.ctx, s.be, s.sub.ID), s.spin.start())
			}
		case key.Matches(msg, k.Back) && s.ws.Name != "":
			s.mode = wsSummary
		}
	case wsPickWorkspace:
		if handled, cmd := s.wsPick.HandleKey(msg); handled {
			return cmd
		}
		switch {
		case key.Matches(msg, k.Select):
			if i, ok := s.wsPick.Selected(); ok {
				s.wsPick.StopFiltering()
				s.mode, s.err = wsReading, nil
				return tea.Batch(readWorkspaceCmd(s.ctx, s.be, s.wss[i]), s.spin.start())
			}
		case key.Matches(msg, k.Back):
			s.mode = wsPickSub
		}
	}
	return nil
}

// browse starts choosing another workspace.
func (s *workspaceScreen) browse() tea.Cmd {
	if len(s.subs) > 0 {
		s.mode = wsPickSub
		return nil
	}
	s.mode, s.err = wsLoadingSubs, nil
	return tea.Batch(subscriptionsCmd(s.ctx, s.be), s.spin.start())
}

func (s *workspaceScreen) ShortHelp() []key.Binding {
	k := s.c.Keys
	switch s.mode {
	case wsSummary:
		var b []key.Binding
		if s.compDone && s.compErr == nil {
			b = append(b, k.Continue)
		}
		if s.compErr != nil {
			b = append(b, k.Retry)
		}
		return append(b, k.ChangeWorkspace)
	case wsPickSub:
		b := s.subPick.ShortHelp()
		if s.ws.Name != "" && !s.subPick.Typing() && !s.subPick.FilterApplied() {
			b = append(b, k.Back)
		}
		return b
	case wsPickWorkspace:
		b := s.wsPick.ShortHelp()
		if !s.wsPick.Typing() && !s.wsPick.FilterApplied() {
			b = append(b, k.Back)
		}
		return b
	}
	if s.err != nil {
		return []key.Binding{k.Retry, k.Back}
	}
	return []key.Binding{k.Back}
}

func (s *workspaceScreen) FullHelp() [][]key.Binding {
	switch s.mode {
	case wsPickSub:
		return s.subPick.FullHelp()
	case wsPickWorkspace:
		return s.wsPick.FullHelp()
	}
	return [][]key.Binding{s.ShortHelp()}
}

func (s *workspaceScreen) View() string {
	st := s.c.Styles
	var lines []string
	switch s.mode {
	case wsSummary:
		return fit(s.summary(), s.width, s.height)
	case wsLoadingSubs:
		lines = append(lines, st.Title.Render("Choose a workspace"))
		if s.problem != "" {
			lines = append(lines, wrap(st.Note(s.problem), s.width)...)
		}
		lines = append(append(lines, ""), s.loading("Listing the subscriptions you can see…")...)
	case wsPickSub:
		lines = append(lines, st.Title.Render("Choose a subscription"), st.Subtle.Render(fmt.Sprintf("%d subscriptions; the workspace's decides where VMs are listed", len(s.subs))))
		if s.hasLast {
			lines = append(lines, wrap(st.Subtle.Render("Your last choice: "+s.last.Name+" (group "+s.last.ResourceGroup+"), highlighted"), s.width)...)
		}
		lines = append(lines, "")
		lines = append(lines, s.subPick.View())
	case wsLoadingWorkspaces:
		lines = append(lines, st.Title.Render("Choose a workspace"), "", "")
		lines = append(lines, s.loading("Listing the Azure ML workspaces of "+orDash(s.sub.Name)+"…")...)
	case wsPickWorkspace:
		lines = append(lines, st.Title.Render("Choose a workspace in "+orDash(s.sub.Name)), st.Subtle.Render(fmt.Sprintf("%d Azure ML workspaces", len(s.wss))), "")
		if len(s.wss) == 0 {
			lines = append(lines, wrap("This subscription has no Azure ML workspace. Create one in the Azure portal or with: az ml workspace create -g GROUP -n NAME", s.width)...)
		} else {
			lines = append(lines, s.wsPick.View())
		}
	case wsReading:
		lines = append(lines, st.Title.Render("Choose a workspace"), "", "")
		lines = append(lines, s.loading("Reading the workspace…")...)
	}
	return fit(lines, s.width, s.height)
}

func (s *workspaceScreen) loading(what string) []string {
	if s.err != nil {
		return errorLines(s.c, s.err, s.width)
	}
	return []string{s.spin.view() + " " + what}
}

func (s *workspaceScreen) summary() []string {
	st := s.c.Styles
	row := func(label, value string) []string {
		return labelled(label, value, 15, s.width, st.Subtle)
	}
	lines := []string{st.Title.Render("Workspace")}
	if s.sandbox {
		lines = append(lines, wrap(st.Badge.Render("SANDBOX — simulated Azure, nothing leaves this machine"), s.width)...)
	}
	lines = append(lines, "")
	lines = append(lines, row("Name", st.Bold.Render(s.ws.Name))...)
	lines = append(lines, row("Resource group", s.ws.ResourceGroup)...)
	lines = append(lines, row("Subscription", s.ws.SubscriptionID)...)
	lines = append(lines, row("Location", orDash(s.ws.Location))...)
	if s.source != "" {
		lines = append(lines, row("Found from", s.source)...)
	}
	var who string
	switch {
	case !s.whoDone:
		who = s.spin.view() + " checking…"
	case s.whoErr != nil:
		who = st.Bad(errorText(s.whoErr))
	case s.sandbox && s.who == "":
		who = "nobody: the sandbox accepts any credential"
	case s.who == "":
		who = "yes (the credential does not say who)"
	default:
		who = s.who
	}
	lines = append(lines, row("Signed in as", who)...)
	var comp string
	switch {
	case !s.compDone:
		comp = s.spin.view() + " listing…"
	case s.compErr != nil:
		comp = st.Bad(errorText(s.compErr))
	case len(s.computes) == 0:
		comp = "none attached yet"
	default:
		var parts []string
		for _, c := range s.computes {
			parts = append(parts, fmt.Sprintf("%s (%s, %s)", c.Name, c.Type, orDash(c.ProvisioningState)))
		}
		comp = fmt.Sprintf("%d: %s", len(s.computes), strings.Join(parts, ", "))
	}
	lines = append(lines, row("Computes", comp)...)
	lines = append(lines, "")
	switch {
	case s.compErr != nil:
		lines = append(lines, errorLines(s.c, s.compErr, s.width)...)
	case s.compDone:
		lines = append(lines, wrap("Attach to this workspace? enter continues; c chooses another.", s.width)...)
	}
	return lines
}

// errorText is the what of an error; errorLines adds the fix.
func errorText(err error) string {
	var fe *flows.Error
	if errors.As(err, &fe) {
		return fe.Error()
	}
	return err.Error()
}

func errorLines(c *Common, err error, width int) []string {
	st := c.Styles
	lines := wrap(st.Bad(errorText(err)), width)
	var fe *flows.Error
	if errors.As(err, &fe) && fe.Fix != "" {
		lines = append(lines, wrapIndent("fix: "+fe.Fix, width, 2)...)
	}
	return lines
}
