package ui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"amlattach/flows"
)

// computesListedMsg is the computes screen's own listing of the workspace.
type computesListedMsg struct {
	seq      int
	computes []flows.Compute
	err      error
}

func listComputesCmd(ctx context.Context, be Backend, ws flows.Workspace, seq int) tea.Cmd {
	return func() tea.Msg {
		cs, err := be.Computes(ctx, ws)
		return computesListedMsg{seq: seq, computes: cs, err: err}
	}
}

// computesScreen lists every compute of the workspace for troubleshooting:
// grouped by the resource they attach, attachments of one resource marked
// CONFLICT (each new attachment breaks the earlier ones), with type, state,
// creation date and resource; the highlighted one shows its resource ID
// and its stored provisioning errors word for word.
type computesScreen struct {
	c   *Common
	ctx context.Context
	be  Backend

	ws       flows.Workspace
	computes []flows.Compute // in list order: grouped by resource
	conflict map[string][]string
	loading  bool
	err      error
	seq      int
	note     string // what was just done (a detach)
	pick     *picker
	spin     spin
	width    int
	height   int
}

func newComputesScreen(c *Common, ctx context.Context, be Backend) *computesScreen {
	s := &computesScreen{c: c, ctx: ctx, be: be, pick: newPicker(c, "computes"), spin: newSpin(c)}
	s.pick.descOnCursor = true
	return s
}

// Load lists the computes of ws (again); note says what was just done.
func (s *computesScreen) Load(ws flows.Workspace, note string) tea.Cmd {
	s.ws, s.note = ws, note
	s.loading, s.err = true, nil
	s.seq++
	return tea.Batch(listComputesCmd(s.ctx, s.be, ws, s.seq), s.spin.start())
}

// set shows the computes, grouped by resource.
func (s *computesScreen) set(cs []flows.Compute) {
	s.computes = nil
	s.conflict = map[string][]string{}
	for _, g := range flows.GroupByResource(cs) {
		for _, c := range g {
			if len(g) > 1 {
				for _, o := range g {
					if o.Name != c.Name {
						s.conflict[c.Name] = append(s.conflict[c.Name], o.Name)
					}
				}
			}
			s.computes = append(s.computes, c)
		}
	}
	items := make([]pickItem, len(s.computes))
	for i, c := range s.computes {
		items[i] = computeItem(c, s.conflict[c.Name])
	}
	s.pick.SetItems(items)
}

// computeItem is a compute as a row: name, CONFLICT when another compute
// attaches the same resource, type, state, created, resource.
func computeItem(c flows.Compute, others []string) pickItem {
	state := orDash(c.ProvisioningState)
	if strings.EqualFold(state, "Failed") {
		state = "✗ Failed"
	}
	created := "-"
	if !c.CreatedOn.IsZero() {
		created = c.CreatedOn.UTC().Format("2006-01-02")
	}
	mark := ""
	if len(others) > 0 {
		mark = "CONFLICT"
	}
	it := pickItem{Title: c.Name, Cols: []string{mark, c.Type, state, created, shortResource(c.ResourceID)}}
	desc := []string{"resource: " + orDash(c.ResourceID)}
	if len(others) > 0 {
		desc = append(desc, fmt.Sprintf("CONFLICT: the same resource is also attached as %s; each new attachment breaks the earlier ones: keep one", strings.Join(others, ", ")))
	}
	for _, e := range c.ProvisioningErrors {
		desc = append(desc, "error "+e.Code+": "+e.Message)
	}
	it.Desc = desc
	return it
}

// shortResource is "group/name" of a resource ID (a pool with its workspace).
func shortResource(id string) string {
	if id == "" {
		return "-"
	}
	parts := strings.Split(strings.Trim(id, "/"), "/")
	group := ""
	for i := 0; i+1 < len(parts); i++ {
		if strings.EqualFold(parts[i], "resourceGroups") {
			group = parts[i+1]
		}
	}
	name := parts[len(parts)-1]
	for i := 0; i+1 < len(parts); i++ {
		if strings.EqualFold(parts[i], "providers") && i+3 < len(parts) {
			name = strings.Join(parts[i+3:], "/")
			// a child resource: workspace/bigDataPools/pool → workspace/pool
			if sub := strings.Split(name, "/"); len(sub) == 3 {
				name = sub[0] + "/" + sub[2]
			}
		}
	}
	if group == "" {
		return name
	}
	return group + "/" + name
}

func (s *computesScreen) Init() tea.Cmd { return nil }

func (s *computesScreen) SetSize(w, h int) {
	s.width, s.height = w, h
	s.pick.SetSize(w, max(3, h-s.headHeight()))
}

func (s *computesScreen) headHeight() int { return 2 + len(s.headNotes()) }

func (s *computesScreen) Typing() bool { return s.pick.Typing() }

func (s *computesScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case computesListedMsg:
		if msg.seq != s.seq {
			return s, nil
		}
		s.loading, s.err = false, msg.err
		s.spin.stop()
		if msg.err == nil {
			s.set(msg.computes)
			s.SetSize(s.width, s.height)
		}
		return s, nil
	case tea.KeyMsg:
		return s, s.handleKey(msg)
	}
	return s, s.spin.update(msg)
}

func (s *computesScreen) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := s.c.Keys
	if !s.loading && s.err == nil {
		if handled, cmd := s.pick.HandleKey(msg); handled {
			return cmd
		}
	}
	switch {
	case key.Matches(msg, k.Select) && !s.loading:
		if i, ok := s.pick.Selected(); ok && s.err == nil {
			s.pick.StopFiltering()
			return s.c.post(computeChosenMsg{compute: s.computes[i]})
		}
	case key.Matches(msg, k.Retry) && !s.loading:
		return s.Load(s.ws, "")
	case key.Matches(msg, k.Back):
		return s.c.post(backMsg{})
	}
	return nil
}

func (s *computesScreen) ShortHelp() []key.Binding {
	k := s.c.Keys
	if s.loading {
		return []key.Binding{k.Back}
	}
	refresh := k.Retry
	refresh.SetHelp("r", "refresh")
	if s.err != nil || len(s.computes) == 0 {
		return []key.Binding{refresh, k.Back}
	}
	b := s.pick.ShortHelp()
	if s.pick.Typing() {
		return b
	}
	doc := k.Select
	doc.SetHelp("enter", "doctor")
	b[0] = doc
	if !s.pick.FilterApplied() {
		b = append(b, k.Back)
	}
	return b
}

func (s *computesScreen) FullHelp() [][]key.Binding {
	k := s.c.Keys
	refresh := k.Retry
	refresh.SetHelp("r", "refresh the list")
	return append(s.pick.FullHelp(), []key.Binding{refresh, k.Back})
}

// conflicts are the groups of computes attached to one resource.
func (s *computesScreen) conflicts() [][]string {
	var out [][]string
	seen := map[string]bool{}
	for _, c := range s.computes {
		if others := s.conflict[c.Name]; len(others) > 0 && !seen[c.Name] {
			g := append([]string{c.Name}, others...)
			for _, n := range g {
				seen[n] = true
			}
			out = append(out, g)
		}
	}
	return out
}

// headNotes are the lines between the title and the list: what was just
// done, and the conflict warning.
func (s *computesScreen) headNotes() []string {
	st := s.c.Styles
	var lines []string
	if s.note != "" {
		lines = append(lines, wrap(st.Good(s.note), s.width)...)
	}
	for _, g := range s.conflicts() {
		lines = append(lines, wrap(st.Note(fmt.Sprintf("CONFLICT: %s attach the same resource; each new attachment breaks the earlier ones: keep one (d on its doctor screen detaches).", strings.Join(g, " and "))), s.width)...)
	}
	return lines
}

func (s *computesScreen) View() string {
	st := s.c.Styles
	lines := []string{st.Title.Render("Computes of " + s.ws.Name)}
	switch {
	case s.loading:
		lines = append(lines, "", s.spin.view()+" listing the computes…")
		return fit(lines, s.width, s.height)
	case s.err != nil:
		lines = append(lines, "")
		lines = append(lines, errorLines(s.c, s.err, s.width)...)
		lines = append(lines, "", st.Subtle.Render("r tries again · esc goes back"))
		return fit(lines, s.width, s.height)
	case len(s.computes) == 0:
		lines = append(lines, "")
		if s.note != "" {
			lines = append(lines, wrap(st.Good(s.note), s.width)...)
		}
		lines = append(lines, wrap("No compute is attached to "+s.ws.Name+", so there is nothing to troubleshoot. esc goes back to the compute types to attach one; r lists again.", s.width)...)
		return fit(lines, s.width, s.height)
	}
	lines = append(lines, trunc(st.Subtle.Render(fmt.Sprintf("%d computes, grouped by the resource they attach · enter examines one (doctor)", len(s.computes))), s.width))
	lines = append(lines, s.headNotes()...)
	lines = append(lines, s.pick.View())
	return fit(lines, s.width, s.height)
}
