package ui

import (
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"amlattach/flows"
	"amlattach/probes"
)

type (
	// formCompletedMsg is a path completion for the form's file field key.
	formCompletedMsg struct {
		key, typed string
		res        flows.PathCompletion
	}
	formValidatedMsg struct {
		seq  int
		plan *flows.Plan
		err  error
	}
)

func formCompleteCmd(k, typed string) tea.Cmd {
	return func() tea.Msg { return formCompletedMsg{key: k, typed: typed, res: flows.CompletePath(typed)} }
}

// formValidateCmd validates the answers for an attach: the form has no
// probe-only login (no ssh-agent, no key passphrase), so what passes here
// can be attached.
func formValidateCmd(seq int, typ string, values map[string]string, knownHosts string) tea.Cmd {
	return func() tea.Msg {
		p, err := flows.PlanFromForm(typ, values, true, knownHosts, flows.VMInput{ConfirmHostKey: confirmHostKey})
		return formValidatedMsg{seq: seq, plan: p, err: err}
	}
}

// formField is one field of the form as typed: text, secret and file
// fields edit input; choice and bool fields hold the index of the choice.
type formField struct {
	flows.FormField
	input  textinput.Model
	choice int
}

func (f *formField) choices() []string {
	if f.Kind == flows.FieldBool {
		return []string{"no", "yes"}
	}
	return f.Choices
}

func (f *formField) picks() bool { return f.Kind == flows.FieldChoice || f.Kind == flows.FieldBool }

func (f *formField) value() string {
	if f.picks() {
		cs := f.choices()
		if f.choice >= 0 && f.choice < len(cs) {
			return cs[f.choice]
		}
		return ""
	}
	if f.Kind == flows.FieldSecret {
		return f.input.Value() // a secret is taken as typed, spaces and all
	}
	return strings.TrimSpace(f.input.Value())
}

func (f *formField) setValue(v string) {
	if f.picks() {
		for i, c := range f.choices() {
			if strings.EqualFold(c, v) {
				f.choice = i
			}
		}
		return
	}
	f.input.SetValue(v)
}

// formScreen asks the details of every target type but vm, drawn from
// flows.Form: text fields, secrets typed masked, files with tab completion,
// and choices changed with ←/→ or space. The resource ID comes from the
// browser and a compute name is suggested; enter validates everything
// with the command line's checks and puts a problem under its field.
type formScreen struct {
	c          *Common
	knownHosts string

	typ        string
	fields     []formField
	focus      int
	wsName     string
	resName    string
	attachedAs []string
	computes   []flows.Compute
	compKnown  bool
	nameEdited bool

	completions []string
	showErrors  bool
	submitErr   *flows.Error
	errKey      string
	validating  bool
	seq         int
	touched     bool
	editing     bool
	scenario    string
	// replacing is the compute being reattached: its name is fixed.
	replacing *flows.Compute
	width     int
	height    int
}

func newFormScreen(c *Common, o Options) *formScreen {
	return &formScreen{c: c, knownHosts: o.KnownHosts}
}

// SetType builds the form of a target type; the same type keeps what was typed.
func (s *formScreen) SetType(typ string) {
	if typ == s.typ {
		return
	}
	s.typ, s.focus, s.nameEdited, s.touched, s.scenario = typ, 0, false, false, ""
	s.submitErr, s.errKey, s.showErrors, s.editing, s.completions = nil, "", false, false, nil
	s.fields = nil
	for _, f := range flows.Form(typ) {
		ff := formField{FormField: f, input: newInput()}
		ff.input.Prompt = ""
		ff.input.CharLimit = 1000
		switch f.Kind {
		case flows.FieldSecret:
			ff.input.EchoMode = textinput.EchoPassword
			ff.input.EchoCharacter = '•'
		}
		if f.Default != "" {
			ff.setValue(f.Default)
		}
		s.fields = append(s.fields, ff)
	}
	s.SetSize(s.width, s.height)
}

func (s *formScreen) field(k string) *formField {
	for i := range s.fields {
		if s.fields[i].Key == k {
			return &s.fields[i]
		}
	}
	return nil
}

func (s *formScreen) index(k string) int {
	for i := range s.fields {
		if s.fields[i].Key == k {
			return i
		}
	}
	return -1
}

// SetResource is the resource the form is for; a new one gets a suggested
// compute name unless the user typed one.
func (s *formScreen) SetResource(id, name string, attachedAs []string, ws flows.Workspace, computes []flows.Compute) {
	s.wsName, s.attachedAs = ws.Name, attachedAs
	if computes != nil {
		s.SetComputes(computes)
	}
	if f := s.field("resource-id"); f != nil && !strings.EqualFold(f.value(), id) {
		f.setValue(id)
		f.input.CursorStart() // the ID shows from its start
		s.resName = name
		if n := s.field("name"); n != nil && !s.nameEdited {
			base := name
			if i := strings.LastIndex(base, "/"); i >= 0 {
				base = base[i+1:]
			}
			n.setValue(flows.SuggestComputeName(base, s.computes))
		}
		// Start on the first field still to fill, else on the name.
		s.focus = max(0, s.index("name"))
		for i := range s.fields {
			if f := &s.fields[i]; f.value() == "" && !f.Optional && !f.picks() {
				s.focus = i
				break
			}
		}
	}
	s.submitErr, s.errKey, s.showErrors, s.editing = nil, "", false, false
}

// SetComputes is the workspace's computes, for checking the name.
func (s *formScreen) SetComputes(cs []flows.Compute) { s.computes, s.compKnown = cs, true }

// Prefill fills fields from a scenario.
func (s *formScreen) Prefill(st Start) {
	for k, v := range st.Values {
		if f := s.field(k); f != nil {
			f.setValue(v)
		}
	}
	if st.ComputeName != "" {
		if f := s.field("name"); f != nil {
			f.setValue(st.ComputeName)
			s.nameEdited = true
		}
	}
	s.scenario = st.Scenario
}

// Touched says whether the user typed something that quitting would lose.
func (s *formScreen) Touched() bool { return s.touched }

// Focus starts the screen on its current field.
func (s *formScreen) Focus() tea.Cmd { return s.focusAt(s.focus) }

// FocusField puts the cursor on the field a probe failure points at; it
// reports false when the field is not on this form (the resource: the
// browser then chooses another).
func (s *formScreen) FocusField(f probes.Field) (bool, tea.Cmd) {
	k := string(f)
	switch f {
	case probes.FieldResourceID, probes.FieldNone:
		return false, nil
	case probes.FieldTLS:
		k = "tls"
	case probes.FieldPassword:
		if s.field("password") == nil || (s.field("password").value() == "" && s.field("ssh-key") != nil) {
			k = "ssh-key"
		}
	}
	i := s.index(k)
	if i < 0 || s.locked(i) {
		return false, nil
	}
	s.editing, s.showErrors = true, false
	return true, s.focusAt(i)
}

func (s *formScreen) Init() tea.Cmd { return nil }

// labelWidth is the room for the labels: the longest, within reason.
func (s *formScreen) labelWidth() int {
	w := 12
	for _, f := range s.fields {
		w = max(w, len([]rune(f.Label)))
	}
	return min(w, 26)
}

func (s *formScreen) SetSize(w, h int) {
	s.width, s.height = w, h
	for i := range s.fields {
		s.fields[i].input.Width = max(8, w-s.labelWidth()-5)
	}
}

func (s *formScreen) Typing() bool {
	return s.focus < len(s.fields) && !s.fields[s.focus].picks() && !s.locked(s.focus)
}

// step moves the focus by delta, over a locked field.
func (s *formScreen) step(delta int) tea.Cmd {
	n := len(s.fields)
	if n == 0 {
		return nil
	}
	i := (s.focus + delta + n) % n
	if s.locked(i) {
		i = (i + delta + n) % n
	}
	return s.focusAt(i)
}

func (s *formScreen) focusAt(i int) tea.Cmd {
	if len(s.fields) == 0 {
		return nil
	}
	for j := range s.fields {
		s.fields[j].input.Blur()
	}
	s.focus = (i + len(s.fields)) % len(s.fields)
	s.completions = nil
	f := &s.fields[s.focus]
	if f.picks() {
		return nil
	}
	f.input.CursorEnd()
	return f.input.Focus()
}

// values are the answers by key, as flows.PlanFromForm takes them.
func (s *formScreen) values() map[string]string {
	v := make(map[string]string, len(s.fields))
	for i := range s.fields {
		v[s.fields[i].Key] = s.fields[i].value()
	}
	return v
}

// problem is what is wrong with a field as typed ("" when nothing is).
func (s *formScreen) problem(f *formField) string {
	v := f.value()
	switch {
	case f.Key == "resource-id":
		if v == "" {
			return "the " + resourceNoun(s.typ) + "'s resource ID is required: esc goes back to choose one"
		}
		if chk := flows.CheckResourceID(v, browseKinds(s.typ)...); !chk.OK {
			return chk.Part + ": " + chk.Msg
		}
	case f.Key == "name":
		if v == "" || s.replacing != nil {
			return ""
		}
		p, sugg := flows.NameCheck(v, s.computes)
		if p != "" && sugg != "" && !strings.EqualFold(sugg, v) {
			p += "; try " + sugg
		}
		return p
	case v == "" && !f.Optional && !f.picks():
		return "required: " + strings.ToLower(f.Label[:1]) + f.Label[1:]
	}
	return ""
}

// good is the positive note on the name.
func (s *formScreen) good(f *formField) string {
	if f.Key != "name" {
		return ""
	}
	if s.replacing != nil {
		return "the compute's own name: a reattach keeps it"
	}
	if f.value() == "" {
		return "empty: a name from the resource's name"
	}
	if s.wsName != "" && s.compKnown {
		return fmt.Sprintf("%q is free in %s", f.value(), s.wsName)
	}
	return "a valid name; the preflight checks that it is free"
}

// submit checks every field, then has the flows validate the answers.
func (s *formScreen) submit() tea.Cmd {
	s.showErrors = true
	s.submitErr, s.errKey = nil, ""
	for i := range s.fields {
		if s.problem(&s.fields[i]) != "" {
			return s.focusAt(i)
		}
	}
	s.validating = true
	s.seq++
	return formValidateCmd(s.seq, s.typ, s.values(), s.knownHosts)
}

func (s *formScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case formCompletedMsg:
		if s.focus >= len(s.fields) {
			return s, nil
		}
		f := &s.fields[s.focus]
		if f.Key != msg.key || f.input.Value() != msg.typed {
			return s, nil
		}
		var next bool
		s.completions, next = completeInto(&f.input, msg.res, msg.typed)
		if !next {
			return s, nil
		}
		return s, s.step(1)
	case formValidatedMsg:
		if msg.seq != s.seq {
			return s, nil
		}
		s.validating = false
		if msg.err == nil {
			s.editing = false
			return s, send(planReadyMsg{plan: msg.plan})
		}
		var fe *flows.Error
		if !errors.As(msg.err, &fe) {
			fe = &flows.Error{Msg: msg.err.Error()}
		}
		s.submitErr = fe
		s.errKey = flows.FieldKey(s.typ, fe.Field)
		if i := s.index(s.errKey); i >= 0 {
			return s, s.focusAt(i)
		}
		s.errKey = ""
		return s, nil
	case tea.KeyMsg:
		return s, s.handleKey(msg)
	}
	if s.focus < len(s.fields) && !s.fields[s.focus].picks() {
		var cmd tea.Cmd
		s.fields[s.focus].input, cmd = s.fields[s.focus].input.Update(msg)
		return s, cmd
	}
	return s, nil
}

func (s *formScreen) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := s.c.Keys
	if len(s.fields) == 0 {
		if key.Matches(msg, k.Back) {
			return backCmd()
		}
		return nil
	}
	f := &s.fields[s.focus]
	switch {
	case key.Matches(msg, k.Back):
		return backCmd()
	case s.validating:
		return nil
	case f.Kind == flows.FieldFile && key.Matches(msg, k.Complete):
		return formCompleteCmd(f.Key, f.input.Value())
	case key.Matches(msg, k.NextField):
		return s.step(1)
	case key.Matches(msg, k.PrevField):
		return s.step(-1)
	case key.Matches(msg, k.Submit):
		return s.submit()
	case s.locked(s.focus):
		return nil
	case f.picks() && key.Matches(msg, k.Switch):
		n := len(f.choices())
		if msg.String() == "left" {
			f.choice = (f.choice + n - 1) % n
		} else {
			f.choice = (f.choice + 1) % n
		}
		s.touched = true
		if s.errKey == f.Key {
			s.submitErr, s.errKey = nil, ""
		}
		return nil
	case f.picks():
		return nil
	}
	before := f.input.Value()
	var cmd tea.Cmd
	f.input, cmd = f.input.Update(msg)
	if f.input.Value() != before {
		s.touched = true
		s.completions = nil
		if f.Key == "name" {
			s.nameEdited = true
		}
		if s.errKey == f.Key {
			s.submitErr, s.errKey = nil, ""
		}
	}
	return cmd
}

func (s *formScreen) ShortHelp() []key.Binding {
	k := s.c.Keys
	submit := k.Submit
	submit.SetHelp("enter", "run the preflight")
	b := []key.Binding{submit, k.NextField}
	if s.focus < len(s.fields) {
		switch f := s.fields[s.focus]; {
		case f.Kind == flows.FieldFile:
			b = append(b, k.Complete)
		case f.picks():
			b = append(b, k.Switch)
		}
	}
	return append(b, k.Back)
}

func (s *formScreen) FullHelp() [][]key.Binding {
	k := s.c.Keys
	return [][]key.Binding{{k.Submit, k.NextField, k.PrevField}, {k.Complete, k.Switch, k.Back}}
}

// fieldLines draws one field: label and value, then what to say under it.
func (s *formScreen) fieldLines(i int) []string {
	st := s.c.Styles
	f := &s.fields[i]
	focused := i == s.focus
	lw := s.labelWidth()
	label := fmt.Sprintf("%-*s", lw, f.Label)
	if focused {
		label = st.FieldFocused.Render("› " + label)
	} else {
		label = "  " + st.Subtle.Render(label)
	}
	var value string
	if f.picks() {
		var parts []string
		for j, c := range f.choices() {
			if j == f.choice {
				parts = append(parts, st.Selected.Render("["+c+"]"))
			} else {
				parts = append(parts, " "+c+" ")
			}
		}
		value = strings.Join(parts, " ")
	} else {
		value = f.input.View()
	}
	lines := []string{trunc(label+" "+value, s.width)}
	indent := lw + 3
	note := ""
	switch p := s.problem(f); {
	case s.errKey == f.Key && s.submitErr != nil:
		note = st.Bad(s.submitErr.Msg)
		if s.submitErr.Fix != "" {
			note += " " + st.Subtle.Render("("+s.submitErr.Fix+")")
		}
	case p != "" && (focused && f.value() != "" || s.showErrors || f.Key == "name"):
		note = st.Bad(p)
	case f.Key == "name":
		note = st.Good(s.good(f))
	case focused && f.Help != "":
		note = f.Help
		if f.Kind == flows.FieldFile {
			note += "; tab completes the path"
		}
		note = st.Subtle.Render(note)
	case focused && f.Kind == flows.FieldFile:
		note = st.Subtle.Render("tab completes the path")
	}
	if note != "" {
		lines = append(lines, wrapIndent(note, s.width, indent)...)
	}
	if focused && f.Kind == flows.FieldFile && len(s.completions) > 0 {
		lines = append(lines, wrapIndent(st.Subtle.Render(strings.Join(s.completions, "  ")), s.width, indent)...)
	}
	return lines
}

func (s *formScreen) View() string {
	st := s.c.Styles
	noun := resourceNoun(s.typ)
	head := []string{st.Title.Render("Details of the " + noun)}
	where := noun + " " + st.Bold.Render(orDash(s.resName))
	if f := s.field("resource-id"); f != nil {
		if chk := flows.CheckResourceID(f.value(), browseKinds(s.typ)...); chk.OK {
			if s.resName == "" {
				where = noun + " " + st.Bold.Render(chk.Name)
			}
			where += " · resource group " + chk.ResourceGroup
		}
	}
	head = append(head, trunc(where, s.width))
	replace := ""
	if s.replacing != nil {
		replace = fmt.Sprintf("reattach: %q is detached and attached again with these settings, after the preflight passes", s.replacing.Name)
	}
	head = append(head, stepNotes(st, s.width, s.scenario, s.attachedAs, replace, s.editing)...)
	head = append(head, "")

	var body []string
	focusLine := 0
	for i := range s.fields {
		if i == s.focus {
			focusLine = len(body)
		}
		fl := s.fieldLines(i)
		if i == s.focus {
			focusLine += len(fl) - 1 // the field and what is said under it
		}
		body = append(body, fl...)
	}
	var foot []string
	if s.submitErr != nil && s.errKey == "" {
		foot = append(foot, "")
		foot = append(foot, errorLines(s.c, s.submitErr, s.width)...)
	}
	foot = append(foot, "")
	if s.validating {
		foot = append(foot, st.Subtle.Render("checking…"))
	} else {
		foot = append(foot, wrap(st.Subtle.Render("enter runs the preflight: nothing is sent to Azure yet"), s.width)...)
	}
	room := max(3, s.height-len(head)-len(foot))
	if len(body) > room {
		off := min(max(0, focusLine-room+1), len(body)-room)
		body = body[off : off+room]
	}
	return fit(append(append(head, body...), foot...), s.width, s.height)
}

// stepNotes are the notes under a details form's title: the demo scenario,
// an earlier attachment of the resource, a reattach, an edit after a failed
// probe.
func stepNotes(st *Styles, width int, scenario string, attachedAs []string, replace string, editing bool) []string {
	var lines []string
	if scenario != "" {
		lines = append(lines, trunc(st.Badge.Render("demo scenario: "+scenario), width))
	}
	if len(attachedAs) > 0 {
		lines = append(lines, wrap(st.Note("already attached as "+strings.Join(attachedAs, ", ")+": a second attachment breaks the first"), width)...)
	}
	if replace != "" {
		lines = append(lines, wrap(st.Note(replace), width)...)
	}
	if editing {
		lines = append(lines, wrap(st.Subtle.Render("Fix the field, then enter runs the preflight again."), width)...)
	}
	return lines
}

// completeInto applies a path completion to the field: the longer common
// prefix, and the candidates to show when there are several. next says
// there was nothing to complete: Tab then moves on to the next field.
func completeInto(in *textinput.Model, res flows.PathCompletion, typed string) (candidates []string, next bool) {
	if len(res.Candidates) > 1 {
		candidates = res.Candidates
	}
	if res.Value != typed {
		in.SetValue(res.Value)
		in.CursorEnd()
		return candidates, false
	}
	return candidates, candidates == nil
}
