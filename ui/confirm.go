package ui

import (
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"amlattach/flows"
	"amlattach/probes"
)

type attachCheckedMsg struct {
	seq  int
	plan *flows.Plan
	err  error
}

// checkAttachCmd validates the details again for an attach (a VM's login
// is stricter then than for a probe: Azure ML needs a password or an
// unencrypted key file).
func checkAttachCmd(seq int, recheck func() (*flows.Plan, error)) tea.Cmd {
	return func() tea.Msg {
		p, err := recheck()
		return attachCheckedMsg{seq: seq, plan: p, err: err}
	}
}

// confirmScreen shows the exact request, secrets masked, and the warning
// about attaching a resource twice; the attach starts only from here.
type confirmScreen struct {
	c       *Common
	ws      flows.Workspace
	plan    *flows.Plan // for the attach, once checked
	results []probes.Result

	checking bool
	checkErr *flows.Error
	seq      int
	blocked  error // why the preflight does not allow the attach
	forceOK  bool
	forceWhy string
	asking   bool // "attach anyway?" is on screen
	replace  bool // a reattach: detach first, never forced
	scrollView
}

func newConfirmScreen(c *Common) *confirmScreen { return &confirmScreen{c: c} }

// Set shows the request for plan after the preflight's results; recheck,
// when not nil, validates the details again for the attach first.
func (s *confirmScreen) Set(ws flows.Workspace, plan *flows.Plan, results []probes.Result, recheck func() (*flows.Plan, error)) tea.Cmd {
	s.ws, s.plan, s.results = ws, plan, results
	s.asking, s.checkErr, s.replace = false, nil, false
	s.scroll.Top()
	s.blocked = flows.CheckAttachable(results, false)
	s.forceOK, s.forceWhy = flows.ForceAllowed(results)
	s.seq++
	s.checking = recheck != nil
	if recheck == nil {
		return nil
	}
	return checkAttachCmd(s.seq, recheck)
}

// SetReplace shows a reattach's request: the compute is detached first,
// and a failed probe is never overridden.
func (s *confirmScreen) SetReplace(ws flows.Workspace, plan *flows.Plan, results []probes.Result, recheck func() (*flows.Plan, error)) tea.Cmd {
	cmd := s.Set(ws, plan, results, recheck)
	s.replace, s.forceOK, s.forceWhy = true, false, "a reattach never goes ahead over a failed probe: nothing was detached"
	return cmd
}

func (s *confirmScreen) typ() string {
	if s.plan == nil {
		return "vm"
	}
	return s.plan.Type
}

func (s *confirmScreen) Init() tea.Cmd { return nil }
func (s *confirmScreen) Typing() bool  { return false }

func (s *confirmScreen) canAttach() bool {
	return !s.checking && s.checkErr == nil && s.blocked == nil
}

func (s *confirmScreen) canForce() bool {
	return !s.checking && s.checkErr == nil && s.blocked != nil && s.forceOK
}

// editTarget is the field to fix before an attach is possible.
func (s *confirmScreen) editTarget() (probes.Field, bool) {
	if s.checkErr != nil {
		switch s.checkErr.Field {
		case "--ssh-key", "--ssh-key-passphrase-file":
			return probes.FieldKey, true
		case "--password-file":
			return probes.FieldPassword, true
		case "--name":
			return probes.FieldName, true
		}
	}
	var fe *flows.Error
	if errors.As(s.blocked, &fe) && fe.Field == "--name" {
		return probes.FieldName, true
	}
	return "", false
}

func (s *confirmScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case attachCheckedMsg:
		if msg.seq != s.seq {
			return s, nil
		}
		s.checking = false
		if msg.err != nil {
			var fe *flows.Error
			if !errors.As(msg.err, &fe) {
				fe = &flows.Error{Msg: msg.err.Error()}
			}
			s.checkErr = fe
			return s, nil
		}
		s.plan = msg.plan
	case tea.KeyMsg:
		return s, s.handleKey(msg)
	}
	return s, nil
}

func (s *confirmScreen) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := s.c.Keys
	if s.asking {
		switch {
		case key.Matches(msg, k.Yes):
			s.asking = false
			return s.c.post(attachStartMsg{plan: s.plan, results: s.results})
		case key.Matches(msg, k.No):
			s.asking = false
		}
		return nil
	}
	switch {
	case key.Matches(msg, k.Back):
		return s.c.post(backMsg{})
	case key.Matches(msg, k.Attach) && s.canAttach():
		return s.c.post(attachStartMsg{plan: s.plan, results: s.results})
	case key.Matches(msg, k.Force) && s.canForce():
		s.asking = true
	case key.Matches(msg, k.Edit):
		if f, ok := s.editTarget(); ok {
			return s.c.post(editFieldMsg{field: f})
		}
	default:
		s.scrollKey(k, msg, s.page())
	}
	return nil
}

func (s *confirmScreen) ShortHelp() []key.Binding {
	k := s.c.Keys
	if s.asking {
		yes := k.Yes
		yes.SetHelp("y", "attach anyway")
		return []key.Binding{yes, k.No}
	}
	var b []key.Binding
	if s.canAttach() {
		at := k.Attach
		if s.replace {
			at.SetHelp("enter", "detach and attach again")
		}
		b = append(b, at)
	}
	if s.canForce() {
		b = append(b, k.Force)
	}
	if f, ok := s.editTarget(); ok {
		edit := k.Edit
		edit.SetHelp("e", "edit "+fieldNameFor(s.typ(), f))
		b = append(b, edit)
	}
	return append(b, k.Back)
}

func (s *confirmScreen) FullHelp() [][]key.Binding {
	k := s.c.Keys
	return [][]key.Binding{{k.Attach, k.Force, k.Edit, k.Back}, scrollKeys(k)}
}

// lines is the request, which scrolls; foot (the warning and the verdict)
// stays at the bottom, always on screen.
func (s *confirmScreen) lines() []string {
	st := s.c.Styles
	if s.plan == nil {
		return nil
	}
	lines := []string{st.Title.Render("The request"), st.Subtle.Render("Nothing has been sent yet. This is exactly what will be:"), ""}
	if s.replace {
		lines = []string{st.Title.Render(fmt.Sprintf("Reattach %q", s.plan.Name)), st.Subtle.Render("Nothing has been changed yet. This is what happens, in order:"), ""}
		for _, l := range []string{
			fmt.Sprintf("1. the preflight runs again with the new settings; if a probe fails, %q stays as it is", s.plan.Name),
			fmt.Sprintf("2. %q is detached: Azure ML forgets it; the %s itself is untouched", s.plan.Name, resourceNoun(s.typ())),
			"3. it is attached again under the same name with this request:",
		} {
			lines = append(lines, wrapKeepIndent("  "+l, s.width)...)
		}
	}
	for _, l := range flows.Summarize(s.ws, s.plan, s.results).Lines() {
		if strings.HasPrefix(l, "  note: attach each resource once") || strings.HasPrefix(l, "  note: --force") {
			continue // the box below says it; the wizard has no --force
		}
		lines = append(lines, wrapKeepIndent("  "+l, s.width)...)
	}
	return lines
}

func (s *confirmScreen) foot() []string {
	st := s.c.Styles
	var lines []string
	warn := st.Warn.Render("! Attach each resource once.") + " Do not attach the same " + resourceNoun(s.typ()) + " twice, to this or another workspace: each new attachment breaks the earlier ones."
	if s.replace {
		warn = st.Warn.Render(fmt.Sprintf("! %q is detached first,", s.plan.Name)) + " then attached again with these settings: jobs cannot use it in between. If the attach fails after the detach, the command that finishes the job is shown."
	}
	box := st.WarnBox.Width(max(20, s.width-2)).Render(warn)
	lines = append(lines, strings.Split(box, "\n")...)
	switch {
	case s.checking:
		lines = append(lines, st.Subtle.Render("checking the login for the attach…"))
	case s.checkErr != nil:
		lines = append(lines, wrap(st.Bad("Cannot attach with this login: "+s.checkErr.Msg), s.width)...)
		if s.checkErr.Fix != "" {
			lines = append(lines, wrapIndent("fix: "+s.checkErr.Fix, s.width, 2)...)
		}
	case s.blocked == nil && s.replace:
		lines = append(lines, wrap(st.Good("Every probe passed or warned: enter detaches and attaches again."), s.width)...)
	case s.blocked == nil:
		lines = append(lines, wrap(st.Good("Every probe passed or warned: enter attaches."), s.width)...)
	default:
		var failed []string
		for _, r := range s.results {
			if r.Status == probes.Fail {
				failed = append(failed, r.Title)
			}
		}
		lines = append(lines, wrap(st.Bad(fmt.Sprintf("%d probe(s) failed: %s.", len(failed), strings.Join(failed, ", "))), s.width)...)
		switch {
		case s.forceOK:
			lines = append(lines, wrap("Attaching now would most likely go wrong, for the reasons above. esc goes back to fix it; f attaches anyway.", s.width)...)
		default:
			lines = append(lines, wrap("Cannot attach: "+s.forceWhy, s.width)...)
		}
	}
	if s.asking {
		text := []string{st.Bold.Render("Attach anyway?") + " What failed:"}
		for _, r := range s.results {
			if r.Status == probes.Fail {
				text = append(text, "✗ "+r.Title+": "+r.Detail)
			}
		}
		text = append(text, "y attaches all the same; n goes back.")
		q := st.Dialog.Width(max(20, s.width-2)).Render(strings.Join(text, "\n"))
		lines = append(lines, strings.Split(q, "\n")...)
	}
	return lines
}

// page is the request over the foot, which stays on the last rows.
func (s *confirmScreen) page() scrollPage {
	return scrollPage{body: s.lines(), foot: append([]string{""}, s.foot()...), pinFoot: true}
}

func (s *confirmScreen) View() string { return s.render(s.page()) }
