package ui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"amlattach/flows"
	"amlattach/probes"
)

type fieldID int

const (
	fName fieldID = iota
	fPort
	fUser
	fLogin
	fPassword
	fKey
	fPassphrase
	fieldCount
)

func (f fieldID) label() string {
	switch f {
	case fName:
		return "Compute name"
	case fPort:
		return "SSH port"
	case fUser:
		return "User name"
	case fLogin:
		return "Log in with"
	case fPassword:
		return "Password"
	case fKey:
		return "Key file"
	case fPassphrase:
		return "Passphrase"
	}
	return ""
}

type loginMethod int

const (
	loginPassword loginMethod = iota
	loginKey
	loginAgent
)

func (l loginMethod) String() string {
	switch l {
	case loginKey:
		return "key file"
	case loginAgent:
		return "ssh-agent"
	}
	return "password"
}

type (
	keyInspectedMsg struct {
		info flows.KeyInfo
		pass string // the passphrase it was checked with
	}
	pathCompletedMsg struct {
		typed string
		res   flows.PathCompletion
	}
	agentOpenedMsg struct {
		agent *flows.Agent
		err   error
	}
	validatedMsg struct {
		seq  int
		plan *flows.VMPlan
		err  error
	}
)

func inspectKeyCmd(path string, passphrase []byte) tea.Cmd {
	return func() tea.Msg {
		return keyInspectedMsg{info: flows.InspectKey(path, passphrase), pass: string(passphrase)}
	}
}

func completePathCmd(typed string) tea.Cmd {
	return func() tea.Msg { return pathCompletedMsg{typed: typed, res: flows.CompletePath(typed)} }
}

func openAgentCmd(sock string) tea.Cmd {
	return func() tea.Msg {
		a, err := flows.OpenAgent(sock)
		return agentOpenedMsg{agent: a, err: err}
	}
}

func validateCmd(seq int, in flows.VMInput) tea.Cmd {
	return func() tea.Msg {
		p, err := flows.ValidateVM(in, false)
		return validatedMsg{seq: seq, plan: p, err: err}
	}
}

// detailsScreen asks how to reach the VM and what to call it: compute
// name (checked live, a free name suggested), SSH port, user, and the
// login: a password, a key file (its passphrase asked only when the key
// is encrypted), or ssh-agent (probe only).
type detailsScreen struct {
	c          *Common
	getenv     func(string) string
	knownHosts string

	wsName     string
	resourceID string
	vmName     string
	attachedAs []string
	computes   []flows.Compute
	compKnown  bool

	inputs       [fieldCount]textinput.Model
	login        loginMethod
	focus        fieldID
	nameEdited   bool
	key          *flows.KeyInfo
	keyPass      string // the passphrase key was inspected with
	keyEncrypted bool
	completions  []string
	agent        *flows.Agent
	agentErr     error
	agentLoading bool

	showErrors bool
	submitErr  *flows.Error
	errField   fieldID
	validating bool
	seq        int
	touched    bool
	editing    bool // came back from the preflight to fix a field
	scenario   string
	// replacing is the compute being reattached: its name is fixed.
	replacing *flows.Compute
	width     int
	height    int
}

func newDetailsScreen(c *Common, o Options) *detailsScreen {
	d := &detailsScreen{c: c, getenv: o.Getenv, knownHosts: o.KnownHosts, errField: -1}
	for i := range d.inputs {
		ti := newInput()
		ti.Prompt = ""
		ti.CharLimit = 256
		d.inputs[i] = ti
	}
	d.inputs[fName].CharLimit = 40
	d.inputs[fPort].CharLimit = 5
	d.inputs[fPort].SetValue("22")
	d.inputs[fUser].SetValue("azureuser")
	d.inputs[fPassword].EchoMode = textinput.EchoPassword
	d.inputs[fPassword].EchoCharacter = '•'
	d.inputs[fPassphrase].EchoMode = textinput.EchoPassword
	d.inputs[fPassphrase].EchoCharacter = '•'
	d.inputs[fKey].Placeholder = "~/.ssh/id_rsa"
	return d
}

// SetResource is the VM the details are for; a new VM gets a suggested name
// unless the user typed one.
func (d *detailsScreen) SetResource(id, name string, attachedAs []string, ws flows.Workspace, computes []flows.Compute) {
	d.wsName, d.attachedAs = ws.Name, attachedAs
	if computes != nil {
		d.SetComputes(computes)
	}
	if !strings.EqualFold(id, d.resourceID) {
		d.resourceID, d.vmName = id, name
		if !d.nameEdited {
			d.inputs[fName].SetValue(flows.SuggestComputeName(name, computes))
		}
	}
	d.submitErr, d.errField, d.showErrors, d.editing = nil, -1, false, false
}

// SetComputes is the workspace's computes, for checking the name.
func (d *detailsScreen) SetComputes(cs []flows.Compute) {
	d.computes, d.compKnown = cs, true
}

// Prefill fills every field from a scenario.
func (d *detailsScreen) Prefill(s Start) {
	d.inputs[fName].SetValue(s.ComputeName)
	d.nameEdited = true
	d.inputs[fUser].SetValue(s.Username)
	d.inputs[fPassword].SetValue(s.Password)
	d.login = loginPassword
	d.scenario = s.Scenario
}

// Touched says whether the user typed something that quitting would lose.
func (d *detailsScreen) Touched() bool { return d.touched }

// Close lets go of the ssh-agent connection.
func (d *detailsScreen) Close() { d.agent.Close() }

// Focus starts the screen on its first field.
func (d *detailsScreen) Focus() tea.Cmd { return d.focusField(d.focus) }

// FocusField puts the cursor on the field a probe failure points at; it
// reports false when that field is not on this screen.
func (d *detailsScreen) FocusField(f probes.Field) (bool, tea.Cmd) {
	var to fieldID
	switch f {
	case probes.FieldName:
		if d.replacing != nil {
			return false, nil
		}
		to = fName
	case probes.FieldUsername:
		to = fUser
	case probes.FieldPort:
		to = fPort
	case probes.FieldPassword:
		switch d.login {
		case loginPassword:
			to = fPassword
		case loginKey:
			to = fKey
			if d.keyEncrypted {
				to = fPassphrase
			}
		default:
			to = fLogin
		}
	case probes.FieldKey:
		to = fLogin
		if d.login == loginKey {
			to = fKey
		}
	default:
		return false, nil
	}
	d.editing = true
	d.showErrors = false
	return true, d.focusField(to)
}

func (d *detailsScreen) visible() []fieldID {
	f := []fieldID{fName, fPort, fUser, fLogin}
	if d.replacing != nil {
		f = f[1:] // the name is the compute's own; shown above the fields
	}
	switch d.login {
	case loginPassword:
		f = append(f, fPassword)
	case loginKey:
		f = append(f, fKey)
		if d.keyEncrypted {
			f = append(f, fPassphrase)
		}
	}
	return f
}

func (d *detailsScreen) Init() tea.Cmd { return nil }

func (d *detailsScreen) SetSize(w, h int) {
	d.width, d.height = w, h
	for i := range d.inputs {
		d.inputs[i].Width = max(8, w-19)
	}
	d.inputs[fPort].Width = 6
}

func (d *detailsScreen) Typing() bool { return d.focus != fLogin }

func (d *detailsScreen) focusField(f fieldID) tea.Cmd {
	for i := range d.inputs {
		d.inputs[i].Blur()
	}
	d.focus = f
	d.completions = nil
	if f == fLogin {
		return nil
	}
	d.inputs[f].CursorEnd()
	return d.inputs[f].Focus()
}

// move goes to the next (or previous) visible field, checking the key file
// on the way out of it.
func (d *detailsScreen) move(delta int) tea.Cmd {
	vis := d.visible()
	at := 0
	for i, f := range vis {
		if f == d.focus {
			at = i
		}
	}
	leaving := d.focus
	next := vis[(at+delta+len(vis))%len(vis)]
	return tea.Batch(d.leave(leaving), d.focusField(next))
}

func (d *detailsScreen) leave(f fieldID) tea.Cmd {
	switch f {
	case fKey:
		if v := strings.TrimSpace(d.inputs[fKey].Value()); v != "" {
			var pp []byte
			if d.keyEncrypted && d.inputs[fPassphrase].Value() != "" {
				pp = []byte(d.inputs[fPassphrase].Value())
			}
			return inspectKeyCmd(v, pp)
		}
	case fPassphrase:
		if v := strings.TrimSpace(d.inputs[fKey].Value()); v != "" && d.inputs[fPassphrase].Value() != "" {
			return inspectKeyCmd(v, []byte(d.inputs[fPassphrase].Value()))
		}
	}
	return nil
}

// problem is what is wrong with a field as typed ("" when nothing is).
func (d *detailsScreen) problem(f fieldID) string {
	v := d.inputs[f].Value()
	switch f {
	case fName:
		p, sugg := flows.NameCheck(v, d.computes)
		if p != "" && sugg != "" && !strings.EqualFold(sugg, v) {
			p += "; try " + sugg
		}
		return p
	case fPort:
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > 65535 {
			return "give sshd's TCP port, 1 to 65535 (usually 22)"
		}
	case fUser:
		switch {
		case strings.TrimSpace(v) == "":
			return "type the VM's SSH user (azureuser on most Azure VMs)"
		case strings.ContainsAny(v, " \t@:/"):
			return "only the user name, without a host: e.g. azureuser"
		}
	case fPassword:
		if v == "" {
			return "type the SSH password of that user"
		}
	case fKey:
		if strings.TrimSpace(v) == "" {
			return "type the path of the private key file (tab completes)"
		}
		if k := d.keyFor(v); k != nil && !k.OK && k.Field != probes.FieldPassword {
			return k.Problem + ": " + k.Fix
		}
	case fPassphrase:
		if v == "" {
			return "the key is encrypted: type its passphrase (it is used here only)"
		}
		if k := d.keyFor(d.inputs[fKey].Value()); k != nil && d.keyPass == v && !k.OK && k.Field == probes.FieldPassword && !k.NeedsPassphrase {
			return k.Problem
		}
	case fLogin:
		if d.login == loginAgent {
			switch {
			case d.agentErr != nil:
				return errorText(d.agentErr)
			case d.agent != nil && d.agent.Count() == 0:
				return "ssh-agent holds no keys: add one with ssh-add KEY, or log in with a password or key file"
			}
		}
	}
	return ""
}

// keyFor is the inspection of the key file at path, if it was inspected.
func (d *detailsScreen) keyFor(path string) *flows.KeyInfo {
	if d.key != nil && d.key.Path == flows.ExpandHome(strings.TrimSpace(path)) {
		return d.key
	}
	return nil
}

// good is the positive note on a field that passed.
func (d *detailsScreen) good(f fieldID) string {
	switch f {
	case fName:
		if d.wsName != "" && d.compKnown {
			return fmt.Sprintf("%q is free in %s", d.inputs[fName].Value(), d.wsName)
		}
		return "a valid name; the preflight checks that it is free"
	case fKey:
		if k := d.keyFor(d.inputs[fKey].Value()); k != nil && (k.OK || k.Encrypted) {
			s := "a private key"
			if k.Type != "" {
				s = fmt.Sprintf("%s key (%s)", k.Type, k.Format)
			}
			if k.Encrypted {
				s += "; encrypted: fine to probe, but attaching needs an unencrypted copy"
			}
			return s
		}
	case fLogin:
		switch d.login {
		case loginAgent:
			if d.agent != nil {
				return fmt.Sprintf("ssh-agent holds %d keys: probe only; attaching needs a password or key file", d.agent.Count())
			}
			if d.agentLoading {
				return "asking ssh-agent for its keys…"
			}
		case loginKey:
			return "Azure ML stores the key file's content to log in itself"
		default:
			return "Azure ML stores the password to log in itself"
		}
	}
	return ""
}

// input builds what the flows validate.
func (d *detailsScreen) input() flows.VMInput {
	port, _ := strconv.Atoi(strings.TrimSpace(d.inputs[fPort].Value()))
	in := flows.VMInput{
		Name: strings.TrimSpace(d.inputs[fName].Value()), ResourceID: d.resourceID,
		Username: strings.TrimSpace(d.inputs[fUser].Value()), SSHPort: port, KnownHosts: d.knownHosts,
		ConfirmHostKey: confirmHostKey,
	}
	switch d.login {
	case loginPassword:
		in.Password, in.PasswordSource = d.inputs[fPassword].Value(), "the password field"
	case loginKey:
		in.KeyFile = flows.ExpandHome(strings.TrimSpace(d.inputs[fKey].Value()))
		if d.keyEncrypted {
			in.Passphrase = []byte(d.inputs[fPassphrase].Value())
		}
	case loginAgent:
		in.UseAgent(d.agent)
	}
	return in
}

// submit checks every field, then has the flows validate the whole input.
func (d *detailsScreen) submit() tea.Cmd {
	d.showErrors = true
	d.submitErr, d.errField = nil, -1
	for _, f := range d.visible() {
		if d.problem(f) != "" {
			return d.focusField(f)
		}
	}
	if d.login == loginAgent && d.agent == nil {
		return nil
	}
	d.validating = true
	d.seq++
	return validateCmd(d.seq, d.input())
}

// vmPlanReady hands a VM plan on as the common plan; the confirmation
// validates its input again for the attach.
func vmPlanReady(vp *flows.VMPlan) planReadyMsg {
	in := vp.In
	return planReadyMsg{plan: vp.Target(), recheck: func() (*flows.Plan, error) {
		p, err := flows.ValidateVM(in, true)
		if err != nil {
			return nil, err
		}
		return p.Target(), nil
	}}
}

// fieldOfFlag maps a flows.Error's flag to the field that sets it.
func (d *detailsScreen) fieldOfFlag(flag string) fieldID {
	switch flag {
	case "--name":
		return fName
	case "--username":
		return fUser
	case "--ssh-port":
		return fPort
	case "--password-file":
		if d.login == loginPassword {
			return fPassword
		}
		return fLogin
	case "--ssh-key":
		if d.login == loginKey {
			return fKey
		}
		return fLogin
	case "--ssh-key-passphrase-file":
		return fPassphrase
	}
	return -1
}

func (d *detailsScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case keyInspectedMsg:
		if flows.ExpandHome(strings.TrimSpace(d.inputs[fKey].Value())) != msg.info.Path {
			return d, nil
		}
		info := msg.info
		d.key, d.keyPass = &info, msg.pass
		if info.Encrypted {
			d.keyEncrypted = true
		} else if info.OK {
			d.keyEncrypted = false
		}
		return d, nil
	case pathCompletedMsg:
		if d.focus != fKey || d.inputs[fKey].Value() != msg.typed {
			return d, nil
		}
		var next bool
		d.completions, next = completeInto(&d.inputs[fKey], msg.res, msg.typed)
		if !next {
			return d, nil
		}
		return d, d.move(1)
	case agentOpenedMsg:
		d.agentLoading = false
		d.agent, d.agentErr = msg.agent, msg.err
		return d, nil
	case validatedMsg:
		if msg.seq != d.seq {
			return d, nil
		}
		d.validating = false
		if msg.err == nil {
			d.editing = false
			return d, send(vmPlanReady(msg.plan))
		}
		var fe *flows.Error
		if !errors.As(msg.err, &fe) {
			fe = &flows.Error{Msg: msg.err.Error()}
		}
		d.submitErr = fe
		d.errField = d.fieldOfFlag(fe.Field)
		if d.errField == fPassphrase {
			d.keyEncrypted = true
		}
		if d.errField >= 0 {
			return d, d.focusField(d.errField)
		}
		return d, nil
	case tea.KeyMsg:
		return d, d.handleKey(msg)
	}
	if d.focus != fLogin {
		var cmd tea.Cmd
		d.inputs[d.focus], cmd = d.inputs[d.focus].Update(msg)
		return d, cmd
	}
	return d, nil
}

func (d *detailsScreen) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := d.c.Keys
	switch {
	case key.Matches(msg, k.Back):
		return backCmd()
	case d.validating:
		return nil
	case d.focus == fKey && key.Matches(msg, k.Complete):
		return completePathCmd(d.inputs[fKey].Value())
	case key.Matches(msg, k.NextField):
		return d.move(1)
	case key.Matches(msg, k.PrevField):
		return d.move(-1)
	case key.Matches(msg, k.Submit):
		return tea.Batch(d.leave(d.focus), d.submit())
	case d.focus == fLogin && key.Matches(msg, k.Switch):
		delta := 1
		if msg.String() == "left" {
			delta = 2
		}
		d.login = loginMethod((int(d.login) + delta) % 3)
		d.touched = true
		if d.login == loginAgent && d.agent == nil && !d.agentLoading {
			d.agentLoading, d.agentErr = true, nil
			sock := ""
			if d.getenv != nil {
				sock = d.getenv("SSH_AUTH_SOCK")
			}
			return openAgentCmd(sock)
		}
		return nil
	case d.focus == fLogin:
		return nil
	}
	before := d.inputs[d.focus].Value()
	var cmd tea.Cmd
	d.inputs[d.focus], cmd = d.inputs[d.focus].Update(msg)
	if d.inputs[d.focus].Value() != before {
		d.touched = true
		d.completions = nil
		if d.focus == fName {
			d.nameEdited = true
		}
		if d.errField == d.focus {
			d.submitErr, d.errField = nil, -1
		}
	}
	return cmd
}

func (d *detailsScreen) ShortHelp() []key.Binding {
	k := d.c.Keys
	submit := k.Submit
	submit.SetHelp("enter", "run the preflight")
	b := []key.Binding{submit, k.NextField}
	switch d.focus {
	case fKey:
		b = append(b, k.Complete)
	case fLogin:
		b = append(b, k.Switch)
	}
	return append(b, k.Back)
}

func (d *detailsScreen) FullHelp() [][]key.Binding {
	k := d.c.Keys
	return [][]key.Binding{{k.Submit, k.NextField, k.PrevField}, {k.Complete, k.Switch, k.Back}}
}

func (d *detailsScreen) View() string {
	st := d.c.Styles
	lines := []string{st.Title.Render("How to reach the VM")}
	where := "VM " + st.Bold.Render(orDash(d.vmName))
	if id := flows.CheckResourceID(d.resourceID, flows.VMKind); id.OK {
		where += " · resource group " + id.ResourceGroup
	}
	lines = append(lines, trunc(where, d.width))
	replace := ""
	if d.replacing != nil {
		replace = fmt.Sprintf("reattach: %q is detached and attached again with this login, after the preflight passes; the name stays", d.replacing.Name)
	}
	lines = append(lines, stepNotes(st, d.width, d.scenario, d.attachedAs, replace, d.editing)...)
	lines = append(lines, "")
	for _, f := range d.visible() {
		focused := f == d.focus
		label := fmt.Sprintf("%-15s", f.label())
		if focused {
			label = st.FieldFocused.Render("› " + label)
		} else {
			label = "  " + st.Subtle.Render(label)
		}
		var value string
		if f == fLogin {
			value = d.loginView()
		} else {
			value = d.inputs[f].View()
		}
		lines = append(lines, trunc(label+" "+value, d.width))
		note := ""
		switch p := d.problem(f); {
		case d.errField == f && d.submitErr != nil:
			note = st.Bad(d.submitErr.Msg)
			if d.submitErr.Fix != "" {
				note += " " + st.Subtle.Render("("+d.submitErr.Fix+")")
			}
		case p != "" && (focused && d.inputs[f].Value() != "" || d.showErrors || f == fLogin || f == fName):
			note = st.Bad(p)
		case focused || f == fName:
			if g := d.good(f); g != "" {
				note = st.Good(g)
			}
		}
		if note != "" {
			lines = append(lines, wrapIndent(note, d.width, 18)...)
		}
		if f == fKey && focused && len(d.completions) > 0 {
			lines = append(lines, wrapIndent(st.Subtle.Render(strings.Join(d.completions, "  ")), d.width, 18)...)
		}
	}
	if d.submitErr != nil && d.errField < 0 {
		lines = append(lines, "")
		lines = append(lines, errorLines(d.c, d.submitErr, d.width)...)
	}
	lines = append(lines, "")
	if d.validating {
		lines = append(lines, st.Subtle.Render("checking…"))
	} else {
		lines = append(lines, wrap(st.Subtle.Render("enter runs the preflight: nothing is sent to Azure yet"), d.width)...)
	}
	return fit(lines, d.width, d.height)
}

func (d *detailsScreen) loginView() string {
	st := d.c.Styles
	var parts []string
	for _, l := range []loginMethod{loginPassword, loginKey, loginAgent} {
		if l == d.login {
			parts = append(parts, st.Selected.Render("["+l.String()+"]"))
		} else {
			parts = append(parts, " "+l.String()+" ")
		}
	}
	return strings.Join(parts, " ")
}
