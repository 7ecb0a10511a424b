package ui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"amlattach/flows"
)

type resMode int

const (
	resBrowse resMode = iota
	resPaste
	resBuild
)

type candidatesMsg struct {
	wsID  string
	typ   string
	cands []flows.Candidate
	err   error
}

func candidatesCmd(ctx context.Context, be Backend, ws flows.Workspace, typ string) tea.Cmd {
	id := wsKey(ws)
	return func() tea.Msg {
		cs, err := be.Browse(ctx, ws, typ)
		return candidatesMsg{wsID: id, typ: typ, cands: cs, err: err}
	}
}

// resourceScreen chooses the resource of the chosen type: browse the
// subscription's resources of that type, paste a resource ID (checked as it
// is typed, naming the wrong part), or build the ID from subscription,
// resource group and name.
type resourceScreen struct {
	c   *Common
	ctx context.Context
	be  Backend
	ws  flows.Workspace
	typ string

	mode    resMode
	loading bool
	loadErr error
	cands   []flows.Candidate
	pick    *picker
	spin    spin

	paste      textinput.Model
	build      [3]textinput.Model
	buildFocus int
	width      int
	height     int
}

func (s *resourceScreen) buildLabel(i int) string {
	switch i {
	case 0:
		return "Subscription"
	case 1:
		return "Resource group"
	}
	if s.typ == "vm" {
		return "VM name"
	}
	return "Name"
}

func newResourceScreen(c *Common, ctx context.Context, be Backend) *resourceScreen {
	s := &resourceScreen{c: c, ctx: ctx, be: be, typ: "vm", pick: newPicker(c, "VMs"), spin: newSpin(c)}
	s.paste = newInput()
	s.paste.Prompt = "> "
	s.paste.Placeholder = "/subscriptions/…/resourceGroups/…/providers/Microsoft.Compute/virtualMachines/…"
	s.paste.CharLimit = 1000
	for i := range s.build {
		s.build[i] = newInput()
		s.build[i].Prompt = ""
		s.build[i].CharLimit = 200
	}
	s.build[2].Placeholder = "the VM's name"
	return s
}

// SetType chooses what to browse; a new type lists its resources.
func (s *resourceScreen) SetType(typ string) tea.Cmd {
	if typ == s.typ {
		return nil
	}
	s.typ = typ
	s.mode = resBrowse
	s.pick = newPicker(s.c, resourceNouns(typ))
	s.SetSize(s.width, s.height)
	s.paste.SetValue("")
	s.paste.Placeholder = "/subscriptions/…/resourceGroups/…/providers/" + browseKinds(typ)[0] + "/…"
	s.build[2].Placeholder = "the " + resourceNoun(typ) + "'s name"
	if s.ws.Name == "" {
		return nil
	}
	return s.load()
}

// kinds are the ARM kinds the chosen type's resource ID may have.
func (s *resourceScreen) kinds() []string { return browseKinds(s.typ) }

// buildable says whether the ID can be built from subscription, group and
// name (not for a type of two kinds, nor for a Synapse pool in its workspace).
func (s *resourceScreen) buildable() bool {
	ks := s.kinds()
	return len(ks) == 1 && strings.Count(ks[0], "/") == 1
}

// SetWorkspace lists the workspace's subscription's resources of the type,
// unless already listed.
func (s *resourceScreen) SetWorkspace(ws flows.Workspace) tea.Cmd {
	if wsKey(ws) == wsKey(s.ws) && (s.loading || s.cands != nil) {
		return nil
	}
	s.ws = ws
	s.build[0].SetValue(ws.SubscriptionID)
	s.build[1].SetValue(ws.ResourceGroup)
	return s.load()
}

func (s *resourceScreen) load() tea.Cmd {
	s.loading, s.loadErr, s.cands = true, nil, nil
	s.pick.SetItems(nil)
	return tea.Batch(candidatesCmd(s.ctx, s.be, s.ws, s.typ), s.spin.start())
}

func (s *resourceScreen) Init() tea.Cmd { return nil }

func (s *resourceScreen) SetSize(w, h int) {
	s.width, s.height = w, h
	s.pick.SetSize(w, h-4)
	s.paste.Width = max(10, w-4)
	for i := range s.build {
		s.build[i].Width = max(10, w-20)
	}
}

func (s *resourceScreen) Typing() bool {
	return s.mode != resBrowse || s.pick.Typing()
}

// attachedAs says which computes already use the resource with that ID.
func (s *resourceScreen) attachedAs(id string) []string {
	for _, c := range s.cands {
		if strings.EqualFold(c.ID, id) {
			return c.AttachedAs
		}
	}
	return nil
}

func (s *resourceScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case candidatesMsg:
		if msg.wsID != wsKey(s.ws) || msg.typ != s.typ || !s.loading {
			break
		}
		s.loading, s.loadErr = false, msg.err
		s.spin.stop()
		if msg.err == nil {
			s.cands = msg.cands
			if s.cands == nil {
				s.cands = []flows.Candidate{}
			}
			items := make([]pickItem, len(s.cands))
			for i, c := range s.cands {
				it := pickItem{Title: c.Name, Cols: []string{c.ResourceGroup, c.Location}}
				if len(c.AttachedAs) > 0 {
					it.Note = s.c.Styles.Warn.Render("! already attached as " + strings.Join(c.AttachedAs, ", "))
				}
				items[i] = it
			}
			s.pick.SetItems(items)
		}
	case tea.KeyMsg:
		cmd = s.handleKey(msg)
	default:
		if s.mode == resPaste {
			s.paste, cmd = s.paste.Update(msg)
		} else if s.mode == resBuild {
			s.build[s.buildFocus], cmd = s.build[s.buildFocus].Update(msg)
		}
	}
	return s, tea.Batch(cmd, s.spin.update(msg))
}

func (s *resourceScreen) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := s.c.Keys
	switch s.mode {
	case resBrowse:
		if handled, cmd := s.pick.HandleKey(msg); handled {
			return cmd
		}
		switch {
		case key.Matches(msg, k.Select):
			if i, ok := s.pick.Selected(); ok {
				s.pick.StopFiltering()
				c := s.cands[i]
				return send(resourceChosenMsg{id: c.ID, name: c.Name, attachedAs: c.AttachedAs})
			}
		case key.Matches(msg, k.PasteID):
			s.mode = resPaste
			return s.paste.Focus()
		case key.Matches(msg, k.BuildID) && s.buildable():
			s.mode = resBuild
			return s.focusBuild(s.buildFocus)
		case key.Matches(msg, k.Retry) && s.loadErr != nil:
			return s.load()
		case key.Matches(msg, k.Back):
			return backCmd()
		}
	case resPaste:
		switch {
		case key.Matches(msg, k.Back):
			s.mode = resBrowse
			s.paste.Blur()
			return nil
		case key.Matches(msg, k.UseID):
			if chk := flows.CheckResourceID(s.paste.Value(), s.kinds()...); chk.OK {
				s.paste.Blur()
				s.mode = resBrowse
				return send(resourceChosenMsg{id: chk.Canonical, name: chk.Name, attachedAs: s.attachedAs(chk.Canonical)})
			}
			return nil
		}
		var cmd tea.Cmd
		s.paste, cmd = s.paste.Update(msg)
		return cmd
	case resBuild:
		switch {
		case key.Matches(msg, k.Back):
			s.mode = resBrowse
			s.build[s.buildFocus].Blur()
			return nil
		case key.Matches(msg, k.NextField):
			return s.focusBuild((s.buildFocus + 1) % 3)
		case key.Matches(msg, k.PrevField):
			return s.focusBuild((s.buildFocus + 2) % 3)
		case key.Matches(msg, k.UseID):
			chk := flows.CheckResourceID(s.builtID(), s.kinds()...)
			if chk.OK {
				s.build[s.buildFocus].Blur()
				s.mode = resBrowse
				return send(resourceChosenMsg{id: chk.Canonical, name: chk.Name, attachedAs: s.attachedAs(chk.Canonical)})
			}
			return s.focusBuild(buildFieldOf(chk.Part, s.build))
		}
		var cmd tea.Cmd
		s.build[s.buildFocus], cmd = s.build[s.buildFocus].Update(msg)
		return cmd
	}
	return nil
}

func (s *resourceScreen) focusBuild(i int) tea.Cmd {
	s.build[s.buildFocus].Blur()
	s.buildFocus = i
	return s.build[i].Focus()
}

func (s *resourceScreen) builtID() string {
	return flows.BuildResourceID(s.build[0].Value(), s.build[1].Value(), s.kinds()[0], s.build[2].Value())
}

// buildFieldOf is the build field a wrong ID part belongs to.
func buildFieldOf(part string, f [3]textinput.Model) int {
	switch part {
	case "subscription":
		return 0
	case "resource group":
		return 1
	case "name":
		return 2
	}
	for i := range f {
		if strings.TrimSpace(f[i].Value()) == "" {
			return i
		}
	}
	return 2
}

func (s *resourceScreen) ShortHelp() []key.Binding {
	k := s.c.Keys
	switch s.mode {
	case resPaste:
		return []key.Binding{k.UseID, k.Back}
	case resBuild:
		return []key.Binding{k.NextField, k.UseID, k.Back}
	}
	if s.pick.Typing() || s.pick.FilterApplied() {
		return s.pick.ShortHelp()
	}
	var b []key.Binding
	if len(s.cands) > 0 {
		b = s.pick.ShortHelp()
	}
	if s.loadErr != nil {
		b = append(b, k.Retry)
	}
	if s.buildable() {
		b = append(b, k.PasteID, k.BuildID)
	} else {
		b = append(b, k.PasteID)
	}
	return append(b, k.Back)
}

func (s *resourceScreen) FullHelp() [][]key.Binding {
	k := s.c.Keys
	return append(s.pick.FullHelp(), []key.Binding{k.PasteID, k.BuildID, k.UseID, k.NextField, k.Back})
}

func (s *resourceScreen) View() string {
	st := s.c.Styles
	noun, nouns := resourceNoun(s.typ), resourceNouns(s.typ)
	howTo := "p pastes a resource ID instead; b builds one from its parts."
	other := "p pastes the ID of a " + noun + " in another subscription; b builds one."
	keys := " · p paste an ID · b build one"
	if !s.buildable() {
		howTo = "p pastes a resource ID instead."
		other = "p pastes the ID of a " + noun + " in another subscription."
		keys = " · p paste an ID"
	}
	var lines []string
	switch s.mode {
	case resBrowse:
		lines = append(lines, st.Title.Render("Which "+noun+"?"))
		switch {
		case s.loading:
			lines = append(lines, "", s.spin.view()+" Listing the "+nouns+" of subscription "+s.ws.SubscriptionID+"…")
		case s.loadErr != nil:
			lines = append(lines, "")
			lines = append(lines, errorLines(s.c, s.loadErr, s.width)...)
			lines = append(append(lines, ""), wrap("r tries again; "+howTo, s.width)...)
		case len(s.cands) == 0:
			lines = append(append(lines, ""), wrap("No "+nouns+" in subscription "+s.ws.SubscriptionID+". "+other, s.width)...)
		default:
			lines = append(lines, st.Subtle.Render(trunc(fmt.Sprintf("%d %s in the workspace's subscription%s", len(s.cands), nouns, keys), s.width)), "")
			lines = append(lines, s.pick.View())
		}
	case resPaste:
		lines = append(lines, st.Title.Render("Paste the "+noun+"'s resource ID"), "")
		lines = append(lines, wrap(st.Subtle.Render(pasteHint(s.typ)), s.width)...)
		lines = append(lines, "", s.paste.View(), "")
		lines = append(lines, s.checkLines(s.paste.Value())...)
	case resBuild:
		lines = append(lines, st.Title.Render("Build the "+noun+"'s resource ID"), "")
		chk := flows.CheckResourceID(s.builtID(), s.kinds()...)
		wrong := -1
		if !chk.OK {
			wrong = buildFieldOf(chk.Part, s.build)
		}
		for i := range s.build {
			label := fmt.Sprintf("%-16s", s.buildLabel(i))
			if i == s.buildFocus {
				label = st.FieldFocused.Render(label)
			} else {
				label = st.Subtle.Render(label)
			}
			lines = append(lines, label+s.build[i].View())
			if i == wrong && strings.TrimSpace(s.build[i].Value()) != "" {
				lines = append(lines, wrapIndent(st.Bad(chk.Part+": "+chk.Msg), s.width, 16)...)
			}
		}
		lines = append(lines, "")
		lines = append(lines, wrap(st.Subtle.Render("ID: ")+s.builtID(), s.width)...)
		if chk.OK {
			lines = append(lines, st.Good("a "+noun+" ID: enter uses it"))
		}
	}
	return fit(lines, s.width, s.height)
}

// pasteHint says where to find a resource ID of the type.
func pasteHint(typ string) string {
	switch typ {
	case "vm":
		return "From the VM's Properties page in the portal, or: az vm show -g GROUP -n VM --query id -o tsv"
	case "synapse":
		return "From the Spark pool's Properties page in the portal, or: az synapse spark pool show -g GROUP --workspace-name WS -n POOL --query id -o tsv"
	}
	return "From the resource's Properties page in the portal (Resource ID), or: az resource show -g GROUP -n NAME --resource-type " + browseKinds(typ)[0] + " --query id -o tsv"
}

// checkLines is the live verdict on a typed ID.
func (s *resourceScreen) checkLines(v string) []string {
	st := s.c.Styles
	if strings.TrimSpace(v) == "" {
		return []string{st.Subtle.Render("waiting for an ID…")}
	}
	chk := flows.CheckResourceID(v, s.kinds()...)
	if !chk.OK {
		return wrap(st.Bad(chk.Part+": "+chk.Msg), s.width)
	}
	lines := wrap(st.Good(fmt.Sprintf("%s %s in resource group %s, subscription %s", resourceNoun(s.typ), chk.Name, chk.ResourceGroup, chk.SubscriptionID)), s.width)
	if as := s.attachedAs(chk.Canonical); len(as) > 0 {
		lines = append(lines, st.Note("already attached as "+strings.Join(as, ", ")))
	}
	return append(lines, st.Subtle.Render("enter uses it"))
}
