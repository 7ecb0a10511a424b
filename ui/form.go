package ui

import (
	"errors"
	"fmt"
	"slices"
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
	// keyInspectedMsg is what reading the key file of field key found,
	// with the passphrase it was read with.
	keyInspectedMsg struct {
		key  string
		info flows.KeyInfo
		pass string
	}
	agentOpenedMsg struct {
		agent *flows.Agent
		err   error
	}
	formValidatedMsg struct {
		seq     int
		plan    *flows.Plan
		recheck func() (*flows.Plan, error)
		err     error
	}
)

func formCompleteCmd(k, typed string) tea.Cmd {
	return func() tea.Msg { return formCompletedMsg{key: k, typed: typed, res: flows.CompletePath(typed)} }
}

func inspectKeyCmd(k, path string, passphrase []byte) tea.Cmd {
	return func() tea.Msg {
		return keyInspectedMsg{key: k, info: flows.InspectKey(path, passphrase), pass: string(passphrase)}
	}
}

func openAgentCmd(sock string) tea.Cmd {
	return func() tea.Msg {
		a, err := flows.OpenAgent(sock)
		return agentOpenedMsg{agent: a, err: err}
	}
}

// formValidateCmd validates the answers for the preflight (a probe-only
// login, such as ssh-agent or an encrypted key, passes) and hands on the
// stricter check the confirmation runs before the attach.
func formValidateCmd(seq int, typ string, values map[string]string, knownHosts string, agent *flows.Agent) tea.Cmd {
	in := func() flows.VMInput {
		in := flows.VMInput{ConfirmHostKey: confirmHostKey}
		in.UseAgent(agent)
		return in
	}
	recheck := func() (*flows.Plan, error) { return flows.PlanFromForm(typ, values, true, knownHosts, in()) }
	return func() tea.Msg {
		p, err := flows.PlanFromForm(typ, values, false, knownHosts, in())
		return formValidatedMsg{seq: seq, plan: p, recheck: recheck, err: err}
	}
}

// formField is one field of the form as typed: text, secret and file
// fields edit input; choice and bool fields hold the index of the choice.
// A key file keeps what reading it found.
type formField struct {
	flows.FormField
	input     textinput.Model
	choice    int
	key       *flows.KeyInfo
	keyPass   string // the passphrase key was read with
	encrypted bool
}

func (f *formField) choices() []string {
	if f.Kind == flows.FieldBool {
		return []string{"no", "yes"}
	}
	return f.Choices
}

func (f *formField) picks() bool { return f.Kind == flows.FieldChoice || f.Kind == flows.FieldBool }

func (f *formField) file() bool { return f.Kind == flows.FieldFile || f.Kind == flows.FieldKeyFile }

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

// keyFor is the reading of the key file at path, if it was read.
func (f *formField) keyFor(path string) *flows.KeyInfo {
	if f.key != nil && f.key.Path == flows.ExpandHome(strings.TrimSpace(path)) {
		return f.key
	}
	return nil
}

// formScreen is the one form engine: it asks the details of every target
// type, drawn from flows.Form. Text fields, secrets typed masked, files
// with tab completion (a key file read when left, its passphrase asked only
// when it is encrypted), choices changed with ←/→ or space (the fields
// that depend on a choice come and go with it), the compute name checked
// as it is typed. The resource comes from the browser; enter validates
// everything with the command line's checks and puts a problem under its
// field; a failed probe brings the cursor back to the field at fault.
type formScreen struct {
	c          *Common
	knownHosts string
	getenv     func(string) string
	// sandboxLogin tells, on the login part, the login the sandbox's VMs take.
	sandboxLogin string

	typ        string
	fields     []formField
	focus      int
	resourceID string // the resource, when the form has no field for it (a VM's)
	wsName     string
	resName    string
	attachedAs []string
	computes   []flows.Compute
	compKnown  bool
	nameEdited bool

	agent        *flows.Agent
	agentErr     error
	agentLoading bool

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
	s := &formScreen{c: c, knownHosts: o.KnownHosts, getenv: o.Getenv}
	if l := o.SandboxLogin; o.Sandbox && l.User != "" {
		s.sandboxLogin = fmt.Sprintf("demo login of the simulated VMs: user %s, password %s", l.User, l.Password)
	}
	return s
}

// SetType builds the form of a target type; the same type keeps what was typed.
func (s *formScreen) SetType(typ string) {
	if typ == s.typ {
		return
	}
	s.typ, s.focus, s.nameEdited, s.touched, s.scenario, s.resourceID = typ, 0, false, false, "", ""
	s.submitErr, s.errKey, s.showErrors, s.editing, s.completions = nil, "", false, false, nil
	s.fields = nil
	for _, f := range flows.Form(typ) {
		ff := formField{FormField: f, input: newInput()}
		ff.input.Prompt = ""
		ff.input.CharLimit = 1000
		if f.Kind == flows.FieldSecret {
			ff.input.EchoMode = textinput.EchoPassword
			ff.input.EchoCharacter = '•'
		}
		if f.Kind == flows.FieldKeyFile {
			ff.input.Placeholder = "~/.ssh/id_rsa"
		}
		if f.Default != "" {
			ff.setValue(f.Default)
		}
		s.fields = append(s.fields, ff)
	}
	s.SetSize(s.width, s.height)
}

// ResetType builds the form of typ afresh, dropping what was typed.
func (s *formScreen) ResetType(typ string) {
	s.typ = "\x00"
	if typ == "" {
		s.fields = nil
		s.typ = ""
		return
	}
	s.SetType(typ)
}

func (s *formScreen) field(k string) *formField {
	if i := s.index(k); i >= 0 {
		return &s.fields[i]
	}
	return nil
}

func (s *formScreen) index(k string) int {
	return slices.IndexFunc(s.fields, func(f formField) bool { return f.Key == k })
}

// encrypted says the key file in field k was found encrypted.
func (s *formScreen) encrypted(k string) bool {
	f := s.field(k)
	return f != nil && f.encrypted
}

// shown says which fields are asked now: those whose condition holds.
func (s *formScreen) shown() []bool {
	all := make(map[string]string, len(s.fields))
	for i := range s.fields {
		all[s.fields[i].Key] = s.fields[i].value()
	}
	out := make([]bool, len(s.fields))
	for i := range s.fields {
		out[i] = s.fields[i].Shown(all, s.encrypted)
	}
	return out
}

// SetResource is the resource the form is for; a new one gets a suggested
// compute name unless the user typed one.
func (s *formScreen) SetResource(id, name string, attachedAs []string, ws flows.Workspace, computes []flows.Compute) {
	s.wsName, s.attachedAs = ws.Name, attachedAs
	if computes != nil {
		s.SetComputes(computes)
	}
	f := s.field("resource-id")
	current := s.resourceID
	if f != nil {
		current = f.value()
	}
	if !strings.EqualFold(current, id) {
		if f != nil {
			f.setValue(id)
			f.input.CursorStart() // the ID shows from its start
		}
		s.resourceID, s.resName = id, name
		if n := s.field("name"); n != nil && !s.nameEdited {
			base := name
			if i := strings.LastIndex(base, "/"); i >= 0 {
				base = base[i+1:]
			}
			n.setValue(flows.SuggestComputeName(base, s.computes))
		}
		s.focus = s.startField()
	}
	s.submitErr, s.errKey, s.showErrors, s.editing = nil, "", false, false
}

// startField is where the cursor starts: the first field still to fill, or
// else the name. It never jumps over a choice: what follows a choice
// depends on it.
func (s *formScreen) startField() int {
	shown := s.shown()
	for i := range s.fields {
		f := &s.fields[i]
		if f.picks() {
			break
		}
		if shown[i] && f.value() == "" && !f.Optional {
			return i
		}
	}
	return max(0, s.index("name"))
}

// SetComputes is the workspace's computes, for checking the name.
func (s *formScreen) SetComputes(cs []flows.Compute) { s.computes, s.compKnown = cs, true }

// startValues are a scenario's answers by field key.
func startValues(st Start) map[string]string {
	v := map[string]string{}
	for k, x := range st.Values {
		v[k] = x
	}
	if st.Username != "" {
		v["username"] = st.Username
	}
	if st.Password != "" {
		v["password"] = st.Password
	}
	if st.ComputeName != "" {
		v["name"] = st.ComputeName
	}
	return v
}

// Prefill fills fields from a scenario.
func (s *formScreen) Prefill(st Start) {
	for k, v := range startValues(st) {
		if f := s.field(k); f != nil {
			f.setValue(v)
		}
	}
	if st.ComputeName != "" {
		s.nameEdited = true
	}
	s.scenario = st.Scenario
}

// Touched says whether the user typed something that quitting would lose.
func (s *formScreen) Touched() bool { return s.touched }

// Close lets go of the ssh-agent connection.
func (s *formScreen) Close() { s.agent.Close() }

// Focus starts the screen on its current field.
func (s *formScreen) Focus() tea.Cmd { return s.focusAt(s.focus) }

// FocusField puts the cursor on the field a probe failure points at: of
// the shown fields that answer for it, the last that holds a value (the
// most specific), else the first. It reports false when no field on this
// form does (the resource: the browser then chooses another).
func (s *formScreen) FocusField(pf probes.Field) (bool, tea.Cmd) {
	if pf == probes.FieldResourceID || pf == probes.FieldNone {
		return false, nil
	}
	shown := s.shown()
	first, best := -1, -1
	for i := range s.fields {
		if !shown[i] || s.locked(i) || !s.fields[i].Answers(pf) {
			continue
		}
		if first < 0 {
			first = i
		}
		if s.fields[i].value() != "" {
			best = i
		}
	}
	if best < 0 {
		best = first
	}
	if best < 0 {
		return false, nil
	}
	s.editing, s.showErrors = true, false
	return true, s.focusAt(best)
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

// step moves the focus by delta over hidden and locked fields, reading the
// key file on the way out of it.
func (s *formScreen) step(delta int) tea.Cmd {
	n := len(s.fields)
	if n == 0 {
		return nil
	}
	shown := s.shown()
	i := s.focus
	for range n {
		i = (i + delta + n) % n
		if shown[i] && !s.locked(i) {
			break
		}
	}
	return tea.Batch(s.leave(s.focus), s.focusAt(i))
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

// leave reads the key file of a key file field, or of the passphrase
// field being left, with the passphrase when there is one.
func (s *formScreen) leave(i int) tea.Cmd {
	if i < 0 || i >= len(s.fields) {
		return nil
	}
	f := &s.fields[i]
	keyField, pass := f, ""
	switch {
	case f.Kind == flows.FieldKeyFile:
		if pf := s.passphraseOf(f.Key); pf != nil && f.encrypted {
			pass = pf.value()
		}
	case f.When != nil && f.When.Encrypted:
		keyField, pass = s.field(f.When.Key), f.value()
		if keyField == nil || pass == "" {
			return nil
		}
	default:
		return nil
	}
	path := keyField.value()
	if path == "" {
		return nil
	}
	var pp []byte
	if pass != "" {
		pp = []byte(pass)
	}
	return inspectKeyCmd(keyField.Key, path, pp)
}

// passphraseOf is the field asked when the key file in field k is encrypted.
func (s *formScreen) passphraseOf(k string) *formField {
	for i := range s.fields {
		if w := s.fields[i].When; w != nil && w.Encrypted && w.Key == k {
			return &s.fields[i]
		}
	}
	return nil
}

// values are the shown fields' answers by key, as flows.PlanFromForm takes
// them; a hidden field has none.
func (s *formScreen) values() map[string]string {
	v := make(map[string]string, len(s.fields)+1)
	if s.index("resource-id") < 0 {
		v["resource-id"] = s.resourceID
	}
	shown := s.shown()
	for i := range s.fields {
		if shown[i] {
			v[s.fields[i].Key] = s.fields[i].value()
		}
	}
	return v
}

// problem is what is wrong with a field as typed ("" when nothing is).
func (s *formScreen) problem(f *formField) string {
	v := f.value()
	if f.Key == "resource-id" {
		if v == "" {
			return "the " + resourceNoun(s.typ) + "'s resource ID is required: esc goes back to choose one"
		}
		if chk := flows.CheckResourceID(v, browseKinds(s.typ)...); !chk.OK {
			return chk.Part + ": " + chk.Msg
		}
		return ""
	}
	if f.Key == "name" {
		if v == "" || s.replacing != nil {
			return ""
		}
		p, sugg := flows.NameCheck(v, s.computes)
		if p != "" && sugg != "" && !strings.EqualFold(sugg, v) {
			p += "; try " + sugg
		}
		return p
	}
	if f.Check != nil {
		if p := f.Check(f.input.Value()); p != "" {
			return p
		}
	}
	switch {
	case f.Kind == flows.FieldKeyFile && v != "":
		if k := f.keyFor(v); k != nil && !k.OK && k.Field != probes.FieldPassword {
			return k.Problem + ": " + k.Fix
		}
	case f.When != nil && f.When.Encrypted && v != "":
		kf := s.field(f.When.Key)
		if kf == nil {
			break
		}
		if k := kf.keyFor(kf.value()); k != nil && kf.keyPass == v && !k.OK && k.Field == probes.FieldPassword && !k.NeedsPassphrase {
			return k.Problem
		}
	case f.picks() && v == flows.LoginAgent:
		switch {
		case s.agentErr != nil:
			return errorText(s.agentErr)
		case s.agent != nil && s.agent.Count() == 0:
			return "ssh-agent holds no keys: add one with ssh-add KEY, or log in with a password or key file"
		}
	case v == "" && !f.Optional && !f.picks():
		return "required: " + strings.ToLower(f.Label[:1]) + f.Label[1:]
	}
	return ""
}

// good is the positive note on a field that passed.
func (s *formScreen) good(f *formField) string {
	switch {
	case f.Key == "name":
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
	case f.Kind == flows.FieldKeyFile:
		if k := f.keyFor(f.value()); k != nil && (k.OK || k.Encrypted) {
			note := "a private key"
			if k.Type != "" {
				note = fmt.Sprintf("%s key (%s)", k.Type, k.Format)
			}
			if k.Encrypted {
				note += "; encrypted: fine to probe, but attaching needs an unencrypted copy"
			}
			return note
		}
	case f.picks() && f.value() == flows.LoginAgent:
		if s.agent != nil {
			return fmt.Sprintf("ssh-agent holds %d keys: probe only; attaching needs a password or key file", s.agent.Count())
		}
		if s.agentLoading {
			return "asking ssh-agent for its keys…"
		}
	case f.picks():
		return f.Notes[f.value()]
	}
	return ""
}

// submit checks every shown field, then has the flows validate the answers.
func (s *formScreen) submit() tea.Cmd {
	s.showErrors = true
	s.submitErr, s.errKey = nil, ""
	shown := s.shown()
	for i := range s.fields {
		if shown[i] && s.problem(&s.fields[i]) != "" {
			return s.focusAt(i)
		}
	}
	v := s.values()
	if v["login"] == flows.LoginAgent && s.agent == nil {
		return nil // ssh-agent is still being asked; its answer shows on the login
	}
	s.validating = true
	s.seq++
	return formValidateCmd(s.seq, s.typ, v, s.knownHosts, s.agent)
}

// errorField is the field a validation error's flag points at: the field
// itself when shown; an unread key's passphrase, which the error reveals;
// or else the choice that hides it.
func (s *formScreen) errorField(flag string) int {
	i := s.index(flows.FieldKey(s.typ, flag))
	if i < 0 || s.shown()[i] {
		return i
	}
	w := s.fields[i].When
	if w.Encrypted {
		if kf := s.field(w.Key); kf != nil {
			kf.encrypted = true
		}
		return i
	}
	return s.index(w.Key)
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
	case keyInspectedMsg:
		f := s.field(msg.key)
		if f == nil || flows.ExpandHome(f.value()) != msg.info.Path {
			return s, nil
		}
		info := msg.info
		f.key, f.keyPass = &info, msg.pass
		if info.Encrypted {
			f.encrypted = true
		} else if info.OK {
			f.encrypted = false
		}
		return s, nil
	case agentOpenedMsg:
		s.agentLoading = false
		s.agent, s.agentErr = msg.agent, msg.err
		return s, nil
	case formValidatedMsg:
		if msg.seq != s.seq {
			return s, nil
		}
		s.validating = false
		if msg.err == nil {
			s.editing = false
			return s, s.c.post(planReadyMsg{plan: msg.plan, recheck: msg.recheck})
		}
		var fe *flows.Error
		if !errors.As(msg.err, &fe) {
			fe = &flows.Error{Msg: msg.err.Error()}
		}
		s.submitErr = fe
		if i := s.errorField(fe.Field); i >= 0 {
			s.errKey = s.fields[i].Key
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
			return s.c.post(backMsg{})
		}
		return nil
	}
	f := &s.fields[s.focus]
	switch {
	case key.Matches(msg, k.Back):
		return s.c.post(backMsg{})
	case s.validating:
		return nil
	case f.file() && key.Matches(msg, k.Complete):
		return formCompleteCmd(f.Key, f.input.Value())
	case key.Matches(msg, k.NextField):
		return s.step(1)
	case key.Matches(msg, k.PrevField):
		return s.step(-1)
	case key.Matches(msg, k.Submit):
		return tea.Batch(s.leave(s.focus), s.submit())
	case s.locked(s.focus):
		return nil
	case f.picks() && key.Matches(msg, k.Switch):
		return s.switchChoice(f, msg.String() == "left")
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

// switchChoice moves a choice on (back with left); choosing ssh-agent asks
// it for its keys.
func (s *formScreen) switchChoice(f *formField, back bool) tea.Cmd {
	n := len(f.choices())
	if back {
		f.choice = (f.choice + n - 1) % n
	} else {
		f.choice = (f.choice + 1) % n
	}
	s.touched = true
	if s.errKey == f.Key {
		s.submitErr, s.errKey = nil, ""
	}
	if f.value() == flows.LoginAgent && s.agent == nil && !s.agentLoading {
		s.agentLoading, s.agentErr = true, nil
		sock := ""
		if s.getenv != nil {
			sock = s.getenv("SSH_AUTH_SOCK")
		}
		return openAgentCmd(sock)
	}
	return nil
}

func (s *formScreen) ShortHelp() []key.Binding {
	k := s.c.Keys
	submit := k.Submit
	submit.SetHelp("enter", "run the preflight")
	b := []key.Binding{submit, k.NextField}
	if s.focus < len(s.fields) {
		switch f := &s.fields[s.focus]; {
		case f.file():
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
	case p != "" && (focused && f.value() != "" || s.showErrors || f.Key == "name" || f.picks()):
		note = st.Bad(p)
	case f.Key == "name" || focused:
		if g := s.good(f); g != "" {
			note = st.Good(g)
			break
		}
		if !focused {
			break
		}
		help := f.Help
		if f.file() {
			help = strings.TrimPrefix(help+"; tab completes the path", "; ")
		}
		if help != "" {
			note = st.Subtle.Render(help)
		}
	}
	if note != "" {
		lines = append(lines, wrapIndent(note, s.width, indent)...)
	}
	if f.Key == "login" && s.sandboxLogin != "" {
		lines = append(lines, wrapIndent(st.Badge.Render("sandbox")+" "+s.sandboxLogin, s.width, indent)...)
	}
	if focused && f.file() && len(s.completions) > 0 {
		lines = append(lines, wrapIndent(st.Subtle.Render(strings.Join(s.completions, "  ")), s.width, indent)...)
	}
	return lines
}

// title is the form's heading: a VM's is about reaching it.
func (s *formScreen) title() string {
	if s.typ == "vm" {
		return "How to reach the VM"
	}
	return "Details of the " + resourceNoun(s.typ)
}

func (s *formScreen) View() string {
	st := s.c.Styles
	noun := resourceNoun(s.typ)
	head := []string{st.Title.Render(s.title())}
	where := noun + " " + st.Bold.Render(orDash(s.resName))
	id := s.resourceID
	if f := s.field("resource-id"); f != nil {
		id = f.value()
	}
	if chk := flows.CheckResourceID(id, browseKinds(s.typ)...); chk.OK {
		if s.resName == "" {
			where = noun + " " + st.Bold.Render(chk.Name)
		}
		where += " · resource group " + chk.ResourceGroup
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
	shown := s.shown()
	for i := range s.fields {
		if !shown[i] {
			continue
		}
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
