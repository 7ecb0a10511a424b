package ui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"amlattach/flows"
)

// targetScreen lists every compute type with what it is and what it needs;
// every attachable type goes on, the ones never attached say why not.
type targetScreen struct {
	c       *Common
	targets []flows.TargetInfo
	pick    *picker
	width   int
	height  int
}

func newTargetScreen(c *Common) *targetScreen {
	s := &targetScreen{c: c, targets: flows.Targets(), pick: newPicker(c, "compute types")}
	s.pick.descOnCursor = true
	items := make([]pickItem, len(s.targets))
	for i, t := range s.targets {
		it := pickItem{Title: t.Type, Cols: []string{t.Title}, Desc: []string{t.What, "needs: " + t.Needs}}
		switch {
		case t.NeverAttached:
			it.Note, it.Dim = "- never", true
			it.Desc = append([]string{"never attached: enter says why, and what to do instead"}, it.Desc...)
		default:
			it.Note = "✓ available"
		}
		items[i] = it
	}
	s.pick.SetItems(items)
	return s
}

func (s *targetScreen) Init() tea.Cmd { return nil }

func (s *targetScreen) SetSize(w, h int) {
	s.width, s.height = w, h
	s.pick.SetSize(w, h-2-len(s.hint()))
}

// hint is the way to troubleshooting, under the list.
func (s *targetScreen) hint() []string {
	return append([]string{""}, wrap(s.c.Styles.Subtle.Render("Something attached already does not work? t troubleshoots the workspace's computes: doctor, reattach, detach."), max(20, s.width))...)
}

func (s *targetScreen) Typing() bool { return s.pick.Typing() }

func (s *targetScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return s, nil
	}
	if handled, cmd := s.pick.HandleKey(km); handled {
		return s, cmd
	}
	k := s.c.Keys
	switch {
	case key.Matches(km, k.Select):
		if i, ok := s.pick.Selected(); ok {
			s.pick.StopFiltering()
			return s, s.c.post(targetChosenMsg{target: s.targets[i]})
		}
	case key.Matches(km, k.Troubleshoot):
		s.pick.StopFiltering()
		return s, s.c.post(troubleshootMsg{})
	case key.Matches(km, k.Back):
		return s, s.c.post(backMsg{})
	}
	return s, nil
}

func (s *targetScreen) ShortHelp() []key.Binding {
	b := s.pick.ShortHelp()
	if !s.pick.Typing() && !s.pick.FilterApplied() {
		b = append(b, s.c.Keys.Back)
	}
	return b
}

func (s *targetScreen) FullHelp() [][]key.Binding {
	return append(s.pick.FullHelp(), []key.Binding{s.c.Keys.Troubleshoot, s.c.Keys.Back})
}

func (s *targetScreen) View() string {
	st := s.c.Styles
	lines := []string{st.Title.Render("What do you want to attach?"),
		trunc(st.Subtle.Render("✓ available: attached here · - never: never attached, enter says why"), s.width)}
	lines = append(lines, s.pick.View())
	lines = append(lines, s.hint()...)
	return fit(lines, s.width, s.height)
}

// explainScreen says plainly why a type is never attached, and what to do
// instead.
type explainScreen struct {
	c      *Common
	target flows.TargetInfo
	scrollView
}

func newExplainScreen(c *Common) *explainScreen { return &explainScreen{c: c} }

func (s *explainScreen) Set(t flows.TargetInfo) { s.target = t; s.scroll.Top() }

func (s *explainScreen) Init() tea.Cmd            { return nil }
func (s *explainScreen) Typing() bool             { return false }
func (s *explainScreen) ShortHelp() []key.Binding { return []key.Binding{s.c.Keys.Back} }
func (s *explainScreen) FullHelp() [][]key.Binding {
	return [][]key.Binding{{s.c.Keys.Back, s.c.Keys.Select}, scrollKeys(s.c.Keys)}
}

func (s *explainScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return s, nil
	}
	k := s.c.Keys
	switch {
	case key.Matches(km, k.Back), key.Matches(km, k.Select):
		return s, s.c.post(backMsg{})
	default:
		s.scrollKey(k, km, scrollPage{body: s.lines()})
	}
	return s, nil
}

func (s *explainScreen) View() string {
	return s.render(scrollPage{body: s.lines()})
}

func (s *explainScreen) lines() []string {
	st := s.c.Styles
	t := s.target
	lines := []string{st.Title.Render(t.Title + " (" + t.Type + ")"), ""}
	lines = append(lines, wrap(st.Note("never attached: there is nothing to attach for this type"), s.width)...)
	lines = append(lines, "")
	for _, p := range t.Why {
		lines = append(lines, wrap(p, s.width)...)
		lines = append(lines, "")
	}
	return append(lines, st.Subtle.Render("esc goes back to the list of compute types"))
}
